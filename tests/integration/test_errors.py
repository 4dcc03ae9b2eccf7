"""Unexpected failures show the service's own error page and leave nothing half-written."""

from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.models import AuditRecord
from portal.operations import audit


def test_server_error_page_and_rollback(app, tmp_path):
    broken = create_app({
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": app.config["DATABASE_URL"],
        "DATA_ENCRYPTION_KEYS": app.config["DATA_ENCRYPTION_KEYS"],
        "DATA_INDEX_KEY": app.config["DATA_INDEX_KEY"],
        "EXTERNAL_URL": app.config["EXTERNAL_URL"],
    })

    @broken.get("/explode")
    def explode():
        audit.record("half_done", actor="system", channel="system")
        raise RuntimeError("boom")

    with broken.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditRecord))
        db.session.remove()
    response = broken.test_client().get("/explode")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "服务出现了问题" in html and "12333" in html
    with broken.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditRecord)) == before
        db.session.remove()
    broken.extensions["portal_engine"].dispose()

"""Documents are asked for only when data comparison cannot confirm the facts (第六条), and are
handled per security.md: allow-list by magic bytes, size limit, re-encoded, served as downloads."""

import io
import re

from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.models import Application, Upload
from portal.operations.uploads import path_of
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    answer,
    csrf_token,
    decide,
    post_documents,
    sign_in,
    staff_sign_in,
)


def photo_with_location() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (25.0, 2.0, 30.0)}  # GPS info: where the photo was taken
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_documents_only_when_comparison_cannot_confirm(client, app, demo):
    """Someone with a known hukou is never asked; the Taiwan resident (no hukou) is."""
    sign_in(client, app, demo["by_key"]["contributor"])
    assert client.get("/apply/enrolment/step/documents").status_code in (302, 404)


def test_hmt_resident_enrols_with_documents(client, app, demo):
    person = demo["by_key"]["taiwan_resident"]
    sign_in(client, app, person)
    response = answer(client, "/apply/enrolment/step/student", student="no")
    assert response.location.endswith("/apply/enrolment/step/documents")

    bad = post_documents(client, [(b"MZ\x90\x00 not really a photo", "id.jpg")])
    assert bad.status_code == 400 and "JPG" in bad.get_data(as_text=True)
    empty = post_documents(client, [])
    assert empty.status_code == 400 and "至少" in empty.get_data(as_text=True)
    too_big = post_documents(client, [(b"%PDF-" + b"0" * (5 * 1024 * 1024), "big.pdf")])
    assert too_big.status_code == 400 and "5 MB" in too_big.get_data(as_text=True)

    original = photo_with_location()
    ok = post_documents(client, [(original, "身份证正面.jpg"), (b"%PDF-1.4\n%%EOF\n", "户口.pdf")])
    assert ok.status_code == 302 and ok.location.endswith("/step/phone")
    answer(client, "/apply/enrolment/step/phone", phone="13800000011")
    answer(client, "/apply/enrolment/step/address", address="青山县青山镇东山村5组2号")
    answer(client, "/apply/enrolment/step/tier", tier="10000")
    check_page = client.get("/apply/enrolment/check")
    assert "2个文件" in check_page.get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', check_page.get_data(as_text=True))
    response = client.post("/apply/enrolment/check", data={
        "csrf_token": csrf_token(check_page), "declaration": "yes",
        "submission_key": key.group(1)})
    reference = response.location.split("/")[-2]

    with app.app_context():
        application = db.session.scalar(select(Application).filter_by(reference=reference))
        stored = db.session.scalars(select(Upload).filter_by(application_id=application.id)
                                    .order_by(Upload.id)).all()
        assert [u.content_type for u in stored] == ["image/jpeg", "application/pdf"]
        photo = path_of(stored[0])
        assert "static" not in str(photo) and "身份证" not in photo.name
        with Image.open(photo) as image:
            assert not image.getexif()  # location and camera details are gone
        assert photo.read_bytes() != original
        upload_ids = [u.id for u in stored]
        db.session.remove()

    own = client.get(f"/me/uploads/{upload_ids[0]}")
    assert own.status_code == 200
    assert own.headers["Content-Disposition"].startswith("attachment")
    assert own.headers["X-Content-Type-Options"] == "nosniff"

    stranger = app.test_client()
    sign_in(stranger, app, demo["by_key"]["contributor"])
    assert stranger.get(f"/me/uploads/{upload_ids[0]}").status_code == 404

    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    review = reviewer.get(f"/agency/applications/{reference}").get_data(as_text=True)
    assert f"/agency/uploads/{upload_ids[0]}" in review
    download = reviewer.get(f"/agency/uploads/{upload_ids[1]}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    outsider = app.test_client()
    staff_sign_in(outsider, app, "reviewer.baishui")
    assert outsider.get(f"/agency/uploads/{upload_ids[0]}").status_code == 404
    assert decide(reviewer, reference, "approve").status_code == 302

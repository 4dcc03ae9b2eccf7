"""PostgreSQL plans a page's queries once per connection, not on every view.

psycopg prepares a query it has sent five times on one connection, but its rollback() also
forgets every prepared statement, and every read-only request ends in a rollback: so nothing
was ever prepared and every query of every page was planned again (extensions.
_rollback_keeping_prepared)."""

import psycopg
import pytest
from sqlalchemy import text

from portal import extensions
from portal.extensions import db
from tests.integration.helpers import every_pooled_connection, postgresql_only


def _postgresql_only(app):
    postgresql_only(app, "prepared statements are psycopg's (PostgreSQL)")


def _prepared_on_the_pool(app) -> list[str]:
    with app.app_context(), every_pooled_connection() as pooled:
        return [sql for connection in pooled for (sql,) in connection.execute(
            "SELECT statement FROM pg_prepared_statements").fetchall()]


def test_a_page_viewed_again_and_again_runs_prepared_queries(app, resident_client, new_person):
    _postgresql_only(app)
    resident = resident_client(new_person())
    for _ in range(8):
        assert resident.get("/me/").status_code == 200
    prepared = _prepared_on_the_pool(app)
    assert any("FROM web_session" in sql for sql in prepared), prepared


def test_a_form_refused_again_and_again_runs_prepared_queries(app, resident_client, new_person):
    """A form's request runs in a transaction from its first query and, refused, ends in a
    rollback: the clean rollback keeps what was prepared."""
    _postgresql_only(app)
    with app.app_context():
        db.engine.dispose()  # nothing prepared yet on any pooled connection
    resident = resident_client(new_person())
    for _ in range(8):
        refused = resident.post("/preferences", data={"csrf_token": "wrong", "lang": "en"})
        assert refused.status_code == 400
    prepared = _prepared_on_the_pool(app)
    assert any("FROM web_session" in sql for sql in prepared), prepared


def test_a_clean_rollback_keeps_prepared_statements_a_failed_one_forgets_them(app):
    _postgresql_only(app)
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            driver = raw.driver_connection
            for _ in range(6):  # past psycopg's prepare threshold
                driver.execute("SELECT %s::int + 1 AS kept", (1,)).fetchall()
            assert driver.info.transaction_status.name == "INTRANS"
            extensions._rollback_keeping_prepared(raw)
            assert driver.info.transaction_status.name == "IDLE"
            statements = [row[0] for row in driver.execute(
                "SELECT statement FROM pg_prepared_statements").fetchall()]
            assert any("AS kept" in sql for sql in statements), statements
            # The prepared statement still answers after the rollback.
            assert driver.execute("SELECT %s::int + 1 AS kept", (41,)).fetchone()[0] == 42

            # A transaction in error goes through psycopg's own rollback: usable afterwards.
            with pytest.raises(psycopg.errors.DivisionByZero):
                driver.execute("SELECT 1/0")
            assert driver.info.transaction_status.name == "INERROR"
            extensions._rollback_keeping_prepared(raw)
            assert driver.execute("SELECT 2").fetchone()[0] == 2
            driver.rollback()
        finally:
            raw.close()


def test_a_rollback_still_undoes_what_the_transaction_wrote(app):
    _postgresql_only(app)
    with app.app_context():
        with db.engine.connect() as connection:
            connection.exec_driver_sql("CREATE TEMP TABLE rollback_probe (n int)")
            connection.commit()
            connection.exec_driver_sql("INSERT INTO rollback_probe VALUES (1)")
            connection.rollback()  # through extensions._rollback_keeping_prepared
            assert connection.execute(text("SELECT count(*) FROM rollback_probe")).scalar() == 0

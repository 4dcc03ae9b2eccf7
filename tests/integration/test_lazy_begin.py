"""A page view (GET) reads without a transaction and opens one just before its first write
(extensions._begin_before_a_write): two round trips fewer per page, and whatever a GET writes
is still one transaction."""

import pytest
from sqlalchemy import event, func, select

from portal.documents import verification
from portal.extensions import db
from portal.models import IssuedStatement, Person
from tests.integration.helpers import every_pooled_connection, postgresql_only


def _postgresql_only(app):
    postgresql_only(app, "psycopg's autocommit (PostgreSQL)")


class _Watch:
    """Each statement the app sends, with the transaction state right after it ran."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.seen = []

    def _after(self, connection, _cursor, statement, *_):
        status = connection.connection.driver_connection.info.transaction_status
        verb = statement.split(None, 1)[0].upper()
        table = "issued_statement" if verb != "SELECT" and "issued_statement" in statement \
            else None
        self.seen.append((verb, status.name, table))

    def __enter__(self):
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_):
        event.remove(self.engine, "after_cursor_execute", self._after)


def test_a_page_view_reads_without_a_transaction(app, resident_client, new_person):
    _postgresql_only(app)
    resident = resident_client(new_person())
    with _Watch(app) as watch:
        assert resident.get("/me/").status_code == 200
    reads = [status for verb, status, _table in watch.seen if verb == "SELECT"]
    assert reads and set(reads) == {"IDLE"}, watch.seen


def test_what_a_page_view_writes_is_one_transaction(app, resident_client, enrolled,
                                                    monkeypatch):
    """A statement's first view inserts its record and then draws its QR code: when the
    drawing fails, the inserted record goes too."""
    _postgresql_only(app)
    resident = resident_client(enrolled)
    page = "/me/account/statement/all"

    def issued():
        with app.app_context():
            return db.session.scalar(select(func.count(IssuedStatement.id)))

    before = issued()

    def broken(_url):
        raise RuntimeError("the QR drawing failed")

    monkeypatch.setattr(verification, "qr_svg", broken)
    with _Watch(app) as watch:
        try:
            status = resident.get(page).status_code
        except RuntimeError:
            status = 500
    assert status == 500
    assert ("INSERT", "INTRANS", "issued_statement") in watch.seen, watch.seen
    assert issued() == before  # rolled back with the request

    monkeypatch.undo()
    with _Watch(app) as watch:
        assert resident.get(page).status_code == 200
    writes = [(verb, status) for verb, status, table in watch.seen
              if table == "issued_statement"]
    assert writes == [("INSERT", "INTRANS"), ("UPDATE", "INTRANS")], watch.seen
    assert issued() == before + 1


@pytest.mark.parametrize("method, plain_read_status", [("GET", "IDLE"), ("POST", "INTRANS")])
def test_a_row_lock_opens_the_transaction_a_form_post_has_one_at_once(app, account_holder,
                                                                     method, plain_read_status):
    _postgresql_only(app)
    person_id = account_holder["person_id"]
    with app.test_request_context("/", method=method):
        db.session.scalar(select(Person.id).filter_by(id=person_id))
        driver = db.session.connection().connection.driver_connection
        assert driver.info.transaction_status.name == plain_read_status
        db.session.scalar(select(Person.id).filter_by(id=person_id).with_for_update())
        assert driver.info.transaction_status.name == "INTRANS"  # the lock is held until the end
        db.session.rollback()
        db.session.remove()


def test_the_next_user_of_a_page_views_connection_gets_transactions(app, resident_client,
                                                                 new_person):
    _postgresql_only(app)
    resident = resident_client(new_person())
    assert resident.get("/me/").status_code == 200
    with app.app_context():
        with every_pooled_connection() as pooled:
            assert all(connection.autocommit is False for connection in pooled)
        # A job (no request) gets a transaction from its first statement.
        db.session.scalar(select(Person.id).limit(1))
        driver = db.session.connection().connection.driver_connection
        assert driver.info.transaction_status.name == "INTRANS"
        db.session.remove()


def test_a_streamed_read_in_a_page_view_gets_its_transaction(app, account_holder):
    """A server-side cursor (DECLARE … CURSOR) only exists inside a transaction."""
    _postgresql_only(app)
    with app.test_request_context("/", method="GET"):
        rows = db.session.execute(select(Person.id).execution_options(yield_per=2)).all()
        assert account_holder["person_id"] in [row.id for row in rows]
        db.session.remove()


def test_a_connection_left_in_autocommit_is_never_handed_out_so(app):
    """Even if the reset at checkin did not happen, the next checkout turns transactions on."""
    from portal import extensions

    _postgresql_only(app)
    engine = extensions._engine_for(app.config["DATABASE_URL"])  # a pool of its own
    try:
        raw = engine.raw_connection()
        backend = raw.driver_connection.info.backend_pid
        raw.driver_connection.autocommit = True
        raw.close()  # back to the pool still in autocommit, with no note to reset it
        again = engine.raw_connection()
        try:
            assert again.driver_connection.info.backend_pid == backend  # the same connection
            assert again.driver_connection.autocommit is False
        finally:
            again.close()
    finally:
        engine.dispose()

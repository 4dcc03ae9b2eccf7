"""Shared extension objects, bound to the app in create_app (nothing connects at import time)."""

import re
import time
from functools import lru_cache

from flask import current_app, has_request_context, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import create_engine, event, exc, select
from sqlalchemy.orm import Session, scoped_session, sessionmaker

try:
    from psycopg import ServerCursor
    from psycopg.pq import ExecStatus, TransactionStatus
except ImportError:  # only SQLite in this environment
    ExecStatus = TransactionStatus = ServerCursor = None


class _AppBoundSession(Session):
    """Each app has its own engine, so two apps in one process never share a database."""

    def get_bind(self, mapper=None, clause=None, **kwargs):
        return current_app.extensions["portal_engine"]


class Database:
    """One engine per app and a request-scoped session; operations commit, views never
    write SQL."""

    def __init__(self):
        self.session = scoped_session(sessionmaker(class_=_AppBoundSession,
                                                   expire_on_commit=False))
        event.listen(_AppBoundSession, "after_begin", _start_without_transaction)

    def by_id(self, model, ids) -> dict:
        """{id: row} for the given ids in one query (the people behind a list of records)."""
        ids = set(ids)
        if not ids:
            return {}
        return {row.id: row for row in self.session.scalars(
            select(model).filter(model.id.in_(ids)))}

    @property
    def engine(self):
        return current_app.extensions["portal_engine"]

    @property
    def counting_engine(self):
        """For the short writes that must stand on their own while a request's session holds a
        connection (attempt counters, operations.limits; the session row, auth.sessions). A pool
        of their own: taken from the session's pool, each of many parallel requests would hold
        one connection and wait for a second until the pool timed out (seen: 31 parallel code
        guesses against 5 + 10)."""
        return current_app.extensions["portal_counting_engine"]

    def init_app(self, app):
        from .crypto import KeyRing

        app.extensions["portal_keyring"] = KeyRing.from_config(app.config)
        url = app.config["DATABASE_URL"]
        app.extensions["portal_engine"] = _engine_for(url)
        app.extensions["portal_counting_engine"] = _engine_for(url)
        app.teardown_appcontext(lambda _exc: self.session.remove())


def _engine_for(url: str):
    # A failing statement's message (and any echo) must not carry identity numbers or bank
    # accounts into the server log: parameters are never rendered.
    options = {"hide_parameters": True}
    if url.startswith("sqlite"):
        # The portal calls its own embedded provider over HTTP: threads share the file.
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **options)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _ping_if_idle)
        if engine.dialect.driver == "psycopg":
            engine.dialect.do_rollback = _rollback_keeping_prepared
            event.listen(engine, "before_cursor_execute", _begin_before_a_write)
    return engine


# A page view (GET) mostly only reads: two to four SELECTs, each its own snapshot anyway under
# READ COMMITTED. Wrapping them in BEGIN … ROLLBACK cost two more round trips per page (a
# third of a signed-in page's), so a GET's database session starts without a transaction
# (psycopg autocommit), and the first statement that is not a plain read (a write, a row lock,
# a savepoint, a SET, an advisory lock) opens one just before it runs: from there on the
# request's work is one transaction, committed or rolled back together as before. A plain
# SELECT before it gains nothing from a transaction: it took no lock, and its snapshot was its
# own. Other methods (forms, API calls) begin at once, as before.
_PLAIN_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_TAKES_A_LOCK = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b|"
                           r"\bpg_(?:try_)?advisory|\bnextval\s*\(|\bsetval\s*\(",
                           re.IGNORECASE)
READ_ONLY_METHODS = ("GET", "HEAD")


def _start_without_transaction(session, _transaction, connection):
    """after_begin of the request's session: a GET's connection in autocommit."""
    if (connection.dialect.driver != "psycopg" or not has_request_context()
            or request.method not in READ_ONLY_METHODS):
        return
    driver = connection.connection.driver_connection
    if driver.info.transaction_status == TransactionStatus.IDLE:
        driver.autocommit = True
        connection.info["begin_before_a_write"] = True


@lru_cache(maxsize=1024)
def _plain_read(statement: str) -> bool:
    # Cached: the same few statement strings come back (SQLAlchemy's compiled cache), and a
    # string keeps its hash, so a look-up costs less than scanning a long SELECT again.
    return bool(_PLAIN_READ.match(statement)) and not _TAKES_A_LOCK.search(statement)


def _begin_before_a_write(connection, cursor, statement, _parameters, _context, _many):
    if not connection.info.get("begin_before_a_write"):
        return
    # A streamed read (a server-side cursor, DECLARE … CURSOR) lives in a transaction too.
    if _plain_read(statement) and not isinstance(cursor, ServerCursor):
        return
    # psycopg sends BEGIN before this statement; the rest of the request is one transaction.
    connection.info["begin_before_a_write"] = False
    connection.connection.driver_connection.autocommit = False


def _rollback_keeping_prepared(dbapi_connection):
    """ROLLBACK without forgetting the connection's prepared statements.

    psycopg's rollback() also deallocates every statement it prepared on the connection. Every
    read-only request ends in a rollback (the session closes), so no query of a page ever
    reached psycopg's prepare threshold (5 uses on one connection) and PostgreSQL parsed and
    planned every query of every page again: about two thirds of its CPU for a signed-in page.

    A clean transaction's ROLLBACK cannot take a prepared statement with it: prepared
    statements belong to the connection, not to a transaction, and psycopg records a name only
    after the server has confirmed it. So a clean transaction is rolled back here through
    libpq; one in error (where a statement may have failed half-way) goes through psycopg's
    own rollback, which forgets them all as before."""
    connection = getattr(dbapi_connection, "driver_connection", None) or dbapi_connection
    if connection.info.transaction_status != TransactionStatus.INTRANS:
        connection.rollback()  # idle: nothing to do; in error or unknown: psycopg's way
        return
    with connection.lock:
        result = connection.pgconn.exec_(b"ROLLBACK")
    if result.status != ExecStatus.COMMAND_OK:
        connection.rollback()


IDLE_BEFORE_PING = 10.0  # seconds a pooled connection may rest before it is checked again


def _note_checkin(_dbapi_connection, record):
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy):
    """pool_pre_ping, but only for a connection that has rested in the pool: a busy server
    reuses its connections every few milliseconds and would pay a round trip on every request
    (one in four of a signed-in page's), while a connection the database closed during a quiet
    spell (restart, failover, idle timeout) is still found before a request uses it. Raising
    DisconnectionError makes the pool open a fresh connection instead (SQLAlchemy's documented
    pessimistic disconnect handling)."""
    # A page view leaves its connection in autocommit (_start_without_transaction): whoever
    # takes it next (a job, a form) gets transactions again, or another connection.
    record.info.pop("begin_before_a_write", None)
    if getattr(dbapi_connection, "autocommit", False):
        try:
            dbapi_connection.autocommit = False
        except Exception as error:
            raise exc.DisconnectionError() from error
    rested = time.monotonic() - record.info.get("checked_in", 0.0)
    if rested < IDLE_BEFORE_PING:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        if TransactionStatus is not None and hasattr(dbapi_connection, "pgconn"):
            _rollback_keeping_prepared(dbapi_connection)
        else:
            dbapi_connection.rollback()
    except Exception as error:
        raise exc.DisconnectionError() from error


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

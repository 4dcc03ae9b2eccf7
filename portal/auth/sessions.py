"""Server-side sessions with idle and absolute timeouts (security.md: 15 min idle, 8 h absolute).

The cookie carries only a random token; the data lives in `web_session` under the token's hash.
Sign-in rotates the token (no session fixation); sign-out and expiry delete the row, so a copied
cookie is worthless afterwards.

Anonymous visitors get no row: a public page's forms are protected by a double-submit cookie
instead. Flask-WTF keeps its raw CSRF secret in the session; while the session holds nothing else
(nobody signed in, no sign-in under way), that secret lives in its own HttpOnly cookie
(`__Host-csrf` in production, so no other host can plant one) and the form carries it signed with
SECRET_KEY, so a page view writes nothing to the database. A row is written as soon as the
session holds anything more (sign-in started, a flow's draft, "signed out after inactivity"); it
then carries the same secret, and the cookie is dropped.
"""

import hashlib
import re
import secrets
from datetime import timedelta
from functools import cache

from flask import g, request
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import Integer, bindparam, case, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import CallbackDict

from ..cookies import cookie
from ..extensions import db
from ..models import Person, WebSession, utcnow

TOUCH_INTERVAL = timedelta(seconds=30)
CSRF_KEY = "csrf_token"  # where Flask-WTF keeps its raw secret in the session
# Flask-Login marks a session it cannot tie to a sign-in "not fresh"; that alone is no reason
# for a row either.
ANONYMOUS_KEYS = {CSRF_KEY, "_fresh"}
_CSRF_SECRET = re.compile(r"[0-9a-f]{40}")  # Flask-WTF's raw secret: SHA-1 hex of random bytes
KIOSK_GRACE_SECONDS = 30  # don't write last-seen on every single request


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, token=None, row_created=None, row_seen=None):
        def on_update(self_):
            self_.modified = True

        super().__init__(initial, on_update)
        self.token = token
        self.row_created = row_created
        self.row_seen = row_seen
        self.modified = False
        self.rotate_requested = False
        self.end_requested = False

    def rotate(self):
        """Start a fresh session (new token, empty data) at the end of this request."""
        self.clear()
        self.rotate_requested = True

    def end(self):
        """Delete the session on the server and the cookie in the browser."""
        self.clear()
        self.end_requested = True


RESIDENT_PREFIX = "resident:"
_signed_in_user = WebSession.data["_user_id"].as_string()
# The resident a session is signed in as, from its data ("resident:42" → 42), in SQL.
# CASE, not AND: PostgreSQL may evaluate a join condition's terms in any order, and "staff:3"
# must never reach the cast.
_RESIDENT_OF_SESSION = Person.id == case(
    (func.substr(_signed_in_user, 1, len(RESIDENT_PREFIX)) == RESIDENT_PREFIX,
     cast(func.substr(_signed_in_user, len(RESIDENT_PREFIX) + 1), Integer)))


def _session_row(store, id_hash: str) -> tuple:
    """The session row (a plain row: id_hash, data, created_at, last_seen_at) and, for a
    signed-in resident, their person in the same query: the user loader then finds the person
    in the session's identity map instead of asking the database again (one round trip per
    signed-in page, not two)."""
    found = store.execute(_session_with_resident(), {"id_hash": id_hash}).first()
    return (found, found.Person) if found else (None, None)


@cache
def _session_with_resident():
    # Built once: every signed-in request runs it, and building it cost more than running it.
    session_columns = WebSession.__table__.c
    return (select(session_columns.id_hash, session_columns.data, session_columns.created_at,
                   session_columns.last_seen_at, Person)
            .select_from(WebSession.__table__).outerjoin(Person, _RESIDENT_OF_SESSION)
            .where(session_columns.id_hash == bindparam("id_hash")))


def csrf_cookie_name(app) -> str:
    return "__Host-csrf" if app.config["SESSION_COOKIE_NAME"].startswith("__Host-") \
        else "portal_csrf"


def _anonymous(app, request) -> ServerSession:
    """No row: only the CSRF secret of the double-submit cookie, if the browser has one."""
    secret = cookie(csrf_cookie_name(app)) or ""
    return ServerSession({CSRF_KEY: secret} if _CSRF_SECRET.fullmatch(secret) else None)


FORM_TOKENS_KEPT = 20_000


def _reuse_form_token(app, session) -> None:
    """The signed form token of this session's CSRF secret, if this process made it before:
    signing it again (JSON, HMAC, base64) on every page cost a tenth of rendering one. Tokens
    carry no expiry here (WTF_CSRF_TIME_LIMIT is None: the session's own expiry ends them), so
    the one made first is as good as a fresh one; Flask-WTF takes what it finds in g."""
    secret = session.get(CSRF_KEY)
    if secret and app.config["WTF_CSRF_TIME_LIMIT"] is None:
        token = app.extensions.get("portal_form_tokens", {}).get(secret)
        if token is not None:
            g.csrf_token = token


def _keep_form_token(app, session) -> None:
    token, secret = g.get("csrf_token"), session.get(CSRF_KEY)
    if token and secret and app.config["WTF_CSRF_TIME_LIMIT"] is None:
        kept = app.extensions.setdefault("portal_form_tokens", {})
        if secret not in kept:
            if len(kept) >= FORM_TOKENS_KEPT:  # bounded: start again rather than grow
                kept.clear()
            kept[secret] = token


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app, request):
        opened = self._open(app, request)
        _reuse_form_token(app, opened)
        return opened

    def _open(self, app, request):
        token = cookie(self.get_cookie_name(app))
        if not token:
            return _anonymous(app, request)
        # Read with the request's own database session: one connection (and one pool ping)
        # per request instead of two. Nothing else has happened yet, so the commit below
        # (an expired session's deletion) commits only that; save_session writes apart.
        store = db.session
        row, person = _session_row(store, _hash(token))
        if row is None:
            return _anonymous(app, request)
        now = utcnow()
        idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
        if (row.data or {}).get("channel") == "kiosk":
            # A shared terminal: the next person must never find this one signed in.
            # The screen asks and counts down first; the server allows a little more so
            # that leaving (or "continue") still reaches a live session.
            idle = timedelta(seconds=app.config["KIOSK_IDLE_SECONDS"]
                             + app.config["KIOSK_COUNTDOWN_SECONDS"] + KIOSK_GRACE_SECONDS)
        absolute = timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
        if now - row.last_seen_at > idle or now - row.created_at > absolute:
            was_signed_in = "_user_id" in (row.data or {})
            store.execute(_DELETE, {"id_hash": row.id_hash})
            store.commit()
            fresh = ServerSession()
            if was_signed_in:
                fresh["timed_out"] = True
                # Who it was and the old form token, so that a page posted just after the
                # end is recognised as theirs and kept in their draft (flows.views).
                fresh["timed_out_user"] = row.data["_user_id"]
                if row.data.get("csrf_token"):
                    fresh["csrf_token"] = row.data["csrf_token"]
            return fresh
        # A plain row, not an object in the request's session: a view's commit never writes it.
        opened = ServerSession(row.data, token, row.created_at, row.last_seen_at)
        # The identity map holds objects weakly: this reference keeps the person there until
        # Flask-Login's user loader asks for them.
        opened.person = person
        return opened

    def save_session(self, app, session, response):
        _keep_form_token(app, session)
        name = self.get_cookie_name(app)
        options = dict(
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )
        # Deleting uses the same attributes as setting: a __Host- cookie is only replaced by one
        # that is Secure with path "/", so a bare deletion would leave the browser signed in.
        csrf_cookie = csrf_cookie_name(app)
        if (session.token is None and not session.end_requested and CSRF_KEY in session
                and set(session) <= ANONYMOUS_KEYS):
            # Anonymous with a form on the page: the double-submit cookie, no row.
            if cookie(csrf_cookie) != session[CSRF_KEY]:
                response.set_cookie(csrf_cookie, session[CSRF_KEY], **options)
                response.vary.add("Cookie")
            if name in request.cookies:  # a stale or ended session's cookie
                response.delete_cookie(name, **options)
            return
        now = utcnow()
        ending = session.end_requested or (not session and not session.token)
        if not session.token and ending:  # no row, none wanted
            if name in request.cookies:
                response.delete_cookie(name, **options)
            return
        if (session.token and not ending and not session.rotate_requested
                and not session.modified and now - session.row_seen <= TOUCH_INTERVAL):
            return  # the common case: a signed-in page that changed nothing
        # A connection of its own: the session row must never commit a view's half-done work.
        # From the pool for short writes of their own (db.counting_engine): the request's session
        # still holds a connection of the main pool, and many parallel requests each waiting for
        # a second one from the same pool would wait until it timed out. Plain statements on the
        # table (no ORM unit of work), committed on leaving the block.
        with db.counting_engine.begin() as connection:
            if session.token and (session.end_requested or session.rotate_requested):
                connection.execute(_DELETE, {"id_hash": _hash(session.token)})
                session.token = None
            if session.end_requested or (not session and not session.token):
                if name in request.cookies:
                    response.delete_cookie(name, **options)
                return
            if session.token is None:
                session.token = secrets.token_urlsafe(32)
                connection.execute(_INSERT, {"id_hash": _hash(session.token),
                                             "data": dict(session), "created_at": now,
                                             "last_seen_at": now})
            else:
                # One UPDATE, no read first; the data only when it changed (a touch every 30 s
                # of activity is just the time).
                touch = _TOUCH_WITH_DATA if session.modified else _TOUCH
                touched = connection.execute(touch, {
                    "row": _hash(session.token), "seen": now,
                    **({"new_data": dict(session)} if session.modified else {})}).rowcount
                if not touched:  # ended by another request meanwhile (e.g. sign-out in a tab)
                    response.delete_cookie(name, **options)
                    return
        response.set_cookie(name, session.token, **options)
        response.vary.add("Cookie")
        if csrf_cookie in request.cookies:  # the row holds the secret now
            response.delete_cookie(csrf_cookie, **options)


_session_table = WebSession.__table__
# Built once: a signed-in request writes its session every 30 s of activity.
_DELETE = delete(_session_table).where(_session_table.c.id_hash == bindparam("id_hash"))
_INSERT = insert(_session_table)
_TOUCH = (update(_session_table).where(_session_table.c.id_hash == bindparam("row"))
          .values(last_seen_at=bindparam("seen")))
_TOUCH_WITH_DATA = _TOUCH.values(data=bindparam("new_data"))


def purge_expired(app) -> int:
    """Delete sessions past their idle limit (run from a scheduled command)."""
    cutoff = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    with Session(db.engine) as store:
        count = store.query(WebSession).filter(WebSession.last_seen_at < cutoff).delete()
        store.commit()
    return count

"""The embedded provider's own sign-in session, apart from the portal's.

A real identity platform remembers who signed in at it; the embedded one must too, or the portal's
tests could never catch a sign-in that reuses the previous person's session (issue 16, item 8).
Its cookie is scoped to /idp and holds a random token; the row stores only the token's hash.
"""

import hashlib
import secrets
import time

from flask import current_app, request
from joserfc import jwt
from joserfc.errors import JoseError

from ..extensions import db
from ..models import IdpSession

COOKIE = "idp_session"
LIFETIME_SECONDS = 8 * 3600


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current() -> IdpSession | None:
    token = request.cookies.get(COOKIE)
    row = db.session.get(IdpSession, _hash(token)) if token else None
    if row is not None and time.time() - row.created_at.timestamp() > LIFETIME_SECONDS:
        return None
    return row


def start(response, subject_id: int, acr: str, auth_time: int) -> None:
    """Remember (or replace) who is signed in at the provider in this browser."""
    _forget()
    token = secrets.token_urlsafe(32)
    db.session.add(IdpSession(id_hash=_hash(token), subject_id=subject_id, acr=acr,
                              auth_time=auth_time))
    db.session.commit()
    response.set_cookie(COOKIE, token, path="/idp", httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"],
                        max_age=LIFETIME_SECONDS)


def end(response) -> None:
    _forget()
    db.session.commit()
    response.delete_cookie(COOKIE, path="/idp", httponly=True, samesite="Lax",
                           secure=current_app.config["SESSION_COOKIE_SECURE"])


def _forget() -> None:
    token = request.cookies.get(COOKIE)
    if token:
        db.session.query(IdpSession).filter_by(id_hash=_hash(token)).delete()


def hint_claims(id_token_hint: str | None, issuer: str) -> dict | None:
    """The claims of an ID token this provider issued (expired ones too: a hint names a person,
    it does not authenticate anyone), or None."""
    if not id_token_hint:
        return None
    try:
        claims = jwt.decode(id_token_hint, current_app.extensions["idp_signing_key"],
                            algorithms=["RS256"]).claims
    except (JoseError, ValueError, TypeError):
        return None
    return claims if claims.get("iss") == issuer else None


def hinted_subject(id_token_hint: str | None, issuer: str) -> int | None:
    subject = (hint_claims(id_token_hint, issuer) or {}).get("sub", "")
    return int(subject[1:]) if subject[:1] == "p" and subject[1:].isdigit() else None

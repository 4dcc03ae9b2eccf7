"""Terminal sign-in (issue: kiosk): a registered terminal vouches for a resident with a signed
assertion, read from the ID card chip (or a verified 电子社保卡 QR code).

The portal trusts an assertion only when its terminal is registered and active, the Ed25519
signature checks against the stored public key, it is at most 30 seconds old, and its nonce has
never been seen. Everything else is refused with a reason that goes to the audit log.
"""

import base64
import binascii
import json
import math
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import KioskNonce, KioskRating, KioskTerminal, utcnow
from . import audit

MAX_AGE_SECONDS = 30
ESSC_LIFETIME = 120  # seconds a 电子社保卡 code may be valid for (it refreshes on the phone)
MALFORMED = ("malformed", "essc_malformed")  # answered 400: the request itself is broken


class Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode())


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _verify(public_key_b64: str, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(b64decode(public_key_b64)).verify(signature, message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def verify_assertion(assertion_b64: str, signature_b64: str, now: float | None = None):
    """(terminal, claims) for a genuine, fresh, first-time assertion; otherwise Refused."""
    now = time.time() if now is None else now
    message, signature, claims = _decoded(assertion_b64, signature_b64)
    terminal = _active_terminal(claims["device_id"])
    if not _verify(terminal.public_key, message, signature):
        raise Refused("bad_signature")
    issued = claims.get("time")
    if not _number(issued):
        raise Refused("malformed")
    if abs(now - issued) > MAX_AGE_SECONDS:
        raise Refused("stale")
    nonce = claims.get("nonce")
    if not _nonce_ok(nonce) or not _card_ok(claims):
        raise Refused("malformed")
    _use_once(terminal.device_id, nonce, "replayed")
    return terminal, claims


def _decoded(assertion_b64: str, signature_b64: str) -> tuple[bytes, bytes, dict]:
    """The signed bytes, the signature and the claims, which must name a device."""
    try:
        message = b64decode(assertion_b64 or "")
        signature = b64decode(signature_b64 or "")
        claims = json.loads(message)
    except (ValueError, binascii.Error):
        raise Refused("malformed") from None
    if not isinstance(claims, dict) or not _text(claims.get("device_id"), 40):
        raise Refused("malformed")
    return message, signature, claims


def _active_terminal(device_id: str) -> KioskTerminal:
    terminal = db.session.scalar(select(KioskTerminal).filter_by(device_id=device_id))
    if terminal is None:
        raise Refused("unknown_terminal")
    if terminal.status != "active":
        raise Refused("revoked_terminal")
    return terminal


def _number(value) -> bool:
    """A real, finite number (JSON also allows NaN, which compares false with everything)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(
        value)


def _text(value, longest: int) -> bool:
    """Text a database column can hold: a string, not too long, without NUL bytes."""
    return isinstance(value, str) and 0 < len(value) <= longest and "\x00" not in value


def _nonce_ok(nonce) -> bool:
    return _text(nonce, 64) and len(nonce) >= 16


def _card_ok(claims: dict) -> bool:
    """Either a card with text fields, or a 电子社保卡 code as text."""
    if "essc" in claims:
        return _text(claims["essc"], 4000)
    card = claims.get("card")
    return isinstance(card, dict) and all(
        _text(card.get(field), 60) for field in ("name", "id_type", "id_number"))


def _use_once(issuer: str, nonce: str, reason: str) -> None:
    """Record the nonce; a second use of it finds it there (unique) and is refused."""
    db.session.add(KioskNonce(device_id=issuer, nonce=nonce))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Refused(reason) from None


def verify_essc(code: str, issuer_public_key_b64: str, max_lifetime: int = ESSC_LIFETIME,
                now: float | None = None) -> dict:
    """电子社保卡 QR code: ESSC1.<payload>.<signature>, signed by the (simulated) issuer. The
    code is verified, never trusted as it stands: it must carry a nonce, be issued for at most
    `max_lifetime` seconds and not have expired, and each code signs in once."""
    now = time.time() if now is None else now
    try:
        prefix, payload_b64, signature_b64 = (code or "").split(".")
        payload = b64decode(payload_b64)
        signature = b64decode(signature_b64)
        claims = json.loads(payload)
    except (ValueError, binascii.Error):
        raise Refused("essc_malformed") from None
    if prefix != "ESSC1" or not _verify(issuer_public_key_b64, payload_b64.encode(), signature):
        raise Refused("essc_bad_signature")
    if not _essc_claims_ok(claims):
        raise Refused("essc_malformed")
    if (claims["exp"] < now or claims["iat"] > now + MAX_AGE_SECONDS
            or claims["exp"] - claims["iat"] > max_lifetime):
        raise Refused("essc_expired")
    _use_once("essc", claims["nonce"], "essc_replayed")
    return claims


def _essc_claims_ok(claims) -> bool:
    """A nonce, issue and expiry times, and the card's fields as text."""
    return isinstance(claims, dict) and _nonce_ok(claims.get("nonce")) and all(
        _number(claims.get(field)) for field in ("iat", "exp")) and all(
        _text(claims.get(field), 60) for field in ("name", "id_type", "id_number"))


def refused(reason: str, device_id: str | None) -> None:
    audit.record("kiosk_sign_in", actor="terminal:" + (device_id or "?"), channel="kiosk",
                 outcome="failure", detail={"reason": reason})
    db.session.commit()


class BadKey(ValueError):
    """Not a 32-byte Ed25519 public key in base64."""


def register(device_id: str, name: str, region_code: str, public_key_b64: str,
             actor: str) -> KioskTerminal:
    try:
        key = b64decode(public_key_b64.strip())
        Ed25519PublicKey.from_public_bytes(key)
    except (ValueError, binascii.Error) as error:
        raise BadKey() from error
    terminal = KioskTerminal(device_id=device_id.strip(), name=name.strip(),
                             region_code=region_code, public_key=b64encode(key),
                             registered_by=actor)
    db.session.add(terminal)
    db.session.flush()
    audit.record("kiosk_terminal_registered", actor=actor, channel="console",
                 object_type="kiosk_terminal", object_id=terminal.device_id)
    db.session.commit()
    return terminal


def revoke(terminal: KioskTerminal, actor: str) -> None:
    terminal.status, terminal.revoked_at = "revoked", utcnow()
    audit.record("kiosk_terminal_revoked", actor=actor, channel="console",
                 object_type="kiosk_terminal", object_id=terminal.device_id)
    db.session.commit()


def rate(visit: str, rating: int, device_id: str | None, reference: str | None) -> bool:
    """好差评, once per visit; False when this visit already rated."""
    db.session.add(KioskRating(visit=visit, rating=rating, device_id=device_id,
                               reference=reference))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True

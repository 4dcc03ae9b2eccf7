"""Signature check of the identity platform's ID token, with an allow-list of algorithms.

Done here rather than left to the OAuth library, which accepts whatever algorithms the platform's
discovery document lists ("none" included) and raises a different exception for every failure.
Each failure becomes one reason code (see portal/rules/sign_in.py).
"""

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet


class TokenRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def verify_id_token(raw: str, fetch_keys, algorithms: tuple) -> dict:
    """The claims of a correctly signed token. `fetch_keys(force)` returns the platform's JWK
    set; it is fetched again once when the key is unknown, because platforms rotate keys."""
    try:
        header = jws.extract_compact(raw.encode()).protected
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise TokenRefused("malformed_token") from None
    algorithm = header.get("alg")
    if algorithm not in algorithms:
        raise TokenRefused("algorithm_not_allowed")
    key = _find_key(fetch_keys(False), header) or _find_key(fetch_keys(True), header)
    if key is None:
        raise TokenRefused("unknown_key")
    try:
        return dict(jwt.decode(raw, key, algorithms=[algorithm]).claims)
    except BadSignatureError:
        raise TokenRefused("bad_signature") from None
    except (JoseError, ValueError, TypeError):
        raise TokenRefused("malformed_token") from None


def _find_key(key_set: dict, header: dict):
    try:
        keys = KeySet.import_key_set(key_set).keys
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    kid = header.get("kid")
    candidates = [k for k in keys if k.kid == kid] if kid else keys
    if not kid and len(candidates) != 1:
        return None  # several keys and no kid: which one signed is unknowable
    return candidates[0] if candidates else None

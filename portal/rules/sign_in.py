"""What the portal accepts from an identity platform (第六条: 互联网网上服务应进行实名验证).

Pure checks on an already signature-verified ID token's claims, the mapping of a provincial
platform's claim names and document-type codes onto the portal's, and the assurance level.
Every refusal is a short reason code: it names the audit record and picks the page shown.
"""

from . import ids

# The portal's keys → the claim names the embedded provider (and most platforms) use.
DEFAULT_CLAIMS = {
    "name": "name",
    "document_type": "id_document_type",
    "document_number": "id_document_number",
    "phone": "phone_number",
}
REQUIRED_CLAIMS = ("name", "document_type", "document_number")
PORTAL_DOCUMENT_TYPES = (ids.RESIDENT_ID, ids.HMT_RESIDENCE, ids.FOREIGN_PERMANENT,
                         ids.SOCIAL_SECURITY_CARD, ids.FOREIGN_PASSPORT)
DEFAULT_DOCUMENT_TYPES = {code: code for code in PORTAL_DOCUMENT_TYPES}

# Asymmetric signatures only: a shared-secret (HS*) token could be made by anyone holding the
# client secret, and "none" by anyone at all.
DEFAULT_ALGORITHMS = ("RS256", "ES256", "PS256")
KNOWN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
                    "ES512", "EdDSA")
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
# Parameters the portal sets itself; configuration may not replace them.
RESERVED_PARAMS = {"client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
                   "code_challenge", "code_challenge_method", "acr_values", "max_age", "prompt",
                   "claims", "id_token_hint", "request", "request_uri"}

LEVELS = ("real-name", "face")  # weakest first


def claim_mapping(value) -> dict:
    """OIDC_CLAIMS: the portal's keys to the platform's claim names; unnamed keys keep defaults."""
    if not isinstance(value, dict):
        raise ValueError("a JSON object is expected")
    unknown = set(value) - set(DEFAULT_CLAIMS)
    if unknown:
        raise ValueError("unknown keys: " + ", ".join(sorted(unknown)))
    if not all(isinstance(v, str) and v for v in value.values()):
        raise ValueError("claim names must be non-empty strings")
    return {**DEFAULT_CLAIMS, **value}


def document_type_mapping(value) -> dict:
    """OIDC_DOCUMENT_TYPES: the platform's document-type codes to the portal's."""
    if not isinstance(value, dict) or not value:
        raise ValueError("a non-empty JSON object is expected")
    wrong = {v for v in value.values() if v not in PORTAL_DOCUMENT_TYPES}
    if wrong:
        raise ValueError("not a portal document type: " + ", ".join(sorted(map(str, wrong))))
    return {str(k): v for k, v in value.items()}


def extra_authorization_params(value) -> dict:
    """OIDC_AUTH_PARAMS: further authorization parameters a platform wants (e.g. its UI)."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError("a JSON object of strings is expected")
    reserved = RESERVED_PARAMS & set(value)
    if reserved:
        raise ValueError("set by the portal itself: " + ", ".join(sorted(reserved)))
    return value


def algorithms(value: str) -> tuple:
    """OIDC_ALGORITHMS: comma-separated allow-list; never "none", never a shared secret."""
    chosen = tuple(a.strip() for a in value.split(",") if a.strip())
    refused = [a for a in chosen if a not in KNOWN_ALGORITHMS]
    if refused or not chosen:
        raise ValueError("only " + ", ".join(KNOWN_ALGORITHMS))
    return chosen


def check_claims(claims: dict, *, issuer: str, client_id: str, nonce: str, now: float,
                 skew: int, max_age: int | None, requested_at: float) -> str | None:
    """The reason a verified ID token is not acceptable, or None (OpenID Connect Core 3.1.3.7)."""
    if claims.get("iss") != issuer:
        return "wrong_issuer"
    if not _for_us(claims, client_id):
        return "wrong_audience"
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] + skew < now:
        return "expired"
    if isinstance(claims.get("iat"), int | float) and claims["iat"] - skew > now:
        return "issued_in_future"
    if not nonce or claims.get("nonce") != nonce:
        return "nonce_mismatch"
    if max_age is not None:
        return _authentication_age_problem(claims, max_age, requested_at, skew)
    return None


def _for_us(claims: dict, client_id: str) -> bool:
    """We are in the audience, and the authorised party when there are several."""
    audience = claims.get("aud")
    audience = [audience] if isinstance(audience, str) else audience or []
    return client_id in audience and (len(audience) == 1 or claims.get("azp") == client_id)


def _authentication_age_problem(claims: dict, max_age: int, requested_at: float,
                                skew: int) -> str | None:
    """2: when max_age was asked, auth_time is required and may not be older than asked;
    measured from when the portal asked, so the minutes spent at the platform do not count."""
    auth_time = claims.get("auth_time")
    if not isinstance(auth_time, int | float):
        return "missing_auth_time"
    if auth_time < requested_at - max_age - skew:
        return "stale_authentication"
    return None


def assurance(acr, acr_codes: dict, missing_acr: str) -> str | None:
    """The portal's level for the platform's `acr`: None when unknown (or absent and refused)."""
    if acr in (None, ""):
        return "real-name" if missing_acr == "real-name" else None
    return acr_codes.get(acr)


def at_least(held: str | None, wanted: str) -> bool:
    return held in LEVELS and LEVELS.index(held) >= LEVELS.index(wanted)


def identity(claims: dict, names: dict, document_types: dict):
    """(values by the portal's keys, the platform's name of the first missing claim)."""
    values = {key: claims.get(claim) for key, claim in names.items()}
    for key in REQUIRED_CLAIMS:
        if not isinstance(values[key], str) or not values[key].strip():
            return values, names[key]
    values["document_type"] = document_types.get(values["document_type"])
    if values["document_type"] is None:
        return values, names["document_type"]
    return values, None


def local_path(value: str | None) -> str | None:
    """A path on this site, or None. Browsers drop tabs and newlines inside URLs, so "/\\t/evil"
    would become "//evil" (another site): any control character or backslash refuses it."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    return value

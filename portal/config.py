"""Settings from environment variables, with safe embedded defaults (all in README's table).

Development runs on embedded parts (SQLite under instance/, embedded identity provider, embedded
registries, notification outbox). Production refuses to start on anything generated for development.
"""

import base64
import json
import os
import secrets
from pathlib import Path

from .rules import schedule, sign_in

DEV_SECRET_MARKER = "dev-"  # generated secrets start with this, so production can recognise them


def _env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name, default):
    return int(_env(name, default))


def _env_bool(name, default):
    return str(_env(name, default)).lower() in ("1", "true", "yes", "on")


def _instance_secret(instance_path: Path, filename: str) -> str:
    """A random secret kept in instance/ so that restarts keep sessions; never committed."""
    path = instance_path / filename
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(DEV_SECRET_MARKER + secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _instance_data_key(instance_path: Path) -> str:
    """Development only: one AES-256 key with a `dev-` id kept in instance/, so production can
    recognise it and refuse it."""
    from .crypto import new_key_text

    path = instance_path / "data_encryption_keys"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(new_key_text(DEV_SECRET_MARKER + "1"))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(url: str) -> str:
    """psycopg 3 is the PostgreSQL driver we install; plain postgresql:// URLs mean it too."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class ConfigError(RuntimeError):
    pass


def load(instance_path: Path, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping. `overrides` (tests) win over the environment."""
    overrides = overrides or {}
    environment = overrides.get("PORTAL_ENV", _env("PORTAL_ENV", "development"))
    production = environment == "production"
    external_url = overrides.get("EXTERNAL_URL", _env("EXTERNAL_URL", "http://127.0.0.1:5000"))
    external_url = external_url.rstrip("/")

    config = {
        "PORTAL_ENV": environment,
        "SECRET_KEY": _env("SECRET_KEY") or _instance_secret(instance_path, "secret_key"),
        "DATABASE_URL": database_url(
            _env("DATABASE_URL", f"sqlite:///{instance_path / 'portal.db'}")
        ),
        "EXTERNAL_URL": external_url,
        # Identity platform (OpenID Connect). Without OIDC_ISSUER the embedded provider is used.
        "OIDC_ISSUER": _env("OIDC_ISSUER"),
        "OIDC_CLIENT_ID": _env("OIDC_CLIENT_ID", "pension-portal"),
        "OIDC_CLIENT_SECRET": _env("OIDC_CLIENT_SECRET")
        or _instance_secret(instance_path, "oidc_client_secret"),
        "OIDC_SCOPE": _env("OIDC_SCOPE", "openid profile phone identity_document"),
        "OIDC_ACR_REAL_NAME": _env("OIDC_ACR_REAL_NAME", "real-name"),
        "OIDC_ACR_FACE": _env("OIDC_ACR_FACE", "face"),
        # Provincial platforms name their claims and document types their own way (README).
        "OIDC_CLAIMS": _json_setting("OIDC_CLAIMS", overrides, sign_in.DEFAULT_CLAIMS,
                                     sign_in.claim_mapping),
        "OIDC_DOCUMENT_TYPES": _json_setting("OIDC_DOCUMENT_TYPES", overrides,
                                             sign_in.DEFAULT_DOCUMENT_TYPES,
                                             sign_in.document_type_mapping),
        # A platform that sends no `acr`: refuse (default) or take it as real-name.
        "OIDC_MISSING_ACR": overrides.get("OIDC_MISSING_ACR", _env("OIDC_MISSING_ACR", "refuse")),
        "OIDC_TOKEN_AUTH_METHOD": overrides.get(
            "OIDC_TOKEN_AUTH_METHOD", _env("OIDC_TOKEN_AUTH_METHOD", "client_secret_basic")),
        # private_key_jwt: the portal's own key, generated here, public half at /auth/jwks.
        "OIDC_CLIENT_KEY_FILE": _env(
            "OIDC_CLIENT_KEY_FILE", str(instance_path / "oidc_client_key.json")
        ),
        "OIDC_AUTH_PARAMS": _json_setting("OIDC_AUTH_PARAMS", overrides, {},
                                          sign_in.extra_authorization_params),
        "OIDC_ALGORITHMS": _checked("OIDC_ALGORITHMS", sign_in.algorithms, overrides.get(
            "OIDC_ALGORITHMS", _env("OIDC_ALGORITHMS", ",".join(sign_in.DEFAULT_ALGORITHMS)))),
        # Clock difference tolerated between the platform and the portal (exp, iat, auth_time).
        "OIDC_CLOCK_SKEW_SECONDS": _env_int("OIDC_CLOCK_SKEW_SECONDS", 10),
        # More clients of the embedded provider (JSON list), e.g. a second portal or a test tool.
        "IDP_EXTRA_CLIENTS": _json_setting("IDP_EXTRA_CLIENTS", overrides, [], _client_list),
        "IDP_SIGNING_KEY_FILE": _env(
            "IDP_SIGNING_KEY_FILE", str(instance_path / "idp_signing_key.json")
        ),
        "TAX_API_TOKEN": _env("TAX_API_TOKEN")
        or _instance_secret(instance_path, "tax_api_token"),
        # Personal data at rest (portal/crypto.py): AES-256-GCM keys as `id:base64,…`, the last
        # one seals new values; and the HMAC key of the look-up hashes.
        "DATA_ENCRYPTION_KEYS": _env("DATA_ENCRYPTION_KEYS")
        or _instance_data_key(instance_path),
        "DATA_INDEX_KEY": _env("DATA_INDEX_KEY")
        or _instance_secret(instance_path, "data_index_key"),
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 15),
        "SESSION_ABSOLUTE_HOURS": _env_int("SESSION_ABSOLUTE_HOURS", 8),
        "SESSION_COOKIE_NAME": "__Host-session" if production else "portal_session",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Demo mode shows one-time SMS codes on the page; never in production.
        "DEMO_MODE": _env_bool("DEMO_MODE", not production),
        "HELPLINE": _env("HELPLINE", "12333"),
        "REPORTING_PHONE": _env("REPORTING_PHONE", "12345"),  # 举报电话 (第六十六条)
        "SUPERVISION_PHONE": _env("SUPERVISION_PHONE", "12333"),  # 监督电话 (第六十六条)
        # 第二十条: disputes are checked at once; this is the outer limit in working days.
        "DISPUTE_DEADLINE_WORKDAYS": _env_int("DISPUTE_DEADLINE_WORKDAYS", 5),
        # Kiosks: "还在使用吗？" after this many idle seconds, then a countdown (ux.md).
        "KIOSK_IDLE_SECONDS": _env_int("KIOSK_IDLE_SECONDS", 60),
        "KIOSK_COUNTDOWN_SECONDS": _env_int("KIOSK_COUNTDOWN_SECONDS", 30),
        # The terminal's card-reader agent (kiosk/agent.py), local to each terminal.
        "KIOSK_AGENT_URL": _env("KIOSK_AGENT_URL", "http://127.0.0.1:8765"),
        # The simulated 电子社保卡 issuer's public key (Ed25519, base64url); generated for demo.
        "ESSC_ISSUER_PUBLIC_KEY": _env("ESSC_ISSUER_PUBLIC_KEY")
        or ("" if production else _essc_demo_public_key(instance_path)),
        # A 电子社保卡 QR code is refused when issued for longer than this (it also signs in once).
        "ESSC_MAX_LIFETIME_SECONDS": _env_int("ESSC_MAX_LIFETIME_SECONDS", 120),
        # 第二十三条: claims may be filed this many days before the 60th birthday.
        "CLAIM_ADVANCE_DAYS": _env_int("CLAIM_ADVANCE_DAYS", 31),
        # Pensions reach the bank on this day of each month (第二十八条).
        "PENSION_PAYMENT_DAY": _env_int("PENSION_PAYMENT_DAY", 10),
        # Yearly eligibility confirmation (第三十一条、第三十三条): remind this many days before
        # the due date, suspend after this many days past it, and count a medical or civil
        # record this many days old as a recent trace of life (静默认证).
        "ELIGIBILITY_REMINDER_DAYS": _env_int("ELIGIBILITY_REMINDER_DAYS", 30),
        "ELIGIBILITY_GRACE_DAYS": _env_int("ELIGIBILITY_GRACE_DAYS", 60),
        "ELIGIBILITY_RECORD_DAYS": _env_int("ELIGIBILITY_RECORD_DAYS", 180),
        # The tax department's payment channel (outside this project): the QR code leads here.
        "TAX_PAYMENT_URL": _env("TAX_PAYMENT_URL", "https://pay.tax.example.invalid/residents"),
        "SERVICE_REGION_NAME": _env("SERVICE_REGION_NAME", "青山县"),
        # Voice guidance (语音播报): the espeak-ng binary; unset: found on PATH, or no voice.
        "ESPEAK_NG": _env("ESPEAK_NG"),
        # The agency that issues statements (第十九条) and its electronic seal (a PNG file).
        "AGENCY_NAME": _env("AGENCY_NAME",
                            _env("SERVICE_REGION_NAME", "青山县") + "社会保险事业管理局"),
        "AGENCY_SEAL_PNG": _env("AGENCY_SEAL_PNG"),
        # The county this portal instance serves, and the province whose scheme rules apply.
        "SERVICE_COUNTY_CODE": _env("SERVICE_COUNTY_CODE", "539901000000"),
        "SCHEME_PROVINCE": _env("SCHEME_PROVINCE", "530000"),
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ("zh_Hans_CN", "en"),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session, which expires itself
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 32 * 1024 * 1024),
        "STATEMENT_VERIFY_DAYS": _env_int("STATEMENT_VERIFY_DAYS", 730),
        "VERIFY_RATE_PER_MINUTE": _env_int("VERIFY_RATE_PER_MINUTE", 20),
        # Shared rate-limit counts for every worker (ratelimit.py); unset: in this process.
        "REDIS_URL": _env("REDIS_URL"),
        "RATE_LIMIT_PREFIX": _env("RATE_LIMIT_PREFIX", "portal"),
        # The task engine (portal/jobs.py): unset → jobs run at once in the caller; "embedded" →
        # kombu's filesystem transport under instance/tasks (make run); or a Redis URL.
        "TASK_BROKER_URL": overrides.get("TASK_BROKER_URL",
                                         _env("TASK_BROKER_URL", _env("REDIS_URL", ""))),
        # The queue name, also the prefix of the engine's keys in Redis.
        "TASK_QUEUE": overrides.get("TASK_QUEUE", _env("TASK_QUEUE", "portal")),
        # Changes to the beat's default times, e.g. {"payment_run": "0 6 2 * *"} (README).
        "TASK_SCHEDULE": _json_setting("TASK_SCHEDULE", overrides, {},
                                       schedule.schedule_setting),
        # Where the outbox's SMS go: "log" (embedded: a masked line per message) or "http".
        "SMS_GATEWAY": _env("SMS_GATEWAY", "log"),
        "SMS_GATEWAY_URL": _env("SMS_GATEWAY_URL"),
        "SMS_GATEWAY_TOKEN": _env("SMS_GATEWAY_TOKEN"),
        "SMS_GATEWAY_TIMEOUT_SECONDS": _env_int("SMS_GATEWAY_TIMEOUT_SECONDS", 10),
        # Tries per SMS, the first wait after a failed try (doubling each time) and its cap.
        "SMS_MAX_ATTEMPTS": _env_int("SMS_MAX_ATTEMPTS", 6),
        "SMS_RETRY_SECONDS": _env_int("SMS_RETRY_SECONDS", 30),
        "SMS_RETRY_MAX_SECONDS": _env_int("SMS_RETRY_MAX_SECONDS", 3600),
        # Reverse proxies in front of the portal whose X-Forwarded-For/-Proto are believed.
        "TRUSTED_PROXIES": _env_int("TRUSTED_PROXIES", 0),
        "UPLOAD_DIR": _env("UPLOAD_DIR", str(instance_path / "uploads")),
        # Tax batches wait here (sealed) between the 202 and the job that books them; a shared
        # folder when workers run on other machines.
        "TAX_BATCH_DIR": _env("TAX_BATCH_DIR", str(instance_path / "tax-batches")),
        # A province's tax year is hundreds of megabytes: larger than any other request.
        "TAX_BATCH_MAX_BYTES": _env_int("TAX_BATCH_MAX_BYTES", 2 * 1024 * 1024 * 1024),
        # Photos with more pixels are refused from their header, before decoding (a 25 MP
        # phone photo decodes to about 75 MB; a decompression bomb to gigabytes).
        "UPLOAD_MAX_PIXELS": _env_int("UPLOAD_MAX_PIXELS", 25_000_000),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
    }
    config.update(overrides)
    if config["OIDC_MISSING_ACR"] not in ("refuse", "real-name"):
        raise ConfigError("OIDC_MISSING_ACR must be refuse or real-name")
    if config["SMS_GATEWAY"] not in ("log", "http"):
        raise ConfigError("SMS_GATEWAY must be log or http")
    if config["SMS_GATEWAY"] == "http" and not config["SMS_GATEWAY_URL"]:
        raise ConfigError("SMS_GATEWAY=http needs SMS_GATEWAY_URL")
    if config["OIDC_TOKEN_AUTH_METHOD"] not in sign_in.TOKEN_AUTH_METHODS:
        raise ConfigError("OIDC_TOKEN_AUTH_METHOD must be one of "
                          + ", ".join(sign_in.TOKEN_AUTH_METHODS))
    config["DATABASE_URL"] = database_url(config["DATABASE_URL"])
    if production:
        check_production(config)
    return config


def _json_setting(name: str, overrides: dict, default, check):
    """A JSON setting from the environment (or a test's override), checked on start so a typo
    stops the portal instead of refusing every resident later."""
    if name in overrides:
        return _checked(name, check, overrides[name])
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise ConfigError(f"{name}: not JSON ({error})") from error
    return _checked(name, check, value)


def _checked(name: str, check, value):
    try:
        return check(value)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{name}: {error}") from error


def _client_list(value) -> list:
    if not isinstance(value, list) or not all(
        isinstance(c, dict) and c.get("client_id") and c.get("client_secret")
        and isinstance(c.get("redirect_uris"), list) for c in value
    ):
        raise ValueError("a list of objects with client_id, client_secret and redirect_uris")
    return value


def _essc_demo_public_key(instance_path: Path) -> str:
    """Development only: a simulated 电子社保卡 issuer whose private key stays in instance/
    (never in the repository); production configures the real issuer's public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = instance_path / "essc_issuer.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
            serialization.NoEncryption()))
        path.chmod(0o600)
    key = Ed25519PrivateKey.from_private_bytes(path.read_bytes())
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def check_production(config: dict) -> None:
    """Refuse to run production on development secrets or demo shortcuts."""
    problems = []
    secrets_needed = ["SECRET_KEY", "TAX_API_TOKEN", "DATA_INDEX_KEY"]
    if config.get("OIDC_TOKEN_AUTH_METHOD") != "private_key_jwt":
        secrets_needed.append("OIDC_CLIENT_SECRET")
    for key in secrets_needed:
        value = config.get(key) or ""
        if value.startswith(DEV_SECRET_MARKER) or len(value) < 32:
            problems.append(f"{key} must be set to a strong secret (>= 32 characters)")
    problems.extend(_data_key_problems(config.get("DATA_ENCRYPTION_KEYS") or ""))
    if config.get("DEMO_MODE"):
        problems.append("DEMO_MODE must be off")
    if not config.get("OIDC_ISSUER"):
        problems.append("OIDC_ISSUER must name the provincial identity platform")
    elif not str(config["OIDC_ISSUER"]).startswith("https://"):
        problems.append("OIDC_ISSUER must be https")
    if str(config.get("DATABASE_URL", "")).startswith("sqlite"):
        problems.append("DATABASE_URL must point to PostgreSQL")
    # Without a task engine nothing scheduled runs (payments, comparisons, crediting, SMS).
    if not config.get("TASK_BROKER_URL") or config["TASK_BROKER_URL"] == "embedded":
        problems.append("TASK_BROKER_URL (or REDIS_URL) must name the task engine's Redis")
    if config.get("SMS_GATEWAY") != "http":
        problems.append("SMS_GATEWAY must be http (the log gateway sends no SMS)")
    if not str(config.get("EXTERNAL_URL", "")).startswith("https://"):
        problems.append("EXTERNAL_URL must be https")
    if problems:
        raise ConfigError("Refusing to start in production: " + "; ".join(problems))



def _data_key_problems(text: str) -> list[str]:
    from .crypto import KeyConfigError, parse_keys

    try:
        keys = parse_keys(text)
    except KeyConfigError as error:
        return [f"DATA_ENCRYPTION_KEYS: {error}"]
    if any(key_id.startswith(DEV_SECRET_MARKER) for key_id in keys):
        return ["DATA_ENCRYPTION_KEYS must be set (the generated development key is refused)"]
    return []

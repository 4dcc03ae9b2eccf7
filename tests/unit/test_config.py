"""Configuration: safe defaults, and production refuses development secrets."""

import pytest

from portal import config
from portal.crypto import new_key_text


def test_development_defaults_generate_secrets_into_instance(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "OIDC_ISSUER", "PORTAL_ENV", "DEMO_MODE"):
        monkeypatch.delenv(name, raising=False)
    settings = config.load(tmp_path)
    assert settings["SECRET_KEY"].startswith(config.DEV_SECRET_MARKER)
    assert (tmp_path / "secret_key").read_text() == settings["SECRET_KEY"]
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'portal.db'}"
    assert settings["OIDC_ISSUER"] is None and settings["DEMO_MODE"] is True
    assert settings["SESSION_IDLE_MINUTES"] == 15 and settings["SESSION_ABSOLUTE_HOURS"] == 8
    assert config.load(tmp_path)["SECRET_KEY"] == settings["SECRET_KEY"]  # stable across restarts


def test_production_refuses_generated_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.load(tmp_path)


@pytest.fixture
def production(monkeypatch):
    """A complete, valid production environment; tests spoil one setting at a time."""
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "c" * 40)
    monkeypatch.setenv("TAX_API_TOKEN", "t" * 40)
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", new_key_text("2026a"))
    monkeypatch.setenv("DATA_INDEX_KEY", "i" * 40)
    monkeypatch.setenv("OIDC_ISSUER", "https://idp.example.gov.cn")
    monkeypatch.setenv("DATABASE_URL", "postgresql://portal@db/portal")
    monkeypatch.setenv("EXTERNAL_URL", "https://portal.example.gov.cn")
    monkeypatch.setenv("TASK_BROKER_URL", "redis://redis.internal:6379/1")
    monkeypatch.setenv("SMS_GATEWAY", "http")
    monkeypatch.setenv("SMS_GATEWAY_URL", "https://sms.example.gov.cn/send")
    monkeypatch.delenv("DEMO_MODE", raising=False)


def test_production_starts_with_real_settings(tmp_path, production):
    settings = config.load(tmp_path)
    assert settings["DEMO_MODE"] is False
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert settings["DATABASE_URL"].startswith("postgresql+psycopg://")


@pytest.mark.parametrize("variable, value, complaint", [
    ("DEMO_MODE", "1", "DEMO_MODE"),
    ("DATABASE_URL", "sqlite:///x.db", "PostgreSQL"),
    ("EXTERNAL_URL", "http://portal", "https"),
    ("TASK_BROKER_URL", "embedded", "TASK_BROKER_URL"),
    ("SMS_GATEWAY", "log", "SMS_GATEWAY"),
])
def test_production_refuses_demo_shortcuts(tmp_path, monkeypatch, production, variable, value,
                                           complaint):
    monkeypatch.setenv(variable, value)
    with pytest.raises(config.ConfigError, match=complaint):
        config.load(tmp_path)


def test_production_refuses_to_start_without_a_task_engine(tmp_path, monkeypatch, production):
    """Issue 19: nothing scheduled would ever run (payment runs, comparisons, SMS)."""
    monkeypatch.delenv("TASK_BROKER_URL")
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(config.ConfigError, match="TASK_BROKER_URL"):
        config.load(tmp_path)
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    assert config.load(tmp_path)["TASK_BROKER_URL"] == "redis://redis.internal:6379/0"


def test_an_http_sms_gateway_needs_its_url(tmp_path, monkeypatch):
    monkeypatch.setenv("SMS_GATEWAY", "http")
    monkeypatch.delenv("SMS_GATEWAY_URL", raising=False)
    with pytest.raises(config.ConfigError, match="SMS_GATEWAY_URL"):
        config.load(tmp_path)
    monkeypatch.setenv("SMS_GATEWAY", "carrier-pigeon")
    with pytest.raises(config.ConfigError, match="log or http"):
        config.load(tmp_path)


def test_production_refuses_an_http_issuer(tmp_path, monkeypatch, production):
    """Issue 17, item 9: tokens and codes from a platform reached over plain http are readable
    and changeable on the way."""
    monkeypatch.setenv("OIDC_ISSUER", "http://idp.example.gov.cn")
    with pytest.raises(config.ConfigError, match="OIDC_ISSUER must be https"):
        config.load(tmp_path)


def test_identity_platform_settings_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OIDC_CLAIMS",
                       '{"document_number": "id_number", "document_type": "id_type"}')
    monkeypatch.setenv("OIDC_DOCUMENT_TYPES", '{"01": "resident_id", "06": "hmt_residence"}')
    monkeypatch.setenv("OIDC_MISSING_ACR", "real-name")
    monkeypatch.setenv("OIDC_TOKEN_AUTH_METHOD", "private_key_jwt")
    monkeypatch.setenv("OIDC_AUTH_PARAMS", '{"ui_locales": "zh-CN"}')
    monkeypatch.setenv("OIDC_ALGORITHMS", "ES256, RS256")
    monkeypatch.setenv("IDP_EXTRA_CLIENTS", '[{"client_id": "b", "client_secret": "s", '
                                            '"redirect_uris": ["http://127.0.0.1:9/cb"]}]')
    settings = config.load(tmp_path)
    assert settings["OIDC_CLAIMS"] == {"name": "name", "document_type": "id_type",
                                       "document_number": "id_number", "phone": "phone_number"}
    assert settings["OIDC_DOCUMENT_TYPES"] == {"01": "resident_id", "06": "hmt_residence"}
    assert settings["OIDC_MISSING_ACR"] == "real-name"
    assert settings["OIDC_TOKEN_AUTH_METHOD"] == "private_key_jwt"
    assert settings["OIDC_AUTH_PARAMS"] == {"ui_locales": "zh-CN"}
    assert settings["OIDC_ALGORITHMS"] == ("ES256", "RS256")
    assert settings["IDP_EXTRA_CLIENTS"][0]["client_id"] == "b"


def test_identity_platform_defaults(tmp_path, monkeypatch):
    for name in ("OIDC_CLAIMS", "OIDC_DOCUMENT_TYPES", "OIDC_MISSING_ACR", "OIDC_ALGORITHMS",
                 "OIDC_TOKEN_AUTH_METHOD"):
        monkeypatch.delenv(name, raising=False)
    settings = config.load(tmp_path)
    assert settings["OIDC_CLAIMS"] == {"name": "name", "document_type": "id_document_type",
                                       "document_number": "id_document_number",
                                       "phone": "phone_number"}
    assert settings["OIDC_DOCUMENT_TYPES"]["foreign_passport"] == "foreign_passport"
    assert settings["OIDC_MISSING_ACR"] == "refuse"
    assert settings["OIDC_ALGORITHMS"] == ("RS256", "ES256", "PS256")
    assert settings["OIDC_TOKEN_AUTH_METHOD"] == "client_secret_basic"


@pytest.mark.parametrize(("variable", "value"), [
    ("OIDC_ALGORITHMS", "RS256,none"),
    ("OIDC_ALGORITHMS", "HS256"),
    ("OIDC_CLAIMS", '{"surname": "x"}'),
    ("OIDC_CLAIMS", "not json"),
    ("OIDC_DOCUMENT_TYPES", '{"01": "passport"}'),
    ("OIDC_MISSING_ACR", "face"),
    ("OIDC_TOKEN_AUTH_METHOD", "none"),
    ("OIDC_AUTH_PARAMS", '{"prompt": "none"}'),
    ("IDP_EXTRA_CLIENTS", '[{"client_id": "b"}]'),
])
def test_a_wrong_identity_platform_setting_stops_the_start(tmp_path, monkeypatch, variable,
                                                          value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(config.ConfigError, match=variable):
        config.load(tmp_path)


@pytest.mark.parametrize("variable", ["DATA_ENCRYPTION_KEYS", "DATA_INDEX_KEY"])
def test_production_refuses_to_start_without_data_keys(tmp_path, monkeypatch, production,
                                                       variable):
    monkeypatch.delenv(variable)
    with pytest.raises(config.ConfigError, match=variable):
        config.load(tmp_path)


@pytest.mark.parametrize("keys, complaint", [
    ("dev-1:" + "A" * 43, "development key"),
    ("2026a:c2hvcnQ", "32 bytes"),
    ("bad id:" + "A" * 43, "key id"),
])
def test_production_refuses_weak_data_keys(tmp_path, monkeypatch, production, keys, complaint):
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", keys)
    with pytest.raises(config.ConfigError, match=complaint):
        config.load(tmp_path)


def test_development_generates_data_keys_into_instance(tmp_path, monkeypatch):
    for name in ("DATA_ENCRYPTION_KEYS", "DATA_INDEX_KEY", "PORTAL_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = config.load(tmp_path)
    assert settings["DATA_ENCRYPTION_KEYS"].startswith("dev-1:")
    assert oct((tmp_path / "data_encryption_keys").stat().st_mode & 0o777) == "0o600"
    assert settings["DATA_INDEX_KEY"].startswith(config.DEV_SECRET_MARKER)
    again = config.load(tmp_path)
    assert again["DATA_ENCRYPTION_KEYS"] == settings["DATA_ENCRYPTION_KEYS"]
    assert again["DATA_INDEX_KEY"] == settings["DATA_INDEX_KEY"]

"""Configuration: safe defaults, and production refuses development secrets."""

import pytest

from portal import config


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
    monkeypatch.setenv("OIDC_ISSUER", "https://idp.example.gov.cn")
    monkeypatch.setenv("DATABASE_URL", "postgresql://portal@db/portal")
    monkeypatch.setenv("EXTERNAL_URL", "https://portal.example.gov.cn")
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
])
def test_production_refuses_demo_shortcuts(tmp_path, monkeypatch, production, variable, value,
                                           complaint):
    monkeypatch.setenv(variable, value)
    with pytest.raises(config.ConfigError, match=complaint):
        config.load(tmp_path)

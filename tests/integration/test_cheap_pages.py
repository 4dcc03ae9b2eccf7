"""Pages that cost almost nothing to serve (issue 19 part 4): anonymous visitors write no session
row, their forms are still CSRF-protected (double-submit cookie), static assets are fingerprinted,
immutable and compressed, the favicon is there, and nothing expensive runs at import time."""

import gzip
import re
import subprocess
import sys

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import WebSession
from tests.integration.helpers import csrf_token, sign_in

PUBLIC_PAGES = ("/", "/sign-in", "/estimate", "/estimate?age=45&years=10", "/report",
                "/report/check", "/help/wrong-details", "/signed-out", "/verify/not-a-token",
                "/favicon.ico", "/no-such-page")


def session_rows(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(WebSession))
        db.session.remove()
    return count


def test_anonymous_page_views_write_no_session_row(app):
    before = session_rows(app)
    browser = app.test_client()
    for path in PUBLIC_PAGES * 2:  # the second round carries the cookies of the first
        assert browser.get(path).status_code in (200, 400, 404), path
    assert session_rows(app) == before
    assert browser.get_cookie("portal_session") is None
    assert browser.get_cookie("portal_csrf") is not None  # the double-submit cookie


def test_an_anonymous_form_works_without_a_session_row(app):
    before = session_rows(app)
    browser = app.test_client()
    token = csrf_token(browser.get("/"))
    response = browser.post("/preferences", data={"csrf_token": token, "lang": "en",
                                                  "return_to": "/estimate"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/estimate")
    assert browser.get_cookie("lang").value == "en"
    assert session_rows(app) == before


def test_anonymous_forms_are_still_csrf_protected(app):
    browser = app.test_client()
    token = csrf_token(browser.get("/"))
    # No token; or a token without its cookie (another browser: the attacker's page).
    assert browser.post("/preferences", data={"lang": "en"}).status_code == 400
    stranger = app.test_client()
    assert stranger.post("/preferences", data={"csrf_token": token,
                                               "lang": "en"}).status_code == 400
    # The attacker's own cookie with the victim's token, and a forged cookie.
    attacker = app.test_client()
    csrf_token(attacker.get("/"))
    attacker_cookie = attacker.get_cookie("portal_csrf").value
    victim = app.test_client()
    victim.set_cookie("portal_csrf", attacker_cookie)
    assert victim.post("/preferences", data={"csrf_token": token, "lang": "en"}).status_code == 400
    victim.set_cookie("portal_csrf", "f" * 40)
    assert victim.post("/preferences", data={"csrf_token": token, "lang": "en"}).status_code == 400
    victim.set_cookie("portal_csrf", "not-hex")
    assert victim.post("/preferences", data={"csrf_token": token, "lang": "en"}).status_code == 400


def test_signing_in_makes_the_session_and_drops_the_cookie(client, app, demo):
    before = session_rows(app)
    client.get("/")
    assert client.get_cookie("portal_csrf") is not None
    sign_in(client, app, demo["by_key"]["contributor"])
    assert session_rows(app) > before
    assert client.get_cookie("portal_session") is not None
    assert client.get_cookie("portal_csrf") is None
    assert "张桂兰" in client.get("/me/").get_data(as_text=True)
    # The signed-in session's form token works (the sign-out form).
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(client.get("/me/"))})
    assert response.status_code in (302, 303)


def test_fingerprinted_assets_are_immutable_and_compressed(app):
    browser = app.test_client()
    page = browser.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', page).group(1)
    js = re.search(r'src="(/static/js/portal\.[0-9a-f]{12}\.js)"', page).group(1)
    assert re.search(r'href="/static/favicon\.[0-9a-f]{12}\.ico"', page)
    for url in (css, js):
        plain = browser.get(url)
        assert plain.status_code == 200
        assert "immutable" in plain.headers["Cache-Control"]
        assert "max-age=31536000" in plain.headers["Cache-Control"]
        assert "no-store" not in plain.headers["Cache-Control"]
        packed = browser.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert gzip.decompress(packed.data) == plain.data
        assert len(packed.data) < len(plain.data) / 2
        again = browser.get(url, headers={"If-None-Match": plain.headers["ETag"]})
        assert again.status_code == 304 and not again.data
    # A fingerprint that is not the file's: never served as if it were.
    assert browser.get(css[:-8] + "000000.css").status_code == 404
    # The plain name still works (outside links), with a short cache.
    plain = browser.get("/static/css/portal.css")
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]
    assert browser.get("/static/../config.py").status_code == 404


def test_anonymous_pages_are_compressed_personal_pages_are_not(client, app, demo):
    anonymous = app.test_client()
    home = anonymous.get("/", headers={"Accept-Encoding": "gzip"})
    assert home.headers["Content-Encoding"] == "gzip"
    assert "养老" in gzip.decompress(home.data).decode()
    assert "Content-Encoding" not in anonymous.get("/").headers  # only when asked
    sign_in(client, app, demo["by_key"]["contributor"])
    mine = client.get("/me/", headers={"Accept-Encoding": "gzip"})
    assert mine.status_code == 200 and "Content-Encoding" not in mine.headers  # BREACH


def test_the_favicon_is_there(app):
    browser = app.test_client()
    icon = browser.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype in ("image/vnd.microsoft.icon",
                                                         "image/x-icon")
    assert icon.data[:4] == b"\x00\x00\x01\x00"


def test_nothing_expensive_at_import_time():
    """Importing the app and every view module hashes no password (argon2 takes ~64 MB), and
    a web worker's app loads neither the migration tool nor the PDF library."""
    script = (
        "import argon2, sys\n"
        "def refuse(*a, **k): raise SystemExit('argon2 hash at import time')\n"
        "argon2.PasswordHasher.hash = refuse\n"
        "import portal, portal.web, portal.operations.staff, portal.agency.views\n"
        "import portal.public.views, portal.resident.views, portal.documents.statements\n"
        "import tempfile\n"
        "portal.create_app({'INSTANCE_PATH': tempfile.mkdtemp()})\n"
        "assert 'alembic' not in sys.modules, 'a web worker never migrates'\n"
        "assert 'reportlab' not in sys.modules, 'PDF fonts load with the first PDF'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr + done.stdout


def test_in_production_the_csrf_cookie_is_host_only_and_secure(app, tmp_path):
    """__Host-: no other host (a sibling subdomain) can plant the double-submit cookie."""
    from portal import create_app

    production_like = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True,
                                  "DATABASE_URL": app.config["DATABASE_URL"],
                                  "DATA_ENCRYPTION_KEYS": app.config["DATA_ENCRYPTION_KEYS"],
                                  "DATA_INDEX_KEY": app.config["DATA_INDEX_KEY"],
                                  "SESSION_COOKIE_NAME": "__Host-session",
                                  "SESSION_COOKIE_SECURE": True})
    try:
        page = production_like.test_client().get("/", base_url="https://localhost")
        cookies = [h for h in page.headers.getlist("Set-Cookie") if h.startswith("__Host-csrf=")]
        assert cookies, page.headers
        attributes = cookies[0].split("; ")
        assert {"Secure", "HttpOnly", "Path=/", "SameSite=Lax"} <= set(attributes)
        assert not any(a.startswith("Domain=") for a in attributes)
    finally:
        production_like.extensions["portal_engine"].dispose()


def test_the_shipped_gunicorn_settings_are_sane(monkeypatch):
    import runpy
    from pathlib import Path

    for name in ("WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = runpy.run_path(str(Path(__file__).parents[2] / "gunicorn.conf.py"))
    assert 10 <= settings["timeout"] <= 60 and settings["graceful_timeout"] <= 60
    assert settings["workers"] >= 2 and settings["threads"] >= 2  # the portal calls itself
    assert settings["bind"] == "127.0.0.1:8000" and settings["max_requests"] > 0
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "5000")
    settings = runpy.run_path(str(Path(__file__).parents[2] / "gunicorn.conf.py"))
    assert settings["workers"] == 3 and settings["bind"].endswith(":5000")

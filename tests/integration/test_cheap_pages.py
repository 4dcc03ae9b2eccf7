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
from tests.integration.helpers import (
    csrf_token,
    every_pooled_connection,
    postgresql_only,
    sign_in,
)

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


# --- The chrome rendered once, the public home served from memory (issue 19 part 4) ---------


def test_each_page_view_carries_its_own_form_token_and_return_address(app):
    """The header is rendered once per language and preference, but its preference form still
    returns to the page it is on and carries this browser's own token."""
    first, second = app.test_client(), app.test_client()
    token_one, token_two = csrf_token(first.get("/")), csrf_token(second.get("/"))
    assert token_one != token_two
    estimate = first.get("/estimate?age=45&years=10").get_data(as_text=True)
    assert 'name="return_to" value="/estimate?age=45&amp;years=10"' in estimate
    assert 'name="return_to" value="/?"' in first.get("/").get_data(as_text=True)
    # Each browser's token works for its own form, and only there.
    assert first.post("/preferences", data={"csrf_token": token_one, "lang": "en"}
                      ).status_code == 302
    assert second.post("/preferences", data={"csrf_token": token_one, "lang": "en"}
                       ).status_code == 400


def test_the_chrome_follows_language_and_display_preferences(app):
    browser = app.test_client()
    chinese = browser.get("/").get_data(as_text=True)
    assert "English</button>" in chinese and "长辈版" in chinese
    browser.set_cookie("lang", "en")
    english = browser.get("/").get_data(as_text=True)
    assert "中文</button>" in english and "Urban and rural residents" in english
    browser.set_cookie("elder", "1")
    elder = browser.get("/").get_data(as_text=True)
    assert 'class="elder' in elder and "Standard view" in elder
    browser.set_cookie("kiosk", "1")
    kiosk = browser.get("/").get_data(as_text=True)
    assert 'id="kiosk-exit"' in kiosk and "kiosk-idle-dialog" in kiosk
    assert "kiosk-idle-dialog" not in elder


def test_a_signed_in_resident_gets_their_own_chrome_not_a_visitors(app, resident_client,
                                                                    new_person):
    visitor = app.test_client().get("/").get_data(as_text=True)
    assert "Sign out" not in visitor and "退出登录" not in visitor
    resident = resident_client(new_person())
    page = resident.get("/me/").get_data(as_text=True)
    assert 'action="/auth/logout"' in page or "logout" in page
    assert "idle-dialog" in page
    # The public home sends a signed-in resident on to their own page instead of the cache.
    assert resident.get("/").status_code == 302


def test_a_visitor_signed_out_for_inactivity_is_told_so_on_the_home_page(app):
    """The cached home is only for visitors whose session holds nothing: one with the
    "signed out after inactivity" notice gets it rendered for them."""
    notice = "You were signed out because the page was not used for a while"
    browser, other = app.test_client(), app.test_client()
    for client in (browser, other):
        client.set_cookie("lang", "en")
        assert notice not in client.get("/").get_data(as_text=True)  # now in the cache
    with browser.session_transaction() as session:
        session["timed_out"] = True
    assert notice in browser.get("/").get_data(as_text=True)
    assert notice not in browser.get("/").get_data(as_text=True)  # said once
    assert notice not in other.get("/").get_data(as_text=True)


def test_a_signed_in_page_reads_session_and_resident_in_one_statement(app, resident_client,
                                                                      new_person):
    from sqlalchemy import event

    resident = resident_client(new_person())
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert resident.get("/me/services").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    person_reads = [sql for sql in statements if "person.id" in sql.split("FROM")[0]]
    assert len(person_reads) == 1 and "web_session" in person_reads[0], statements


def test_a_connection_the_database_closed_while_it_rested_is_replaced(app, monkeypatch,
                                                                      resident_client,
                                                                      new_person):
    """No ping on every checkout, but a pooled connection that rested is checked first: when
    the database ended it meanwhile (restart, failover, idle timeout), the request gets a new
    one instead of an error."""
    from sqlalchemy import text

    from portal import extensions

    postgresql_only(app, "SQLite files have no server to close a connection")
    resident = resident_client(new_person())
    assert resident.get("/me/services").status_code == 200
    with app.app_context():
        # The pages' pool only: other engines' connections (registries, counters) stay alive
        # for the tests after this one.
        with every_pooled_connection() as pooled:
            pids = [connection.info.backend_pid for connection in pooled]
        with extensions._engine_for(app.config["DATABASE_URL"]).connect() as killer:
            for pid in pids:
                killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    monkeypatch.setattr(extensions, "IDLE_BEFORE_PING", 0.0)
    try:
        assert resident.get("/me/services").status_code == 200
    finally:
        with app.app_context():
            db.engine.dispose()  # the other killed connections must not reach the next tests


def test_template_translations_are_escaped_formatted_and_follow_the_language(app):
    """Templates' `_` (web._template_gettext) keeps Jinja's newstyle gettext behaviour while it
    keeps plain messages per language: variables escaped, "%%" always "%", and each language
    its own words, the first view and the next alike."""
    from flask_babel import force_locale
    from markupsafe import Markup

    page = app.jinja_env.from_string(
        '{{ _("Issued by %(agency)s", agency=who) }}|{{ _("Name") }}|{{ _("100%% sure") }}|'
        '{% trans %}Name{% endtrans %}')
    with app.test_request_context("/"):
        for _ in range(2):  # the second time from what was kept
            with force_locale("en"):
                english = page.render(who=Markup("<b>A</b>") + "<i>")
            with force_locale("zh_Hans_CN"):
                chinese = page.render(who="<i>")
            assert english == "Issued by <b>A</b>&lt;i&gt;|Name|100% sure|Name"
            assert "&lt;i&gt;" in chinese.split("|")[0]
            assert "<i>" not in chinese and "|100% sure|" in chinese
            assert chinese.split("|")[1] != "Name" and chinese.split("|")[3] != "Name"


def test_templates_with_globals_of_their_own_still_see_them(app):
    """web._Template copies the environment's globals straight into a page's context when the
    template has none of its own; a template given its own still sees them, over the
    environment's, and a global added to the environment later is seen by every template."""
    page = app.jinja_env.from_string("{{ mine }}|{{ helpline }}|{{ later }}",
                                     globals={"mine": "own", "helpline": "shadowed"})
    plain = app.jinja_env.from_string("{{ mine }}|{{ later }}")
    with app.test_request_context("/"):
        app.jinja_env.globals["later"] = "added"
        try:
            assert page.render() == "own|shadowed|added"
            assert plain.render() == "|added"
            assert plain.render(mine="passed") == "passed|added"
        finally:
            del app.jinja_env.globals["later"]


def test_a_session_keeps_one_signed_form_token_and_it_still_guards_forms(app, resident_client,
                                                                         new_person):
    """The signed token of a session's CSRF secret is made once per process
    (auth.sessions._reuse_form_token): the next page carries the same one, it is accepted, and
    another resident's session does not accept it."""
    first, second = resident_client(new_person()), resident_client(new_person())
    token = csrf_token(first.get("/me/"))
    assert csrf_token(first.get("/me/services")) == token
    assert csrf_token(second.get("/me/")) != token
    assert second.post("/preferences", data={"csrf_token": token, "lang": "en"}
                       ).status_code == 400
    assert first.post("/preferences", data={"csrf_token": token, "lang": "en"}
                      ).status_code == 302
    assert csrf_token(first.get("/me/")) == token


def test_a_kept_ledger_kind_label_follows_the_language(app):
    """presenters.ledger_kind keeps each label per language: the same as translating the lazy
    label, Chinese and English alternating, whichever was asked first."""
    from flask_babel import force_locale

    from portal import presenters
    from portal.constants import LedgerKind

    seen = {}
    with app.test_request_context("/"):
        for locale in ("en", "zh_Hans_CN", "en", "zh_Hans_CN"):
            with force_locale(locale):
                for kind in LedgerKind:
                    label = presenters.ledger_kind(kind.value)
                    assert type(label) is str and label == str(kind.label)
                    seen.setdefault(kind.value, set()).add(label)
    assert all(len(labels) == 2 for labels in seen.values())  # each translated

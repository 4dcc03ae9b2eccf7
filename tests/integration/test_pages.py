"""Base UI: language, 长辈版, error pages, headers, access control (security.md, ux.md)."""

import pytest

from tests.integration.helpers import csrf_token, sign_in


def test_start_page_is_chinese_by_default(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-Hans-CN">' in html
    assert "城乡居民基本养老保险" in html
    assert "12333" in html and "12345" in html  # helpline and reporting phone in the footer


def test_language_switch_to_english_and_back(client):
    page = client.get("/")
    response = client.post("/preferences", data={"csrf_token": csrf_token(page), "lang": "en",
                                                  "return_to": "/sign-in"})
    assert response.status_code == 302 and response.location == "/sign-in"
    html = client.get("/sign-in").get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign in with your real name" in html
    client.post("/preferences", data={"csrf_token": csrf_token(page), "lang": "zh_Hans_CN"})
    assert "实名" in client.get("/sign-in").get_data(as_text=True)


def test_elder_mode_switch(client):
    page = client.get("/")
    client.post("/preferences", data={"csrf_token": csrf_token(page), "elder": "1"})
    assert 'class="elder' in client.get("/").get_data(as_text=True)
    client.post("/preferences", data={"csrf_token": csrf_token(page), "elder": "0"})
    assert 'class="elder' not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("data", [{"lang": "fr"}, {"elder": "2"}, {}])
def test_bad_preferences_are_refused(client, data):
    page = client.get("/")
    response = client.post("/preferences", data={"csrf_token": csrf_token(page), **data})
    assert response.status_code == 400
    assert "无法处理" in response.get_data(as_text=True)


def test_preferences_never_redirect_off_site(client):
    page = client.get("/")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post("/preferences", data={"csrf_token": csrf_token(page),
                                                      "lang": "en", "return_to": target})
        assert response.location == "/"


def test_post_without_csrf_token_gets_the_expired_page(client):
    response = client.post("/preferences", data={"lang": "en"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_not_found_page_in_the_same_style(client):
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "找不到" in html and "12333" in html


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(client, app, demo):
    client.get("/")  # the page's CSRF secret: a cookie of its own, no session (issue 19)
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is None
    secret = client.get_cookie("portal_csrf")
    assert secret.http_only and secret.same_site == "Lax"
    sign_in(client, app, demo["by_key"]["contributor"])
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    assert cookie.http_only and cookie.same_site == "Lax"


def test_resident_home_requires_sign_in(client):
    response = client.get("/me/")
    assert response.status_code == 302 and response.location.endswith("/sign-in")


def test_one_resident_never_sees_another(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    html = client.get("/me/").get_data(as_text=True)
    others = [p for p in demo["people"] if p["key"] != "contributor"]
    assert not any(p["name"] in html for p in others)


def test_signed_in_resident_goes_from_start_to_home(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    assert client.get("/").location.endswith("/me/")

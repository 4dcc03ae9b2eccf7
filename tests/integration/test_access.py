"""Deny by default: every route is declared here with who may use it, and checked (security.md).

A new route that is not listed fails `test_every_route_is_declared`, so nobody adds one unchecked.
"""

import pytest

from portal.extensions import db
from portal.models import StaffUser
from tests.integration.helpers import sign_in

PUBLIC = {
    "static", "public.start", "public.sign_in", "public.signed_out", "public.preferences",
    "auth.login", "auth.callback", "auth.logout",
    # the embedded identity provider's own pages and endpoints (its callers authenticate there)
    "idp.discovery", "idp.jwks", "idp.authorize", "idp.identify", "idp.verify", "idp.face",
    "idp.cancel", "idp.token", "idp.userinfo",
}
RESIDENT_ONLY = {"resident.home": "/me/"}


def test_every_route_is_declared(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    undeclared = endpoints - PUBLIC - set(RESIDENT_ONLY)
    assert not undeclared, f"declare who may use: {sorted(undeclared)}"


@pytest.mark.parametrize("path", RESIDENT_ONLY.values())
def test_anonymous_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.location.endswith("/sign-in")


@pytest.mark.parametrize("path", RESIDENT_ONLY.values())
def test_staff_account_gets_nothing_from_resident_pages(client, app, path):
    with app.app_context():
        staff = db.session.query(StaffUser).filter_by(role="county_reviewer").one()
        staff_id = staff.get_id()
        db.session.remove()
    with client.session_transaction() as session:
        session["_user_id"] = staff_id
        session["acr"] = "face"
    response = client.get(path)
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)


def test_userinfo_needs_a_valid_access_token(client):
    assert client.get("/idp/userinfo").status_code == 401
    response = client.get("/idp/userinfo", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401


def test_home_shows_only_the_signed_in_person(client, app, demo):
    sign_in(client, app, demo["by_key"]["receiving"])
    html = client.get("/me/").get_data(as_text=True)
    assert demo["by_key"]["receiving"]["name"] in html
    assert demo["by_key"]["contributor"]["name"] not in html

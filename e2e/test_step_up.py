"""Every face step-up for a resident who skipped the face check at sign-in returns to the page
they were on, as a GET, with their action still to confirm, and asks only for the face
(issue 18, items 1 and 2). Claim, deregistration, transfer and the pension decision are walked
in test_claim.py and test_closure.py; here the phone change, whose face check must be recent,
goes stale on the check page before the resident submits."""

import hashlib

from playwright.sync_api import expect

from e2e.test_claim import face_check
from e2e.test_sign_in import sign_in
from portal.extensions import db
from portal.models import IdpSession, WebSession


def age_face_check(app, page, seconds):
    """Pretend the face check happened `seconds` earlier than it did, for the portal and for the
    identity provider (which would otherwise answer from its own, recent session)."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}

    def row(model, name):
        return db.session.get(model, hashlib.sha256(cookies[name].encode()).hexdigest())

    with app.app_context():
        portal = row(WebSession, app.config["SESSION_COOKIE_NAME"])
        portal.data = {**portal.data, "auth_time": portal.data["auth_time"] - seconds}
        row(IdpSession, "idp_session").auth_time -= seconds
        db.session.commit()
        db.session.remove()


def test_phone_change_face_check_goes_stale_before_submitting(page, live_url, app, demo,
                                                              checks):
    person = demo["by_key"]["employee_scheme"]
    sign_in(page, live_url, person)  # skips the face check
    page.get_by_role("link", name="变更联系电话").first.click()
    face_check(page, person)
    page.wait_for_url("**/apply/phone_change/")
    checks.page(page, "phone-change-start-phone")
    page.get_by_role("link", name="开始办理").click()
    page.locator("input[name=phone]").fill("13900000099")
    page.get_by_role("button", name="继续").click()
    page.wait_for_url("**/apply/phone_change/check")
    page.wait_for_load_state("networkidle")  # no request in flight to write the session back
    age_face_check(app, page, 400)  # read the summary for too long: the check is stale now
    page.locator("#declaration").check()
    page.get_by_role("button", name="确认变更").click()
    face_check(page, person)
    # back on the check page (a GET), nothing submitted yet, the action still to confirm
    page.wait_for_url("**/apply/phone_change/check")
    expect(page.get_by_role("button", name="确认变更")).to_be_visible()
    checks.page(page, "phone-change-check-after-step-up-phone")
    page.locator("#declaration").check()
    page.get_by_role("button", name="确认变更").click()
    expect(page.locator(".reference")).to_be_visible()

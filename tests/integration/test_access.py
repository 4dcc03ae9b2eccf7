"""Deny by default: every route is declared here with who may use it, and checked (security.md).

A new route that is not listed fails `test_every_route_is_declared`, so nobody adds one unchecked.
"""

import pytest

from portal.extensions import db
from portal.models import StaffUser
from tests.integration.helpers import csrf_token, sign_in, staff_sign_in

PUBLIC = {
    "static", "speech.audio", "public.favicon", "public.start", "public.sign_in",
    "public.signed_out",
    "public.preferences",
    "public.wrong_details", "public.keep_alive", "public.verify", "public.estimate",
    "public.report", "public.report_check",  # 举报: open to all; test_requests.py
    "kiosk.start", "kiosk.leave",  # the terminal's start screen and leaving: test_kiosk.py
    "kiosk.assertion",  # authenticated by the terminal's signature: test_kiosk.py
    "auth.login", "auth.callback", "auth.logout",
    # public keys only; ends only the caller's own provider session: test_identity_platform.py
    "auth.jwks", "idp.logout",
    "agency.sign_in", "agency.second_factor",
    # bearer token of the tax department's system: test_account.py, test_tax_registration_export.py
    "tax_api.contributions", "tax_api.new_registration_batch", "tax_api.registration_batches",
    "tax_api.registration_batch", "tax_api.registration_acknowledgement",
    "tax_api.contribution_batch", "tax_api.contribution_acknowledgement",  # test_account.py
    "openapi.openapi",  # the machine interfaces' description: test_openapi.py
    # the embedded identity provider's own pages and endpoints (its callers authenticate there)
    "idp.discovery", "idp.jwks", "idp.authorize", "idp.identify", "idp.verify", "idp.face",
    "idp.cancel", "idp.token", "idp.userinfo",
}
# endpoint -> (method, path); record-level checks on applications live in test_enrolment.py
RESIDENT_ONLY = {
    "resident.home": ("GET", "/me/"),
    "resident.services": ("GET", "/me/services"),
    "resident.applications": ("GET", "/me/applications"),
    "resident.application": ("GET", "/me/applications/5399012611240000"),
    "resident.confirmation": ("GET", "/me/applications/5399012611240000/confirmation"),
    "resident.messages": ("GET", "/me/messages"),
    "resident.upload": ("GET", "/me/uploads/999999"),
    "resident.account": ("GET", "/me/account"),
    "resident.statement": ("GET", "/me/account/statement/all"),
    "resident.statement_pdf": ("GET", "/me/account/statement/2025.pdf"),
    "resident.statement_seal": ("GET", "/me/account/seal.png"),  # test_statement_seal.py
    "resident.estimate": ("GET", "/me/account/estimate"),
    "resident.pension": ("GET", "/me/pension"),
    "resident.confirm_pension": ("POST", "/me/pension/confirm"),
    "resident.pension_notice": ("GET", "/me/pension/notice"),
    # 资格认证 and 亲情认证: record-level checks in test_eligibility.py
    "resident.eligibility": ("GET", "/me/eligibility"),
    "resident.family": ("GET", "/me/family"),
    "resident.family_confirm": ("GET", "/me/family/999999"),
    # ending a 亲情认证 registration: record-level checks (404 for anyone else) in
    # test_eligibility.py
    "resident.end_my_helper": ("POST", "/me/eligibility/helpers/999999/end"),
    "resident.stop_helping": ("POST", "/me/family/999999/end"),
    # 第二十五条: the resident confirms a re-decided pension; test_disputes_redecide.py
    "resident.confirm_redetermination": ("POST", "/me/applications/5399012611240000/confirm"),
    "resident.consents": ("GET", "/me/consents"),
    "resident.data_access": ("GET", "/me/data-access"),  # test_personal_data.py
    "resident.object_to_consent": ("POST", "/me/consents/999999/object"),
    "resident.beneficiary": ("GET", "/me/beneficiary"),  # test_beneficiaries.py
    "resident.change_beneficiary": ("GET", "/me/beneficiary/change"),
    "resident.remove_beneficiary": ("POST", "/me/beneficiary/remove"),
    "kiosk.receipt": ("GET", "/kiosk/receipt/5399012611240000"),
    "kiosk.rating": ("POST", "/kiosk/rating"),
    "flows.start": ("GET", "/apply/enrolment/"),
    "flows.step": ("GET", "/apply/enrolment/step/phone"),
    "flows.check": ("GET", "/apply/enrolment/check"),
    "flows.discard": ("POST", "/apply/enrolment/discard"),
}
STAFF_ONLY = {
    "agency.queue": ("GET", "/agency/"),
    "agency.application": ("GET", "/agency/applications/5399012611240000"),
    "agency.decision": ("POST", "/agency/applications/5399012611240000/decision"),
    "agency.upload": ("GET", "/agency/uploads/999999"),
    "agency.township_check": ("POST", "/agency/applications/5399012611240000/township-check"),
    "agency.tax_registrations": ("GET", "/agency/tax-registrations"),
    "agency.resolution": ("POST", "/agency/applications/5399012611240000/resolution"),
    "agency.take": ("POST", "/agency/applications/5399012611240000/take"),
    "agency.answer": ("POST", "/agency/applications/5399012611240000/answer"),
    "agency.reports_queue": ("GET", "/agency/reports"),
    "agency.payments": ("GET", "/agency/payments"),
    "agency.death_reports": ("GET", "/agency/death-reports"),
    "agency.forward_death_reports": ("POST", "/agency/death-reports/forward"),
    "agency.decide_death_report": ("POST", "/agency/death-reports/999999/alive"),
    "agency.terminals": ("GET", "/agency/terminals"),
    "agency.revoke_terminal": ("POST", "/agency/terminals/999999/revoke"),
    "agency.transfers": ("GET", "/agency/transfers"),
    "agency.settle_transfer": ("POST", "/agency/transfers/999999/settle"),
    "agency.confirm_transfer_funds": ("POST", "/agency/transfers/999999/funds-arrived"),
    "agency.debts": ("GET", "/agency/debts"),
    "agency.data_access": ("GET", "/agency/data-access"),  # admin only: test_personal_data.py
    "agency.reissue_payments": ("POST", "/agency/payments/reissue"),
    "agency.benefit": ("POST", "/agency/applications/5399012611240000/benefit"),
    "agency.benefit_check": ("POST", "/agency/applications/5399012611240000/benefit-check"),
    "agency.report": ("GET", "/agency/reports/JB0000000000"),
    "agency.resend_tax_registration": ("POST", "/agency/tax-registrations/1/resend"),
    "agency.refused_contributions": ("GET", "/agency/refused-contributions"),
    # admin only (the working-day calendar, maker–checker): test_calendar_console.py
    "agency.calendar_years": ("GET", "/agency/calendar"),
    "agency.calendar_year": ("GET", "/agency/calendar/2027"),
    "agency.confirm_calendar_year": ("POST", "/agency/calendar/2027/confirm"),
    "agency.settlement": ("POST", "/agency/applications/5399012611240000/settlement"),
    "agency.settlement_check": ("POST",
                                "/agency/applications/5399012611240000/settlement-check"),
    "agency.correction_check": ("POST",
                                "/agency/applications/5399012611240000/correction-check"),
    "agency.approvals_queue": ("GET", "/agency/approvals"),
    "agency.approve_payout": ("POST", "/agency/approvals/999999/approve"),
    "agency.return_payout": ("POST", "/agency/approvals/999999/return"),
    "agency.eligibility_missed": ("GET", "/agency/eligibility"),  # test_eligibility.py
    # Disputes that re-decide (第二十五条, 第四十四条): test_disputes_redecide.py
    "agency.redetermine": ("POST", "/agency/applications/5399012611240000/redetermine"),
    "agency.redetermination_check": (
        "POST", "/agency/applications/5399012611240000/redetermination-check"),
    "agency.explanation": ("POST", "/agency/applications/5399012611240000/explanation"),
    "agency.ask_old_county": ("POST", "/agency/applications/5399012611240000/ask-old-county"),
    "agency.transfer_resolution": (
        "POST", "/agency/applications/5399012611240000/transfer-resolution"),
    "agency.transfer_correction_check": (
        "POST", "/agency/applications/5399012611240000/transfer-correction-check"),
    "agency.old_county_answer": (
        "POST", "/agency/applications/5399012611240000/old-county-answer"),
    "agency.inquiries": ("GET", "/agency/inquiries"),
    "agency.answer_inquiry": ("POST", "/agency/inquiries/999999/answer"),
}


# Village assistants only (two factors, role village_assistant): test_assist.py checks the rest.
ASSISTANT_ONLY = {
    "assist.dashboard": ("GET", "/assist/"),
    "assist.resident": ("GET", "/assist/residents/1"),
    "assist.consent_code": ("GET", "/assist/consents/999999/code"),
    "assist.application": ("GET", "/assist/applications/5399012611240000"),
    "assist.deaths": ("GET", "/assist/deaths"),
    "assist.no_deaths": ("POST", "/assist/deaths/none"),  # test_death_returns.py
    "assist.home_visit": ("GET", "/assist/residents/1/home-visit"),  # test_eligibility.py
}


def test_every_route_is_declared(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    undeclared = endpoints - PUBLIC - set(RESIDENT_ONLY) - set(STAFF_ONLY) - set(ASSISTANT_ONLY)
    assert not undeclared, f"declare who may use: {sorted(undeclared)}"


def request(client, method, path):
    if method == "GET":
        return client.get(path)
    page = client.get("/help/wrong-details")  # any page: each carries a CSRF token
    return client.post(path, data={"csrf_token": csrf_token(page)})


@pytest.mark.parametrize(("method", "path"), RESIDENT_ONLY.values())
def test_anonymous_visitor_is_sent_to_resident_sign_in(client, method, path):
    response = request(client, method, path)
    assert response.status_code == 302 and response.location.endswith("/sign-in")


@pytest.mark.parametrize(("method", "path"), STAFF_ONLY.values())
def test_anonymous_visitor_is_sent_to_staff_sign_in(client, method, path):
    response = request(client, method, path)
    assert response.status_code == 302 and response.location.endswith("/agency/sign-in")


@pytest.fixture(scope="module")
def reviewer_client(app):
    client = app.test_client()
    staff_sign_in(client, app, "reviewer.qingshan")
    return client


@pytest.fixture(scope="module")
def resident_client(app, demo):
    client = app.test_client()
    sign_in(client, app, demo["by_key"]["contributor"])
    return client


@pytest.mark.parametrize(("method", "path"), RESIDENT_ONLY.values())
def test_staff_get_nothing_from_resident_pages(reviewer_client, method, path):
    response = request(reviewer_client, method, path)
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path"), STAFF_ONLY.values())
def test_residents_get_nothing_from_the_console(resident_client, method, path):
    assert request(resident_client, method, path).status_code == 403


def test_village_assistants_get_nothing_from_the_console(app):
    client = app.test_client()
    staff_sign_in(client, app, "xieban.shiqiao")
    for method, path in STAFF_ONLY.values():
        assert request(client, method, path).status_code == 403


def test_township_clerks_check_but_never_decide(app):
    client = app.test_client()
    staff_sign_in(client, app, "clerk.shiqiao")
    assert request(client, "GET", "/agency/").status_code == 200
    assert request(client, *STAFF_ONLY["agency.decision"]).status_code == 403


def test_county_reviewers_never_do_the_township_check(reviewer_client):
    assert request(reviewer_client, *STAFF_ONLY["agency.township_check"]).status_code == 403


def test_password_alone_is_not_enough(app):
    client = app.test_client()
    page = client.get("/agency/sign-in")
    client.post("/agency/sign-in", data={"csrf_token": csrf_token(page),
                                         "username": "reviewer.qingshan",
                                         "password": "Demo-2026-pension"})
    assert client.get("/agency/").status_code == 302


def test_half_signed_in_staff_session_is_refused(client, app):
    with app.app_context():
        staff = db.session.query(StaffUser).filter_by(role="county_reviewer").first()
        staff_id = staff.get_id()
        db.session.remove()
    with client.session_transaction() as session:
        session["_user_id"] = staff_id  # no second factor recorded
    assert client.get("/agency/").status_code == 403


def test_userinfo_needs_a_valid_access_token(client):
    assert client.get("/idp/userinfo").status_code == 401
    response = client.get("/idp/userinfo", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401


def test_checkers_only_check(app):
    """复核 staff see the queue of decisions to check but cannot prepare or decide."""
    client = app.test_client()
    staff_sign_in(client, app, "checker.qingshan")
    assert request(client, "GET", "/agency/").status_code == 200
    assert request(client, *STAFF_ONLY["agency.decision"]).status_code == 403
    assert request(client, *STAFF_ONLY["agency.benefit"]).status_code == 403
    assert request(client, *STAFF_ONLY["agency.redetermine"]).status_code == 403
    assert request(client, *STAFF_ONLY["agency.inquiries"]).status_code == 403


@pytest.mark.parametrize(("method", "path"), ASSISTANT_ONLY.values())
def test_only_assistants_reach_assistant_pages(client, reviewer_client, resident_client,
                                               method, path):
    assert request(client, method, path).status_code == 302  # to the staff sign-in
    assert request(reviewer_client, method, path).status_code == 403
    assert request(resident_client, method, path).status_code == 403

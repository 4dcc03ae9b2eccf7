"""Driving the real sign-in with the Flask test client (the token exchange goes over HTTP)."""

import re

from sqlalchemy import select

from conftest import local_path
from portal.extensions import db
from portal.models import OutboxMessage

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(response) -> str:
    match = CSRF.search(response.get_data(as_text=True))
    assert match, "page has no CSRF token"
    return match.group(1)


def version_of(page) -> str:
    """The application version a review page shows (optimistic locking)."""
    return re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)


def latest_sms(app, phone: str) -> str:
    with app.app_context():
        body = db.session.scalar(
            select(OutboxMessage.body).filter_by(recipient=phone).order_by(OutboxMessage.id.desc())
        )
        db.session.remove()
    return body


def start_sign_in(client, level="real-name"):
    """From the portal's /auth/login to the provider's identify page."""
    response = client.get(f"/auth/login?level={level}")
    assert response.status_code == 302
    authorize = client.get(local_path(response.location))
    assert authorize.status_code == 302, authorize.get_data(as_text=True)
    page = client.get(local_path(authorize.location))
    assert page.status_code == 200
    return page


def identify(client, person: dict, level="real-name", name=None):
    """Start signing in and give the provider a name and document; returns its answer."""
    page = start_sign_in(client, level)
    return client.post("/idp/identify", data={
        "csrf_token": csrf_token(page),
        "name": person["name"] if name is None else name,
        "id_type": person["id_type"],
        "id_number": person["id_number"],
        "nationality": "" if person.get("nationality", "CHN") == "CHN" else person["nationality"],
    })


def enter_code(client, app, person: dict, code=None):
    """Type the code from the latest text message (or the given one)."""
    page = client.get("/idp/verify")
    code = code or re.search(r"\d{6}", latest_sms(app, person["phone"])).group(0)
    return client.post("/idp/verify", data={"csrf_token": csrf_token(page), "code": code})


def choose_face_check(client, face: bool):
    page = client.get("/idp/face")
    return client.post("/idp/face", data={"csrf_token": csrf_token(page),
                                          "choice": "face" if face else "skip"})


def authorization_redirect(client, app, person: dict, face: bool = False, level="real-name"):
    """All the provider's pages; returns its redirect back to the portal (code and state)."""
    response = identify(client, person, level)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert enter_code(client, app, person).status_code == 302
    response = choose_face_check(client, face)
    assert response.status_code == 302
    authorize = client.get(local_path(response.location))
    assert authorize.status_code == 302
    assert "/auth/callback" in authorize.location
    return authorize


def sign_in(client, app, person: dict, face: bool = False, level="real-name"):
    """Complete the embedded provider's pages and return the portal's final response."""
    authorize = authorization_redirect(client, app, person, face, level)
    return client.get(local_path(authorize.location))


def fresh_totp_code(app, username: str) -> str:
    """The code an authenticator app shows for a time step this account has not used yet:
    each step is accepted once, so quick repeated sign-ins take the next step (waiting for it
    to become valid when needed)."""
    import time

    from portal.auth import totp
    from portal.models import StaffUser

    with app.app_context():
        secret, last = db.session.execute(select(StaffUser.totp_secret, StaffUser.totp_last_step)
                                          .filter_by(username=username)).one()
        db.session.remove()
    now = time.time()
    current = int(now // totp.STEP)
    earliest = current - 1 if now % totp.STEP < totp.STEP - 5 else current  # still valid then
    step = max(earliest, (last or 0) + 1)
    if step > current + 1:  # the server accepts one step of drift ahead
        time.sleep((step - 1) * totp.STEP - now + 0.5)
    return totp.code_at(secret, step * totp.STEP)


_SIGNED_IN = {}  # (app, username) -> session cookie of a staff member signed in earlier


def staff_sign_in(client, app, username: str, password: str = "Demo-2026-pension"):
    """Password, then the TOTP code an authenticator app shows.

    Each TOTP step signs in once, so a test suite signing the same demo staff member in dozens
    of times would wait half a minute per extra sign-in. Instead, a staff member signed in
    earlier in the run keeps that session (as a real one would, in the next browser tab):
    the client gets its cookie while the session is still valid. The sign-in itself is tested
    in test_staff_sign_in.py and test_attempt_limits.py."""
    name = app.config["SESSION_COOKIE_NAME"]
    home = "/assist/" if username.startswith("xieban.") else "/agency/"
    cached = _SIGNED_IN.get((id(app), username))
    if cached and password == "Demo-2026-pension":
        client.set_cookie(name, cached)
        if client.get(home).status_code == 200:
            return
        client.delete_cookie(name)
    page = client.get("/agency/sign-in")
    response = client.post("/agency/sign-in", data={"csrf_token": csrf_token(page),
                                                    "username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    code_page = client.get("/agency/sign-in/code")
    response = client.post("/agency/sign-in/code", data={
        "csrf_token": csrf_token(code_page), "code": fresh_totp_code(app, username)})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.endswith(home)
    _SIGNED_IN[(id(app), username)] = client.get_cookie(name).value


def send_contributions(client, app, body, content_type="text/csv", token=None):
    """POST a tax batch the way the tax department does (第十四条): 202 and the batch's
    status URL at once; returns the status read from it (booked / rejected with the report).
    The job runs inline until a task engine is configured, so the status is final here."""
    token = app.config["TAX_API_TOKEN"] if token is None else token
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.post("/exchange/tax/contributions", data=body, content_type=content_type,
                         headers=headers)
    assert answer.status_code == 202, answer.get_data(as_text=True)
    assert answer.headers["Location"] == answer.json["status_url"]
    status = client.get(answer.json["status_url"], headers=headers)
    assert status.status_code == 200
    return status

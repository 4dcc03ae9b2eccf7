"""Attempt limits and send quotas keyed on the person, phone or account and counted atomically
before the comparison (issue 17 item 1; security.md, second audit).

Each test fires parallel requests from threads at the live server with one session cookie, the
way the audit did, and checks that the real code sent after the limit never signs in.
"""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from argon2 import PasswordHasher
from sqlalchemy import delete, func, select

from portal.auth import totp
from portal.extensions import db
from portal.models import AttemptCounter, OutboxMessage, StaffUser
from tests.integration.helpers import (
    assistant,
    csrf_token,
    identify,
    latest_sms,
    make_resident,
    registry_id,
    start_sign_in,
)

LIMIT = 5


def cookie_of(client, app) -> dict:
    name = app.config["SESSION_COOKIE_NAME"]
    return {name: client.get_cookie(name).value}


def fire(url: str, forms: list[dict], cookies: dict | None = None) -> list[requests.Response]:
    """All forms posted at once (one thread each), answers in the order of `forms`."""
    def post(form):
        return requests.post(url, data=form, cookies=cookies, allow_redirects=False,
                             timeout=60)

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(post, forms))


def wrong_codes(real: str, count: int) -> list[str]:
    return [f"{(int(real) + n) % 1_000_000:06d}" for n in range(1, count + 1)]


def assert_too_many(response):
    assert response.status_code == 429
    text = response.text
    assert "尝试次数过多" in text and "北京时间" in text
    assert re.search(r"请于 \d{2}:\d{2}", text)
    assert int(response.headers["Retry-After"]) > 0


def test_parallel_sms_code_guesses_never_reach_the_real_code(client, app, live_url):
    person = make_resident(app)
    assert identify(client, person).status_code == 302
    real = re.search(r"\d{6}", latest_sms(app, person["phone"])).group(0)
    token = csrf_token(client.get("/idp/verify"))
    codes = wrong_codes(real, 40)
    codes.insert(30, real)  # well after the limit
    answers = fire(live_url + "/idp/verify", [{"csrf_token": token, "code": code}
                                              for code in codes], cookie_of(client, app))
    statuses = [r.status_code for r in answers]
    assert statuses.count(400) == LIMIT  # only that many were ever compared
    assert statuses.count(429) == len(codes) - LIMIT
    assert answers[30].status_code == 429
    assert_too_many(answers[30])
    # …and afterwards, one at a time, the real code still does not sign in.
    assert client.post("/idp/verify", data={"csrf_token": token,
                                            "code": real}).status_code == 429
    assert client.get("/idp/face").status_code == 400  # no authentication happened


def test_the_counter_is_per_person_not_per_cookie(app):
    """A fresh cookie (a new sign-in) does not reset the guesses a person has left."""
    person = make_resident(app)
    for _attempt in range(LIMIT):
        client = app.test_client()
        assert identify(client, person).status_code == 302
        page = client.get("/idp/verify")
        real = re.search(r"\d{6}", latest_sms(app, person["phone"])).group(0)
        assert client.post("/idp/verify", data={"csrf_token": csrf_token(page),
                                                "code": wrong_codes(real, 1)[0]}
                           ).status_code in (400, 429)
    fresh = app.test_client()
    response = identify(fresh, person)
    if response.status_code == 302:  # a code may still be sent …
        page = fresh.get("/idp/verify")
        real = re.search(r"\d{6}", latest_sms(app, person["phone"])).group(0)
        response = fresh.post("/idp/verify", data={"csrf_token": csrf_token(page),
                                                   "code": real})
    assert response.status_code == 429  # … but the person has no guesses left


def test_codes_to_one_phone_are_limited(app, live_url):
    person = make_resident(app)
    forms, cookies = [], []
    for _n in range(12):
        client = app.test_client()
        page = start_sign_in(client)
        forms.append({"csrf_token": csrf_token(page), "name": person["name"],
                      "id_type": person["id_type"], "id_number": person["id_number"],
                      "nationality": ""})
        cookies.append(cookie_of(client, app))

    def post(index):
        return requests.post(live_url + "/idp/identify", data=forms[index],
                             cookies=cookies[index], allow_redirects=False, timeout=60)

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(post, range(12)))
    statuses = [r.status_code for r in answers]
    assert statuses.count(302) == LIMIT and statuses.count(429) == 12 - LIMIT
    assert_too_many(next(r for r in answers if r.status_code == 429))
    with app.app_context():
        sent = db.session.scalar(select(func.count(OutboxMessage.id)).filter_by(
            recipient=person["phone"], kind="sign_in_code"))
        db.session.remove()
    assert sent == LIMIT


def test_identify_lockout_survives_a_fresh_cookie(app):
    person = make_resident(app)
    for _attempt in range(LIMIT):
        assert identify(app.test_client(), person, name="王错名").status_code == 400
    # The right name now, from a new cookie: still refused, before any comparison.
    assert_too_many_response = identify(app.test_client(), person)
    assert assert_too_many_response.status_code == 429
    assert "尝试次数过多" in assert_too_many_response.get_data(as_text=True)


def make_staff(app, username: str) -> str:
    """A staff account of its own, so its lockout touches no other test."""
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with app.app_context():
        db.session.add(StaffUser(username=username, name="测试员", role="county_reviewer",
                                 region_code="539901000000", totp_secret=secret,
                                 password_hash=PasswordHasher().hash("Test-2026-password")))
        db.session.commit()
        db.session.remove()
    return secret


def password_step(client, username, password="Test-2026-password"):
    page = client.get("/agency/sign-in")
    return client.post("/agency/sign-in", data={"csrf_token": csrf_token(page),
                                                "username": username, "password": password})


def test_parallel_totp_guesses_never_reach_the_real_code(client, app, live_url):
    secret = make_staff(app, "limit.totp")
    assert password_step(client, "limit.totp").status_code == 302
    token = csrf_token(client.get("/agency/sign-in/code"))
    real = totp.code_at(secret, time.time())
    codes = wrong_codes(real, 40)
    codes.insert(30, real)
    answers = fire(live_url + "/agency/sign-in/code",
                   [{"csrf_token": token, "code": code} for code in codes],
                   cookie_of(client, app))
    statuses = [r.status_code for r in answers]
    assert 302 not in statuses
    assert statuses.count(400) == LIMIT  # a right password does not count against the account
    assert answers[30].status_code == 429
    assert_too_many(answers[30])


def test_a_totp_code_is_accepted_once(app):
    secret = make_staff(app, "limit.once")
    code = totp.code_at(secret, time.time())
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        assert password_step(client, "limit.once").status_code == 302
    page = first.get("/agency/sign-in/code")
    assert first.post("/agency/sign-in/code", data={"csrf_token": csrf_token(page),
                                                    "code": code}).status_code == 302
    page = second.get("/agency/sign-in/code")
    replay = second.post("/agency/sign-in/code", data={"csrf_token": csrf_token(page),
                                                       "code": code})
    assert replay.status_code == 400 and "动态码不正确" in replay.get_data(as_text=True)


def test_parallel_sign_ins_with_one_totp_code_let_one_in(app, live_url):
    secret = make_staff(app, "limit.race")
    clients = [app.test_client() for _n in range(6)]
    forms, cookies = [], []
    for client in clients:
        assert password_step(client, "limit.race").status_code == 302
        forms.append({"csrf_token": csrf_token(client.get("/agency/sign-in/code"))})
        cookies.append(cookie_of(client, app))
    code = totp.code_at(secret, time.time())  # one code, six browsers
    for form in forms:
        form["code"] = code

    def post(index):
        return requests.post(live_url + "/agency/sign-in/code", data=forms[index],
                             cookies=cookies[index], allow_redirects=False, timeout=60)

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = [r.status_code for r in pool.map(post, range(6))]
    assert statuses.count(302) == 1  # one step, one sign-in


def test_unknown_and_real_usernames_lock_alike(app):
    make_staff(app, "limit.real")
    answers = {}
    for username in ("limit.real", "limit.nobody"):
        client = app.test_client()
        seen = [password_step(client, username, "wrong-password") for _n in range(LIMIT)]
        assert all(r.status_code == 400 for r in seen)
        locked = password_step(client, username, "Test-2026-password")
        answers[username] = (locked.status_code, re.sub(
            r"\d{2}:\d{2}|\d+ 分钟|content=\"[^\"]+\"|value=\"[^\"]+\"", "", locked.get_data(
                as_text=True)))
    assert answers["limit.real"] == answers["limit.nobody"]
    assert answers["limit.real"][0] == 429


def test_parallel_consent_code_guesses_never_reach_the_real_code(app, live_url):
    client = assistant(app)
    person = make_resident(app, village="539901101201")
    page = client.get(f"/assist/residents/{registry_id(app, person['id_number'])}")
    response = client.post(page.request.path, data={
        "csrf_token": csrf_token(page), "flow": "enrolment", "method": "sms",
        "reason": "illness"})
    assert response.status_code == 302 and "/code" in response.location
    code_url = response.location
    token = csrf_token(client.get(code_url))
    with app.app_context():
        sms = db.session.scalar(select(OutboxMessage.body).filter_by(
            kind="consent_code", recipient=person["phone"]).order_by(OutboxMessage.id.desc()))
        db.session.remove()
    real = re.search(r"\d{6}", sms).group(0)
    codes = wrong_codes(real, 30)
    codes.insert(20, real)
    answers = fire(live_url + code_url, [{"csrf_token": token, "code": code}
                                         for code in codes], cookie_of(client, app))
    statuses = [r.status_code for r in answers]
    assert 302 not in statuses and statuses.count(400) == LIMIT
    assert_too_many(answers[20])


def test_counters_are_atomic_rows_in_the_database(app):
    from datetime import timedelta

    from portal.operations import limits

    with app.app_context():
        db.session.execute(delete(AttemptCounter).filter_by(subject="test:atomic"))
        db.session.commit()
        with ThreadPoolExecutor(max_workers=8) as pool:
            def one(_n):
                with app.app_context():
                    return limits.hit("test:atomic", 10, timedelta(minutes=1)).attempt

            numbers = sorted(pool.map(one, range(30)))
        assert numbers == list(range(1, 31))
        db.session.remove()

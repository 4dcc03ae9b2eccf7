"""Helpers every integration test may use: driving the real sign-in with the Flask test client
(the token exchange goes over HTTP), making synthetic residents, claimants and assistants, and
the steps of the flows and of the console. Test modules import these from here (or take the
fixtures in conftest.py), never from another test module.
"""

import io
import itertools
import re
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import select

from conftest import local_path
from portal.extensions import db
from portal.models import (
    Application,
    BenefitDecision,
    InsuranceRelation,
    LedgerEntry,
    OutboxMessage,
    Person,
    PersonalAccount,
    RegistryDeath,
    RegistryEnrolment,
    RegistryPerson,
    RegistryRelative,
    WebSession,
)
from portal.operations import benefits, ledger
from portal.operations.applications import china_today
from portal.rules import ids
from portal.schemes import scheme_for
from tests.pages import Page

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')  # kept for modules that use it


def postgresql_only(app, why: str) -> None:
    """Skip the calling test unless the app runs on PostgreSQL."""
    import pytest

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip(why)


@contextmanager
def every_pooled_connection():
    """The driver connections resting in the app's pool, all held at once (at least one), so
    the one the last request used is among them. Inside an app context."""
    pool = db.engine.pool
    held = [db.engine.raw_connection() for _ in range(max(1, pool.checkedin()))]
    try:
        yield [connection.driver_connection for connection in held]
    finally:
        for connection in held:
            connection.close()


def csrf_token(response) -> str:
    """The page's CSRF token, read from its hidden input (every form carries the same one)."""
    field = Page(response).first("input", name="csrf_token")
    assert field is not None, "page has no CSRF token"
    return field["value"]


def version_of(page) -> str:
    """The application version a review page shows (optimistic locking)."""
    return Page(page).first("input", name="version")["value"]


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


# --- residents and the flows ------------------------------------------------------------------

RESIDENTS_VILLAGE = "539901100201"  # 东山村: where make_resident's people live
_sequence = itertools.count(500)


def make_resident(app, village=RESIDENTS_VILLAGE):
    """A fresh synthetic person in the household register, not yet enrolled."""
    number = next(_sequence)
    person = {
        "key": f"test{number}", "name": f"测试{number}", "id_type": ids.RESIDENT_ID,
        "id_number": ids.compose_resident_id("539901", date(1990, 5, 1), number),
        "nationality": "CHN", "phone": f"139{number:08d}",
    }
    with app.app_context():
        db.session.add(RegistryPerson(
            id_type=person["id_type"], id_number=person["id_number"], name=person["name"],
            sex="M" if number % 2 else "F", birth_date=date(1990, 5, 1), phone=person["phone"],
            hukou_region_code=village, address="青山县青山镇东山村1组1号", alive=True))
        db.session.commit()
        db.session.remove()
    return person


def answer(client, path, **data):
    """GET a question page, then POST the answer with its CSRF token."""
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(page), **data})


def fill_enrolment(client, tier="50000"):
    start = client.get("/apply/enrolment/")
    assert start.status_code == 200
    response = answer(client, "/apply/enrolment/step/student", student="no")
    assert response.location.endswith("/apply/enrolment/step/phone")
    response = answer(client, "/apply/enrolment/step/phone", phone="139 0000 1234")
    assert response.location.endswith("/apply/enrolment/step/address")
    response = answer(client, "/apply/enrolment/step/address", address="青山县青山镇东山村3组8号")
    assert response.location.endswith("/apply/enrolment/step/tier")
    response = answer(client, "/apply/enrolment/step/tier", tier=tier)
    assert response.location.endswith("/apply/enrolment/check")
    return client.get("/apply/enrolment/check")


def submit(client, check_page):
    key = re.search(r'name="submission_key" value="([^"]+)"', check_page.get_data(as_text=True))
    return client.post("/apply/enrolment/check", data={
        "csrf_token": csrf_token(check_page), "declaration": "yes",
        "submission_key": key.group(1)})


def enrol(client, app, person) -> str:
    """Sign in and file an enrolment (第七条); returns its reference."""
    sign_in(client, app, person)
    check_page = fill_enrolment(client)
    response = submit(client, check_page)
    assert response.status_code == 303
    return response.location.rstrip("/").split("/")[-2]


def confirm(client, flow, declaration=True):
    """Submit a flow from its check-answers page; returns the reference."""
    page = client.get(f"/apply/{flow}/check")
    assert page.status_code == 200, page.get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page.get_data(as_text=True))
    data = {"csrf_token": csrf_token(page), "submission_key": key.group(1)}
    if declaration:
        data["declaration"] = "yes"
    response = client.post(f"/apply/{flow}/check", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.location.rstrip("/").split("/")[-2]


def post_documents(client, files):
    page = client.get("/apply/enrolment/step/documents")
    assert page.status_code == 200
    return client.post("/apply/enrolment/step/documents", content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(page),
                             "documents": [(io.BytesIO(data), name) for data, name in files]})


def person_id(app, person) -> int:
    with app.app_context():
        found = db.session.scalar(select(Person.id).filter_by(id_number=person["id_number"]))
        db.session.remove()
    return found


def age_sessions(last_seen=timedelta(0), created=timedelta(0)):
    """Pretend time has passed for every stored session (inside an app context)."""
    for stored in db.session.scalars(select(WebSession)):
        stored.last_seen_at -= last_seen
        stored.created_at -= created
    db.session.commit()


# --- the console -------------------------------------------------------------------------------

def decide(client, reference, decision, reason=""):
    """The county's decision (第八条) from the review page, with the version it showed."""
    page = client.get(f"/agency/applications/{reference}")
    assert page.status_code == 200
    version = re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)
    return client.post(f"/agency/applications/{reference}/decision", data={
        "csrf_token": csrf_token(page), "decision": decision, "reason": reason,
        "version": version})


def staff_post(client, reference, action, **data):
    """Any lifecycle action from the review page (its version unless given)."""
    page = client.get(f"/agency/applications/{reference}")
    assert page.status_code == 200
    if "version" not in data:
        data["version"] = version_of(page)
    return client.post(f"/agency/applications/{reference}/{action}", data={
        "csrf_token": csrf_token(page), **data})


# --- claims (第二十二条至第二十九条) -------------------------------------------------------------

_claimants = itertools.count(700)
BANK_ACCOUNT = "6217000010000000003"  # Luhn-valid, synthetic


def make_claimant(app, years=16, employee_scheme=False, village="539901100201"):
    """A resident turning 60 in ten days, enrolled since 2009, with `years` contributions."""
    number = next(_claimants)
    born = china_today() + timedelta(days=10)
    born = born.replace(year=born.year - 60) if not (born.month == 2 and born.day == 29) else \
        date(born.year - 60, 2, 28)
    id_number = ids.compose_resident_id("539901", born, number)
    person = {"name": f"领取{number}", "id_type": ids.RESIDENT_ID, "id_number": id_number,
              "nationality": "CHN", "phone": f"136{number:08d}"}
    with app.app_context():
        db.session.add(RegistryPerson(id_type=ids.RESIDENT_ID, id_number=id_number,
                                      name=person["name"], sex="M", birth_date=born,
                                      phone=person["phone"], hukou_region_code=village,
                                      address="青山县青山镇东山村5组1号", alive=True))
        if employee_scheme:
            db.session.add(RegistryEnrolment(id_number=id_number, scheme="employee",
                                             region_code="539901000000", status="receiving"))
        resident = Person(id_type=ids.RESIDENT_ID, id_number=id_number, name=person["name"],
                          birth_date=born, phone=person["phone"])
        db.session.add(resident)
        db.session.flush()
        relation = InsuranceRelation(person_id=resident.id, region_code="539901000000",
                                     status="contributing", started_on=date(2009, 10, 1),
                                     contribution_tier_fen=50000)
        db.session.add(relation)
        db.session.flush()
        db.session.add(PersonalAccount(person_id=resident.id, relation_id=relation.id,
                                       opened_on=date(2009, 10, 1)))
        db.session.commit()
        db.session.remove()
    rows = "\n".join(f"C{id_number}{year},{id_number},{year},50000,{year}-05-10,person"
                     for year in range(2026 - years, 2026))
    book_rows(app, rows)
    person["born"] = born
    return person


def file_claim(client, app, person):
    sign_in(client, app, person, face=True, level="face")
    start = client.get("/apply/claim/")
    assert start.status_code == 200, start.get_data(as_text=True)
    assert answer(client, "/apply/claim/step/details_right", details_right="yes").status_code \
        == 302
    bad = answer(client, "/apply/claim/step/bank_account", bank_account="6217000010000000008")
    assert bad.status_code == 400 and "有误" in bad.get_data(as_text=True)
    assert answer(client, "/apply/claim/step/bank_account",
                  bank_account=BANK_ACCOUNT).status_code == 302
    assert answer(client, "/apply/claim/step/other_pension", other_pension="no").status_code \
        == 302
    return confirm(client, "claim")


def become_beneficiary(client, app, person) -> int:
    """Claim, 核定 by a reviewer, 复核 by a checker, and the resident's confirmation."""
    reference = file_claim(client, app, person)
    reviewer, checker = app.test_client(), app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    staff_sign_in(checker, app, "checker.qingshan")
    staff_post(reviewer, reference, "benefit")
    staff_post(checker, reference, "benefit-check", verdict="approve")
    page = client.get("/me/pension")
    client.post("/me/pension/confirm", data={"csrf_token": csrf_token(page)})
    return person_id(app, person)


# --- village assistants (第四条、第三十二条) ------------------------------------------------

VILLAGE = "539901101201"  # 石桥村, xieban.shiqiao's village


def assistant(app):
    """A client signed in as the village assistant of 石桥村 (both factors)."""
    client = app.test_client()
    staff_sign_in(client, app, "xieban.shiqiao")
    assert client.get("/assist/").status_code == 200
    return client


def registry_id(app, id_number):
    with app.app_context():
        found = db.session.scalar(select(RegistryPerson.id).filter_by(id_number=id_number))
        db.session.remove()
    return found


def record_death(app, person, died):
    """The civil affairs registry records a death (第六条 data comparison)."""
    with app.app_context():
        db.session.add(RegistryDeath(id_number=person["id_number"], death_date=died,
                                     source="civil_affairs"))
        db.session.commit()
        db.session.remove()


def report_death(client, person, died="2026-10-20"):
    """An assistant reports a death in their village (第三十二条)."""
    page = client.get("/assist/deaths")
    return client.post("/assist/deaths", data={
        "csrf_token": csrf_token(page), "name": person["name"],
        "id_number": person["id_number"], "death_date": died})


def forward_death_reports(app):
    """The township clerk forwards the village reports; returns the page they saw."""
    clerk = app.test_client()
    staff_sign_in(clerk, app, "clerk.shiqiao")
    page = clerk.get("/agency/death-reports")
    assert clerk.post("/agency/death-reports/forward",
                      data={"csrf_token": csrf_token(page)}).status_code == 302
    return page.get_data(as_text=True)


# --- the tax department's interface (第十四条) ---------------------------------------------------

def book_rows(app, rows: str, client=None):
    """Contribution rows (without the header) sent the way the tax department sends them
    (第十四条) and booked: 202 at once, then the batch's status says booked. The one place
    the test helpers talk to the tax interface."""
    booked = send_contributions(client or app.test_client(), app,
                                "tax_ref,id_number,year,amount_fen,paid_on,payer\n" + rows)
    assert booked.json["status"] == "booked", booked.json
    return booked


def csv_batch(*rows) -> bytes:
    lines = ["tax_ref,id_number,year,amount_fen,paid_on,payer"]
    lines += [",".join(str(v) for v in row) for row in rows]
    return "\n".join(lines).encode()


def post_contributions(client, app, body: bytes, content_type="text/csv", token=None):
    token = token if token is not None else app.config["TAX_API_TOKEN"]
    return client.post("/exchange/tax/contributions", data=body, content_type=content_type,
                       headers={"Authorization": f"Bearer {token}"} if token else {})


# --- kiosks --------------------------------------------------------------------------------------

DEVICE = "KIOSK-539901101-01"  # the demo terminal (portal/demo/loader.py)


def card(person):
    """What a terminal's card reader reads from a resident's identity card."""
    return {"name": person["name"], "id_type": person["id_type"],
            "id_number": person["id_number"]}


# --- ending the insurance (第三十八条、第三十九条) and disputes (第二十条) ---------------------

_relatives = itertools.count(600)


def registry_person(app, county="539901", village="539901100201", born=date(1975, 3, 3)):
    number = next(_relatives)
    person = {"name": f"家属{number}", "id_type": ids.RESIDENT_ID,
              "id_number": ids.compose_resident_id(county, born, number), "nationality": "CHN",
              "phone": f"135{number:08d}"}
    with app.app_context():
        db.session.add(RegistryPerson(id_type=ids.RESIDENT_ID, id_number=person["id_number"],
                                      name=person["name"], sex="F", birth_date=born,
                                      phone=person["phone"], hukou_region_code=village,
                                      address="青山县青山镇东山村6组2号", alive=True))
        db.session.commit()
        db.session.remove()
    return person


def run_payments(run_id):
    from portal.models import BenefitPayment

    return db.session.scalars(select(BenefitPayment).filter_by(run_id=run_id)).all()


def beneficiary_paid_until(app, paid_until: date, died_on: date):
    """A pensioner paid every month up to `paid_until` who died on `died_on`, and their child."""
    client = app.test_client()
    person = make_claimant(app)
    pid = become_beneficiary(client, app, person)
    heir = registry_person(app)
    with app.app_context():
        run = benefits.run_month(paid_until, actor="test")
        mine = [p for p in run_payments(run.id) if p.person_id == pid]
        benefits.import_bank_result("payment_id,status\n" + "\n".join(
            f"{p.id},paid" for p in mine), actor="test")
        db.session.add(RegistryDeath(id_number=person["id_number"], death_date=died_on,
                                     source="civil_affairs"))
        db.session.add(RegistryRelative(id_number=heir["id_number"],
                                        relative_id_number=person["id_number"],
                                        relation="child"))
        db.session.commit()
        db.session.remove()
    return person, heir, pid


def file_deregistration(client, app, heir, deceased):
    sign_in(client, app, heir, face=True, level="face")
    assert client.get("/apply/deregistration/").status_code == 200
    assert answer(client, "/apply/deregistration/step/ground", ground="death").status_code == 302
    response = answer(client, "/apply/deregistration/step/deceased",
                      deceased_name=deceased["name"], deceased_id_number=deceased["id_number"])
    if response.status_code != 302:
        return response
    assert answer(client, "/apply/deregistration/step/bank_account",
                  bank_account=BANK_ACCOUNT).status_code == 302
    page = client.get("/apply/deregistration/check")
    assert "不需要" in page.get_data(as_text=True) or "死亡证明" in page.get_data(as_text=True)
    return confirm(client, "deregistration")


def settle(app, reference, preparer="reviewer.qingshan", approver="checker.qingshan"):
    """第三十九条 and 第六十二条: one member of staff deregisters and computes the settlement, a
    different one approves it; the preparer cannot approve it themself."""
    staff = app.test_client()
    staff_sign_in(staff, app, preparer)
    review = staff.get(f"/agency/applications/{reference}").get_data(as_text=True)
    response = staff_post(staff, reference, "settlement")
    assert response.status_code == 302, response.get_data(as_text=True)
    checker = app.test_client()
    staff_sign_in(checker, app, approver)
    response = staff_post(checker, reference, "settlement-check", verdict="approve")
    assert response.status_code == 302, response.get_data(as_text=True)
    return staff, review



def approve(app, reference, username="reviewer.qingshan"):
    staff = app.test_client()
    staff_sign_in(staff, app, username)
    review = staff.get(f"/agency/applications/{reference}").get_data(as_text=True)
    response = staff_post(staff, reference, "decision", decision="approve")
    assert response.status_code == 302, response.get_data(as_text=True)
    return staff, review


def enrolled_in(app, county: str, years=5):
    """A contributor insured in `county` whose household registration has just moved to
    青山县 (539901)."""
    person = registry_person(app, county=county[:6], village="539901100201")
    with app.app_context():
        db.session.add(RegistryEnrolment(id_number=person["id_number"], scheme="resident",
                                         region_code=county, status="contributing",
                                         since=date(2019, 1, 1)))
        resident = Person(id_type=ids.RESIDENT_ID, id_number=person["id_number"],
                          name=person["name"], birth_date=date(1975, 3, 3), phone=person["phone"])
        db.session.add(resident)
        db.session.flush()
        if county.startswith("5399"):
            relation = InsuranceRelation(person_id=resident.id, region_code=county,
                                         status="contributing", started_on=date(2019, 1, 1),
                                         contribution_tier_fen=50000)
            db.session.add(relation)
            db.session.flush()
            db.session.add(PersonalAccount(person_id=resident.id, relation_id=relation.id,
                                           opened_on=date(2019, 1, 1)))
        db.session.commit()
        db.session.remove()
    if county.startswith("5399"):
        rows = "\n".join(f"T{person['id_number']}{y},{person['id_number']},{y},50000,"
                         f"{y}-05-10,person" for y in range(2025 - years + 1, 2026))
        book_rows(app, rows)
    return person


def apply_transfer(client, app, person):
    sign_in(client, app, person, face=True, level="face")
    start = client.get("/apply/transfer_in/")
    assert start.status_code == 200, start.get_data(as_text=True)
    assert answer(client, "/apply/transfer_in/step/confirm_transfer",
                  confirm_transfer="yes").status_code == 302
    return confirm(client, "transfer_in")


def file_dispute_about(client, subject, text):
    """A dispute about `subject`: account (第二十条), benefit (第二十五条) or transfer
    (第四十四条)."""
    assert answer(client, "/apply/dispute/step/subject", subject=subject).status_code == 302
    assert answer(client, "/apply/dispute/step/what_is_wrong",
                  what_is_wrong=text).status_code == 302
    page = client.get("/apply/dispute/step/evidence")
    response = client.post("/apply/dispute/step/evidence", data={"csrf_token": csrf_token(page)},
                           content_type="multipart/form-data")
    assert response.location.endswith("/apply/dispute/check")
    return confirm(client, "dispute")



def book_contribution(client, app, resident, amount=50000, year=2025):
    book_rows(app, f"D{resident['id_number']}{year},{resident['id_number']},{year},{amount},"
                   f"{year}-05-10,person", client=client)


def account_state(app, resident):
    with app.app_context():
        person = db.session.scalar(select(Person).filter_by(id_number=resident["id_number"]))
        account = ledger.account_of(person.id)
        entries = db.session.scalars(select(LedgerEntry).filter_by(account_id=account.id)
                                     .order_by(LedgerEntry.id)).all()
        state = ledger.balance_fen(account.id), [(e.id, e.kind, e.amount_fen) for e in entries]
        db.session.remove()
    return state


def file_dispute(client, text="2025年的个人缴费金额不对，我交的是500元"):
    """A dispute about the personal account record (第二十条)."""
    return file_dispute_about(client, "account", text)


# --- money examples (inside an app context; the caller commits) ---------------------------------

SCHEME = scheme_for("530000")
BANK = "6217000010000000003"
_serial = iter(range(1, 10_000))


def new_person(birth: date, name="钱", phone=None) -> Person:
    number = ids.compose_resident_id("539901", birth, 700 + next(_serial))
    db.session.add(RegistryPerson(id_type=ids.RESIDENT_ID, id_number=number, name=name,
                                  birth_date=birth, alive=True, phone=phone,
                                  hukou_region_code="539901100201"))
    person = Person(id_type=ids.RESIDENT_ID, id_number=number, name=name, birth_date=birth,
                    phone=phone)
    db.session.add(person)
    db.session.flush()
    return person


def insure(person: Person, since: date, status="contributing") -> PersonalAccount:
    relation = InsuranceRelation(person_id=person.id, region_code="539901000000", status=status,
                                 started_on=since)
    db.session.add(relation)
    db.session.flush()
    account = PersonalAccount(person_id=person.id, relation_id=relation.id, opened_on=since)
    db.session.add(account)
    db.session.flush()
    return account


def claim_application(person: Person, **answers) -> Application:
    serial = next(_serial)
    item = Application(reference=f"539901M{serial:09d}", kind="claim", person_id=person.id,
                       region_code="539901000000", filed_by=person.get_id(),
                       filed_by_kind="resident", channel="online",
                       submission_key=f"money-{serial}", received_on=china_today(),
                       due_on=china_today(), answers={"bank_account": BANK, **answers})
    db.session.add(item)
    db.session.flush()
    return item


def pensioner(since: date, balance_fen=0, account_fen=0, phone=None, birth=date(1950, 5, 5),
              years=15) -> Person:
    """Somebody receiving a pension since `since`, with a confirmed decision and a balance."""
    person = new_person(birth, phone=phone)
    account = insure(person, date(2009, 10, 1), status="receiving")
    relation = db.session.get(InsuranceRelation, account.relation_id)
    relation.benefit_from = since
    if balance_fen:
        db.session.add(LedgerEntry(account_id=account.id, kind="transfer_in",
                                   amount_fen=balance_fen, booked_on=date(2025, 12, 20),
                                   year=2025, source_key=f"money-opening:{person.id}"))
    item = claim_application(person)
    item.status = "approved"
    db.session.add(BenefitDecision(
        application_id=item.id, person_id=person.id, eligible_on=since, first_month=since,
        balance_fen=balance_fen, basic_fen=SCHEME["basic_pension_fen"]["2018"],
        account_fen=account_fen, years_paid=years, bank_account=BANK, prepared_by="staff:1",
        checked_by="staff:2", status="confirmed"))
    db.session.commit()
    return person


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

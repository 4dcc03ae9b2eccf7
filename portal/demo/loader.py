"""Loads portal/demo/people.json into an empty database (never in production).

The same file is what tests read, so the README's demo table, the tests and the running demo agree.
"""

import json
from datetime import date
from pathlib import Path

from argon2 import PasswordHasher
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    InsuranceRelation,
    Person,
    PersonalAccount,
    Region,
    RegistryActivity,
    RegistryDeath,
    RegistryDisability,
    RegistryEnrolment,
    RegistryPerson,
    RegistryRelative,
    StaffUser,
)
from ..operations import audit
from ..operations.interest import credit_year
from ..operations.tax_import import import_batch
from ..rules.interest import rate_for
from ..schemes import scheme_for

PEOPLE_FILE = Path(__file__).with_name("people.json")


def demo_data() -> dict:
    return json.loads(PEOPLE_FILE.read_text(encoding="utf-8"))


def _date(value):
    return date.fromisoformat(value) if value else None


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(RegistryPerson))


def load_demo() -> dict:
    """All or nothing: one transaction for the whole demo set."""
    data = demo_data()
    session = db.session
    for region in data["regions"]:
        session.add(Region(code=region["code"], name=region["name"], name_en=region["name_en"],
                           level=region["level"], parent_code=region["parent"]))
    session.flush()
    by_key = {person["key"]: person for person in data["people"]}
    for person in data["people"]:
        session.add(_registry_person(person))
        for enrolment in person["enrolments"]:
            session.add(RegistryEnrolment(
                id_number=person["id_number"], scheme=enrolment["scheme"],
                region_code=enrolment["region"], status=enrolment["status"],
                since=_date(enrolment["since"]),
            ))
        for death in person["deaths"]:
            session.add(RegistryDeath(id_number=person["id_number"], source=death["source"],
                                      death_date=_date(death["date"]),
                                      recorded_on=_date(death.get("recorded_on"))))
        for trace in person.get("activities", []):
            # Medical-insurance visits and civil-affairs records: traces of life (静默认证).
            session.add(RegistryActivity(id_number=person["id_number"], kind=trace["kind"],
                                         occurred_on=_date(trace["on"]),
                                         region_code=trace.get("region")))
        if person["disability_grade"]:
            session.add(RegistryDisability(id_number=person["id_number"],
                                           grade=person["disability_grade"]))
        for relative in person["relatives"]:
            session.add(RegistryRelative(
                id_number=person["id_number"],
                relative_id_number=by_key[relative["of"]]["id_number"],
                relation=relative["relation"],
            ))
        if _known_to_agency(person):
            resident = Person(
                id_type=person["id_type"], id_number=person["id_number"], name=person["name"],
                sex=person["sex"], birth_date=_date(person["birth_date"]), phone=person["phone"],
                hukou_region_code=person["hukou_region"],
            )
            session.add(resident)
            session.flush()
            _open_account(resident, person)
    hasher = PasswordHasher()
    password_hash = hasher.hash(data["demo_staff_password"])
    for staff in data["staff"]:
        session.add(StaffUser(username=staff["username"], name=staff["name"], role=staff["role"],
                              region_code=staff["region"], password_hash=password_hash,
                              totp_secret=staff["totp_secret"]))
    audit.record("demo_load", actor="system", channel="system",
                 detail={"people": len(data["people"]), "staff": len(data["staff"])})
    session.commit()
    _contribution_history(data)
    _pensions_in_payment(data)
    _demo_terminal()
    return {"regions": len(data["regions"]), "people": len(data["people"]),
            "staff": len(data["staff"])}


LAST_CREDITED_YEAR = 2025


def _open_account(resident: Person, person: dict) -> None:
    enrolment = next(e for e in person["enrolments"] if e["scheme"] == "resident")
    since = _date(enrolment["since"])
    relation = InsuranceRelation(person_id=resident.id, region_code=enrolment["region"],
                                 status=enrolment["status"], started_on=since,
                                 contribution_tier_fen=person.get("tier_fen"))
    db.session.add(relation)
    db.session.flush()
    db.session.add(PersonalAccount(person_id=resident.id, relation_id=relation.id,
                                   opened_on=since))


def _contribution_history(data: dict) -> None:
    """Years of contributions through the real tax interface, then each year's interest."""
    scheme = scheme_for(current_app.config["SCHEME_PROVINCE"])
    lines = ["tax_ref,id_number,year,amount_fen,paid_on,payer"]
    first_year = LAST_CREDITED_YEAR
    for person in data["people"]:
        if not _known_to_agency(person) or not person.get("tier_fen"):
            continue
        since = _date(next(e for e in person["enrolments"] if e["scheme"] == "resident")["since"])
        born = _date(person["birth_date"])
        # This year's contribution has arrived too for the young, unless the demo person is
        # one who has not paid yet this year (paid_this_year: false).
        this_year = LAST_CREDITED_YEAR + (1 if person.get("paid_this_year", True) else 0)
        last = min(this_year, born.year + 60 - 1)
        payer = "government" if person.get("disability_grade") in (1, 2) else "person"
        for year in range(since.year, last + 1):
            lines.append(f"DEMO-{person['key']}-{year},{person['id_number']},{year},"
                         f"{person['tier_fen']},{year}-05-20,{payer}")
            first_year = min(first_year, year)
    batch = import_batch("\n".join(lines).encode(), "text/csv", scheme, "system:demo")
    if batch.status != "booked":
        raise RuntimeError(f"demo contributions rejected: {batch.report}")
    for year in range(first_year, LAST_CREDITED_YEAR + 1):
        credit_year(year, rate_for(scheme, year), actor="system:demo",
                    notify=year == LAST_CREDITED_YEAR)


def _known_to_agency(person: dict) -> bool:
    """People already insured in this county's scheme exist in the agency's records."""
    return any(e["scheme"] == "resident" and e["region"].startswith("539901")
               for e in person["enrolments"])


def _registry_person(person: dict) -> RegistryPerson:
    return RegistryPerson(
        id_type=person["id_type"], id_number=person["id_number"],
        nationality=person["nationality"], name=person["name"], sex=person["sex"],
        birth_date=_date(person["birth_date"]), ethnicity=person["ethnicity"],
        phone=person["phone"], hukou_region_code=person["hukou_region"],
        address=person["address"], alive=person["alive"], death_date=_date(person["death_date"]),
    )


DEMO_BANK_ACCOUNT = "6217000010000000003"  # synthetic, Luhn-valid
PAID_MONTHS = (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1))  # the bank has answered
SENT_MONTH = date(2026, 11, 1)  # sent to the bank, no answer yet


def _pensions_in_payment(data: dict) -> None:
    """Beneficiaries get the decision they confirmed back then and their payments through the
    real payment run; the first run (August) also carries all earlier months as history."""
    from ..models import Application, BenefitDecision, BenefitPayment, EligibilityCheck
    from ..operations import benefits, ledger
    from ..rules import benefits as rules

    scheme = scheme_for(current_app.config["SCHEME_PROVINCE"])
    for person in data["people"]:
        enrolment = next((e for e in person["enrolments"] if e["scheme"] == "resident"), None)
        if not _known_to_agency(person) or enrolment["status"] != "receiving":
            continue
        resident = db.session.scalar(select(Person).filter_by(id_number=person["id_number"]))
        relation = db.session.scalar(select(InsuranceRelation).filter_by(person_id=resident.id))
        since = _date(enrolment["since"])
        account = ledger.account_of(resident.id)
        balance = ledger.balance_fen(account.id, since)
        basic, account_part = rules.monthly_benefit(scheme, since, relation.region_code, balance)
        claim = Application(
            reference=f"{relation.region_code[:6]}DEMO{resident.id:05d}", kind="claim",
            person_id=resident.id, region_code=relation.region_code, filed_by="staff:demo",
            filed_by_kind="staff", channel="counter", submission_key=f"demo-claim-{resident.id}",
            received_on=since, due_on=since, status="approved",
            answers={"bank_account": DEMO_BANK_ACCOUNT})
        db.session.add(claim)
        db.session.flush()
        db.session.add(BenefitDecision(
            application_id=claim.id, person_id=resident.id, eligible_on=since, first_month=since,
            balance_fen=balance, basic_fen=basic, account_fen=account_part,
            years_paid=len(ledger.contribution_years(account.id)),
            bank_account=DEMO_BANK_ACCOUNT, prepared_by="staff:demo", checked_by="staff:demo",
            status="confirmed"))
        relation.benefit_from = since
        confirmed = person.get("eligibility_confirmed") or {"on": "2026-03-16",
                                                            "method": "data_comparison"}
        db.session.add(EligibilityCheck(person_id=resident.id,
                                        confirmed_on=_date(confirmed["on"]),
                                        method=confirmed["method"], actor="system:demo",
                                        channel="system", evidence={}))
    db.session.commit()
    # Each run compared the registries on the day it was built: 赵德福's death (5 October) was
    # registered by civil affairs only on 10 November, after the November run had gone out.
    for month in (*PAID_MONTHS, SENT_MONTH):
        benefits.run_month(month, actor="system:demo", checked_on=month)
    paid = db.session.scalars(select(BenefitPayment.id).filter(
        BenefitPayment.month < SENT_MONTH)).all()
    if paid:
        benefits.import_bank_result("payment_id,status\n" + "\n".join(
            f"{payment_id},paid" for payment_id in paid), actor="system:demo")


DEMO_TERMINAL = "KIOSK-539901101-01"


def _demo_terminal() -> None:
    """One registered terminal in 石桥乡; its private key is generated into instance/ (never in
    the repository) for `python -m kiosk.agent --key instance/kiosk_terminal.key`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ..operations import kiosk

    key = Ed25519PrivateKey.generate()
    path = Path(current_app.instance_path) / "kiosk_terminal.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.private_bytes(serialization.Encoding.Raw,
                                       serialization.PrivateFormat.Raw,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    kiosk.register(DEMO_TERMINAL, "石桥乡便民服务中心 1号机", "539901101000",
                   kiosk.b64encode(public), actor="system:demo")

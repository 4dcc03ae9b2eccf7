"""The money right to the fen: worked examples, each citing its article.

Payment runs are per month for everybody, so the one December 2026 run these examples share is
built once, by the module fixture, after every pensioner it needs exists. Later months used here
(2041–2042) are used by no other test.
"""

import copy
from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Application,
    BenefitDecision,
    BenefitPayment,
    EligibilityCheck,
    InsuranceRelation,
    LedgerEntry,
    OutboxMessage,
    PaymentRun,
    Person,
    RefusedContribution,
    RegistryCustody,
    RegistryDeath,
    RegistryEnrolment,
    RegistryRelative,
    TransferCase,
)
from portal.operations import (
    approvals,
    benefits,
    closure,
    interest,
    ledger,
    tax_import,
    transitions,
)
from portal.operations.applications import china_today
from portal.rules.interest import interest_to_date, yearly_interest
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    BANK,
    SCHEME,
    claim_application,
    insure,
    new_person,
    pensioner,
    send_contributions,
    staff_sign_in,
)


class Staff:
    def __init__(self, number, role="county_reviewer"):
        self.number, self.role = number, role

    def get_id(self):
        return f"staff:{self.number}"


def bank_pays(run: PaymentRun, person_ids) -> None:
    mine = db.session.scalars(select(BenefitPayment).filter(
        BenefitPayment.run_id == run.id, BenefitPayment.person_id.in_(list(person_ids)))).all()
    benefits.import_bank_result("payment_id,status\n" + "\n".join(f"{p.id},paid" for p in mine),
                                actor="test:bank")


def payments(person_id, run=None):
    query = select(BenefitPayment).filter_by(person_id=person_id)
    if run is not None:
        query = query.filter_by(run_id=run.id)
    return db.session.scalars(query.order_by(BenefitPayment.month)).all()


def person_of(demo, key) -> Person:
    return db.session.scalar(select(Person).filter_by(
        id_number=demo["by_key"][key]["id_number"]))


@pytest.fixture(scope="module")
def december(app, demo):
    """The December 2026 run, built on 20 November (before the death of the heirs' example was
    registered on 22 November), with the bank's answer for everybody."""
    with app.test_request_context():
        heirs_case = pensioner(date(2026, 10, 1), balance_fen=139_000, account_fen=1_000)
        heir = new_person(date(1975, 6, 6), "钱继承", phone="13512345670")
        db.session.add(RegistryRelative(id_number=heir.id_number,
                                        relative_id_number=heirs_case.id_number,
                                        relation="child"))
        db.session.add(RegistryDeath(id_number=heirs_case.id_number,
                                     death_date=date(2026, 10, 5), source="civil_affairs",
                                     recorded_on=date(2026, 11, 22)))
        other_pension = pensioner(date(2025, 1, 1), balance_fen=278_000, account_fen=2_000)
        db.session.add(RegistryEnrolment(id_number=other_pension.id_number, scheme="employee",
                                         region_code="539901000000", status="receiving",
                                         since=date(2026, 3, 15)))
        db.session.commit()
        run = benefits.run_month(date(2026, 12, 1), actor="test",
                                 checked_on=date(2026, 11, 20))
        everybody = {p.person_id for p in payments_of_run(run)}
        bank_pays(run, everybody)
        ids_ = {"heirs_case": heirs_case.id, "heir": heir.id, "other_pension": other_pension.id,
                "run": run.id}
        db.session.remove()
    return ids_


def payments_of_run(run):
    return db.session.scalars(select(BenefitPayment).filter_by(run_id=run.id)).all()


# 1. 第二十七条: each month at the basic pension in force that month -----------------------------

def test_the_basic_pension_follows_each_years_rate(app, demo, december):
    with app.app_context():
        since_2018 = person_of(demo, "receiving")
        since_2009 = person_of(demo, "limited_mobility")
        for person in (since_2018, since_2009):
            by_month = {p.month: p for p in payments(person.id)}
            # 2026 months at 163.00 (the scheme's 2026 rate), not the 88.00 or 55.00 decided.
            assert by_month[date(2026, 11, 1)].basic_fen == 16300
            assert by_month[date(2026, 12, 1)].basic_fen == 16300
        # Arrears at each month's own rate: 2018 at 88.00, 2024 at 123.00.
        assert {p.month: p.basic_fen for p in payments(since_2018.id)}[date(2018, 6, 1)] == 8800
        assert {p.month: p.basic_fen for p in payments(since_2009.id)}[date(2009, 10, 1)] == 5500
        assert {p.month: p.basic_fen for p in payments(since_2009.id)}[date(2024, 7, 1)] == 12300
        db.session.remove()


def test_a_pensioner_is_told_the_new_amount_when_the_rate_changes(app, demo, december,
                                                                   monkeypatch):
    """A 2042 rate of 200.00: the first run at the new rate tells each pensioner, in the
    message centre and by SMS, with both parts."""
    raised = copy.deepcopy(SCHEME)
    raised["basic_pension_fen"]["2042"] = 20000
    monkeypatch.setattr(benefits, "scheme_for", lambda _code: raised)
    with app.test_request_context():
        person = pensioner(date(2041, 11, 1), balance_fen=139_000, account_fen=1_000,
                           phone="13512345671")
        benefits.run_month(date(2041, 12, 1), actor="test", checked_on=date(2041, 12, 1))
        benefits.run_month(date(2042, 1, 1), actor="test", checked_on=date(2042, 1, 1))
        told = db.session.scalars(select(OutboxMessage).filter_by(
            person_id=person.id, kind="pension_amount_changed")).all()
        assert sorted(m.channel for m in told) == ["in_app", "sms"]
        assert "210.00" in told[0].body and "200.00" in told[0].body and "10.00" in told[0].body
        assert payments(person.id)[-1].basic_fen == 20000
        db.session.remove()


def test_long_contribution_extra_applies_when_configured(app, monkeypatch):
    """加发: 1.00 yuan a month per year beyond 15, where the province configures it."""
    from portal.rules import benefits as rules

    scheme = copy.deepcopy(SCHEME)
    assert rules.basic_pension_fen(scheme, 2026, "539901000000", 20) == 16300  # default none
    scheme["long_contribution_fen_per_year"] = {"2020": 100}
    assert rules.basic_pension_fen(scheme, 2026, "539901000000", 20) == 16300 + 5 * 100
    assert rules.basic_pension_fen(scheme, 2026, "539901000000", 12) == 16300


def test_the_pension_page_shows_this_years_amount_and_its_two_parts(client, app, demo):
    from tests.integration.helpers import sign_in

    sign_in(client, app, demo["by_key"]["receiving"])
    page = client.get("/me/pension").get_data(as_text=True)
    assert "¥163.00" in page and "¥88.00" not in page


# 2. 第六条、第三十条、第三十一条、第三十三条: the dead are never paid ---------------------------

def test_the_december_run_does_not_pay_the_dead(app, demo, december):
    with app.app_context():
        dead = person_of(demo, "deceased")
        run = db.session.get(PaymentRun, december["run"])
        assert [p for p in payments(dead.id, run)] == []
        relation = db.session.scalar(select(InsuranceRelation).filter_by(person_id=dead.id))
        # From the month after the recorded death (2026-10-05): November on.
        assert relation.suspended_from == date(2026, 11, 1)
        assert relation.suspension_reason == "death_recorded"
        # The heir is invited to deregister (第三十八条).
        heir_phone = demo["by_key"]["heir"]["phone"]
        assert db.session.scalar(select(OutboxMessage).filter_by(recipient=heir_phone,
                                                                 kind="heir_invited"))
        db.session.remove()


def test_the_county_lists_who_the_comparison_suspended(app, demo, december):
    checker = app.test_client()
    staff_sign_in(checker, app, "checker.qingshan")
    page = checker.get("/agency/payments").get_data(as_text=True)
    assert "赵德福" in page and "2026-10-05" in page


def test_a_prison_sentence_stops_the_pension_without_back_pay(app):
    """第三十条, 劳社厅函〔2001〕44号: nothing while serving; after release paid again, the
    months served never."""
    with app.test_request_context():
        person = pensioner(date(2041, 1, 1), account_fen=0)
        jailed = new_person(date(1950, 1, 1))  # a suspended sentence keeps the pension
        db.session.add(RegistryCustody(id_number=person.id_number, started_on=date(2041, 2, 10),
                                       released_on=date(2041, 5, 3)))
        db.session.commit()
        benefits.run_month(date(2041, 3, 1), actor="test", checked_on=date(2041, 3, 1))
        relation = db.session.scalar(select(InsuranceRelation).filter_by(person_id=person.id))
        assert relation.suspended_from == date(2041, 3, 1)
        assert relation.suspension_reason == "imprisonment"
        assert [p.month for p in payments(person.id)] == [date(2041, 1, 1), date(2041, 2, 1)]
        benefits.run_month(date(2041, 6, 1), actor="test", checked_on=date(2041, 6, 1))
        # Released on 3 May: March, April and May are forfeited; June is paid.
        assert [p.month for p in payments(person.id)] == [
            date(2041, 1, 1), date(2041, 2, 1), date(2041, 6, 1)]
        assert jailed.id  # unused beyond existing
        db.session.remove()


def test_a_suspended_sentence_keeps_the_pension(app):
    with app.test_request_context():
        person = pensioner(date(2042, 3, 1))
        db.session.add(RegistryCustody(id_number=person.id_number, started_on=date(2042, 3, 5),
                                       suspended_sentence=True))
        db.session.commit()
        benefits.run_month(date(2042, 4, 1), actor="test", checked_on=date(2042, 4, 1))
        assert [p.month for p in payments(person.id)] == [date(2042, 3, 1), date(2042, 4, 1)]
        db.session.remove()


# 3. 第三十六条: heirs get balance + funeral subsidy − overpaid, each fen counted once -----------

def test_the_heir_is_not_shorted(app, december):
    """Death 2026-10-05, registered 2026-11-22, after the December run (built 20 November)
    paid October, November and December at 163.00 + 10.00 each. November and December are
    overpaid: 2 × 173.00 = 346.00. Their account parts already left the balance; they go back
    in first, so each overpaid fen is deducted once:
    1 390.00 − 10.00 (October, rightly paid) + interest to date + 500.00 − 346.00.
    On 2026-11-25 the interest to date is 1 390.00 × 1.50 % × 10/12 = 17.38 (2026's rate is
    not out: 2025's, 第三十九条), so 1 561.38 is paid to the heir, not 1 541.38."""
    with app.test_request_context():
        deceased = db.session.get(Person, december["heirs_case"])
        heir = db.session.get(Person, december["heir"])
        item = claim_application(heir, ground="death", deceased_id_number=deceased.id_number)
        item.kind = "deregistration"
        closure.deregistration_submitted(item, heir.get_id(), "online")
        settlement = closure.deregister(item, "staff:1", "counter")
        db.session.commit()
        # 第六十二条: the account closes and the bank is told only once someone else approves.
        assert ledger.balance_fen(ledger.account_of(deceased.id).id) == settlement.balance_fen
        approvals.approve(approvals.for_application(item.id), actor="staff:2", commit=True)
        today = china_today()
        interest_now = interest_to_date(139_000, [], 150, today.month - 1)
        assert settlement.overpaid_fen == 2 * 17_300
        assert settlement.balance_fen == 139_000 - 1_000 + interest_now
        assert settlement.payable_fen == 139_000 - 1_000 + interest_now + 50_000 - 34_600
        if today == date(2026, 11, 25):
            assert settlement.payable_fen == 156_138
        assert settlement.interest == [{"year": 2026, "months": today.month - 1,
                                        "rate_bp": 150, "published": False,
                                        "amount_fen": interest_now}]
        account = ledger.account_of(deceased.id)
        assert ledger.balance_fen(account.id) == 0
        db.session.remove()


# 4. 第十八条、第三十九条、第四十三条: nothing stays in a closed account ------------------------

def test_a_january_transfer_first_credits_last_year(app, monkeypatch):
    """Settled on 2026-01-15 before 2025 was credited: 2025's interest at 2025's rate first,
    then the whole balance moves; the year-end run never touches the closed account."""
    from portal.operations import applications

    monkeypatch.setattr(closure, "china_today", lambda: date(2026, 1, 15))
    monkeypatch.setattr(applications, "china_today", lambda: date(2026, 1, 15))
    with app.test_request_context():
        person = new_person(date(1980, 8, 8))
        account = insure(person, date(2020, 1, 1))
        db.session.add_all([
            LedgerEntry(account_id=account.id, kind="personal", amount_fen=1_000_000,
                        booked_on=date(2024, 12, 20), year=2024,
                        source_key=f"jan:{person.id}:a"),
            LedgerEntry(account_id=account.id, kind="personal", amount_fen=50_000,
                        booked_on=date(2025, 4, 10), year=2025,
                        source_key=f"jan:{person.id}:b")])
        item = claim_application(person)
        item.kind = "transfer_in"
        case = TransferCase(application_id=item.id, person_id=person.id,
                            from_county="539901000000", to_county="539902000000",
                            stage="old_county_settling", stage_since=date(2026, 1, 5),
                            stage_due=date(2026, 1, 26), holder="539901000000", history=[])
        db.session.add(case)
        db.session.commit()
        closure.settle_transfer_out(case, "staff:1", SCHEME)
        approvals.approve(closure.transfer_approval(case), actor="staff:2", commit=True)
        # 2025: 10 000.00 × 2.62 %? No: 2025's own rate, 1.50 %: opening 10 000.00 for 12 months
        # + 500.00 from May (8 months) = 150.00 + 5.00 = 155.00. January 2026: 0 full months.
        expected = yearly_interest(1_000_000, [(date(2025, 4, 10), 50_000)], 150)
        assert expected == 15_500
        assert case.approval_sheet["interest"] == [{"year": 2025, "months": 12, "rate_bp": 150,
                                                    "published": True, "amount_fen": 15_500}]
        assert case.amount_fen == 1_050_000 + 15_500
        assert ledger.balance_fen(account.id) == 0
        before = db.session.scalar(select(LedgerEntry.id).order_by(LedgerEntry.id.desc()))
        interest.credit_year(2025, 150, notify=False)
        assert not db.session.scalars(select(LedgerEntry).filter(
            LedgerEntry.account_id == account.id, LedgerEntry.id > before)).all()
        db.session.remove()


def test_credit_interest_refuses_an_unfinished_year_or_a_missing_rate(app):
    runner = app.test_cli_runner()
    unfinished = runner.invoke(args=["credit-interest", str(china_today().year)])
    assert unfinished.exit_code != 0 and "has not ended" in unfinished.output
    no_rate = runner.invoke(args=["credit-interest", "2008"])
    assert no_rate.exit_code != 0 and "no interest rate is configured" in no_rate.output


# 5. 第十一条、第十七条: the tax intake refuses what the scheme refuses --------------------------

def import_rows(*rows, scheme=SCHEME):
    body = "tax_ref,id_number,year,amount_fen,paid_on,payer\n" + "\n".join(
        ",".join(str(v) for v in row) for row in rows)
    return tax_import.import_batch(body.encode(), "text/csv", scheme, "test")


def reasons(batch):
    return [d["reason"] for d in batch.report["details"] if d["status"] == "rejected"]


def test_nothing_for_a_pensioner_or_an_ended_relation(app, demo):
    with app.app_context():
        receiving = demo["by_key"]["receiving"]["id_number"]
        batch = import_rows((f"R-{receiving}", receiving, 2026, 20000, "2026-05-01", "person"))
        assert batch.status == "rejected" and reasons(batch) == ["receiving_pension"]
        refused = db.session.scalar(select(RefusedContribution).filter_by(batch_id=batch.id))
        assert refused.county_code == "539901000000" and refused.reason == "receiving_pension"
        db.session.remove()


def test_two_payments_in_a_year_earn_one_subsidy_from_the_total(app):
    with app.app_context():
        person = new_person(date(1985, 1, 1))
        account = insure(person, date(2015, 1, 1))
        db.session.commit()
        who = person.id_number
        assert import_rows((f"T1-{who}", who, 2025, 50000, "2025-03-01", "person")).status \
            == "booked"
        assert import_rows((f"T2-{who}", who, 2025, 50000, "2025-09-01", "person")).status \
            == "booked"
        subsidy = [e.amount_fen for e in ledger.contributions_in(account.id, 2025)] and sum(
            e.amount_fen for e in db.session.scalars(select(LedgerEntry).filter_by(
                account_id=account.id, kind="subsidy", year=2025)))
        assert subsidy == 8500  # the 1 000 tier's subsidy, not 60 + 60
        assert ledger.contribution_years(account.id) == [2025]
        db.session.remove()


def test_back_pay_only_where_allowed(app):
    with app.app_context():
        young = new_person(date(1981, 4, 4))  # enrolled 2012 aged 31: no transitional rule
        insure(young, date(2012, 6, 1))
        old = new_person(date(1955, 4, 4))  # 54 when the scheme started: 6 years required
        insure(old, date(2012, 6, 1))
        db.session.commit()
        before = import_rows((f"B-{young.id_number}", young.id_number, 2010, 10000,
                              "2013-03-01", "person"))
        assert reasons(before) == ["back_pay_not_allowed"]
        early = import_rows((f"E-{young.id_number}", young.id_number, 2008, 10000,
                             "2013-03-01", "person"))
        assert reasons(early) == ["before_scheme_start"]
        transitional = import_rows((f"O-{old.id_number}", old.id_number, 2010, 10000,
                                    "2013-03-01", "person"))
        assert transitional.status == "booked"
        # A back-paid year earns no subsidy in this province, and counts as a year.
        account = ledger.account_of(old.id)
        assert [e.kind for e in db.session.scalars(select(LedgerEntry).filter_by(
            account_id=account.id))] == ["personal"]
        db.session.remove()


def test_partial_government_payment_with_the_personal_part(app):
    """代缴 of part of the lowest tier (configured 50.00 here) beside the person's own 50.00:
    one tier of 100.00, its subsidy once, with whichever payment completes it."""
    from portal.models import RegistryDisability

    scheme = copy.deepcopy(SCHEME)
    scheme["years"]["2026"]["severe_disability_paid_fen"] = 5000
    with app.app_context():
        person = new_person(date(1990, 2, 2))
        account = insure(person, date(2016, 1, 1))
        db.session.add(RegistryDisability(id_number=person.id_number, grade=2))
        db.session.commit()
        who = person.id_number
        assert import_rows((f"G-{who}", who, 2026, 5000, "2026-03-01", "government"),
                           scheme=scheme).status == "booked"
        assert import_rows((f"P-{who}", who, 2026, 5000, "2026-04-01", "person"),
                           scheme=scheme).status == "booked"
        kinds = sorted((e.kind, e.amount_fen) for e in db.session.scalars(
            select(LedgerEntry).filter_by(account_id=account.id)))
        assert kinds == [("government_paid", 5000), ("personal", 5000), ("subsidy", 3000)]
        db.session.remove()


def test_refused_rows_are_listed_printed_and_acknowledged(client, app, demo, tmp_path):
    receiving = demo["by_key"]["receiving"]["id_number"]
    path = tmp_path / "refused.csv"
    path.write_text("tax_ref,id_number,year,amount_fen,paid_on,payer\n"
                    f"CLI-{receiving},{receiving},2026,20000,2026-05-02,person\n")
    result = app.test_cli_runner().invoke(args=["import-contributions", str(path)])
    assert result.exit_code != 0
    assert f"REFUSED row 1 CLI-{receiving}: receiving_pension" in result.output
    response = send_contributions(client, app, path.read_bytes() + b"\n")
    assert response.json["status"] == "rejected"
    assert response.json["details"][0]["reason"] == "receiving_pension"
    token = {"Authorization": f"Bearer {app.config['TAX_API_TOKEN']}"}
    acknowledgement = client.get(response.json["acknowledgement_url"], headers=token)
    assert acknowledgement.mimetype == "text/csv"
    assert acknowledgement.get_data(as_text=True).splitlines()[1].startswith(
        f"1,CLI-{receiving},receiving_pension,")
    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    page = reviewer.get("/agency/refused-contributions").get_data(as_text=True)
    assert f"CLI-{receiving}" in page and "已领取待遇" in page
    other = app.test_client()
    staff_sign_in(other, app, "reviewer.baishui")
    assert f"CLI-{receiving}" not in other.get("/agency/refused-contributions").get_data(
        as_text=True)


# 6 and 7. 第二十四条、第二十六条: entitlement and the balance at eligibility ---------------------

def test_entitlement_starts_after_the_years_are_met_not_at_60(app):
    """60 on 2024-03-10 with 12 years; the 15th year's money arrives on 2026-04-20: paid from
    May 2026, not from April 2024."""
    with app.app_context():
        person = new_person(date(1964, 3, 10))
        account = insure(person, date(2012, 1, 1))
        db.session.commit()
        who = person.id_number
        for year in range(2012, 2027):
            paid_on = date(year, 4, 20)
            assert import_rows((f"Y{year}-{who}", who, year, 10000, paid_on.isoformat(),
                                "person")).status == "booked"
        item = claim_application(person)
        db.session.commit()
        transitions.transition(item, "benefit", Staff(1), expected_version=item.version)
        decision = benefits.decision_for(item)
        assert decision.eligible_on == date(2026, 4, 20)
        assert decision.first_month == date(2026, 5, 1)
        assert account.id
        db.session.remove()


def test_the_account_pension_includes_the_eligibility_years_interest(app, demo):
    """陈建国: 14 539.71 + 2026 interest to 9 December, 11 months at 1.50 % (2026's rate not
    out) = 199.92; 14 739.63 ÷ 139 = 106.04 a month, not 104.60."""
    with app.app_context():
        person = person_of(demo, "turning_60")
        item = claim_application(person)
        db.session.commit()
        transitions.transition(item, "benefit", Staff(1), expected_version=item.version)
        decision = benefits.decision_for(item)
        assert decision.balance_fen == 1_453_971 + 19_992
        assert decision.account_fen == 10_604
        # Leave 陈建国 as the demo has him: no claim (other tests claim for him).
        from portal.models import ApplicationEvent

        db.session.execute(ApplicationEvent.__table__.delete().where(
            ApplicationEvent.application_id == item.id))
        db.session.execute(BenefitDecision.__table__.delete().where(
            BenefitDecision.id == decision.id))
        db.session.execute(Application.__table__.delete().where(Application.id == item.id))
        db.session.commit()
        db.session.remove()


# 8. 第三十四条: the event's date, not the application's -----------------------------------------

def test_another_pension_counts_from_its_start(app, december):
    """The employees' pension started 2026-03-15 (national enrolment registry): April to
    December 2026 here are overpaid and come off the refund, which excludes government money."""
    with app.test_request_context():
        person = db.session.get(Person, december["other_pension"])
        item = claim_application(person, ground="other_pension", event_on="2026-11-01")
        item.kind = "deregistration"
        closure.deregistration_submitted(item, person.get_id(), "online")
        settlement = closure.deregister(item, "staff:1", "counter")
        db.session.commit()
        assert settlement.event_on == date(2026, 3, 15)
        overpaid = [p for p in payments(person.id) if p.month >= date(2026, 4, 1)]
        # April to December 2026 (and any later month another example's run paid since).
        assert len([p for p in overpaid if p.month.year == 2026]) == 9
        assert settlement.overpaid_fen == sum(p.total_fen for p in overpaid)
        db.session.remove()


# 9. Dates that used to crash ------------------------------------------------------------------

def test_a_confirmation_on_29_february_and_payment_days_29_to_31(client, app, demo):
    from portal.rules.benefits import next_payment_date, same_day_next_year
    from tests.integration.helpers import sign_in

    assert same_day_next_year(date(2024, 2, 29)) == date(2025, 2, 28)
    assert next_payment_date(date(2026, 2, 10), 31) == date(2026, 2, 28)
    assert next_payment_date(date(2026, 4, 30), 31) == date(2026, 4, 30)
    assert next_payment_date(date(2026, 5, 1), 30) == date(2026, 5, 30)
    with app.app_context():
        person = person_of(demo, "receiving")
        db.session.add(EligibilityCheck(person_id=person.id, confirmed_on=date(2028, 2, 29),
                                        method="face", actor="test"))
        db.session.commit()
        db.session.remove()
    sign_in(client, app, demo["by_key"]["receiving"])
    page = client.get("/me/pension")
    assert page.status_code == 200 and "2029年2月28日" in page.get_data(as_text=True)
    with app.app_context():
        db.session.execute(EligibilityCheck.__table__.delete().where(
            EligibilityCheck.confirmed_on == date(2028, 2, 29)))
        db.session.commit()
        db.session.remove()
    assert datetime  # keep the import honest for dates parsed above

"""Disputes that re-decide (第二十五条, 第四十四条; issue 15 part 2).

A dispute about the pension found right leads to a new 核定表: prepared by a reviewer, checked
by a different person (第六十二条, refused in the operation itself), confirmed by the resident;
the next payment run pays (or deducts) the difference for every month already paid, itemised
on the resident's pension page. Found wrong, the explanation is sent and shown. A dispute about
a transferred record goes to the old county (in-process, or through the transfer interface),
its answer is recorded and the resident told; a correction books both sides.
"""

from datetime import date

import pytest
from sqlalchemy import select

from portal.constants import PayoutKind
from portal.extensions import db
from portal.models import (
    Application,
    BenefitAdjustment,
    BenefitDecision,
    BenefitPayment,
    InsuranceRelation,
    LedgerEntry,
    OutboxMessage,
    PaymentRun,
    RecordInquiry,
    RegistryDeath,
    RegistryRelative,
    Settlement,
    TransferCase,
)
from portal.operations import approvals, benefits, closure, ledger, transitions
from portal.rules.benefits import months_between
from tests.integration.helpers import (
    apply_transfer,
    approve,
    become_beneficiary,
    csrf_token,
    enrolled_in,
    file_claim,
    file_deregistration,
    make_claimant,
    registry_person,
    settle,
    sign_in,
    staff_post,
    staff_sign_in,
)
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    file_dispute_about as file_dispute,
)

# Months no other test runs (payment runs are per month for everyone): a pair per pensioner.
RUN_MONTHS = iter([(date(2028, m, 1), date(2028, m + 1, 1)) for m in (3, 6, 9)]
                  + [(date(2044 + n, 3, 1), date(2044 + n, 4, 1)) for n in range(5)])
TOO_LOW_FEN = 10000  # 100.00 yuan a month: a balance 13 900.00 yuan too low ÷ 139


def application(app, reference) -> Application:
    with app.app_context():
        item = db.session.scalar(select(Application).filter_by(reference=reference))
        db.session.expunge(item)
        db.session.remove()
    return item


def staff(app, username):
    client = app.test_client()
    staff_sign_in(client, app, username)
    return client


def messages_of(app, person_id, kind):
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).filter_by(
            person_id=person_id, kind=kind, channel="in_app")).all()
        bodies = [row.body for row in rows]
        db.session.remove()
    return bodies


@pytest.fixture
def beneficiary(client, app):
    """A pensioner paid for every month from the first to a month no other test runs, at the
    decided amount; the month after is their next run."""
    person = make_claimant(app)
    pid = become_beneficiary(client, app, person)
    first, following = next(RUN_MONTHS)
    with app.app_context():
        assert db.session.scalar(select(PaymentRun.id).filter(
            PaymentRun.month.in_((first, following)))) is None, \
            "another test ran this month: pick months no other test uses"
        benefits.run_month(first, actor="test")
        db.session.remove()
    person.update(pid=pid, first_run=first, next_run=following)
    return person


def test_pension_decided_too_low_is_redecided_checked_confirmed_and_the_difference_paid(
        client, app, beneficiary):
    """第二十五条 worked example: the 核定表 took a balance 13 900.00 yuan too low, so the pension
    was 100.00 yuan (10 000 fen) a month too low for the N months already paid; the next run
    pays N × 10 000 fen extra with that month's pension, itemised on /me/pension."""
    pid, FIRST_RUN, NEXT_RUN = (beneficiary["pid"], beneficiary["first_run"],  # noqa: N806
                                beneficiary["next_run"])
    with app.app_context():
        old = benefits.confirmed_decision(pid)
        old_id, old_balance, old_monthly = old.id, old.balance_fen, old.monthly_fen
        paid_months = sorted(p.month for p in db.session.scalars(
            select(BenefitPayment).filter_by(person_id=pid)))
        assert paid_months == months_between(old.first_month, FIRST_RUN)
        db.session.remove()
    months = len(paid_months)

    reference = file_dispute(client, "benefit", "我的养老金算少了，2015年转入的钱没有计入账户")
    reviewer, checker, admin = (staff(app, "reviewer.qingshan"), staff(app, "checker.qingshan"),
                                staff(app, "admin.qingshan"))
    page = reviewer.get(f"/agency/applications/{reference}").get_data(as_text=True)
    assert "重新核定" in page and "第二十条" not in page  # the pension's actions, not the account's
    # Bad input: a clear message and a 400, nothing changed.
    bad = staff_post(reviewer, reference, "redetermine", balance="一万", reason="")
    assert bad.status_code == 400 and "错误" in bad.get_data(as_text=True)
    assert application(app, reference).status == "submitted"
    right_balance = (old_balance + 1_390_000) / 100
    assert staff_post(reviewer, reference, "redetermine", balance=f"{right_balance:.2f}",
                      reason="核定时漏计了2015年转入的13900元").status_code == 302
    item = application(app, reference)
    assert item.status == "prepared"
    # 第六十二条: the preparer is not offered the check; posting it anyway is refused ...
    assert "redetermination-check" not in reviewer.get(
        f"/agency/applications/{reference}").get_data(as_text=True)
    with app.app_context():
        preparer = db.session.scalar(select(BenefitDecision.prepared_by).filter_by(
            application_id=item.id))
        # ... and the operation refuses it on its own, whatever a page or a script offers.
        with pytest.raises(transitions.SameStaff):
            benefits.check_redetermination(db.session.get(Application, item.id),
                                           actor=preparer, choice="approve")
        db.session.rollback()
        db.session.remove()
    # An admin (who may check) prepares again; then the admin may not check their own.
    assert staff_post(checker, reference, "redetermination-check",
                      verdict="return").status_code == 302
    assert application(app, reference).status == "submitted"
    assert staff_post(admin, reference, "redetermine", balance=f"{right_balance:.2f}",
                      reason="核定时漏计了2015年转入的13900元").status_code == 302
    own = staff_post(admin, reference, "redetermination-check", verdict="approve",
                     version=str(application(app, reference).version))
    assert own.status_code == 403 and "第六十二条" in own.get_data(as_text=True)
    assert staff_post(checker, reference, "redetermination-check",
                      verdict="approve").status_code == 302
    assert application(app, reference).status == "awaiting_resident"
    assert messages_of(app, pid, "application_redetermination_ready")
    # Staff cannot confirm for the resident.
    assert reviewer.post(f"/me/applications/{reference}/confirm").status_code in (400, 403)

    # The resident reads the new 核定表 and what confirming it pays, then confirms.
    pension = client.get("/me/pension").get_data(as_text=True)
    assert f"/me/applications/{reference}" in pension
    page = client.get(f"/me/applications/{reference}")
    text = page.get_data(as_text=True)
    assert "漏计了2015年" in text and "÷ 139" in text
    assert f"¥{months * TOO_LOW_FEN / 100:,.2f}" in text
    response = client.post(f"/me/applications/{reference}/confirm",
                           data={"csrf_token": csrf_token(page), "version": str(
                               application(app, reference).version)})
    assert response.status_code == 303
    # A second tap (back + resubmit) changes nothing and lands on the same page.
    again = client.post(f"/me/applications/{reference}/confirm",
                        data={"csrf_token": csrf_token(page), "version": "1"})
    assert again.status_code in (303, 409)
    item = application(app, reference)
    assert item.status == "corrected"
    assert messages_of(app, pid, "application_redetermined")
    with app.app_context():
        new = benefits.confirmed_decision(pid)
        assert new.replaces_id == old_id and new.monthly_fen == old_monthly + TOO_LOW_FEN
        assert db.session.get(BenefitDecision, old_id).status == "superseded"
        rows = db.session.scalars(select(BenefitAdjustment).filter_by(person_id=pid)).all()
        assert sorted(r.month for r in rows) == paid_months
        assert {r.total_fen for r in rows} == {TOO_LOW_FEN}
        assert all(r.payment_id is None for r in rows)

        # The next run: that month at the new amount plus N × 10 000 fen, in the bank file.
        run = benefits.run_month(NEXT_RUN, actor="test")
        payment = db.session.scalar(select(BenefitPayment).filter_by(
            person_id=pid, month=NEXT_RUN))
        assert payment.total_fen == old_monthly + TOO_LOW_FEN
        assert payment.adjustment_fen == months * TOO_LOW_FEN
        assert payment.amount_fen == payment.total_fen + months * TOO_LOW_FEN
        assert f"{payment.id},{NEXT_RUN:%Y-%m}," in run.bank_file
        assert run.bank_file.split(f"{payment.id},{NEXT_RUN:%Y-%m},")[1].splitlines()[
            0].endswith(f",{payment.amount_fen}")
        assert {r.payment_id for r in db.session.scalars(select(BenefitAdjustment).filter_by(
            person_id=pid))} == {payment.id}
        # The county's approval sheet (第二十七条) totals what the bank pays, differences in.
        sheet = next(r for r in benefits.recent_runs("539901000000", limit=100)
                     if r["month"] == NEXT_RUN)
        paid_here = db.session.scalars(select(BenefitPayment).filter(
            BenefitPayment.run_id == run.id, benefits.in_county("539901000000"))).all()
        assert sheet["basic_fen"] + sheet["account_fen"] == sum(p.amount_fen for p in paid_here)
        assert run.basic_fen + run.account_fen == sum(
            p.amount_fen for p in db.session.scalars(select(BenefitPayment).filter_by(
                run_id=run.id)))
        # Paid by the bank: the account part of the difference leaves the personal account.
        account = ledger.account_of(pid)
        balance = ledger.balance_fen(account.id)
        benefits.import_bank_result(f"payment_id,status\n{payment.id},paid\n", actor="test")
        entry = db.session.scalar(select(LedgerEntry).filter_by(
            source_key=f"pension-adjustment:{payment.id}"))
        assert entry.amount_fen == -min(months * TOO_LOW_FEN,
                                        balance - min(payment.account_fen, balance))
        db.session.remove()
    # Itemised on the pension page: each month, what was paid, what was due, with which payment.
    pension = client.get("/me/pension").get_data(as_text=True)
    shown = f"{NEXT_RUN.year}年{NEXT_RUN.month}月"
    assert "补发" in pension and pension.count(shown) >= 2
    assert pension.count(f"¥{TOO_LOW_FEN / 100:,.2f}") >= months


def test_pension_decided_too_high_is_deducted_a_month_at_a_time(client, app, beneficiary):
    """第二十五条 扣发: decided 50.00 yuan (5 000 fen) a month too high for N months. The next
    payment (the new, lower pension) carries as many whole months' deductions as it can
    without going below zero; the rest waits for later payments, each shown as still to come."""
    pid, next_run = beneficiary["pid"], beneficiary["next_run"]
    with app.app_context():
        old = benefits.confirmed_decision(pid)
        old_balance, old_monthly = old.balance_fen, old.monthly_fen
        months = len(benefits.paid_by_month(pid))
        db.session.remove()
    reference = file_dispute(client, "benefit", "我的养老金好像算多了，账户余额不对")
    reviewer, checker = staff(app, "reviewer.qingshan"), staff(app, "checker.qingshan")
    staff_post(reviewer, reference, "redetermine", balance=f"{(old_balance - 695_000) / 100:.2f}",
               reason="账户余额多计了6950元")
    staff_post(checker, reference, "redetermination-check", verdict="approve")
    page = client.get(f"/me/applications/{reference}")
    assert f"¥{months * 5000 / 100:,.2f}" in page.get_data(as_text=True)
    assert "扣回" in page.get_data(as_text=True)
    assert client.post(f"/me/applications/{reference}/confirm", data={
        "csrf_token": csrf_token(page),
        "version": str(application(app, reference).version)}).status_code == 303
    new_monthly = old_monthly - 5000
    fits = new_monthly // 5000
    assert 0 < fits < months
    with app.app_context():
        benefits.run_month(next_run, actor="test")
        payment = db.session.scalar(select(BenefitPayment).filter_by(
            person_id=pid, month=next_run))
        assert payment.total_fen == new_monthly
        assert payment.adjustment_fen == -fits * 5000
        assert payment.amount_fen == new_monthly - fits * 5000 >= 0
        rows = db.session.scalars(select(BenefitAdjustment).filter_by(person_id=pid)
                                  .order_by(BenefitAdjustment.month)).all()
        assert [r.payment_id for r in rows] == [payment.id] * fits + [None] * (months - fits)
        db.session.remove()
    pension = client.get("/me/pension").get_data(as_text=True)
    assert pension.count("随下次待遇发放") == months - fits


def test_differences_still_pending_when_the_pensioner_dies_are_settled_once(client, app,
                                                                           beneficiary):
    """第二十五条 with 第三十六条: decided 50.00 yuan a month too high, the pensioner dies before
    any payment carried the deductions; the deregistration settles them (deducted like an
    overpayment, their account part back in the account first), and no later run takes them
    again."""
    pid = beneficiary["pid"]
    with app.app_context():
        old = benefits.confirmed_decision(pid)
        old_balance = old.balance_fen
        months = len(benefits.paid_by_month(pid))
        db.session.remove()
    reference = file_dispute(client, "benefit", "我的养老金好像算多了，请核查")
    reviewer, checker = staff(app, "reviewer.qingshan"), staff(app, "checker.qingshan")
    staff_post(reviewer, reference, "redetermine", balance=f"{(old_balance - 695_000) / 100:.2f}",
               reason="账户余额多计了6950元")
    staff_post(checker, reference, "redetermination-check", verdict="approve")
    page = client.get(f"/me/applications/{reference}")
    client.post(f"/me/applications/{reference}/confirm", data={
        "csrf_token": csrf_token(page), "version": str(application(app, reference).version)})
    assert application(app, reference).status == "corrected"
    heir = registry_person(app)
    died_on = beneficiary["first_run"].replace(day=20)  # after the last month paid
    with app.app_context():
        db.session.add(RegistryDeath(id_number=beneficiary["id_number"], death_date=died_on,
                                     source="civil_affairs"))
        db.session.add(RegistryRelative(id_number=heir["id_number"],
                                        relative_id_number=beneficiary["id_number"],
                                        relation="child"))
        db.session.commit()
        account = ledger.account_of(pid)
        balance_before = ledger.balance_fen(account.id)
        db.session.remove()
    deregistration = file_deregistration(app.test_client(), app, heir, beneficiary)
    settle(app, deregistration)  # 第三十九条; 第六十二条: prepared by one, approved by another
    with app.app_context():
        settlement = db.session.scalar(select(Settlement).join(
            Application, Application.id == Settlement.application_id).filter(
            Application.reference == deregistration))
        assert settlement.adjustment_fen == -months * 5000 and settlement.overpaid_fen == 0
        back_in = db.session.scalar(select(LedgerEntry).filter_by(
            source_key=f"pension-adjustment:settlement:{deregistration}"))
        assert back_in.amount_fen == months * 5000  # the account parts over-deducted
        interest = sum(part["amount_fen"] for part in settlement.interest)
        assert settlement.balance_fen == balance_before + months * 5000 + interest
        assert settlement.payable_fen - settlement.debt_fen == (
            settlement.refundable_fen + settlement.funeral_fen - months * 5000)
        rows = db.session.scalars(select(BenefitAdjustment).filter_by(person_id=pid)).all()
        assert {r.settlement_id for r in rows} == {settlement.id}
        assert {r.payment_id for r in rows} == {None}
        benefits.run_month(beneficiary["next_run"], actor="test")
        assert db.session.scalar(select(BenefitPayment).filter_by(
            person_id=pid, month=beneficiary["next_run"])) is None
        db.session.remove()


def test_a_claim_decision_disputed_instead_of_confirmed_is_redecided_and_starts_the_pension(
        client, app):
    """第二十五条 before any payment: the resident reads the claim's 核定表, disputes it instead
    of confirming; the re-decided one, once confirmed, starts the pension and owes nothing."""
    person = make_claimant(app)
    claim = file_claim(client, app, person)
    reviewer, checker = staff(app, "reviewer.qingshan"), staff(app, "checker.qingshan")
    staff_post(reviewer, claim, "benefit")
    staff_post(checker, claim, "benefit-check", verdict="approve")
    pension = client.get("/me/pension").get_data(as_text=True)
    assert "/apply/dispute/" in pension  # "Something wrong? Ask us to check the decision"
    reference = file_dispute(client, "benefit", "核定表里的缴费年限少算了一年")
    assert staff_post(reviewer, reference, "redetermine", years_paid="17",
                      reason="缴费年限少算了一年").status_code == 302
    assert staff_post(checker, reference, "redetermination-check",
                      verdict="approve").status_code == 302
    assert f"/me/applications/{reference}" in client.get("/me/pension").get_data(as_text=True)
    page = client.get(f"/me/applications/{reference}")
    assert "已发放的月份没有变化" in page.get_data(as_text=True)
    assert client.post(f"/me/applications/{reference}/confirm", data={
        "csrf_token": csrf_token(page),
        "version": str(application(app, reference).version)}).status_code == 303
    with app.app_context():
        pid = application(app, reference).person_id
        new = benefits.confirmed_decision(pid)
        assert new.years_paid == 17 and new.replaces_id is not None
        assert db.session.get(BenefitDecision, new.replaces_id).status == "superseded"
        relation = db.session.scalar(select(InsuranceRelation).filter_by(person_id=pid))
        assert relation.status == "receiving" and relation.benefit_from == new.first_month
        assert db.session.scalars(select(BenefitAdjustment).filter_by(person_id=pid)).all() \
            == []
        db.session.remove()
    # The claim's own confirmation is no longer offered: the re-decided decision stands.
    assert "/me/pension/confirm" not in client.get("/me/pension").get_data(as_text=True)


def test_pension_found_right_the_explanation_is_sent_and_shown(client, app, beneficiary):
    pid = beneficiary["pid"]
    reference = file_dispute(client, "benefit", "我觉得我的基础养老金算少了")
    reviewer = staff(app, "reviewer.qingshan")
    short = staff_post(reviewer, reference, "explanation", explanation="对")
    assert short.status_code == 400
    explanation = "基础养老金按2033年标准每月发放，核定无误"
    assert staff_post(reviewer, reference, "explanation",
                      explanation=explanation).status_code == 302
    assert application(app, reference).status == "explained"
    sent = messages_of(app, pid, "application_explained_with_note")
    assert sent and explanation in sent[0]
    assert explanation in client.get(f"/me/applications/{reference}").get_data(as_text=True)
    with app.app_context():
        assert benefits.confirmed_decision(pid).application_id != application(app,
                                                                             reference).id
        db.session.remove()


def test_only_the_resident_confirms_their_own_redetermination(client, app, beneficiary, demo):
    reference = file_dispute(client, "benefit", "我的养老金少算了，请重新核定")
    reviewer, checker = staff(app, "reviewer.qingshan"), staff(app, "checker.qingshan")
    staff_post(reviewer, reference, "redetermine", years_paid="17", reason="缴费年限少算一年")
    staff_post(checker, reference, "redetermination-check", verdict="approve")
    version = str(application(app, reference).version)
    # Another resident learns nothing, and changes nothing.
    other = app.test_client()
    sign_in(other, app, demo["by_key"]["contributor"], face=True, level="face")
    page = other.get("/me/")
    assert other.get(f"/me/applications/{reference}").status_code == 404
    assert other.post(f"/me/applications/{reference}/confirm", data={
        "csrf_token": csrf_token(page), "version": version}).status_code == 404
    # Real-name sign-in is not enough to confirm money: the face check, then back to the page.
    weak = app.test_client()
    sign_in(weak, app, beneficiary)
    page = weak.get(f"/me/applications/{reference}")
    refused = weak.post(f"/me/applications/{reference}/confirm", data={
        "csrf_token": csrf_token(page), "version": version})
    assert refused.status_code == 302 and "level=face" in refused.location
    with weak.session_transaction() as session:
        assert session["next"] == f"/me/applications/{reference}"
    # The staff console has no route for the resident's step.
    assert reviewer.post(f"/agency/applications/{reference}/confirm-redetermination",
                         data={}).status_code == 404
    assert application(app, reference).status == "awaiting_resident"


def test_transferred_record_asked_in_process_answered_and_corrected_on_both_sides(client, app):
    """第四十四条: 青山县 asks 白水县 (on this system), which answers in its console; the
    correction books the old account (the missing 2021 contribution and its transfer out)
    and the new one (the amount transferred in, the year carried over)."""
    person = enrolled_in(app, "539902000000")
    reference = apply_transfer(client, app, person)
    approve(app, reference)
    old_county, new_county = staff(app, "reviewer.baishui"), staff(app, "reviewer.qingshan")
    with app.app_context():
        case = db.session.scalar(select(TransferCase).join(
            Application, Application.id == TransferCase.application_id).filter(
            Application.reference == reference))
        pid, case_id = case.person_id, case.id
        db.session.remove()
    page = old_county.get("/agency/transfers")
    old_county.post(f"/agency/transfers/{case_id}/settle", data={"csrf_token": csrf_token(page)})
    with app.app_context():  # 第六十二条: a different member of the old county approves it
        approval_id = closure.transfer_approval(db.session.get(TransferCase, case_id)).id
        db.session.remove()
    checker = staff(app, "checker.baishui")
    page = checker.get("/agency/approvals")
    assert checker.post(f"/agency/approvals/{approval_id}/approve", data={
        "csrf_token": csrf_token(page), "version": 1}).status_code == 303
    page = new_county.get("/agency/transfers")
    new_county.post(f"/agency/transfers/{case_id}/funds-arrived",
                    data={"csrf_token": csrf_token(page)})
    with app.app_context():
        new_account = ledger.account_of(pid)
        new_balance = ledger.balance_fen(new_account.id)
        db.session.remove()

    dispute = file_dispute(client, "transfer", "2021年我在白水县交了500元，转过来的记录里没有")
    page = new_county.get(f"/agency/applications/{dispute}").get_data(as_text=True)
    assert "白水县" in page and "第四十四条" in page
    assert staff_post(new_county, dispute, "ask-old-county",
                      question="请核对2021年个人缴费500元是否已随转移划转").status_code == 302
    assert application(app, dispute).status == "asked"
    assert messages_of(app, pid, "application_asked_old_county")
    # Nobody else answers for 白水县: not 青山县's staff, not through a made-up id.
    with app.app_context():
        inquiry = db.session.scalar(select(RecordInquiry).filter_by(person_id=pid))
        inquiry_id, route = inquiry.id, inquiry.route
        db.session.remove()
    assert route == "in_process"
    # Nothing for 青山县 to do while 白水县 looks: not in its queue.
    assert dispute not in new_county.get("/agency/").get_data(as_text=True).replace(" ", "")
    # Only 白水县 answers: 青山县 cannot enter an answer for a county on this system.
    assert "old-county-answer" not in new_county.get(
        f"/agency/applications/{dispute}").get_data(as_text=True)
    assert staff_post(new_county, dispute, "old-county-answer", answer="替转出地答复",
                      version=str(application(app, dispute).version)).status_code == 409
    listing = new_county.get("/agency/inquiries")
    assert person["name"] not in listing.get_data(as_text=True)
    assert new_county.post(f"/agency/inquiries/{inquiry_id}/answer", data={
        "csrf_token": csrf_token(listing), f"q{inquiry_id}-answer": "无误"}).status_code == 404
    # The old county answers in its console; bad input is kept with a message.
    listing = old_county.get("/agency/inquiries")
    assert person["name"] in listing.get_data(as_text=True)
    bad = old_county.post(f"/agency/inquiries/{inquiry_id}/answer", data={
        "csrf_token": csrf_token(listing), f"q{inquiry_id}-answer": "漏划转2021年缴费",
        f"q{inquiry_id}-correction": "五百"})
    assert bad.status_code == 400 and "五百" in bad.get_data(as_text=True)
    assert old_county.post(f"/agency/inquiries/{inquiry_id}/answer", data={
        "csrf_token": csrf_token(listing), f"q{inquiry_id}-answer": "漏划转2021年缴费500元",
        f"q{inquiry_id}-correction": "500", f"q{inquiry_id}-year": "2021"}).status_code == 303
    # Answered once: a second answer changes nothing.
    old_county.post(f"/agency/inquiries/{inquiry_id}/answer", data={
        "csrf_token": csrf_token(listing), f"q{inquiry_id}-answer": "另一个答复"})
    assert application(app, dispute).status == "old_county_answered"
    assert messages_of(app, pid, "application_old_county_answered")
    assert "漏划转2021年缴费500元" in client.get(f"/me/applications/{dispute}").get_data(
        as_text=True)

    # Prepared by a member of staff who may also check (the county's administrator) …
    preparer = staff(app, "admin.qingshan")
    assert staff_post(preparer, dispute, "transfer-resolution", outcome="corrected",
                      explanation="转出地确认漏划转2021年缴费500元，已补记").status_code == 302
    # 第六十二条: prepared, nothing booked yet; the preparer cannot approve it, in the
    # operation or over HTTP; a different checker books both sides.
    assert application(app, dispute).status == "prepared"
    with app.app_context():
        assert not db.session.scalars(select(LedgerEntry).filter(
            LedgerEntry.source_key.like(f"dispute:{dispute}:%"))).all()
        payout = approvals.of_subject(PayoutKind.TRANSFER_CORRECTION,
                                      f"transfer-correction:dispute:{dispute}")
        assert payout.status == "awaiting" and payout.amount_fen == 50000
        assert payout.detail["account_id"] == new_account.id
        assert payout.detail["old_account_id"] and payout.detail["year"] == 2021
        with pytest.raises(approvals.SamePerson):
            approvals.approve(payout, actor=payout.prepared_by)
        db.session.rollback()
        db.session.remove()
    assert "transfer-correction-check" not in new_county.get(  # a reviewer never checks
        f"/agency/applications/{dispute}").get_data(as_text=True)
    assert staff_post(new_county, dispute, "transfer-correction-check", verdict="approve",
                      version=str(application(app, dispute).version)).status_code == 403
    refused = staff_post(preparer, dispute, "transfer-correction-check", verdict="approve",
                         version=str(application(app, dispute).version))
    assert refused.status_code == 403 and "第六十二条" in refused.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalars(select(LedgerEntry).filter(
            LedgerEntry.source_key.like(f"dispute:{dispute}:%"))).all()
        db.session.remove()
    assert application(app, dispute).status == "prepared"
    new_checker = staff(app, "checker.qingshan")
    assert staff_post(new_checker, dispute, "transfer-correction-check",
                      verdict="approve").status_code == 302
    assert application(app, dispute).status == "corrected"
    assert "已补记" in application(app, dispute).decision_reason
    with app.app_context():
        payout = approvals.of_subject(PayoutKind.TRANSFER_CORRECTION,
                                      f"transfer-correction:dispute:{dispute}")
        assert payout.status == "approved"
        assert payout.prepared_by.startswith("staff:") and payout.approved_by.startswith("staff:")
        assert payout.approved_by != payout.prepared_by  # both names on the record
        names = approvals.names([payout])
        assert set(names) == {payout.prepared_by, payout.approved_by}
        db.session.remove()
    with app.app_context():
        entries = db.session.scalars(select(LedgerEntry).filter(
            LedgerEntry.source_key.like(f"dispute:{dispute}:%"))).all()
        by_key = {e.source_key.rsplit(":", 1)[1]: e for e in entries}
        assert by_key["in"].account_id == new_account.id and by_key["in"].amount_fen == 50000
        old_id = by_key["old"].account_id
        assert old_id != new_account.id and by_key["old"].amount_fen == 50000
        assert by_key["old-out"].account_id == old_id and by_key["old-out"].amount_fen == -50000
        assert ledger.balance_fen(old_id) == 0  # the closed account stays at zero
        assert ledger.balance_fen(new_account.id) == new_balance + 50000
        assert 2021 in (ledger.account_of(pid).carried_years or [])
        db.session.remove()
    assert messages_of(app, pid, "application_corrected")


def test_transferred_record_from_outside_goes_through_the_interface(client, app):
    person = enrolled_in(app, "519901000000")  # another province: not on this system
    reference = apply_transfer(client, app, person)
    approve(app, reference)
    with app.app_context():
        case = db.session.scalar(select(TransferCase).join(
            Application, Application.id == TransferCase.application_id).filter(
            Application.reference == reference))
        closure.receive_from_outside(case, 1_234_500, [2020, 2021, 2022])
        closure.confirm_funds(db.session.get(TransferCase, case.id), actor="test")
        pid = case.person_id
        db.session.remove()
    dispute = file_dispute(client, "transfer", "转过来的记录少了2019年的缴费")
    new_county = staff(app, "reviewer.qingshan")
    assert staff_post(new_county, dispute, "ask-old-county",
                      question="请核对2019年缴费").status_code == 302
    with app.app_context():
        letter = db.session.scalar(select(OutboxMessage).filter_by(
            channel="transfer", kind="record_inquiry", person_id=pid))
        assert letter.recipient == "519901000000" and letter.params["reference"] == dispute
        assert letter.params["question"] == "请核对2019年缴费"
        inquiry = db.session.scalar(select(RecordInquiry).filter_by(person_id=pid))
        assert inquiry.route == "exchange"
        # Not in any console on this system: its answer comes back through the interface
        # and staff here record it as it arrived.
        assert inquiry not in closure.inquiries_to("519901000000")
        inquiry_id = inquiry.id
        db.session.remove()
    page = new_county.get(f"/agency/applications/{dispute}").get_data(as_text=True)
    assert "记录转出地答复" in page
    # Here the answer is for 青山县's staff to enter: the dispute is in its queue.
    assert dispute in new_county.get("/agency/").get_data(as_text=True).replace(" ", "")
    assert staff_post(new_county, dispute, "old-county-answer",
                      answer="2019年未在本县缴费，记录无误").status_code == 302
    assert application(app, dispute).status == "old_county_answered"
    assert messages_of(app, pid, "application_old_county_answered")
    with app.app_context():
        with pytest.raises(closure.AlreadyAnswered):  # the same answer arriving twice
            closure.receive_inquiry_answer(db.session.get(RecordInquiry, inquiry_id),
                                           answer="again", correction_fen=None,
                                           correction_year=None)
        db.session.rollback()
        assert db.session.get(RecordInquiry, inquiry_id).answer == "2019年未在本县缴费，记录无误"
        db.session.remove()
    # Without an amount to correct, only the explanation can close it.
    refused = staff_post(new_county, dispute, "transfer-resolution", outcome="corrected",
                         explanation="已补记")
    assert refused.status_code == 400
    assert staff_post(new_county, dispute, "transfer-resolution", outcome="explained",
                      explanation="转出地答复2019年未在该县缴费，记录无误").status_code == 302
    assert application(app, dispute).status == "explained"
    sent = messages_of(app, pid, "application_explained_with_note")
    assert sent and "2019年未在该县缴费" in sent[-1]


def test_an_outside_county_correction_is_booked_here_only_once_a_different_person_approves(
        client, app):
    """第四十四条 with 第六十二条: an old county outside this system books its own side; the
    side here is prepared by one member of staff and booked when a different one approves."""
    person = enrolled_in(app, "519901000000")
    reference = apply_transfer(client, app, person)
    approve(app, reference)
    with app.app_context():
        case = db.session.scalar(select(TransferCase).join(
            Application, Application.id == TransferCase.application_id).filter(
            Application.reference == reference))
        closure.receive_from_outside(case, 1_234_500, [2020, 2021, 2022])
        closure.confirm_funds(db.session.get(TransferCase, case.id), actor="test")
        pid = case.person_id
        account_id = ledger.account_of(pid).id
        before = ledger.balance_fen(account_id)
        db.session.remove()
    dispute = file_dispute(client, "transfer", "转过来的记录少了2019年的缴费300元")
    preparer = staff(app, "admin.qingshan")
    assert staff_post(preparer, dispute, "ask-old-county",
                      question="请核对2019年缴费").status_code == 302
    assert staff_post(preparer, dispute, "old-county-answer", answer="漏划转2019年缴费300元",
                      correction="300", year="2019").status_code == 302
    assert staff_post(preparer, dispute, "transfer-resolution", outcome="corrected",
                      explanation="转出地确认漏划转，已补记").status_code == 302
    assert application(app, dispute).status == "prepared"
    with app.app_context():
        assert ledger.balance_fen(account_id) == before  # nothing booked yet
        db.session.remove()
    refused = staff_post(preparer, dispute, "transfer-correction-check", verdict="approve",
                         version=str(application(app, dispute).version))
    assert refused.status_code == 403 and "第六十二条" in refused.get_data(as_text=True)
    assert staff_post(staff(app, "checker.qingshan"), dispute, "transfer-correction-check",
                      verdict="approve").status_code == 302
    assert application(app, dispute).status == "corrected"
    with app.app_context():
        entries = db.session.scalars(select(LedgerEntry).filter(
            LedgerEntry.source_key.like(f"dispute:{dispute}:%"))).all()
        assert [(e.source_key.rsplit(":", 1)[1], e.account_id, e.amount_fen)
                for e in entries] == [("in", account_id, 30000)]  # only this side
        assert ledger.balance_fen(account_id) == before + 30000
        payout = approvals.of_subject(PayoutKind.TRANSFER_CORRECTION,
                                      f"transfer-correction:dispute:{dispute}")
        assert payout.detail["old_account_id"] is None
        assert payout.approved_by not in (None, payout.prepared_by)
        db.session.remove()
    assert messages_of(app, pid, "application_corrected")


def test_a_dispute_about_a_transfer_that_never_happened_is_refused_with_a_reason(
        client, app, enrolled):
    sign_in(client, app, enrolled)
    dispute = file_dispute(client, "transfer", "转移记录有误，请核对")
    reviewer = staff(app, "reviewer.qingshan")
    refused = staff_post(reviewer, dispute, "ask-old-county", question="请核对转移记录")
    assert refused.status_code == 409 and "第二十条" in refused.get_data(as_text=True)
    assert application(app, dispute).status == "submitted"
    # Answered from the records here instead (第二十条).
    assert staff_post(reviewer, dispute, "resolution", entry="",
                      explanation="您的记录没有跨县转移，账户记录无误").status_code == 302
    assert application(app, dispute).status == "explained"

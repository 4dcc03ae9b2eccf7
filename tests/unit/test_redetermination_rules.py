"""Re-deciding a pension (重新核定, 第二十五条): who may check it (第六十二条), the difference for
each month already paid, and how much of it one payment carries. Worked examples in fen."""

from datetime import date

from portal.rules.approval import may_approve
from portal.rules.benefits import months_between
from portal.rules.redetermination import differences, settle_now


def test_the_checker_is_never_the_preparer():
    assert may_approve("staff:3", "staff:4")
    assert not may_approve("staff:3", "staff:3")
    assert not may_approve(None, "staff:4")  # nobody prepared it: nothing to check
    assert not may_approve("staff:3", "")


def test_decided_too_low_by_100_yuan_for_three_months_pays_300_yuan_extra():
    # Paid 163.00 basic + 71.94 account for Jan–Mar 2027; the balance at eligibility was
    # 13 900.00 yuan too low, so the account part should have been 171.94 (+100.00 a month).
    months = months_between(date(2027, 1, 1), date(2027, 3, 1))
    paid = {m: (16300, 7194) for m in months}
    due = {m: (16300, 17194) for m in months}
    rows = differences(paid, due)
    assert [r.month for r in rows] == months
    assert all(r.total_fen == 10000 and r.basic_fen == 0 and r.account_fen == 10000
               for r in rows)
    assert sum(r.total_fen for r in rows) == 3 * 10000


def test_each_month_at_its_own_basic_pension_and_unchanged_months_left_out():
    paid = {date(2026, 12, 1): (14300, 5000), date(2027, 1, 1): (16300, 5000)}
    # The basic pension rose in 2027 (调待); only the account part was wrong, and only in 2027.
    due = {date(2026, 12, 1): (14300, 5000), date(2027, 1, 1): (16300, 4000)}
    rows = differences(paid, due)
    assert [(r.month, r.total_fen) for r in rows] == [(date(2027, 1, 1), -1000)]


def test_a_month_no_longer_due_is_owed_back_whole():
    paid = {date(2027, 1, 1): (16300, 7194)}
    rows = differences(paid, {})
    assert rows[0].total_fen == -(16300 + 7194)


def test_extra_pay_rides_whole_and_deductions_wait_when_the_payment_cannot_carry_them():
    assert settle_now([10000, 10000, 10000], 23494) == [0, 1, 2]
    # Three months overpaid by 100.00 yuan, next payment 163.00: one deduction now, two later.
    assert settle_now([-10000, -10000, -10000], 16300) == [0]
    # Deductions are taken oldest first and never skipped over.
    assert settle_now([-20000, -100], 16300) == []
    assert settle_now([5000, -10000, -10000], 16300) == [0, 1, 2]
    assert settle_now([], 16300) == []

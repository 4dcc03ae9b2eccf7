"""Interest (第十七条、第十八条) and benefit figures (第二十二条), with hand-worked examples."""

from datetime import date

import pytest

from portal.rules import benefits
from portal.rules.contributions import Tier
from portal.rules.interest import rate_for, round_half_up, yearly_interest
from portal.schemes import scheme_for


def test_opening_balance_earns_the_full_year():
    # 10 000.00 yuan at 1.50 % = 150.00 yuan
    assert yearly_interest(1_000_000, [], 150) == 15_000


def test_money_earns_from_the_month_after_booking():
    # 500 yuan booked 2025-03-15: April..December = 9 months × 1.5 % / 12 = 5.625 yuan → 5.63
    assert yearly_interest(0, [(date(2025, 3, 15), 50_000)], 150) == 563
    # booked in December: nothing this year
    assert yearly_interest(0, [(date(2025, 12, 1), 50_000)], 150) == 0
    # booked in January: 11 months
    assert yearly_interest(0, [(date(2025, 1, 31), 120_000)], 150) == 1_650


def test_worked_example_with_opening_and_several_bookings():
    """Opening 3 456.78 at 2.62 % (2024) + 300 in May + 40 subsidy in May + 500 in Nov.
    12×345678 + 30000×7 + 4000×7 + 50000×1 = 4 436 136; × 262 / 120 000 = 9 685.56… → 9 685.56 fen
    rounded half up to 9 686 fen = 96.86 yuan."""
    bookings = [(date(2024, 5, 10), 30_000), (date(2024, 5, 10), 4_000),
                (date(2024, 11, 3), 50_000)]
    assert yearly_interest(345_678, bookings, 262) == 9_686


def test_rounding_is_half_up_once_per_year():
    assert round_half_up(60_000) == 1 and round_half_up(59_999) == 0
    assert round_half_up(-60_000) == -1 and round_half_up(-59_999) == 0
    # rounding once: 3 × 0.4 fen would round to 0 three times, but is 1.2 → 1 once
    assert yearly_interest(0, [(date(2025, 11, 1), 40)] * 3, 1_200) == round_half_up(
        1_200 * 3 * 40)


def test_debits_reduce_interest():
    assert yearly_interest(1_000_000, [(date(2025, 6, 30), -1_000_000)], 150) == 7_500


def test_rates_are_configuration():
    scheme = scheme_for("530000")
    assert rate_for(scheme, 2016) == 831 and rate_for(scheme, 2024) == 262
    with pytest.raises(LookupError):
        rate_for(scheme, 2030)


def test_basic_pension_by_area_and_year():
    scheme = scheme_for("530000")
    assert benefits.basic_pension_fen(scheme, 2026, "539901000000") == 16_300
    assert benefits.basic_pension_fen(scheme, 2026, "539902000000") == 17_300  # local top-up
    assert benefits.basic_pension_fen(scheme, 2025, "539902000000") == 14_300
    assert benefits.basic_pension_fen(scheme, 2027, "539901000000") == 16_300


def test_account_pension_is_balance_over_139():
    assert benefits.account_pension_fen(1_390_000) == 10_000
    assert benefits.account_pension_fen(1_000_000) == 7_194  # 71.942… yuan
    assert benefits.account_pension_fen(0) == 0


def test_estimate_worked_example():
    """Age 58, 14 years paid, 20 000 yuan, paying 500 + 60 a year at 1.5 %, two years left:
    year 1: 2 000 000 + 30 000 + 420 (half-year on 56 000) = 2 030 420, + 56 000 = 2 086 420
    year 2: 2 086 420 + 31 296.3 + 420 → 31 716 → 2 118 136, + 56 000 = 2 174 136
    account pension 2 174 136 / 139 = 15 641.27… → 15 641; basic 16 300."""
    result = benefits.estimate(balance_fen=2_000_000, years_paid=14, age=58, this_year=2026,
                               tier=Tier(50_000, 6_000), rate_bp=150, basic_fen=16_300)
    assert result.balance_at_60_fen == 2_174_136
    assert result.account_fen == 15_641 and result.monthly_fen == 31_941
    assert result.years_at_60 == 16 and result.reaches_minimum_in == 2026


def test_estimate_says_when_the_minimum_is_never_reached():
    result = benefits.estimate(balance_fen=0, years_paid=2, age=55, this_year=2026,
                               tier=Tier(10_000, 3_000), rate_bp=150, basic_fen=16_300)
    assert result.years_at_60 == 7 and result.reaches_minimum_in is None


def test_estimate_reaches_minimum_year():
    result = benefits.estimate(balance_fen=0, years_paid=10, age=45, this_year=2026,
                               tier=Tier(10_000, 3_000), rate_bp=150, basic_fen=16_300)
    assert result.reaches_minimum_in == 2030  # 2026..2030 are years 11..15

def test_interest_to_date_for_a_transfer_in_the_year():
    from portal.rules.interest import interest_to_date, latest_rate

    # 10 000.00 opening, 6 full months at 2.62%: 1 000 000 × 6 × 262 / 120 000 = 13 100 fen.
    assert interest_to_date(1_000_000, [], 262, 6) == 13_100
    # 500.00 booked in March earns from April: 3 of 6 months → 50 000 × 3 × 262 / 120 000.
    assert interest_to_date(0, [(date(2026, 3, 10), 50_000)], 262, 6) == 328  # 327.5 → 328
    # A full year equals the yearly formula.
    assert interest_to_date(1_000_000, [(date(2026, 3, 10), 50_000)], 262, 12) == \
        yearly_interest(1_000_000, [(date(2026, 3, 10), 50_000)], 262)
    assert latest_rate({"interest_rates_bp": {"2024": 262, "2025": 150}}, 2026) == 150

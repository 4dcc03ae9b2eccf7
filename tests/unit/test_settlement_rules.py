"""Settlement on deregistration (第三十四条、第三十六条), worked examples to the fen."""

from datetime import date

from portal.rules import settlement

SCHEME = {"funeral_subsidy_fen": {"default": 50000, "539902": 80000}}


def test_pension_stops_from_the_month_after_death():
    paid = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    assert settlement.overpaid_months(date(2026, 10, 5), paid) == [date(2026, 11, 1),
                                                                  date(2026, 12, 1)]
    assert settlement.overpaid_months(date(2026, 12, 31), paid) == []


def test_funeral_subsidy_is_local_and_for_beneficiaries():
    assert settlement.funeral_subsidy_fen(SCHEME, "539901000000", True) == 50000
    assert settlement.funeral_subsidy_fen(SCHEME, "539902000000", True) == 80000
    assert settlement.funeral_subsidy_fen(SCHEME, "539901000000", False) == 0
    assert settlement.funeral_subsidy_fen({}, "539901000000", True) == 0


def test_heir_receives_balance_plus_funeral_minus_overpaid():
    # 12 345.67 balance + 500.00 funeral − 2 months × 267.60 overpaid = 12 310.47
    result = settlement.settle(ground="death", balance_fen=1_234_567, government_fen=300_000,
                               funeral_fen=50_000, overpaid_fen=2 * 26_760)
    assert result.payable_fen == 1_231_047 and result.debt_fen == 0
    assert result.refundable_fen == 1_234_567  # subsidies included: the whole balance


def test_overpayment_larger_than_balance_and_funeral_is_a_debt():
    # 100.00 + 500.00 − 10 months × 163.00 = −1 030.00 → nothing paid, 1 030.00 owed
    result = settlement.settle(ground="death", balance_fen=10_000, government_fen=0,
                               funeral_fen=50_000, overpaid_fen=10 * 16_300)
    assert result.payable_fen == 0 and result.debt_fen == 103_000


def test_another_basic_pension_refunds_the_balance_without_government_money():
    result = settlement.settle(ground="other_pension", balance_fen=800_000,
                               government_fen=250_000, funeral_fen=50_000, overpaid_fen=0)
    assert result.refundable_fen == 550_000 and result.funeral_fen == 0
    assert result.payable_fen == 550_000

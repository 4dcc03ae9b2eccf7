"""A statement's figures (对账单, 第十九条) from an account's ledger lines, worked by hand."""

from collections import namedtuple
from datetime import date

from portal.rules.statement import figures

Line = namedtuple("Line", "id kind amount_fen booked_on year reverses_id")
KINDS = ("personal", "government_paid")

LINES = [  # ordered by (booked_on, id), as the ledger query returns them
    Line(1, "personal", 50_000, date(2022, 5, 1), 2022, None),
    Line(2, "subsidy", 4_000, date(2022, 5, 1), 2022, None),
    Line(3, "interest", 600, date(2022, 12, 31), 2022, None),
    Line(4, "personal", 30_000, date(2023, 4, 2), 2023, None),
    Line(5, "reversal", -30_000, date(2023, 6, 1), 2023, 4),  # 2023's contribution undone
    Line(6, "personal", 20_000, date(2024, 1, 15), 2023, None),  # 2023's, paid late
    Line(7, "government_paid", 0, date(2024, 3, 1), 2024, None),  # nothing paid: no year
    Line(8, "personal", 10_000, date(2025, 2, 1), 2024, None),  # 2024's, booked in 2025
]


def test_a_year_opens_with_everything_booked_before_it():
    found = figures(LINES, 2023, [], KINDS)
    assert found.opening_fen == 54_600
    assert [line.id for line in found.entries] == [4, 5]
    assert found.closing_fen == 54_600  # paid and reversed within the year
    # 2023 counts through line 6 (its year is 2023 although booked in 2024)
    assert found.contribution_years == [2022, 2023]


def test_contribution_years_follow_the_contribution_year_not_the_booking_day():
    found = figures(LINES, 2024, [], KINDS)
    assert [line.id for line in found.entries] == [6, 7]
    assert found.opening_fen == 54_600 and found.closing_fen == 74_600
    assert found.contribution_years == [2022, 2023, 2024]


def test_all_years_and_years_carried_in():
    found = figures(LINES, None, [2018, 2030], KINDS)
    assert found.opening_fen == 0 and found.entries == LINES
    assert found.closing_fen == sum(line.amount_fen for line in LINES) == 84_600
    assert found.contribution_years == [2018, 2022, 2023, 2024, 2030]
    assert figures(LINES, 2022, [2018, 2030], KINDS).contribution_years == [2018, 2022]


def test_an_empty_year():
    found = figures(LINES, 2021, [], KINDS)
    assert (found.opening_fen, found.entries, found.closing_fen) == (0, [], 0)
    assert found.contribution_years == []


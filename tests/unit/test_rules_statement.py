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



# The figures by their definition, one rule at a time (第十九条), to hold the one-pass
# implementation to: random ledgers, every year and all years.
def _by_definition(lines, year, carried, kinds):
    if year is None:
        entries, opening = list(lines), 0
    else:
        entries = [line for line in lines if line.booked_on.year == year]
        opening = sum(line.amount_fen for line in lines if line.booked_on.year < year)
    undone = {line.reverses_id for line in lines if line.reverses_id is not None}
    years = {line.year for line in lines if line.kind in kinds and line.amount_fen > 0
             and line.id not in undone and (year is None or line.year <= year)}
    years |= {y for y in carried if year is None or y <= year}
    return opening, [line.id for line in entries], sorted(years)


def test_figures_follow_their_definition_on_random_ledgers():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    line = st.tuples(st.sampled_from(("personal", "subsidy", "interest", "government_paid",
                                      "reversal")),
                     st.integers(-50_000, 50_000), st.dates(date(2015, 1, 1), date(2027, 12, 31)),
                     st.integers(2015, 2027))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(line, max_size=30), st.one_of(st.none(), st.integers(2014, 2028)),
           st.lists(st.integers(2000, 2030), max_size=3), st.data())
    def check(raw, year, carried, data):
        raw = sorted(raw, key=lambda item: item[2])
        lines = [Line(number, kind, amount, booked_on, for_year, None)
                 for number, (kind, amount, booked_on, for_year) in enumerate(raw, start=1)]
        if lines:  # some lines reverse an earlier one
            for index in data.draw(st.lists(st.integers(0, len(lines) - 1), max_size=3)):
                target = data.draw(st.integers(1, len(lines)))
                lines[index] = lines[index]._replace(reverses_id=target)
        found = figures(lines, year, carried, KINDS)
        opening, entry_ids, years = _by_definition(lines, year, carried, KINDS)
        assert found.opening_fen == opening
        assert [line.id for line in found.entries] == entry_ids
        assert found.closing_fen == opening + sum(line.amount_fen for line in found.entries)
        assert found.contribution_years == years

    check()

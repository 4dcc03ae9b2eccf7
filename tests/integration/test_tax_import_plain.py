"""The tax import decides the common case in SQL (tax_import._judge_plain) and every other row
with rules.intake in Python (tax_import._judge). The SQL must decide exactly as rules.intake
would (第十一条: a year's contribution is one tier; 第十七条: the subsidy booked with it): here
random batches over a handful of residents in every situation are judged both ways, row by
row, and must agree on every row the SQL decides."""

import copy
import io
import random
from datetime import date

import pytest
from sqlalchemy import delete, select

from portal.extensions import db
from portal.operations import ledger_partitions, tax_import
from portal.operations.tax_import import DECISION
from portal.rules import contributions, intake
from tests.integration.helpers import SCHEME, insure, new_person

YEAR = 2026
HEADER = "tax_ref,id_number,year,amount_fen,paid_on,payer\n"


def _scheme_variants():
    odd = copy.deepcopy(SCHEME)
    # A second tier of an amount already listed (intake takes the first) and subsidised back pay.
    odd["years"]["2026"]["tiers"] = [*odd["years"]["2026"]["tiers"],
                                     {"amount_fen": 20000, "subsidy_fen": 9999}]
    odd["years"]["2026"]["subsidy_for_back_pay"] = True
    return [SCHEME, odd]


@pytest.fixture(scope="module")
def residents(app):
    """Residents in every situation the rows can meet: contributing with an empty year, with
    part of the year booked already, receiving a pension, ended, with no account."""
    with app.app_context():
        people = {}
        for key, born, status in (("plain1", date(1980, 1, 1), "contributing"),
                                  ("plain2", date(1985, 2, 2), "contributing"),
                                  ("plain3", date(1990, 3, 3), "contributing"),
                                  ("plain4", date(1975, 4, 4), "contributing"),
                                  ("paid_part", date(1982, 5, 5), "contributing"),
                                  ("old", date(1955, 6, 6), "contributing"),
                                  ("receiving", date(1950, 7, 7), "receiving"),
                                  ("ended", date(1970, 8, 8), "terminated"),
                                  ("no_account", date(1988, 9, 9), None)):
            person = new_person(born)
            if status:
                insure(person, date(2012, 6, 1), status=status)
            people[key] = person.id_number
        db.session.commit()
        # Part of 2026 booked for one, and tax references the batches may send again.
        booked = tax_import.import_batch(
            (HEADER + f"OLD-1,{people['paid_part']},{YEAR},10000,{YEAR}-01-05,person\n"
             f"OLD-2,{people['plain4']},{YEAR - 1},20000,{YEAR - 1}-03-05,person\n").encode(),
            "text/csv", SCHEME, "test")
        assert booked.status == "booked", booked.report
        db.session.remove()
    return people


def _random_rows(rng: random.Random, people: dict) -> list[str]:
    """Rows that are mostly plain (a tier, or a top-up from one tier to another, paid by the
    person in the year itself) with each field going astray at a rate chosen per batch."""
    amounts = [t.amount_fen for t in contributions.tiers(SCHEME, YEAR)]
    numbers = [*people.values(), "110101199001011237"]  # the last one: nobody here
    astray = rng.choice((0.0, 0.05, 0.2, 0.5))
    lines = []
    for number in range(rng.randint(1, 20)):
        who = rng.choice(numbers[:4] if rng.random() >= astray else numbers)
        year, paid_on = YEAR, date(YEAR, rng.randint(1, 12), rng.randint(1, 28))
        if rng.random() < astray:
            year = rng.choice((YEAR - 1, 2008))
            paid_on = rng.choice((paid_on, date(YEAR - 1, 12, 31)))
        if rng.random() < 0.5:
            amount = rng.choice(amounts[:5])
        else:
            low, high = sorted(rng.sample(amounts[:6], 2))
            amount = high - low  # a top-up from one tier to another
        if rng.random() < astray:
            amount = rng.choice((5000, 12345, -10000, 0, "x"))  # "x": a bad row
        payer = "government" if rng.random() < astray else "person"
        ref = f"R{number}" if rng.random() >= astray else rng.choice(("R0", "OLD-1", "OLD-2"))
        lines.append(f"{ref},{who},{year},{amount},{paid_on},{payer}\n")
    return lines


def _decisions() -> dict:
    return {row[0]: tuple(row[1:]) for row in db.session.execute(
        select(DECISION).order_by(DECISION.c.row_no))}


def _both_ways(content: bytes, scheme: dict) -> tuple[dict, dict]:
    """(the rows _judge_plain decides, what rules.intake decides for every row), one batch."""
    batch, _new = tax_import.receive(io.BytesIO(content), "text/csv", "test")
    path = tax_import.batch_dir() / batch.file_name
    try:
        tax_import._create_temp_tables()
        tax_import._stage(path, "text/csv")
        years = sorted({y for y in db.session.scalars(select(tax_import.STAGING.c.year))
                        if y is not None})
        ledger_partitions.ensure(years)
        tax_import._look_up(years)
        tax_import._judge_plain(scheme, years)
        plain = _decisions()
        db.session.execute(delete(DECISION))
        tax_import._summarise(years)
        tax_import._judge(scheme)
        judged = _decisions()
        tax_import._drop_temp_tables()
    finally:
        db.session.rollback()
        path.unlink(missing_ok=True)
    return plain, judged


def test_the_sql_decides_the_common_case_as_rules_intake_does(app, residents):
    rng = random.Random(19)
    decided = accepted_in_python = 0
    with app.app_context():
        for round_ in range(80):
            scheme = _scheme_variants()[round_ % 2]
            lines = _random_rows(rng, residents)
            # A column no row fills, named after the round: every batch's file is new.
            content = (HEADER.replace("\n", f",round{round_}\n") + "".join(lines)).encode()
            plain, judged = _both_ways(content, scheme)
            assert len(judged) == len(lines)
            for row_no, decision in plain.items():
                assert judged[row_no] == decision, (round_, row_no, lines)
            decided += len(plain)
            accepted_in_python += sum(1 for row_no, d in judged.items()
                                      if d[0] == "accepted" and row_no not in plain)
        db.session.remove()
    # Not vacuous: both paths judged a good share of the rows.
    assert decided > 100 and accepted_in_python > 20, (decided, accepted_in_python)


def test_plain_tiers_are_the_tiers_intake_accepts(app):
    """The (amount, subsidy) pairs are intake's own answer for a first payment of that amount."""
    for scheme in _scheme_variants():
        for year in (2008, 2012, YEAR):
            pairs = intake.plain_tiers(scheme, year)
            for amount in {t.amount_fen for t in contributions.tiers(scheme, max(year, 2009))}:
                decided = intake.intake(
                    scheme, year=year, paid_on=date(year, 5, 1), amount_fen=amount,
                    payer="person", relation_status="contributing", birth_date=None,
                    enrolled_year=2012, years_paid=0, so_far=intake.YearSoFar(),
                    severely_disabled=False)
                if year < 2009:
                    assert pairs == [] and decided.refusal == "before_scheme_start"
                else:
                    assert (amount, decided.subsidy_fen) in pairs
                    assert decided.refusal is None and decided.kind == "personal"

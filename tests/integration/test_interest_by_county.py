"""Crediting a year county by county (issue 19 part 5; 第十八条): one job per county, the same
amounts as the whole-province run, once however often (or however many workers) run it, and
never on a closed account."""

from datetime import date

from sqlalchemy import select

from portal.extensions import db
from portal.models import InsuranceRelation, LedgerEntry, OutboxMessage, Person, PersonalAccount
from portal.models.region import Region
from portal.operations import interest
from portal.rules import ids
from portal.rules.interest import yearly_interest

COUNTY = "539909000000"  # a county of the test's own: no other test's account is in it
YEAR, RATE = 2033, 262


def holder(sequence: int, status="contributing", phone=None, county=COUNTY) -> int:
    number = ids.compose_resident_id("539901", date(1977, 7, 7), sequence)
    person = Person(id_type=ids.RESIDENT_ID, id_number=number, name="按县", phone=phone,
                    birth_date=date(1977, 7, 7))
    db.session.add(person)
    db.session.flush()
    relation = InsuranceRelation(person_id=person.id, region_code=county, status=status,
                                 started_on=date(2030, 1, 1))
    db.session.add(relation)
    db.session.flush()
    account = PersonalAccount(person_id=person.id, relation_id=relation.id,
                              opened_on=date(2030, 1, 1))
    db.session.add(account)
    db.session.flush()
    return account.id


def book(account_id: int, day: date, amount: int, key: str) -> None:
    db.session.add(LedgerEntry(account_id=account_id, kind="personal", amount_fen=amount,
                               booked_on=day, year=day.year, source_key=f"county-test:{key}"))


def test_a_county_is_credited_once_with_the_rules_amounts(app, monkeypatch):
    with app.app_context():
        if db.session.get(Region, COUNTY) is None:
            db.session.add(Region(code=COUNTY, name="测试县", name_en="Test county",
                                  level="county", parent_code="539900000000"))
        first = holder(861, phone="13500008610")
        second = holder(862)
        closed = holder(863, status="terminated")
        book(first, date(2032, 5, 5), 50_000, "a")
        book(first, date(YEAR, 3, 15), 30_000, "b")
        book(second, date(YEAR, 11, 20), 10_000, "c")
        book(closed, date(2032, 5, 5), 40_000, "d")
        db.session.commit()

        asked = []
        monkeypatch.setattr("portal.jobs.enqueue", lambda *args: asked.append(args))
        assert COUNTY in interest.credit_year_by_county(YEAR, RATE)
        assert ("interest.credit_county", YEAR, RATE, COUNTY, True) in asked

        result = interest.credit_county(YEAR, RATE, COUNTY)
        expected = {
            first: yearly_interest(50_000, [(date(YEAR, 3, 15), 30_000)], RATE),
            second: yearly_interest(0, [(date(YEAR, 11, 20), 10_000)], RATE),
        }
        credited = dict(db.session.execute(select(LedgerEntry.account_id, LedgerEntry.amount_fen)
                                           .filter_by(kind="interest", year=YEAR)
                                           .filter(LedgerEntry.account_id.in_(
                                               [first, second, closed]))).all())
        assert credited == expected  # the closed account: nothing
        assert result == {"year": YEAR, "accounts": 2, "interest_fen": sum(expected.values())}
        # 第十九条: each resident told once, in the message centre, and by SMS only where a
        # phone is known: one outbox row per resident either way.
        told = db.session.execute(select(OutboxMessage.person_id, OutboxMessage.channel,
                                         OutboxMessage.in_app)
                                  .filter_by(kind="statement_ready")
                                  .join(PersonalAccount,
                                        PersonalAccount.person_id == OutboxMessage.person_id)
                                  .filter(PersonalAccount.id.in_([first, second]))).all()
        assert sorted((channel, shown) for _p, channel, shown in told) == [
            ("in_app", True), ("sms", True)]
        assert len({person for person, _c, _s in told}) == 2

        again = interest.credit_county(YEAR, RATE, COUNTY)
        assert again == {"year": YEAR, "accounts": 0, "interest_fen": 0}
        db.session.remove()


def test_two_counties_credited_at_the_same_moment_each_count_and_tell_only_their_own(app,
                                                                                      monkeypatch):
    """Two county jobs started together may share their run's timestamp, and their accounts
    interleave in id order: each still reports, and notifies, only its own county's accounts
    (the SQLite path finds what a run credited by its timestamp)."""
    from datetime import UTC, datetime

    east, west, year = "539908000000", "539907000000", 2034
    with app.app_context():
        for code in (east, west):
            if db.session.get(Region, code) is None:
                db.session.add(Region(code=code, name="同刻县", name_en="Same-moment county",
                                      level="county", parent_code="539900000000"))
        accounts = {east: [], west: []}
        for number in range(6):  # east, west, east, west…: ids interleave
            county = east if number % 2 == 0 else west
            account = holder(870 + number, county=county)
            book(account, date(year, 2, 1), 10_000 + number, f"same-moment:{number}")
            accounts[county].append(account)
        db.session.commit()

        moment = datetime(2035, 1, 2, 3, 4, 5, tzinfo=UTC)
        monkeypatch.setattr(interest, "utcnow", lambda: moment)
        results = {county: interest.credit_county(year, RATE, county) for county in (east, west)}

        for county, mine in accounts.items():
            amounts = dict(db.session.execute(
                select(LedgerEntry.account_id, LedgerEntry.amount_fen)
                .filter_by(kind="interest", year=year)
                .filter(LedgerEntry.account_id.in_(mine))).all())
            assert set(amounts) == set(mine)
            assert results[county] == {"year": year, "accounts": 3,
                                       "interest_fen": sum(amounts.values())}
        told = db.session.scalars(
            select(OutboxMessage.person_id).filter_by(kind="statement_ready")
            .join(PersonalAccount, PersonalAccount.person_id == OutboxMessage.person_id)
            .filter(PersonalAccount.id.in_(accounts[east] + accounts[west]))).all()
        assert sorted(told) == sorted(set(told)) and len(told) == 6  # once each
        db.session.remove()

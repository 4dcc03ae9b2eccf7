"""Whole lives through the real operations, checked to the fen (Hypothesis).

Each generated life enrols, pays (with gaps, tier changes and 代缴), may move county, is
credited every year end, claims at 60 or later once the years are met (第二十三条、第二十六条),
is paid by monthly runs (arrears at each month's rate, 第二十七条) with bank answers, failures
and re-issues, may be suspended (第三十三条) or imprisoned (第三十条), and may die or lose
nationality at any date, with the settlement in any month, January included
(第三十四条至第三十九条).
Every life must hold:

- money is conserved to the fen: booked in + interest = paid out + settled + remaining, and a
  transfer moves every fen from the old county's account to the new one (第四十三条、第四十四条);
- each year's interest equals the rule applied to that account (第十八条);
- nothing is paid for a month after a recorded death once it is recorded, and the months
  paid after it are deducted once each (第三十四条、第三十六条);
- no interest is credited to a closed account, which stays at zero;
- every paid month = basic pension in force that month + the decided account part (第二十七条);
- nothing is paid for months served in prison (第三十条).

The lives run on a database of their own, emptied between lives. `MONEY_LIVES` sets how many
(default 80 on SQLite and 40 on PostgreSQL in CI; set it to thousands for a longer run).
"""

import os
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select, text

from portal import create_app
from portal.cli import drop_everything, upgrade_database
from portal.config import database_url
from portal.demo.loader import demo_data
from portal.extensions import db
from portal.models import (
    Application,
    Base,
    BenefitDecision,
    BenefitPayment,
    InsuranceRelation,
    LedgerEntry,
    PaymentRun,
    Person,
    PersonalAccount,
    Region,
    RegistryCustody,
    RegistryDeath,
    RegistryPerson,
    RegistryRelative,
    Settlement,
    TransferCase,
)
from portal.operations import (
    applications,
    approvals,
    benefits,
    closure,
    interest,
    ledger,
    tax_import,
    transitions,
)
from portal.rules import benefits as benefit_rules
from portal.rules import contributions, ids
from portal.rules.interest import rate_for, yearly_interest
from portal.schemes import scheme_for

# PostgreSQL is slower per commit; together the two runs of CI see 120 lives.
LIVES = int(os.environ.get("MONEY_LIVES", "40" if os.environ.get("TEST_DATABASE_URL") else "80"))
HOME, OTHER = "539901000000", "539902000000"
BANK = "6217000010000000003"
TODAY = date(2026, 11, 25)


class Staff:
    def __init__(self, number, role="county_reviewer"):
        self.number, self.role = number, role

    def get_id(self):
        return f"staff:{self.number}"


class Clock:
    """The operations' idea of today, moved along each life."""

    day = TODAY

    def __call__(self):
        return self.day


@pytest.fixture(scope="module")
def lives_app(tmp_path_factory):
    """An app on a database of its own: payment runs are per month for everybody, so lives
    cannot share one with the other tests."""
    instance = tmp_path_factory.mktemp("lives")
    shared = os.environ.get("TEST_DATABASE_URL")
    if shared:
        url = database_url(shared)
        base, _, name = url.rpartition("/")
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                     {"n": f"{name}_lives"}):
                connection.execute(text(f'CREATE DATABASE "{name}_lives"'))
        admin.dispose()
        url = f"{base}/{name}_lives"
    else:
        url = f"sqlite:///{instance / 'lives.db'}"
    drop_everything(url)
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": url, "TESTING": True,
                      "EXTERNAL_URL": "http://127.0.0.1:9"})
    upgrade_database(app)
    with app.app_context():
        for region in demo_data()["regions"]:
            db.session.add(Region(code=region["code"], name=region["name"],
                                  name_en=region["name_en"], level=region["level"],
                                  parent_code=region["parent"]))
        db.session.commit()
        db.session.remove()
    yield app
    app.extensions["portal_engine"].dispose()


def empty(app):
    """Everything but the regions goes before the next life."""
    engine = app.extensions["portal_engine"]
    tables = [name for name in Base.metadata.tables if name != "region"]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL lock_timeout = '30s'"))
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                    + " RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))
            connection.execute(text("PRAGMA foreign_keys=ON"))


# A life, as data ---------------------------------------------------------------------------

@dataclass
class Life:
    birth: date
    enrolled: date
    pays: list  # per year from enrolment: None (gap) or tier index
    paid_day: int  # day of the year the money arrives
    disabled: bool
    move_in_year: int | None  # years after enrolment; None: stays
    run_every: int  # months between payment runs
    failures: list  # per run: whether one payment fails (re-issued once)
    suspension: tuple | None  # (months after start, months suspended) with back pay
    prison: tuple | None  # (months after start, months served)
    end: tuple | None  # (ground, months after enrolment, days recorded late, months to settle)
    runs_built: list = field(default_factory=list)  # (day built, month)


months = st.integers(min_value=0, max_value=200)
lives = st.builds(
    Life,
    birth=st.dates(date(1944, 1, 1), date(1966, 12, 31)),
    enrolled=st.dates(date(2009, 10, 1), date(2016, 12, 31)),
    pays=st.lists(st.one_of(st.none(), st.integers(0, 5), st.integers(0, 5)), min_size=18,
                  max_size=18),
    paid_day=st.integers(1, 360),
    disabled=st.booleans(),
    move_in_year=st.one_of(st.none(), st.integers(0, 6)),
    run_every=st.integers(2, 14),
    failures=st.lists(st.booleans(), min_size=40, max_size=40),
    suspension=st.one_of(st.none(), st.tuples(st.integers(0, 60), st.integers(1, 8))),
    prison=st.one_of(st.none(), st.tuples(st.integers(0, 60), st.integers(1, 20))),
    end=st.one_of(st.none(), st.tuples(st.sampled_from(["death", "nationality"]),
                                       months, st.integers(0, 240), st.integers(0, 14))),
)


def month_add(day: date, count: int) -> date:
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


# Driving the real operations ---------------------------------------------------------------

class World:
    def __init__(self, app, clock, life):
        self.app, self.clock, self.life = app, clock, life
        self.scheme = scheme_for(app.config["SCHEME_PROVINCE"])
        self.serial = 0

    def at(self, day):
        self.clock.day = day

    def person(self, birth, name="人"):
        self.serial += 1
        number = ids.compose_resident_id("539901", birth, 100 + self.serial)
        db.session.add(RegistryPerson(id_type=ids.RESIDENT_ID, id_number=number, name=name,
                                      birth_date=birth, alive=True, phone=None,
                                      hukou_region_code="539901100201"))
        person = Person(id_type=ids.RESIDENT_ID, id_number=number, name=name, birth_date=birth)
        db.session.add(person)
        db.session.commit()
        return person

    def enrol(self, person, day, county):
        relation = InsuranceRelation(person_id=person.id, region_code=county,
                                     status="contributing", started_on=day)
        db.session.add(relation)
        db.session.flush()
        db.session.add(PersonalAccount(person_id=person.id, relation_id=relation.id,
                                       opened_on=day))
        db.session.commit()

    def application(self, kind, person, county, **answers):
        self.serial += 1
        item = Application(reference=f"{county[:6]}L{self.serial:08d}", kind=kind,
                           person_id=person.id, region_code=county, filed_by=person.get_id(),
                           filed_by_kind="resident", channel="online",
                           submission_key=f"life-{self.serial}", received_on=self.clock.day,
                           due_on=self.clock.day, answers=answers)
        db.session.add(item)
        db.session.flush()
        return item

    def contribute(self, person, year, tier_index):
        tiers = contributions.tiers(self.scheme, year)
        amount = tiers[min(tier_index, len(tiers) - 1)].amount_fen
        paid_on = date(year, 1, 1) + timedelta(days=min(self.life.paid_day, 364))
        rows = [f"P{person.id}-{year},{person.id_number},{year},{amount},{paid_on},person"]
        if self.life.disabled:
            db.session.merge(_disability(person.id_number))
            db.session.commit()
            rows.append(f"G{person.id}-{year},{person.id_number},{year},10000,{paid_on},"
                        "government")
            # The personal part must complete a tier with the government's lowest-tier part.
            rows[0] = rows[0].replace(f",{amount},", f",{max(amount - 10000, 10000)},")
            if amount == 10000:
                rows = rows[1:]
        self.at(max(self.clock.day, paid_on))
        batch = tax_import.import_batch(
            ("tax_ref,id_number,year,amount_fen,paid_on,payer\n" + "\n".join(rows)).encode(),
            "text/csv", self.scheme, "system:test")
        return batch

    def credit(self, year):
        self.at(max(self.clock.day, date(year + 1, 1, 10)))
        interest.credit_year(year, rate_for(self.scheme, year), notify=False)

    def run(self, month):
        run = benefits.run_month(month, actor="system:test", checked_on=self.clock.day)
        self.life.runs_built.append((self.clock.day, month))
        mine = db.session.scalars(select(BenefitPayment).filter_by(run_id=run.id,
                                                                   attempt=1)).all()
        if not mine:
            return
        fail = self.life.failures[len(self.life.runs_built) % len(self.life.failures)]
        lines = [f"{p.id},{'failed' if fail and i == 0 else 'paid'}" for i, p in
                 enumerate(mine)]
        benefits.import_bank_result("payment_id,status\n" + "\n".join(lines),
                                    actor="system:bank")
        if fail:
            # 第六十二条: prepared by one member of staff, approved by another.
            again = benefits.reissue_failed("staff:1", "staff:2")
            if again:
                benefits.import_bank_result("payment_id,status\n" + "\n".join(
                    f"{p.id},paid" for p in again), actor="system:bank")


def _disability(number):
    from portal.models import RegistryDisability

    return RegistryDisability(id_number=number, grade=1)


def live(app, clock, life: Life):
    """Drive one life from enrolment to its end (or to today); returns what happened."""
    world = World(app, clock, life)
    world.at(life.enrolled)
    person = world.person(life.birth)
    heir = world.person(date(1975, 1, 1), "继承人")
    db.session.add(RegistryRelative(id_number=heir.id_number, relative_id_number=person.id_number,
                                    relation="child"))
    world.enrol(person, life.enrolled, HOME)
    age = world.scheme.get("pension_age", 60)
    required = benefit_rules.required_years(life.birth, world.scheme["scheme_start_year"],
                                            world.scheme["minimum_years"], age)
    at_60 = benefit_rules.pension_age_date(life.birth, age)
    end_day = None
    if life.end:
        end_day = min(month_add(life.enrolled, life.end[1]) + timedelta(days=life.end[1] % 27),
                      TODAY - timedelta(days=1))
    county = HOME
    years = 0
    for offset, tier in enumerate(life.pays):
        year = life.enrolled.year + offset
        if year > 2025 or (end_day and year > end_day.year):
            break
        if years >= required and year >= at_60.year:
            break
        if life.move_in_year == offset and county == HOME and (
                end_day is None or date(year, 3, 1) < end_day):
            world.at(max(world.clock.day, date(year, 3, 1)))
            move(world, person, HOME, OTHER)
            county = OTHER
        if tier is not None:
            batch = world.contribute(person, year, tier)
            assert batch.status == "booked", batch.report
            years += 1
        world.credit(year)
    claimed = claim(world, person, county, end_day)
    event(f"moved: {county != HOME}")
    event(f"claimed: {claimed is not None}")
    if claimed:
        pay_until_the_end(world, person, claimed, end_day)
    if life.end and end_day is not None:
        settle(world, person, heir, county, end_day)
    return person


def move(world, person, old, new):
    """第四十条至第四十四条 through the real transfer operations (an outside county: through
    the interface)."""
    item = world.application("transfer_in", person, new, confirm_transfer="yes")
    item.comparison = {"resident_scheme_region": old}
    closure.transfer_submitted(item, person.get_id(), "online")
    item.status = "approved"
    closure.transfer_accepted(item, "staff:1", "counter")
    db.session.commit()
    case = closure.transfer_case_for(item)
    closure.settle_transfer_out(case, "staff:2", world.scheme)
    approvals.approve(closure.transfer_approval(case), actor="staff:4", commit=True)
    closure.confirm_funds(case, "staff:3")


def claim(world, person, county, end_day):
    account = ledger.account_of(person.id)
    eligible = benefits.eligibility_of(person, account, world.scheme)
    if eligible is None or eligible > TODAY or (end_day and eligible >= end_day):
        return None
    world.at(max(world.clock.day, eligible))
    item = world.application("claim", person, county, bank_account=BANK)
    db.session.commit()
    transitions.transition(item, "benefit", Staff(1), expected_version=item.version)
    transitions.transition(item, "benefit-check", Staff(2, "county_checker"),
                           expected_version=item.version, choice="approve")
    decision = benefits.decision_for(item)
    benefits.confirm(decision, person)
    return decision


def pay_until_the_end(world, person, decision, end_day):
    life = world.life
    last = min(end_day + timedelta(days=life.end[2] + 31 * life.end[3]), TODAY) if end_day \
        else TODAY
    month = decision.first_month
    start = month
    if end_day and life.end[0] == "death":
        recorded = end_day + timedelta(days=life.end[2])
        db.session.add(RegistryDeath(id_number=person.id_number, death_date=end_day,
                                     source="civil_affairs", recorded_on=recorded))
        db.session.commit()
    if life.prison:
        begins = month_add(start, life.prison[0]) + timedelta(days=9)
        db.session.add(RegistryCustody(id_number=person.id_number, started_on=begins,
                                       released_on=month_add(begins, life.prison[1])
                                       + timedelta(days=3)))
        db.session.commit()
    suspended = False
    while month <= date(last.year, last.month, 1):
        world.at(max(world.clock.day, month + timedelta(days=2)))
        if life.suspension and month == month_add(start, life.suspension[0]):
            try:
                benefits.suspend(person.id, month, "reported", "staff:1")
                suspended = True
            except benefits.WrongState:
                pass
        if suspended and month == month_add(start, life.suspension[0] + life.suspension[1]):
            try:
                benefits.resume(person.id, "staff:1")
            except benefits.WrongState:
                pass
            suspended = False
        world.run(month)
        month = month_add(month, life.run_every)


def settle(world, person, heir, county, end_day):
    ground, _m, late, after = world.life.end
    relation = db.session.scalar(select(InsuranceRelation).filter(
        InsuranceRelation.person_id == person.id, InsuranceRelation.status != "terminated"))
    if relation is None:
        return
    if ground == "death":
        recorded = end_day + timedelta(days=late)
        if db.session.scalar(select(RegistryDeath).filter_by(id_number=person.id_number)) \
                is None:
            db.session.add(RegistryDeath(id_number=person.id_number, death_date=end_day,
                                         source="civil_affairs", recorded_on=recorded))
            db.session.commit()
        day = min(max(recorded, month_add(end_day, after)), TODAY)
        world.at(max(world.clock.day, day))
        item = world.application("deregistration", heir, county, ground="death",
                                 deceased_id_number=person.id_number, bank_account=BANK)
    else:
        day = min(month_add(end_day, after), TODAY)
        world.at(max(world.clock.day, day))
        item = world.application("deregistration", person, county, ground="nationality",
                                 event_on=end_day.isoformat(), bank_account=BANK)
    closure.deregistration_submitted(item, item.filed_by, "online")
    closure.deregister(item, "staff:1", "counter")
    db.session.commit()
    approvals.approve(approvals.for_application(item.id), actor="staff:2")
    item.status = "approved"
    db.session.commit()
    # A year end after the settlement must not touch the closed account.
    if world.clock.day.year <= 2025:
        world.credit(world.clock.day.year)


# What must hold ----------------------------------------------------------------------------

def check(world_scheme, person, life):
    accounts = db.session.scalars(select(PersonalAccount).filter_by(person_id=person.id)
                                  .order_by(PersonalAccount.id)).all()
    entries = db.session.scalars(select(LedgerEntry).filter(
        LedgerEntry.account_id.in_([a.id for a in accounts])).order_by(LedgerEntry.id)).all()

    def total(*kinds):
        return sum(e.amount_fen for e in entries if e.kind in kinds)

    reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
    by_id = {e.id: e for e in entries}
    reversals = {kind: sum(e.amount_fen for e in entries if e.kind == "reversal"
                           and by_id[e.reverses_id].kind == kind)
                 for kind in ("pension_paid",)}
    booked_in = total("personal", "government_paid", "subsidy")
    credited = total("interest")
    paid_out = -(total("pension_paid") + reversals["pension_paid"])
    settled = -total("settlement")
    remaining = sum(ledger.balance_fen(a.id) for a in accounts
                    if db.session.get(InsuranceRelation, a.relation_id).status != "terminated")
    # Money conserved to the fen; transfers lose nothing between counties.
    assert booked_in + credited == paid_out + settled + remaining
    assert total("transfer_in") == -total("transfer_out")
    for case in db.session.scalars(select(TransferCase).filter_by(person_id=person.id)):
        assert case.amount_fen == -sum(e.amount_fen for e in entries
                                       if e.source_key == f"transfer-out:{case.id}")

    # Each year-end crediting equals the rule applied to that account (第十八条).
    for entry in entries:
        if entry.source_key.startswith("interest:"):
            mine = [e for e in entries if e.account_id == entry.account_id and e.id != entry.id]
            opening = sum(e.amount_fen for e in mine if e.booked_on < date(entry.year, 1, 1))
            bookings = [(e.booked_on, e.amount_fen) for e in mine
                        if e.booked_on.year == entry.year and e.created_at <= entry.created_at
                        and e.kind != "interest"]
            assert entry.amount_fen == yearly_interest(
                opening, bookings, rate_for(world_scheme, entry.year))

    # Closed accounts: zero, and no interest after closing.
    for account in accounts:
        relation = db.session.get(InsuranceRelation, account.relation_id)
        if relation.status != "terminated":
            continue
        mine = [e for e in entries if e.account_id == account.id]
        closing = max(e.id for e in mine if e.kind in ("settlement", "transfer_out")) \
            if any(e.kind in ("settlement", "transfer_out") for e in mine) else None
        assert sum(e.amount_fen for e in mine) == 0
        if closing is not None:
            assert not [e for e in mine if e.kind == "interest" and e.id > closing]

    decision = db.session.scalar(select(BenefitDecision).filter_by(person_id=person.id,
                                                                   status="confirmed"))
    payments = db.session.scalars(select(BenefitPayment).filter_by(person_id=person.id)).all()
    relation = db.session.scalar(select(InsuranceRelation).filter_by(person_id=person.id)
                                 .order_by(InsuranceRelation.id.desc()))
    for payment in payments:
        # Every paid month = basic pension in force that month + the decided account part.
        assert payment.basic_fen == benefit_rules.basic_pension_fen(
            world_scheme, payment.month.year, relation.region_code, decision.years_paid)
        assert payment.account_fen == decision.account_fen
        assert payment.month >= decision.first_month
    death = db.session.scalar(select(RegistryDeath).filter_by(id_number=person.id_number))
    if death is not None:
        death_month = date(death.death_date.year, death.death_date.month, 1)
        for built_on, month in life.runs_built:
            if built_on >= death.recorded_on:
                run = db.session.scalar(select(PaymentRun).filter_by(month=month))
                assert not [p for p in payments if p.run_id == run.id and p.month > death_month]
    custody = db.session.scalar(select(RegistryCustody).filter_by(id_number=person.id_number))
    event(f"imprisoned while receiving: {custody is not None}")
    if custody is not None and relation.status == "receiving":
        served = benefit_rules.months_between(benefit_rules.first_payment_month(
            custody.started_on), custody.released_on)
        for built_on, month in life.runs_built:
            if built_on > custody.started_on:
                run = db.session.scalar(select(PaymentRun).filter_by(month=month))
                assert not [p for p in payments if p.run_id == run.id and p.month in served]

    settlement = db.session.scalar(select(Settlement).filter_by(insured_person_id=person.id))
    if settlement is not None:
        overpaid = [p for p in payments if p.status in ("paid", "sent")
                    and (p.month.year, p.month.month) > (settlement.event_on.year,
                                                         settlement.event_on.month)]
        # Each overpaid month deducted once, whole: its account part went back first.
        assert settlement.overpaid_fen == sum(p.total_fen for p in overpaid)
        event(f"settled {settlement.ground}, overpaid: {bool(overpaid)}, debt: "
              f"{bool(settlement.debt_fen)}")
        for payment in overpaid:
            key = f"pension:{person.id}:{payment.month:%Y-%m}"
            assert sum(e.amount_fen for e in entries if e.source_key == key
                       or (e.reverses_id and by_id[e.reverses_id].source_key == key)) == 0
        net = settlement.refundable_fen + settlement.funeral_fen - settlement.overpaid_fen
        assert settlement.payable_fen - settlement.debt_fen == net
        assert settled == settlement.balance_fen
    assert reversed_ids <= set(by_id)


@settings(max_examples=LIVES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(life=lives)
def test_whole_lives_keep_every_fen(lives_app, monkeypatch, life):
    clock = Clock()
    for module in (applications, closure, benefits):
        monkeypatch.setattr(module, "china_today", clock)
    empty(lives_app)
    with lives_app.test_request_context():
        try:
            person = live(lives_app, clock, life)
            check(scheme_for(lives_app.config["SCHEME_PROVINCE"]), person, life)
            assert db.session.scalar(select(func.count(Person.id))) >= 2
        finally:
            # A failing life must not leave its transaction open: the next life's TRUNCATE
            # would wait for its locks for ever while Hypothesis shrinks.
            db.session.rollback()
            db.session.remove()

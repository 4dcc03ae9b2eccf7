"""What the scheme accepts from the tax department's contribution rows (第十一条、第十七条).

One contribution year per person and calendar year: the year's payments (personal payments, a
later top-up to a higher tier, and the government's payment on the person's behalf, 代缴, at
most once a year) must together make one of the year's tiers, and the government subsidy is
set once from that total: a second payment adds only the difference to the higher tier's
subsidy, whatever order the payments arrive in.
Back pay (补缴) only where the transitional rule or the province's configured policy allows it;
nothing for a relation already receiving a pension or ended. Years count from the scheme's
configured start.
"""

from dataclasses import dataclass
from datetime import date

from . import contributions
from .benefits import required_years

REFUSALS = (
    "before_scheme_start",
    "not_enrolled",
    "receiving_pension",
    "relation_terminated",
    "bad_amount",
    "not_eligible_for_government_payment",
    "year_already_paid",
    "back_pay_not_allowed",
)


@dataclass(frozen=True)
class YearSoFar:
    """What one person's account already holds for one contribution year."""

    personal_fen: int = 0
    government_fen: int = 0
    subsidy_fen: int = 0


@dataclass(frozen=True)
class Intake:
    refusal: str | None
    kind: str | None = None  # "personal" or "government_paid"
    subsidy_fen: int = 0  # the subsidy this row adds (the year's total tier's, less any booked)


def back_pay_allowed(scheme: dict, *, year: int, paid_on: date, birth_date: date | None,
                     enrolled_year: int, years_paid: int) -> bool:
    """补缴 for an earlier year. The transitional rule (domain.md): someone with fewer than the
    minimum years left to pension age when the scheme started may pay back years from the
    scheme's start, up to the minimum in total. Otherwise only the province's policy
    (`back_pay.missed_years_since_enrolment`, optionally `back_pay.max_years_back`) allows
    paying a missed year since enrolment; never a year before enrolment."""
    minimum = scheme.get("minimum_years", 15)
    start = scheme.get("scheme_start_year", 2009)
    if birth_date is not None:
        needed = required_years(birth_date, start, minimum, scheme.get("pension_age", 60))
        if needed < minimum and years_paid < minimum:
            return True
    policy = scheme.get("back_pay") or {}
    if not policy.get("missed_years_since_enrolment") or year < enrolled_year:
        return False
    limit = policy.get("max_years_back")
    return limit is None or paid_on.year - year <= int(limit)


def _year_rules(scheme: dict, year: int, memo: dict | None):
    """(tiers, the year's configuration) or None when the scheme has no such year; `memo`, a
    dict the caller keeps for one scheme, saves rebuilding them for every row of a batch."""
    if memo is not None and year in memo:
        return memo[year]
    try:
        found = (contributions.tiers(scheme, year), contributions.year_config(scheme, year))
    except contributions.NoSchemeForYear:
        found = None
    if memo is not None:
        memo[year] = found
    return found


def intake(scheme: dict, *, year: int, paid_on: date, amount_fen: int, payer: str,
           relation_status: str | None, birth_date: date | None, enrolled_year: int,
           years_paid: int, so_far: YearSoFar, severely_disabled: bool,
           memo: dict | None = None) -> Intake:
    """Accept or refuse one row; `years_paid` counts the person's contribution years so far.
    `memo`: an empty dict kept by the caller across rows judged with the same scheme."""
    if year < scheme.get("scheme_start_year", 2009):
        return Intake("before_scheme_start")
    if relation_status is None:
        return Intake("not_enrolled")
    if relation_status == "receiving":
        return Intake("receiving_pension")
    if relation_status != "contributing":
        return Intake("relation_terminated")
    rules = _year_rules(scheme, year, memo)
    if rules is None:
        return Intake("bad_amount")
    tiers, config = rules
    if payer == "government":
        configured = contributions.government_pays_in(config, severely_disabled)
        if not configured or amount_fen != configured or configured > tiers[0].amount_fen:
            return Intake("not_eligible_for_government_payment")
        kind = "government_paid"
    else:
        kind = "personal"
    total = so_far.personal_fen + so_far.government_fen + amount_fen
    tier = next((t for t in tiers if t.amount_fen == total), None)  # contributions.tier_for
    # A partial 代缴 arriving first waits for the personal part to complete the tier.
    waiting_for_personal_part = kind == "government_paid" and not so_far.personal_fen
    if tier is None and not waiting_for_personal_part:
        return Intake("bad_amount")
    if kind == "government_paid" and so_far.government_fen:
        return Intake("year_already_paid")
    back_pay = year < paid_on.year
    if back_pay and not back_pay_allowed(scheme, year=year, paid_on=paid_on,
                                         birth_date=birth_date, enrolled_year=enrolled_year,
                                         years_paid=years_paid):
        return Intake("back_pay_not_allowed")
    subsidised = not back_pay or config.get("subsidy_for_back_pay", False)
    subsidy = max(tier.subsidy_fen - so_far.subsidy_fen, 0) if tier and subsidised else 0
    return Intake(None, kind, subsidy)


def plain_tiers(scheme: dict, year: int, memo: dict | None = None) -> list[tuple[int, int]]:
    """The common case of `intake` as data, for judging it set-based (tax_import): a personal
    payment (no 代缴) for the year it is paid in (no 补缴), by a contributing resident whose
    account holds nothing for that year yet, is accepted exactly when every running total of the
    person's payments for the year, in the batch's order, is one of these (tier amount, tier
    subsidy) pairs (第十一条: the year's contribution is one tier); each payment then adds the
    highest subsidy reached so far less what the earlier payments added (第十七条). Every other
    row, and every row of an account with such a row, is left to `intake` itself: [] for a
    year before the scheme's start or without configuration, and pairs that `intake` would
    not treat this way (a later tier with the same amount, a negative subsidy) are left out."""
    if year < scheme.get("scheme_start_year", 2009):
        return []
    rules = _year_rules(scheme, year, memo)
    if rules is None:
        return []
    found, seen = [], set()
    for tier in rules[0]:
        if tier.amount_fen not in seen and tier.subsidy_fen >= 0:
            found.append((tier.amount_fen, tier.subsidy_fen))
        seen.add(tier.amount_fen)
    return found

"""Monthly pension = basic pension + account balance ÷ 139 (第二十二条至第二十六条; domain.md),
and the estimate residents see before they reach 60 (预估权益, 第二十二条)."""

from dataclasses import dataclass
from datetime import date, timedelta

from .contributions import Tier, tiers
from .interest import rate_for, round_half_up


def _latest(table: dict, year: int):
    years = sorted(int(y) for y in table if int(y) <= year)
    if not years:
        raise LookupError(f"nothing configured for {year}")
    return table[str(years[-1])]


def _for_county(entry, county_code: str) -> int:
    if isinstance(entry, dict):
        return int(entry.get(county_code[:6], entry["default"]))
    return int(entry)


def basic_pension_fen(scheme: dict, year: int, county_code: str,
                      years_paid: int | None = None) -> int:
    """The basic pension per month in force in a year for the area (central minimum + local
    top-up, 第二十七条: it rises for everyone already receiving), plus the province's extra pay
    for long contribution (加发) when `years_paid` is known."""
    basic = _for_county(_latest(scheme["basic_pension_fen"], year), county_code)
    return basic + long_contribution_extra_fen(scheme, year, county_code, years_paid)


def long_contribution_extra_fen(scheme: dict, year: int, county_code: str,
                                years_paid: int | None) -> int:
    """加发: a configured amount per month for every contribution year beyond the minimum
    (`long_contribution_fen_per_year`, by year and optionally county; default none)."""
    table = scheme.get("long_contribution_fen_per_year")
    if not table or years_paid is None:
        return 0
    try:
        per_year = _for_county(_latest(table, year), county_code)
    except LookupError:
        return 0
    return per_year * max(years_paid - scheme.get("minimum_years", 15), 0)


def account_pension_fen(balance_fen: int, divisor: int = 139) -> int:
    return round_half_up(balance_fen, divisor) if balance_fen > 0 else 0


@dataclass(frozen=True)
class Estimate:
    tier: Tier | None
    years_at_60: int  # contribution years by pension age if paying every year from now
    reaches_minimum_in: int | None  # calendar year the minimum years are reached, None if never
    balance_at_60_fen: int
    basic_fen: int
    account_fen: int

    @property
    def monthly_fen(self) -> int:
        return self.basic_fen + self.account_fen


def estimate(*, balance_fen: int, years_paid: int, age: int, this_year: int, tier: Tier | None,
             rate_bp: int, basic_fen: int, divisor: int = 139, minimum_years: int = 15,
             pension_age: int = 60, extra_government_fen: int = 0) -> Estimate:
    """Project the account to pension age, paying `tier` every year from `this_year` on.

    Assumptions (shown to residents): the rate stays at `rate_bp`; each year's money arrives in
    June and so earns half a year's interest that year; the basic pension stays at today's level.
    """
    years_left = max(pension_age - age, 0)
    yearly = (tier.amount_fen + tier.subsidy_fen + extra_government_fen) if tier else 0
    balance = balance_fen
    for _year in range(years_left):
        balance = balance + round_half_up(balance * rate_bp * 12 + yearly * rate_bp * 6)
        balance += yearly
    paying = years_left if tier else 0
    total_years = years_paid + paying
    if years_paid >= minimum_years:
        reaches = this_year
    elif tier and total_years >= minimum_years:
        reaches = this_year + (minimum_years - years_paid) - 1
    else:
        reaches = None
    return Estimate(tier=tier, years_at_60=total_years, reaches_minimum_in=reaches,
                    balance_at_60_fen=balance, basic_fen=basic_fen,
                    account_fen=account_pension_fen(balance, divisor))


# Claiming (第二十二条至第二十六条) ------------------------------------------------------------

def pension_age_date(birth: date, pension_age: int = 60) -> date:
    """The day the resident reaches pension age (29 February birthdays fall on 28 February)."""
    try:
        return birth.replace(year=birth.year + pension_age)
    except ValueError:
        return date(birth.year + pension_age, 2, 28)


def notice_horizon(today: date, months_ahead: int = 3) -> date:
    """The last day of pension age a 告知书 is made for today: three months ahead (第二十二条),
    counted as 31 days a month so no one falls between two monthly runs."""
    return today + timedelta(days=31 * months_ahead)


def notice_due(birth: date | None, today: date, pension_age: int = 60,
               months_ahead: int = 3) -> bool:
    """Whether this person reaches pension age between today and the horizon, the only time a
    告知书 is made (第二十二条); from the birth date alone, so a page can skip the look-up."""
    if birth is None:
        return False
    return today <= pension_age_date(birth, pension_age) <= notice_horizon(today, months_ahead)


def first_payment_month(eligible_on: date) -> date:
    """第二十六条: payment starts the month after the resident becomes eligible."""
    if eligible_on.month == 12:
        return date(eligible_on.year + 1, 1, 1)
    return date(eligible_on.year, eligible_on.month + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from `first` to `last`, both included."""
    months, current = [], date(first.year, first.month, 1)
    while current <= last:
        months.append(current)
        current = first_payment_month(current)
    return months


def required_years(birth: date, scheme_start_year: int, minimum: int = 15,
                   pension_age: int = 60) -> int:
    """Years of contributions needed (domain.md, transitional rules from the scheme's start):
    already at pension age when the scheme started → none; fewer than `minimum` years left to
    pension age → every remaining year; otherwise `minimum`."""
    years_left = birth.year + pension_age - scheme_start_year
    if years_left <= 0:
        return 0
    return min(minimum, years_left)


@dataclass(frozen=True)
class ClaimFacts:
    birth_date: date
    today: date
    years_paid: int
    alive: bool
    contributing: bool  # an active relation in the contribution period
    other_basic_pension: bool  # the employees' scheme or another basic pension


def claim_obstacles(facts: ClaimFacts, scheme: dict, advance_days: int = 31) -> list[str]:
    """Why a claim cannot go ahead, in the order the resident should hear them; [] = eligible.
    A claim may be filed up to `advance_days` before the 60th birthday."""
    reasons = []
    pension_age = scheme.get("pension_age", 60)
    if not facts.alive:
        reasons.append("deceased")
    if not facts.contributing:
        reasons.append("not_contributing")
    if facts.other_basic_pension:
        reasons.append("other_pension")
    if (pension_age_date(facts.birth_date, pension_age) - facts.today).days > advance_days:
        reasons.append("not_yet_60")
    needed = required_years(facts.birth_date, scheme.get("scheme_start_year", 2009),
                            scheme.get("minimum_years", 15), pension_age)
    if facts.years_paid < needed:
        reasons.append("too_few_years")
    return reasons


def monthly_benefit(scheme: dict, eligible_on: date, county_code: str,
                    balance_fen: int, years_paid: int | None = None) -> tuple[int, int]:
    """(basic pension, account pension) per month, in fen, at eligibility (第二十四条). The
    account part stays as decided for life; the basic part follows each year's rate."""
    return (basic_pension_fen(scheme, eligible_on.year, county_code, years_paid),
            account_pension_fen(balance_fen, scheme.get("account_divisor", 139)))


def eligibility_date(birth: date, required: int, year_arrivals, pension_age: int = 60,
                     ) -> date | None:
    """第二十三条、第二十六条: the later of the pension-age birthday and the day the required
    contribution years were met. `year_arrivals` are (day the year's money arrived, year)
    pairs; None while the years are not met."""
    at_age = pension_age_date(birth, pension_age)
    if required <= 0:
        return at_age
    seen: set[int] = set()
    for arrived, year in sorted(year_arrivals):
        seen.add(year)
        if len(seen) >= required:
            return max(at_age, arrived)
    return None


def same_day_next_year(day: date) -> date:
    """The yearly anniversary of a day (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 2, 28)


def payment_day_in(month: date, payment_day: int) -> date:
    """The configured payment day in a month, or the month's last day when it is shorter."""
    following = first_payment_month(month)
    last = (following - timedelta(days=1)).day
    return date(month.year, month.month, min(payment_day, last))


def next_payment_date(today: date, payment_day: int) -> date:
    """Pensions reach the bank on a fixed day of the month (configuration); 29–31 fall on the
    last day of a shorter month."""
    this_month = payment_day_in(today, payment_day)
    return this_month if today <= this_month else payment_day_in(first_payment_month(today),
                                                                 payment_day)


def estimates_for(scheme: dict, today: date, *, balance_fen: int, years_paid: int, age: int,
                  county: str, extra_government_fen: int = 0):
    """The monthly pension at 60 for each tier, side by side (预估权益, 第二十二条), and the
    assumptions the page states with it."""
    rate = rate_for(scheme, max(int(y) for y in scheme["interest_rates_bp"]))
    basic = basic_pension_fen(scheme, today.year, county)
    rows = [estimate(balance_fen=balance_fen, years_paid=years_paid, age=age,
                     this_year=today.year, tier=tier, rate_bp=rate, basic_fen=basic,
                     divisor=scheme.get("account_divisor", 139),
                     minimum_years=scheme.get("minimum_years", 15),
                     extra_government_fen=extra_government_fen)
            for tier in tiers(scheme, today.year)]
    return rows, {"rate_bp": rate, "basic_fen": basic,
                  "minimum_years": scheme.get("minimum_years", 15)}

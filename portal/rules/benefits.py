"""Monthly pension = basic pension + account balance ÷ 139 (第二十二条至第二十六条; domain.md),
and the estimate residents see before they reach 60 (预估权益, 第二十二条)."""

from dataclasses import dataclass

from .contributions import Tier
from .interest import round_half_up


def _latest(table: dict, year: int):
    years = sorted(int(y) for y in table if int(y) <= year)
    if not years:
        raise LookupError(f"nothing configured for {year}")
    return table[str(years[-1])]


def basic_pension_fen(scheme: dict, year: int, county_code: str) -> int:
    """The basic pension per month for the area and year (central minimum + local top-up)."""
    entry = _latest(scheme["basic_pension_fen"], year)
    if isinstance(entry, dict):
        return int(entry.get(county_code[:6], entry["default"]))
    return int(entry)


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

"""Yearly interest on the personal account (第十七条、第十八条; domain.md).

Money earns interest from the month after it reached the treasury; the interest year is the calendar
year and is credited once it has ended:

    interest(Y) = opening × r + Σ amount_m × (12 − m) × r / 12

Rates are basis points (1.50 % = 150), amounts fen. The sum is computed exactly in integers and
rounded once per account and year, half up to the fen (half away from zero for a negative base).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

DENOMINATOR = 12 * 10_000


def interest_numerator(opening_fen: int, bookings: Iterable[tuple[date, int]], rate_bp: int) -> int:
    """Interest × 120 000, exact: what the SQL crediting computes too."""
    weighted = 12 * opening_fen + sum(amount * (12 - day.month) for day, amount in bookings)
    return rate_bp * weighted


def round_half_up(numerator: int, denominator: int = DENOMINATOR) -> int:
    if numerator >= 0:
        return (numerator + denominator // 2) // denominator
    return -((-numerator + denominator // 2) // denominator)


def yearly_interest(opening_fen: int, bookings: Iterable[tuple[date, int]], rate_bp: int) -> int:
    return round_half_up(interest_numerator(opening_fen, bookings, rate_bp))


def rate_for(scheme: dict, year: int) -> int:
    """The crediting rate for a year (configuration per province)."""
    rates = scheme.get("interest_rates_bp", {})
    if str(year) not in rates:
        raise LookupError(f"no interest rate configured for {year}")
    return int(rates[str(year)])


def interest_to_date(opening_fen: int, bookings: Iterable[tuple[date, int]], rate_bp: int,
                     months: int) -> int:
    """Interest for the first `months` full months of a year, when an account is settled during
    the year (a transfer out, 第四十三条): the same monthly-product method, stopped early."""
    weighted = months * opening_fen + sum(amount * max(months - day.month, 0)
                                          for day, amount in bookings)
    return round_half_up(rate_bp * weighted)


def latest_rate(scheme: dict, year: int) -> int:
    """The year's rate, or the latest one published before it (this year's is announced later)."""
    rates = {int(y): int(r) for y, r in scheme.get("interest_rates_bp", {}).items()}
    known = [y for y in rates if y <= year]
    if not known:
        raise LookupError(f"no interest rate configured up to {year}")
    return rates[max(known)]


def rate_in_force(scheme: dict, year: int) -> tuple[int, bool]:
    """(rate, published): the year's own rate when configured, else the latest published one
    (a settlement during the year, or in January before last year's rate is out)."""
    rates = scheme.get("interest_rates_bp", {})
    if str(year) in rates:
        return int(rates[str(year)]), True
    return latest_rate(scheme, year), False


@dataclass(frozen=True)
class AccruedInterest:
    """Interest for one year not yet credited to an account, up to a settlement day."""

    year: int
    months: int  # 12 for a whole earlier year; full months elapsed in the settlement year
    rate_bp: int
    published: bool  # False: the year's rate is not out yet, the latest published one is used
    amount_fen: int

    def as_dict(self) -> dict:
        return {"year": self.year, "months": self.months, "rate_bp": self.rate_bp,
                "published": self.published, "amount_fen": self.amount_fen}


def accrued_interest(entries: Iterable[tuple[date, int]], credited_years: set[int], on: date,
                     scheme: dict) -> list[AccruedInterest]:
    """结息 (第十八条、第三十九条、第四十三条): the interest an account has earned up to `on` and
    not yet been credited: every earlier year not credited (whole year) and the current year's
    full months. Each year's interest counts in the next year's opening balance, as crediting
    at the year end would. Entries booked after `on` are left out."""
    booked = sorted((day, amount) for day, amount in entries if day <= on)
    if not booked:
        return []
    parts: list[AccruedInterest] = []
    uncredited = 0
    for year in range(booked[0][0].year, on.year + 1):
        if year in credited_years:
            continue
        part = _year_accrual(booked, year, on, scheme, uncredited)
        if part.amount_fen:
            parts.append(part)
        uncredited += part.amount_fen
    return parts


def _year_accrual(booked: list[tuple[date, int]], year: int, on: date, scheme: dict,
                  uncredited: int) -> AccruedInterest:
    """One year's interest: a whole earlier year, or this year's full months up to `on`."""
    months = 12 if year < on.year else on.month - 1
    opening = sum(amount for day, amount in booked if day < date(year, 1, 1)) + uncredited
    bookings = [(day, amount) for day, amount in booked if day.year == year]
    rate, published = rate_in_force(scheme, year)
    return AccruedInterest(year, months, rate, published,
                           interest_to_date(opening, bookings, rate, months))

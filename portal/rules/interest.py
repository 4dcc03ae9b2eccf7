"""Yearly interest on the personal account (第十七条、第十八条; domain.md).

Money earns interest from the month after it reached the treasury; the interest year is the calendar
year and is credited once it has ended:

    interest(Y) = opening × r + Σ amount_m × (12 − m) × r / 12

Rates are basis points (1.50 % = 150), amounts fen. The sum is computed exactly in integers and
rounded once per account and year, half up to the fen (half away from zero for a negative base).
"""

from collections.abc import Iterable
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

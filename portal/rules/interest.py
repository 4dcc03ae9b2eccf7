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

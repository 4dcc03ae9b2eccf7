"""Contribution tiers and the government subsidy each earns (第十一条; 国发〔2014〕8号).

The schedule is province configuration (portal/schemes/<province>.json), passed in as data.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    amount_fen: int
    subsidy_fen: int


class NoSchemeForYear(LookupError):
    pass


def year_config(scheme: dict, year: int) -> dict:
    """The configuration in force for a year: that year's, else the latest earlier one."""
    years = sorted(int(y) for y in scheme["years"] if int(y) <= year)
    if not years:
        raise NoSchemeForYear(year)
    return scheme["years"][str(years[-1])]


def tiers(scheme: dict, year: int) -> list[Tier]:
    return [Tier(t["amount_fen"], t["subsidy_fen"]) for t in year_config(scheme, year)["tiers"]]


def tier_for(scheme: dict, year: int, amount_fen: int) -> Tier | None:
    return next((t for t in tiers(scheme, year) if t.amount_fen == amount_fen), None)


def government_pays_fen(scheme: dict, year: int, severely_disabled: bool) -> int:
    """What the government pays of the contribution itself for hardship groups (代缴)."""
    return government_pays_in(year_config(scheme, year), severely_disabled)


def government_pays_in(config: dict, severely_disabled: bool) -> int:
    """government_pays_fen from the year's configuration (year_config) already looked up."""
    if not severely_disabled:
        return 0
    return config.get("severe_disability_paid_fen", 0)

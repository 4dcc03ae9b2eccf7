"""The figures of a statement (对账单, 第十九条) from an account's ledger lines.

One read of every line of the account is summed and filtered here, instead of three queries
(the period's lines, the balance before it, the years that count): a lifetime's ledger is tens to
a few hundred lines, and each query sweeps every yearly partition of the ledger again.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Figures:
    opening_fen: int
    entries: list  # the period's lines, in the order given (booked_on, id)
    closing_fen: int
    contribution_years: list[int]


def figures(lines: Iterable, year: int | None, carried_years: Sequence[int],
            contribution_kinds: Sequence[str]) -> Figures:
    """`lines`: every ledger line of the account ordered by (booked_on, id), each with id, kind,
    amount_fen, booked_on, year and reverses_id. `year` None means all years.

    - opening: the sum of lines booked before 1 January of `year` (0 for all years);
    - entries: the lines booked within `year` (all lines for all years);
    - closing: opening plus the entries;
    - contribution years: years (up to `year`) with a contribution of a positive amount that no
      line reverses, with the years a transfer brought in (第四十四条).
    """
    lines = list(lines)
    if year is None:
        entries, opening = lines, 0
    else:
        start, end = date(year, 1, 1), date(year, 12, 31)
        entries = [line for line in lines if start <= line.booked_on <= end]
        opening = sum(line.amount_fen for line in lines if line.booked_on < start)
    reversed_ids = {line.reverses_id for line in lines if line.reverses_id is not None}
    years = {line.year for line in lines
             if line.kind in contribution_kinds and line.amount_fen > 0
             and line.id not in reversed_ids and (year is None or line.year <= year)}
    years |= {y for y in carried_years if year is None or y <= year}
    return Figures(opening_fen=opening, entries=entries,
                   closing_fen=opening + sum(line.amount_fen for line in entries),
                   contribution_years=sorted(years))

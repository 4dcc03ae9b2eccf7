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
    # One pass over the lines (a statement page reads a lifetime's lines on every view), then
    # one over the contributions among them, once every reversal is known.
    start = date(year, 1, 1) if year is not None else None
    end = date(year, 12, 31) if year is not None else None
    entries, opening, reversed_ids, contributions = [], 0, set(), []
    for line in lines:
        booked_on, amount = line.booked_on, line.amount_fen
        if start is None or start <= booked_on <= end:
            entries.append(line)
        elif booked_on < start:
            opening += amount
        if line.reverses_id is not None:
            reversed_ids.add(line.reverses_id)
        if amount > 0 and line.kind in contribution_kinds:
            contributions.append(line)
    years = {line.year for line in contributions
             if line.id not in reversed_ids and (year is None or line.year <= year)}
    years |= {y for y in carried_years if year is None or y <= year}
    return Figures(opening_fen=opening, entries=entries,
                   closing_fen=opening + sum(line.amount_fen for line in entries),
                   contribution_years=sorted(years))

"""What deregistration pays out (第三十四条、第三十六条、第三十七条; domain.md).

- Pension stops from the month after the death (or other ground): months paid after that are
  overpaid.
- Death: the whole balance is inheritable, government subsidies included (2014 rules), plus the
  funeral subsidy where the area configures one; overpaid pension is deducted from the balance
  and the funeral subsidy first, and what remains is a debt the county pursues (第三十六条).
- Already receiving another basic pension: the balance is refunded minus government subsidies
  (人社部发〔2014〕17号 第八条).
"""

from dataclasses import dataclass
from datetime import date

GROUNDS = ("death", "nationality", "other_pension")


def overpaid_months(event_on: date, paid_months: list[date]) -> list[date]:
    """Paid months after the month of the event (payment stops from the next month)."""
    return sorted(m for m in paid_months if (m.year, m.month) > (event_on.year, event_on.month))


def funeral_subsidy_fen(scheme: dict, county_code: str, was_receiving: bool) -> int:
    """丧葬补助金 is local: configured per county, paid for deceased beneficiaries."""
    table = scheme.get("funeral_subsidy_fen") or {}
    if not was_receiving or not table:
        return 0
    return int(table.get(county_code[:6], table.get("default", 0)))


@dataclass(frozen=True)
class Settlement:
    refundable_fen: int
    funeral_fen: int
    overpaid_fen: int
    payable_fen: int
    debt_fen: int


def settle(*, ground: str, balance_fen: int, government_fen: int, funeral_fen: int,
           overpaid_fen: int, differences_fen: int = 0) -> Settlement:
    """`differences_fen`: what a re-decided pension (第二十五条) still owed for months already
    paid when the pension stopped: positive is paid with the settlement, negative deducted
    like an overpayment."""
    if ground not in GROUNDS:
        raise ValueError(f"unknown ground {ground}")
    refundable = balance_fen - government_fen if ground == "other_pension" else balance_fen
    refundable = max(refundable, 0)
    funeral = funeral_fen if ground == "death" else 0
    net = refundable + funeral - overpaid_fen + differences_fen
    return Settlement(refundable_fen=refundable, funeral_fen=funeral, overpaid_fen=overpaid_fen,
                      payable_fen=max(net, 0), debt_fen=max(-net, 0))

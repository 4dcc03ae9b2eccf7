"""Re-deciding a pension after a dispute found right (重新核定, 第二十五条): what each month
already paid should have been, and how much of the difference one month's payment can carry
(who may check it is rules.approval.may_approve). Pure: no Flask, no database."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MonthDifference:
    """One month already paid: what was paid and what the new decision says was due."""

    month: date
    paid_basic_fen: int
    paid_account_fen: int
    due_basic_fen: int
    due_account_fen: int

    @property
    def basic_fen(self) -> int:
        return self.due_basic_fen - self.paid_basic_fen

    @property
    def account_fen(self) -> int:
        return self.due_account_fen - self.paid_account_fen

    @property
    def total_fen(self) -> int:
        """Positive: paid too little (补发); negative: paid too much (扣发)."""
        return self.basic_fen + self.account_fen


def differences(paid: dict[date, tuple[int, int]],
                due: dict[date, tuple[int, int]]) -> list[MonthDifference]:
    """第二十五条 补（扣）发相应的历史待遇: for every month already paid, (basic, account) due
    under the new decision minus (basic, account) paid. A paid month the new decision does not
    pay at all (a later first month) is owed back whole. Months with no difference are left
    out; months not yet paid are not history (the next run pays them at the new amount)."""
    rows = []
    for month in sorted(paid):
        paid_basic, paid_account = paid[month]
        due_basic, due_account = due.get(month, (0, 0))
        if (due_basic, due_account) != (paid_basic, paid_account):
            rows.append(MonthDifference(month, paid_basic, paid_account, due_basic,
                                        due_account))
    return rows


def settle_now(pending: list[int], month_total_fen: int) -> list[int]:
    """Which pending differences (amounts in fen, oldest first) one payment carries: every
    amount still owed to the resident, and deductions in order while the payment stays at or
    above zero; the rest waits for the next month. Returns their positions in `pending`."""
    chosen = [i for i, amount in enumerate(pending) if amount >= 0]
    total = month_total_fen + sum(pending[i] for i in chosen)
    for i, amount in enumerate(pending):
        if amount >= 0:
            continue
        if total + amount < 0:
            break
        total += amount
        chosen.append(i)
    return sorted(chosen)

"""Two people on every payout (第六十二条: 经办、复核等不相容岗位相互分离).

Whoever prepares a payout (a settlement, a transfer's balance, a re-issue, a re-determined
difference, a correction of account entries) cannot approve it; only a member of staff can do
either. One rule, used by every payout and by the lifecycle's second check.
"""


def is_staff(actor: str | None) -> bool:
    return bool(actor) and actor.startswith("staff:")


def may_approve(prepared_by: str | None, approver: str | None) -> bool:
    """A payout is approved by a member of staff other than the one who prepared it; a payout
    nobody prepared, or one the system prepared, cannot be approved at all."""
    return is_staff(prepared_by) and is_staff(approver) and approver != prepared_by

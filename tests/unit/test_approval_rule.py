"""第六十二条: whoever prepares a payout cannot approve it; only staff do either."""

import pytest

from portal.rules.approval import is_staff, may_approve


@pytest.mark.parametrize(("prepared_by", "approver", "allowed"), [
    ("staff:1", "staff:2", True),
    ("staff:1", "staff:1", False),  # the same person
    ("staff:1", "system:cli", False),  # the system approves nothing
    ("system:run", "staff:2", False),  # nor is anything it prepared approvable
    (None, "staff:2", False),
    ("staff:1", None, False),
    ("staff:1", "resident:1", False),
    ("", "", False),
])
def test_a_different_member_of_staff_approves(prepared_by, approver, allowed):
    assert may_approve(prepared_by, approver) is allowed


def test_only_staff_actors_count():
    assert is_staff("staff:7") and not is_staff("resident:7") and not is_staff(None)

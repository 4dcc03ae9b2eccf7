"""Fixtures shared by integration tests."""

import pytest

from tests.integration.helpers import staff_sign_in
from tests.integration.test_enrolment import decide, enrol, make_resident


@pytest.fixture
def enrolled(app):
    """A fresh resident whose enrolment the county approved (so they have an account)."""
    resident = make_resident(app)
    client = app.test_client()
    reference = enrol(client, app, resident)
    staff = app.test_client()
    staff_sign_in(staff, app, "reviewer.qingshan")
    assert decide(staff, reference, "approve").status_code == 302
    return resident

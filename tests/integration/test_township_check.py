"""Counties may have the township office check first (初审, 第四条) before they decide."""

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import Application
from tests.integration.helpers import csrf_token, decide, enrol, make_resident, staff_sign_in

BAISHUI_VILLAGE = "539902100201"  # 白水县 asks its townships to check first


def test_township_checks_first_then_the_county_decides(client, app):
    resident = make_resident(app, BAISHUI_VILLAGE)
    reference = enrol(client, app, resident)
    with app.app_context():
        application = db.session.scalar(select(Application).filter_by(reference=reference))
        assert application.township_check and application.township_code == "539902100000"
        assert application.region_code == "539902000000"
        db.session.remove()

    county = app.test_client()
    staff_sign_in(county, app, "reviewer.baishui")
    assert reference not in county.get("/agency/").get_data(as_text=True)  # not its turn yet
    page = county.get(f"/agency/applications/{reference}")
    assert "等待乡镇" in page.get_data(as_text=True)
    early = county.post(f"/agency/applications/{reference}/decision", data={
        "csrf_token": csrf_token(page), "decision": "approve", "version": "1"})
    assert early.status_code == 409

    clerk = app.test_client()
    staff_sign_in(clerk, app, "clerk.baishui")
    assert reference in clerk.get("/agency/").get_data(as_text=True)
    page = clerk.get(f"/agency/applications/{reference}")
    version = re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)
    response = clerk.post(f"/agency/applications/{reference}/township-check", data={
        "csrf_token": csrf_token(page), "version": version, "note": "户籍核实无误"})
    assert response.status_code == 302
    assert reference not in clerk.get("/agency/").get_data(as_text=True)
    refused = clerk.post(f"/agency/applications/{reference}/decision", data={
        "csrf_token": csrf_token(page), "decision": "approve", "version": version})
    assert refused.status_code == 403  # a clerk never decides

    assert reference in county.get("/agency/").get_data(as_text=True)
    assert decide(county, reference, "approve").status_code == 302
    tracking = client.get(f"/me/applications/{reference}").get_data(as_text=True)
    assert "乡镇（街道）事务所已初审" in tracking and "户籍核实无误" in tracking
    assert "已通过" in tracking


def test_clerk_of_another_township_sees_nothing(client, app):
    resident = make_resident(app, BAISHUI_VILLAGE)
    reference = enrol(client, app, resident)
    other = app.test_client()
    staff_sign_in(other, app, "clerk.shiqiao")
    assert reference not in other.get("/agency/").get_data(as_text=True)
    assert other.get(f"/agency/applications/{reference}").status_code == 404


def test_county_without_first_check_goes_straight_to_the_county(client, app):
    resident = make_resident(app)
    reference = enrol(client, app, resident)
    clerk = app.test_client()
    staff_sign_in(clerk, app, "clerk.shiqiao")
    assert clerk.get(f"/agency/applications/{reference}").status_code == 404

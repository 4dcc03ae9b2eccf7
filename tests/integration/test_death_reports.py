"""Death reports (第三十二条、第三十三条; issue 17 item 3): an assistant reports only residents of
their own village; the township sees the registries' comparison before forwarding; a report the
registries contradict suspends nothing until the county confirms it."""

from datetime import date

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditRecord, DeathReport, InsuranceRelation
from tests.integration.helpers import (
    VILLAGE,
    assistant,
    become_beneficiary,
    csrf_token,
    make_claimant,
    record_death,
    staff_sign_in,
)
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    forward_death_reports as forward,
)
from tests.integration.helpers import (
    report_death as report,
)


def stored_reports(app, person):
    with app.app_context():
        rows = db.session.scalars(select(DeathReport).filter_by(
            id_number=person["id_number"])).all()
        found = [(r.id, r.status, r.registry_result) for r in rows]
        db.session.remove()
    return found


def suspended_from(app, pid):
    with app.app_context():
        value = db.session.scalar(select(InsuranceRelation.suspended_from).filter_by(
            person_id=pid, status="receiving"))
        db.session.remove()
    return value


def test_an_assistant_reports_only_their_own_village(app):
    elsewhere = make_claimant(app, village="539901100201")  # 东山村, not the assistant's
    pid = become_beneficiary(app.test_client(), app, elsewhere)
    client = assistant(app)
    response = report(client, elsewhere)
    assert response.status_code == 400
    assert "不是本村户籍人员" in response.get_data(as_text=True)
    assert stored_reports(app, elsewhere) == []
    assert suspended_from(app, pid) is None


def test_a_contradicted_report_waits_for_the_county(app):
    person = make_claimant(app, village=VILLAGE)
    pid = become_beneficiary(app.test_client(), app, person)
    assert report(assistant(app), person).status_code == 302
    page = forward(app)
    # The township saw what the registries say before sending it on.
    assert person["name"] in page and "数据比对结果" in page and "户籍登记显示此人仍健在" in page
    [(report_id, status, result)] = stored_reports(app, person)
    assert (status, result) == ("contested", "alive")
    assert suspended_from(app, pid) is None  # nothing suspended on the village's word alone

    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    page = reviewer.get("/agency/death-reports")
    text = page.get_data(as_text=True)
    assert person["name"] in text and "户籍登记显示此人仍健在" in text
    assert reviewer.post(f"/agency/death-reports/{report_id}/confirmed",
                         data={"csrf_token": csrf_token(page)}).status_code == 302
    assert suspended_from(app, pid) == date(2026, 11, 1)
    assert stored_reports(app, person)[0][1] == "confirmed"
    with app.app_context():
        actions = db.session.scalars(select(AuditRecord.action).filter_by(
            object_type="person", object_id=str(pid))).all()
        db.session.remove()
    assert "benefit_suspended" in actions and "death_confirmed" in actions


def test_a_contradicted_report_the_county_dismisses_never_suspends(app):
    person = make_claimant(app, village=VILLAGE)
    pid = become_beneficiary(app.test_client(), app, person)
    assert report(assistant(app), person).status_code == 302
    forward(app)
    [(report_id, _status, _result)] = stored_reports(app, person)
    reviewer = app.test_client()
    staff_sign_in(reviewer, app, "reviewer.qingshan")
    page = reviewer.get("/agency/death-reports")
    assert reviewer.post(f"/agency/death-reports/{report_id}/alive",
                         data={"csrf_token": csrf_token(page)}).status_code == 302
    assert stored_reports(app, person)[0][1] == "alive"
    assert suspended_from(app, pid) is None


def test_a_report_the_registries_confirm_suspends_at_once(app):
    person = make_claimant(app, village=VILLAGE)
    pid = become_beneficiary(app.test_client(), app, person)
    assert report(assistant(app), person).status_code == 302
    record_death(app, person, date(2026, 10, 20))
    page = forward(app)
    assert "登记系统已有此人的死亡记录" in page
    assert stored_reports(app, person)[0][1:] == ("matched", "death_recorded")
    assert suspended_from(app, pid) == date(2026, 11, 1)


def test_other_counties_never_see_or_decide_the_report(app):
    person = make_claimant(app, village=VILLAGE)
    become_beneficiary(app.test_client(), app, person)
    assert report(assistant(app), person).status_code == 302
    forward(app)
    [(report_id, _status, _result)] = stored_reports(app, person)
    other = app.test_client()
    staff_sign_in(other, app, "reviewer.baishui")
    page = other.get("/agency/death-reports")
    assert person["name"] not in page.get_data(as_text=True)
    assert other.post(f"/agency/death-reports/{report_id}/confirmed",
                      data={"csrf_token": csrf_token(page)}).status_code == 404

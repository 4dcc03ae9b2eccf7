"""The home page starts with what this person needs now, by life stage; "最近的办件" names the
service and the date; the 告知书 appears without anyone running a command (第二十二条)."""

import re

from sqlalchemy import event, select

from portal.extensions import db
from portal.models import AuditRecord, PensionNotice
from tests.integration.helpers import (
    answer,
    confirm,
    make_claimant,
    make_resident,
    person_id,
    sign_in,
)


def top_of(html: str) -> str:
    """The part above the list of every service."""
    return html.split('class="more-services"')[0]


def test_not_enrolled_sees_how_to_enrol_first(client, app, demo):
    sign_in(client, app, demo["by_key"]["not_enrolled"])
    top = top_of(client.get("/me/").get_data(as_text=True))
    assert "您还没有参加城乡居民基本养老保险" in top
    assert "/apply/enrolment/" in top


def test_contributor_sees_this_years_payment_and_level(client, app, enrolled):
    sign_in(client, app, enrolled)
    top = top_of(client.get("/me/").get_data(as_text=True))
    assert "尚未到账" in top and "缴费档次" in top
    assert "您还没有参加" not in top


def test_near_sixty_the_notice_appears_on_its_own_and_the_claim_is_offered(client, app):
    person = make_claimant(app)
    pid = person_id(app, person)
    with app.app_context():
        assert db.session.scalar(select(PensionNotice).filter_by(person_id=pid)) is None
        db.session.remove()
    sign_in(client, app, person)
    top = top_of(client.get("/me/").get_data(as_text=True))
    assert "告知书" in top and "/me/pension/notice" in top
    assert "/apply/claim/" in top
    eligible = person["born"].replace(year=person["born"].year + 60)
    assert f"{eligible.year}年{eligible.month}月{eligible.day}日" in top
    # Made once: looking again changes nothing and leaves no new audit record.
    with app.app_context():
        audits = db.session.query(AuditRecord).filter_by(
            action="pension_notices_generated").count()
        db.session.remove()
    client.get("/me/")
    with app.app_context():
        assert len(db.session.scalars(select(PensionNotice).filter_by(person_id=pid)).all()) == 1
        assert db.session.query(AuditRecord).filter_by(
            action="pension_notices_generated").count() == audits
        db.session.remove()
    # The notice itself is there to read.
    assert "告知书" in client.get("/me/pension/notice").get_data(as_text=True)


def test_receiving_sees_this_months_payment_and_the_eligibility_confirmation(client, app, demo):
    sign_in(client, app, demo["by_key"]["receiving"])
    top = top_of(client.get("/me/").get_data(as_text=True))
    assert "本月养老金" in top
    assert "资格认证" in top and re.search(r"\d{4}年\d{1,2}月\d{1,2}日前完成", top)


def test_an_open_application_shows_its_stage_and_deadline_and_recent_ones_their_service(
        client, app):
    resident = make_resident(app)
    sign_in(client, app, resident)
    assert answer(client, "/apply/question/step/question",
                  question="请问每年最晚什么时候缴费？").status_code == 302
    confirm(client, "question", declaration=False)
    html = client.get("/me/").get_data(as_text=True)
    top = top_of(html)
    assert "咨询" in top and ("审核中" in top or "答复中" in top)
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日前办结", top)
    recent = html.split("最近的办件")[1]
    assert "咨询" in recent and re.search(r"\d{4}年\d{1,2}月\d{1,2}日", recent)
    assert not re.search(r">\d{16,}<", recent)  # no bare numbers


def link_names(html: str) -> list[str]:
    main = html.split('<main', 1)[1].split("</main>", 1)[0]
    return [re.sub(r"<[^>]+>", "", text).strip()
            for text in re.findall(r"<a [^>]*>(.*?)</a>", main, re.S)]


def test_every_link_on_the_home_page_has_its_own_name(app, demo):
    """Two links with one name are one link too many for someone reading slowly (and for a
    screen reader's list of links)."""
    for key in ("not_enrolled", "contributor", "receiving"):
        for kiosk in (False, True):
            client = app.test_client()
            if kiosk:
                client.set_cookie("kiosk", "1")
            sign_in(client, app, demo["by_key"][key])
            names = link_names(client.get("/me/").get_data(as_text=True))
            assert len(names) == len(set(names)), (key, kiosk, names)


def statements_during(app, request) -> list[str]:
    with app.app_context():
        engine = db.engine
    seen = []

    def note(connection, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def test_a_contributors_home_page_is_one_look_up(client, app, demo):
    """Everyone signed in lands here (issue 19): the relation, this year's contributions, the
    告知书 and whether anything was filed come in one statement, and far from pension age no
    notice is looked for. (Opening the session and loading the person are not this page's.)"""
    sign_in(client, app, demo["by_key"]["contributor"])
    client.get("/me/")
    statements = statements_during(app, lambda: client.get("/me/"))
    own = [s for s in statements if "FROM web_session" not in s
           and not re.search(r"FROM person WHERE person\.id = \S+$", s)]
    assert len(own) == 1, own
    assert "FROM insurance_relation" in own[0]

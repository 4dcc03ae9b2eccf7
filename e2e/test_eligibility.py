"""The yearly eligibility confirmation (资格认证, 第三十一条) on the resident's side: the
pensioner's own face check on a phone (360 px) and at the township kiosk (1080×1920), and a
daughter doing her mother's check on her own phone (亲情认证). Every page: axe, width,
screenshot."""

import io
import re
import socket
from datetime import date, timedelta
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import delete, select

from e2e.conftest import KIOSK, PHONE
from e2e.test_claim import face_check
from e2e.test_sign_in import sign_in
from kiosk.agent import load_key, serve
from portal.documents.verification import mask_name
from portal.extensions import db
from portal.models import EligibilityCheck, FamilyHelper, Person
from portal.rules.dates import china_today
from tests.integration.helpers import fresh_totp_code


def make_due(app, person: dict, days: int) -> None:
    """The person's next confirmation falls due `days` from today (whatever day the demo runs)."""
    due = china_today() + timedelta(days=days)
    last = date(due.year - 1, due.month, min(due.day, 28))
    with app.app_context():
        person_id = db.session.scalar(select(Person.id).filter_by(name=person["name"]))
        db.session.execute(delete(EligibilityCheck).where(
            EligibilityCheck.person_id == person_id, EligibilityCheck.confirmed_on >= last))
        db.session.add(EligibilityCheck(person_id=person_id, confirmed_on=last,
                                        method="data_comparison", actor="system:demo",
                                        channel="system", evidence={}))
        db.session.commit()
        db.session.remove()


def test_a_pensioner_confirms_with_a_face_check_on_the_phone(page, live_url, app, demo,
                                                            checks):
    person = demo["by_key"]["receiving"]
    make_due(app, person, 6)
    sign_in(page, live_url, person)  # real name only: the face check comes when it is needed
    expect(page.get_by_text("年度领取资格认证请于")).to_be_visible()
    checks.page(page, "eligibility-home-phone")
    page.get_by_role("link", name="现在刷脸认证").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("领取资格认证")
    expect(page.get_by_text("即将到期，请认证")).to_be_visible()
    checks.page(page, "eligibility-phone")
    page.get_by_role("button", name="开始人脸核验").click()
    face_check(page, person)  # the identity platform's face step-up, then back here (a GET)
    page.wait_for_url("**/me/eligibility")
    checks.page(page)
    page.get_by_role("button", name="开始人脸核验").click()
    expect(page.get_by_text("认证成功，谢谢。")).to_be_visible()
    expect(page.get_by_text("已认证，目前无需办理")).to_be_visible()
    checks.page(page, "eligibility-done-phone")
    page.goto(live_url + "/me/pension")
    expect(page.get_by_text("人脸识别").first).to_be_visible()
    expect(page.get_by_role("link", name="现在刷脸认证")).to_have_count(0)
    checks.page(page, "eligibility-pension-phone")


def test_a_daughter_confirms_for_her_mother_on_her_phone(page, live_url, app, demo, checks):
    mother, daughter = demo["by_key"]["limited_mobility"], demo["by_key"]["villager"]
    make_due(app, mother, 9)
    with app.app_context():
        db.session.execute(delete(FamilyHelper))
        db.session.commit()
        db.session.remove()
    sign_in(page, live_url, daughter)
    page.goto(live_url + "/me/services")
    page.get_by_role("link", name="为亲属认证（亲情认证）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("为亲属认证（亲情认证）")
    checks.page(page, "family-phone")
    page.get_by_role("button", name="开始老人刷脸并登记").click()  # nothing filled in
    expect(page).to_have_title(re.compile(r"^错误："), timeout=5000)
    checks.page(page, "family-errors-phone")
    page.get_by_label("老人姓名").fill(mother["name"])
    page.get_by_label("老人身份证号码").fill(mother["id_number"])
    page.get_by_label("老人同意由我每年为其进行领取资格认证").check()
    page.get_by_role("button", name="开始老人刷脸并登记").click()
    expect(page.get_by_role("heading", level=2, name="我帮助认证的亲属")).to_be_visible()
    checks.page(page, "family-registered-phone")
    page.get_by_role("link", name=f"现在为{mother['name']}刷脸认证").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"为{mother['name']}认证")
    checks.page(page, "family-confirm-phone")
    page.get_by_role("button", name=f"开始为{mother['name']}刷脸").click()
    expect(page.get_by_text("认证成功，谢谢。")).to_be_visible()
    expect(page.get_by_text("亲情认证").first).to_be_visible()
    checks.page(page, "family-done-phone")


def test_a_pensioner_ends_a_relatives_registration(page, live_url, app, demo, checks):
    """The elder sees who may confirm for them (masked) and ends it; the relative is told."""
    elder, relative = demo["by_key"]["receiving"], demo["by_key"]["villager"]
    make_due(app, elder, 200)
    with app.app_context():
        elder_id = db.session.scalar(select(Person.id).filter_by(name=elder["name"]))
        helper_id = db.session.scalar(select(Person.id).filter_by(name=relative["name"]))
        db.session.execute(delete(FamilyHelper).where(FamilyHelper.elder_person_id == elder_id))
        db.session.add(FamilyHelper(elder_person_id=elder_id, helper_person_id=helper_id,
                                    relation="child", consent_method="face"))
        db.session.commit()
        db.session.remove()
    masked = mask_name(relative["name"])
    sign_in(page, live_url, elder)
    page.goto(live_url + "/me/pension")
    page.get_by_role("link", name="谁可以为我做资格认证").click()
    expect(page.get_by_role("heading", level=2, name="谁可以为我做资格认证")).to_be_visible()
    expect(page.get_by_text(relative["name"])).to_have_count(0)
    checks.page(page, "eligibility-helpers-phone")
    page.get_by_role("button", name=f"解除{masked}的亲情认证").click()
    expect(page.get_by_role("heading", level=2, name="谁可以为我做资格认证")).to_have_count(0)
    checks.page(page)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_pensioner_confirms_at_the_kiosk(browser, live_url, app, demo, checks):
    person = demo["by_key"]["receiving"]
    make_due(app, person, 4)
    port = free_port()
    agent = serve(live_url, load_key(Path(app.instance_path) / "kiosk_terminal.key"),
                  "KIOSK-539901101-01", port=port, background=True)
    context = browser.new_context(viewport=KIOSK, locale="zh-CN", has_touch=True)
    page = context.new_page()
    try:
        page.goto(live_url + "/kiosk/")
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_label("姓名").fill(person["name"])
        page.get_by_label("公民身份号码").fill(person["id_number"])
        page.get_by_role("button", name="放上身份证").click()  # card + face match at the reader
        expect(page.get_by_role("heading", level=1)).to_contain_text(person["name"])
        expect(page.get_by_role("link", name="现在刷脸认证")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollHeight") <= KIOSK["height"]
        checks.page(page, "eligibility-home-kiosk")
        page.goto(live_url + "/me/pension")
        expect(page.get_by_text("即将到期，请认证")).to_be_visible()
        checks.page(page, "eligibility-pension-kiosk")
        page.get_by_role("link", name="现在刷脸认证").click()
        checks.page(page, "eligibility-kiosk")
        # Signed in with the card and a face match moments ago: that face check counts.
        page.get_by_role("button", name="开始人脸核验").click()
        expect(page.get_by_text("认证成功，谢谢。")).to_be_visible()
        checks.page(page, "eligibility-done-kiosk")
        with app.app_context():
            check = db.session.scalar(select(EligibilityCheck).join(
                Person, Person.id == EligibilityCheck.person_id).filter(
                Person.name == person["name"]).order_by(EligibilityCheck.id.desc()))
            assert (check.method, check.channel) == ("face", "kiosk")
            db.session.remove()
    finally:
        context.close()
        agent.shutdown()
    assert PHONE["width"] == 360


def staff_sign_in(page, live_url, app, username):
    page.goto(live_url + "/agency/sign-in")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Demo-2026-pension")
    page.get_by_role("button", name="继续").click()
    page.get_by_label("身份验证器中的动态码").fill(fresh_totp_code(app, username))
    page.get_by_role("button", name="登录").click()


def picture(colour) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (640, 400), colour).save(out, "JPEG")
    return {"name": "visit.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def test_the_assistant_records_a_home_visit_and_the_county_sees_the_list(page, live_url, app,
                                                                         demo, checks):
    """Staff side at 360 px: the village's due list, the home visit with photo and signature
    (第三十一条), and the county's list of missed confirmations (第三十三条)."""
    elder = demo["by_key"]["limited_mobility"]
    make_due(app, elder, 8)
    staff_sign_in(page, live_url, app, "xieban.shiqiao")
    expect(page.get_by_role("heading", name="待认证的领取人员（资格认证）")).to_be_visible()
    page.get_by_role("link", name=f"登记上门认证 {elder['name']}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("上门认证：年度领取资格认证")
    checks.page(page, "home-visit-phone")
    page.get_by_role("button", name="登记认证").click()
    expect(page).to_have_title(re.compile(r"^错误："))
    checks.page(page, "home-visit-errors-phone")
    page.get_by_label("走访照片").set_input_files(picture((120, 160, 90)))
    page.get_by_label("老人在走访记录表上的签字或手印").set_input_files(picture((250, 250, 250)))
    page.get_by_role("button", name="登记认证").click()
    expect(page.get_by_text("已登记，谢谢。")).to_be_visible()
    checks.page(page, "home-visit-done-phone")
    page.context.clear_cookies()
    make_due(app, elder, -10)  # past the due date, inside the grace period: still paid
    try:
        staff_sign_in(page, live_url, app, "reviewer.qingshan")
        page.goto(live_url + "/agency/eligibility")
        expect(page.get_by_role("heading", level=1)).to_have_text("未按期认证人员")
        expect(page.get_by_text(elder["name"])).to_be_visible()
        checks.page(page, "county-eligibility-phone")
    finally:
        make_due(app, elder, 200)

"""The resident's side on a cheap phone (360 px), in normal and 长辈版 mode: the home page by life
stage, grouped references, stacked tables, the sealed statement, 更多档次, voice guidance in
长辈版, and a session that ends mid-form without losing what was typed. Every page gets axe and
the width check (conftest.Checks)."""

from datetime import timedelta

from playwright.sync_api import expect

from e2e.conftest import PHONE
from e2e.test_sign_in import sign_in
from portal.extensions import db
from tests.integration.helpers import age_sessions, make_resident


def elder(page, on=True):
    page.get_by_role("button", name="标准版" if not on else "长辈版").click()


def finish_sign_in_after_timeout(page, person):
    """The identity provider's pages again, after 重新登录."""
    page.get_by_label("姓名").fill(person["name"])
    page.get_by_label("证件号码").fill(person["id_number"])
    page.get_by_role("button", name="发送验证码到我的手机").click()
    code = page.locator(".notice").inner_text()
    import re

    page.get_by_label("验证码").fill(re.search(r"\d{6}", code).group(0))
    page.get_by_role("button", name="继续").click()
    page.get_by_role("button", name="暂不核验，继续").click()


def test_home_statement_and_levels_on_a_phone_in_both_modes(page, live_url, demo, checks):
    person = demo["by_key"]["contributor"]
    sign_in(page, live_url, person)
    expect(page.get_by_text("尚未到账")).to_be_visible()
    expect(page.get_by_role("heading", name="全部服务")).to_be_visible()
    checks.page(page, "home-contributor-phone")
    elder(page)
    checks.page(page, "home-contributor-elder-phone")
    # 长辈版: voice guidance one tap away.
    page.get_by_role("button", name="语音播报：关").click()
    expect(page.locator("audio.speech-player")).to_have_count(1)
    checks.page(page, "home-voice-elder-phone")
    page.get_by_role("button", name="语音播报：开").click()
    expect(page.locator("audio.speech-player")).to_have_count(0)

    # The statement: rows stacked with their headings, the agency and its seal.
    page.goto(live_url + "/me/account/statement/all")
    type_cell = page.locator(".statement-table tbody td[data-label='类型']").first
    assert type_cell.bounding_box()["width"] > 200  # not one character per line
    seal = page.get_by_role("img", name="青山县社会保险事业管理局电子印章")
    expect(seal).to_be_visible()
    assert seal.evaluate("image => image.complete && image.naturalWidth") > 0  # it loaded
    expect(page.get_by_text("出具机构：青山县社会保险事业管理局")).to_be_visible()
    checks.page(page, "statement-elder-phone")
    page.emulate_media(media="print")
    page.screenshot(path="e2e/artifacts/statement-elder-print.png", full_page=True)
    page.emulate_media(media="screen")

    # The level list: the most chosen first, the rest one tap away (更多档次).
    page.goto(live_url + "/apply/tier_choice/step/tier")
    shown = page.locator("input[name=tier]:visible").count()
    assert 3 <= shown <= 4
    page.get_by_text("更多档次").click()
    assert page.locator("input[name=tier]:visible").count() > shown
    checks.page(page, "tier-more-elder-phone")
    elder(page, on=False)
    checks.page(page, "tier-more-phone")


def test_a_session_ending_mid_form_keeps_what_was_typed(page, live_url, app, checks):
    person = make_resident(app)
    sign_in(page, live_url, person)
    page.goto(live_url + "/apply/question/step/question")
    question = "我家老人的养老金这个月为什么还没到账？"
    page.locator("textarea[name=question]").fill(question)
    with app.app_context():
        age_sessions(last_seen=timedelta(minutes=16))
        db.session.remove()
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("为了安全，您已退出登录")
    expect(page.get_by_text("已为您保留")).to_be_visible()
    checks.page(page, "timed-out-phone")
    page.get_by_role("link", name="重新登录").click()
    finish_sign_in_after_timeout(page, person)
    expect(page.locator("textarea[name=question]")).to_have_value(question)
    assert page.url.endswith("/apply/question/step/question")
    checks.page(page, "timed-out-back-phone")
    page.get_by_role("button", name="继续").click()
    page.get_by_role("button", name="提交申请").click()
    reference = page.locator(".reference").inner_text()
    assert len(reference.split(" ")) >= 4  # grouped: 5399 0126 1126 4155 2

    # The progress page with its reference in the heading fits in 长辈版 too.
    page.get_by_role("link", name="查看办理进度").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    elder(page)
    checks.page(page, "progress-elder-phone")
    page.goto(live_url + "/me/")
    expect(page.get_by_text("最近的办件")).to_be_visible()
    checks.page(page, "home-open-application-elder-phone")
    elder(page, on=False)
    assert page.viewport_size == PHONE

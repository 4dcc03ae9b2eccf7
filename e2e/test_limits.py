"""Too many attempts (issue 17 item 1): the page says, in Chinese, when to try again; it reads at
phone and kiosk size and passes axe."""

from playwright.sync_api import expect

from e2e.conftest import KIOSK, PHONE
from tests.integration.helpers import make_resident


def test_the_lockout_page_says_when_to_try_again(page, live_url, app, checks):
    person = make_resident(app)
    for _attempt in range(6):
        page.goto(live_url + "/auth/login")
        page.get_by_label("姓名").fill("王错名")
        page.get_by_label("证件号码").fill(person["id_number"])
        page.get_by_role("button", name="发送验证码到我的手机").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("尝试次数过多")
    expect(page.locator(".lead")).to_contain_text("北京时间")
    checks.page(page, "too-many-attempts-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(KIOSK)
    checks.page(page, "too-many-attempts-kiosk")


def test_the_county_sees_the_registry_comparison_of_a_death_report(browser, live_url, app,
                                                                   checks):
    """Issue 17 item 3: a contested report waits for the county, which sees why."""
    from tests.integration.helpers import (
        VILLAGE,
        assistant,
        become_beneficiary,
        fresh_totp_code,
        make_claimant,
    )
    from tests.integration.helpers import forward_death_reports as forward
    from tests.integration.helpers import report_death as report

    person = make_claimant(app, village=VILLAGE)
    become_beneficiary(app.test_client(), app, person)
    assert report(assistant(app), person).status_code == 302
    forward(app)
    console = browser.new_context(viewport={"width": 1280, "height": 900},
                                  locale="zh-CN").new_page()
    console.goto(live_url + "/agency/sign-in")
    console.get_by_label("用户名").fill("reviewer.baishui")
    console.get_by_label("密码").fill("Demo-2026-pension")
    console.get_by_role("button", name="继续").click()
    console.get_by_label("身份验证器中的动态码").fill(fresh_totp_code(app, "reviewer.baishui"))
    console.get_by_role("button", name="登录").click()
    console.goto(live_url + "/agency/death-reports")
    expect(console.get_by_text(person["name"])).to_have_count(0)  # another county's
    console.context.close()

    reviewer = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    reviewer.goto(live_url + "/agency/sign-in")
    reviewer.get_by_label("用户名").fill("reviewer.qingshan")
    reviewer.get_by_label("密码").fill("Demo-2026-pension")
    reviewer.get_by_role("button", name="继续").click()
    reviewer.get_by_label("身份验证器中的动态码").fill(fresh_totp_code(app,
                                                                     "reviewer.qingshan"))
    reviewer.get_by_role("button", name="登录").click()
    reviewer.goto(live_url + "/agency/death-reports")
    item = reviewer.locator("li", has_text=person["name"])
    expect(item).to_contain_text("户籍登记显示此人仍健在")
    expect(item.get_by_role("button", name="确认死亡——暂停发放")).to_be_visible()
    checks.page(reviewer, "death-reports-contested-phone")
    assert reviewer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    reviewer.set_viewport_size(KIOSK)
    checks.page(reviewer, "death-reports-contested-kiosk")
    reviewer.context.close()

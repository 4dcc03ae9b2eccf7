"""A demo resident signs in on a phone through the embedded identity provider (第六条)."""

from playwright.sync_api import expect

from e2e.conftest import KIOSK, PHONE, six_digit_code


def sign_in(page, live_url, person, checks=None, shots=False):
    page.goto(live_url + "/")
    if checks:
        checks.page(page, "start-phone" if shots else None)
    page.get_by_role("link", name="登录办理").click()
    page.wait_for_url("**/sign-in")
    if checks:
        checks.page(page, "sign-in-phone" if shots else None)
    page.get_by_role("link", name="继续进行实名认证").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确认您的身份")
    if checks:
        checks.page(page, "idp-identify-phone" if shots else None)
    page.get_by_label("姓名").fill(person["name"])
    page.get_by_label("证件号码").fill(person["id_number"])
    page.get_by_role("button", name="发送验证码到我的手机").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("请输入短信验证码")
    if checks:
        checks.page(page, "idp-verify-phone" if shots else None)
    code = six_digit_code(page.locator(".notice").inner_text())
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("人脸核验")
    if checks:
        checks.page(page, "idp-face-phone" if shots else None)
    page.get_by_role("button", name="暂不核验，继续").click()


def test_resident_signs_in_on_a_phone(page, live_url, demo, checks):
    person = demo["by_key"]["contributor"]
    sign_in(page, live_url, person, checks, shots=True)
    expect(page.get_by_role("heading", level=1)).to_contain_text(person["name"])
    masked = person["id_number"][:6] + "********" + person["id_number"][-4:]
    expect(page.get_by_text(masked)).to_be_visible()
    checks.page(page, "home-phone")
    # nothing wider than the phone: reflow without horizontal scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("您已安全退出")
    checks.page(page, "signed-out-phone")
    page.go_back()
    expect(page.get_by_text(person["name"])).to_have_count(0)


def test_errors_are_shown_and_focused(page, live_url, checks):
    page.goto(live_url + "/auth/login")
    page.get_by_label("姓名").fill("李明")
    page.get_by_label("证件号码").fill("539901-19940308-0113")
    page.get_by_role("button", name="发送验证码到我的手机").click()
    assert page.title().startswith("错误：")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("校验")
    expect(page.get_by_label("姓名")).to_have_value("李明")
    checks.page(page, "idp-identify-error-phone")


def test_elder_mode_and_english(page, live_url, checks):
    page.goto(live_url + "/")
    page.get_by_role("button", name="长辈版").click()
    expect(page.get_by_role("button", name="标准版")).to_be_visible()
    page.wait_for_load_state("load")  # measure only once the stylesheet applies
    font_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_size >= 18
    button_height = page.get_by_role("link", name="登录办理").bounding_box()["height"]
    assert button_height >= 60
    checks.page(page, "start-elder-phone")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Urban and rural residents' basic pension insurance")
    checks.page(page, "start-elder-english-phone")
    page.get_by_role("button", name="中文").click()
    page.get_by_role("button", name="标准版").click()


def test_sign_in_works_with_javascript_off(browser, live_url, demo, checks):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_url, demo["by_key"]["receiving"])
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        demo["by_key"]["receiving"]["name"])
    context.close()


def test_start_page_on_the_kiosk_screen(browser, live_url, checks):
    context = browser.new_context(viewport=KIOSK)
    page = context.new_page()
    page.goto(live_url + "/")
    checks.page(page, "start-kiosk")
    page.goto(live_url + "/auth/login")
    checks.page(page, "idp-identify-kiosk")
    context.close()


def test_idle_warning_lets_the_resident_stay(page, live_url, demo, checks):
    sign_in(page, live_url, demo["by_key"]["severely_disabled"])
    page.clock.install()
    page.goto(live_url + "/me/")
    page.clock.fast_forward("13:01")  # two minutes before the 15-minute idle limit
    dialog = page.get_by_role("dialog", name="还在使用吗？")
    expect(dialog).to_be_visible()
    checks.page(page, "idle-warning-phone")
    dialog.get_by_role("button", name="继续使用").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        demo["by_key"]["severely_disabled"]["name"])

"""A resident opens the 对账单, downloads the PDF, and the QR's address verifies (第十九条)."""

import re
import subprocess

from playwright.sync_api import expect

from e2e.conftest import ARTIFACTS, PHONE
from e2e.test_sign_in import sign_in


def test_statement_pdf_and_verification(browser, live_url, demo, checks, tmp_path):
    person = demo["by_key"]["turning_60"]
    context = browser.new_context(viewport=PHONE, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_url, person)
    page.get_by_role("link", name="我的个人账户和对账单").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的个人账户")
    checks.page(page, "account-phone")
    page.get_by_role("link", name="2025年度").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("城乡居民基本养老保险个人账户对账单")
    checks.page(page, "statement-2025-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / "statement-2025-print.png"), full_page=True)
    page.emulate_media(media="screen")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载PDF").click()
    pdf_path = tmp_path / "statement.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    # The printed A4 page, rendered to look at (poppler-utils is a test dependency).
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf_path),
                    str(ARTIFACTS / "statement-2025-pdf")], check=True)
    assert (ARTIFACTS / "statement-2025-pdf.png").stat().st_size > 10_000

    verify_url = page.get_by_role("link", name="打开核验页面").get_attribute("href")
    assert re.match(re.escape(live_url) + r"/verify/\S+$", verify_url)
    context.close()

    stranger = browser.new_context(viewport=PHONE, locale="zh-CN")  # no sign-in at all
    check = stranger.new_page()
    check.goto(verify_url)
    expect(check.get_by_text("真实有效")).to_be_visible()
    expect(check.get_by_text("陈*国")).to_be_visible()
    checks.page(check, "verify-genuine-phone")
    check.goto(verify_url[:-4] + "AAAA")
    expect(check.get_by_text("可能是伪造的或被改动过")).to_be_visible()
    checks.page(check, "verify-forged-phone")
    stranger.close()


def test_public_estimator(page, live_url, checks):
    page.goto(live_url + "/")
    page.get_by_role("link", name="不登录也可以测算养老金").click()
    page.get_by_label("您的年龄").fill("45")
    page.get_by_label("已缴费年数").fill("10")
    page.get_by_role("button", name="开始测算").click()
    expect(page.get_by_text("您将在2030年缴满最低15年。")).to_be_visible()
    checks.page(page, "estimate-public-phone")

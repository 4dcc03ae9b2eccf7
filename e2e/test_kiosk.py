"""The township hall terminal at 1080×1920: card sign-in through the terminal agent, printing a
statement (A4) and a receipt (80 mm), filing an application, and the idle timeout that leaves
nothing of the person behind (ux.md, kiosk)."""

import socket
from pathlib import Path

from playwright.sync_api import expect

from e2e.conftest import ARTIFACTS, KIOSK
from kiosk.agent import load_key, serve


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_kiosk_visit(browser, live_url, app, demo, checks):
    person = demo["by_key"]["limited_mobility"]
    port = free_port()
    agent = serve(live_url, load_key(Path(app.instance_path) / "kiosk_terminal.key"),
                  "KIOSK-539901101-01", port=port, background=True)
    saved = app.config["KIOSK_IDLE_SECONDS"], app.config["KIOSK_COUNTDOWN_SECONDS"]
    context = browser.new_context(viewport=KIOSK, locale="zh-CN", has_touch=True)
    page = context.new_page()
    try:
        page.goto(live_url + "/kiosk/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # Before sign-in: nothing to leave, no home to go back to; a picture of the reader.
        expect(page.get_by_role("button", name="退出")).to_have_count(0)
        expect(page.get_by_role("link", name="返回首页")).to_have_count(0)
        expect(page.get_by_role("img", name="请把身份证放在屏幕下方的读卡器上。")).to_be_visible()
        # Voice guidance is on by default at the kiosk, and the audio really plays.
        player = page.locator("audio.speech-player")
        expect(player).to_have_count(1)
        page.wait_for_function(
            "document.querySelector('audio.speech-player').readyState >= 2", timeout=15000)
        assert page.evaluate("document.querySelector('audio.speech-player').duration") > 1
        checks.page(page, "kiosk-start")

        # The simulated reader: the card's fields as the chip would give them.
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_label("姓名").fill(person["name"])
        page.get_by_label("公民身份号码").fill(person["id_number"])
        page.get_by_role("button", name="放上身份证").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(person["name"])
        checks.page(page, "kiosk-home")
        expect(page.get_by_role("button", name="退出")).to_be_visible()
        # The signed-in home fits one screen: no scrolling, 更多服务 for the rest.
        assert page.evaluate("document.documentElement.scrollHeight") <= KIOSK["height"]
        expect(page.get_by_role("link", name="更多服务")).to_be_visible()
        page.get_by_role("link", name="更多服务").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("更多服务")
        checks.page(page, "kiosk-more-services")
        page.get_by_role("link", name="返回首页").click()
        expect(page.get_by_role("link", name="返回首页")).to_be_visible()

        # A4 statement, as the printer would get it.
        page.goto(live_url + "/me/account/statement/2025")
        checks.page(page, "kiosk-statement")
        page.emulate_media(media="print")
        page.screenshot(path=str(ARTIFACTS / "kiosk-statement-print.png"), full_page=True)
        page.emulate_media(media="screen")

        # File a question, then the receipt and the one-tap rating.
        page.goto(live_url + "/apply/question/")
        page.get_by_role("link", name="开始办理").click()
        page.locator("textarea[name=question]").fill("我想在自助机上打印去年的对账单，可以吗？")
        checks.page(page, "kiosk-question")
        page.get_by_role("button", name="继续").click()
        page.get_by_role("button", name="提交申请").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("申请已提交")
        checks.page(page, "kiosk-submitted")
        shown = page.locator(".reference").inner_text().strip()
        reference = shown.replace(" ", "")
        page.goto(live_url + f"/kiosk/receipt/{reference}")
        expect(page.get_by_text(shown)).to_be_visible()
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 302, "height": 900})  # 80 mm at 96 dpi
        page.screenshot(path=str(ARTIFACTS / "kiosk-receipt-print.png"), full_page=True)
        page.set_viewport_size(KIOSK)
        page.emulate_media(media="screen")
        page.goto(live_url + f"/me/applications/{reference}/confirmation")
        page.get_by_role("button", name="非常满意").click()

        # Idle: the question, a countdown, then back to the start with nothing left.
        app.config.update(KIOSK_IDLE_SECONDS=2, KIOSK_COUNTDOWN_SECONDS=3)
        page.goto(live_url + "/me/account")
        expect(page.locator("#kiosk-idle-dialog")).to_be_visible(timeout=6000)
        checks.page(page, "kiosk-idle-dialog")
        expect(page).to_have_url(live_url + "/kiosk/", timeout=8000)
        page.go_back()
        assert person["name"] not in page.content()
        assert "/me/" not in page.url or page.get_by_role("heading", level=1).inner_text() != \
            person["name"]
    finally:
        app.config.update(KIOSK_IDLE_SECONDS=saved[0], KIOSK_COUNTDOWN_SECONDS=saved[1])
        context.close()
        agent.shutdown()

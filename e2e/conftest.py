"""Browser tests: Playwright drives Debian's Chromium (never a downloaded browser)."""

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 360, "height": 740}
KIOSK = {"width": 1080, "height": 1920}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": PHONE, "locale": "zh-CN"}


class Checks:
    """Every page a journey visits gets an axe-core run; violations fail the test."""

    def __init__(self):
        self.axe = Axe()
        self.visited = []

    def page(self, page, name: str | None = None):
        # Stylesheets must be applied before axe measures target sizes.
        page.wait_for_load_state("load")
        results = self.axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        self.visited.append(page.url)
        assert results.violations_count == 0, results.generate_report()
        if name:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def checks():
    return Checks()


def six_digit_code(text: str) -> str:
    return re.search(r"\d{6}", text).group(0)

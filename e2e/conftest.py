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


# Elements sticking out to the right, for the failure message (axe does not catch overflow).
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) { return null; }
  const culprits = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      culprits.push(element.tagName.toLowerCase() + (element.className ? "." +
        String(element.className).trim().split(/\\s+/).join(".") : "") + " → " +
        Math.round(box.right) + "px: " + (element.textContent || "").trim().slice(0, 40));
    }
  }
  return {width: width, scrollWidth: document.documentElement.scrollWidth,
          culprits: culprits.slice(-8)};
}"""
# 长辈版 is the same page with body.elder (web.load_preferences): measure it both ways.
SET_ELDER = "(on) => { document.body.classList.toggle('elder', on); return true; }"


def assert_fits_viewport(page):
    """No page is wider than its viewport (360 px phones), in normal and in 长辈版 mode."""
    was_elder = page.evaluate("() => document.body.classList.contains('elder')")
    for elder in (was_elder, not was_elder):
        page.evaluate(SET_ELDER, elder)
        problem = page.evaluate(TOO_WIDE)
        mode = "长辈版" if elder else "normal"
        assert problem is None, f"{page.url} is wider than its viewport in {mode} mode: {problem}"
    page.evaluate(SET_ELDER, was_elder)


class Checks:
    """Every page a journey visits gets an axe-core run and a width check; either fails the
    test."""

    def __init__(self):
        self.axe = Axe()
        self.visited = []

    def page(self, page, name: str | None = None):
        # Stylesheets must be applied before axe measures target sizes.
        page.wait_for_load_state("load")
        results = self.axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        self.visited.append(page.url)
        assert results.violations_count == 0, results.generate_report()
        assert_fits_viewport(page)
        if name:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def checks():
    return Checks()


def six_digit_code(text: str) -> str:
    return re.search(r"\d{6}", text).group(0)

"""Interoperability with an OpenID provider nobody on this project wrote (issue 16).

The npm package `oidc-provider` (pinned in e2e/oidc/package.json) runs on 127.0.0.1 as the
"provincial identity platform", with its own claim names (real_name, id_type, id_number, mobile
under scope idcard), its own document-type codes ("01" …) and assurance codes (loa2, loa3), and
private_key_jwt client authentication against the portal's own JWKS. The portal runs as its own
process, configured through environment variables only. Playwright drives both.
"""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import expect

OIDC_DIR = Path(__file__).parent / "oidc"
ROOT = Path(__file__).parent.parent
CODES = {"resident_id": "01", "social_security_card": "02", "hmt_residence": "06",
         "foreign_permanent": "07", "foreign_passport": "08"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process ended with {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not start")


def ensure_node_modules():
    """`make test` installs it; a bare `pytest` does it too (npm ci from the lock file)."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True,
                       capture_output=True)


@pytest.fixture(scope="module")
def platform(demo, tmp_path_factory):
    if shutil.which("node") is None:
        pytest.fail("Node.js is needed for the identity platform interoperability tests")
    ensure_node_modules()
    work = tmp_path_factory.mktemp("interop")
    op_port, portal_port = free_port(), free_port()
    issuer, portal = f"http://127.0.0.1:{op_port}", f"http://127.0.0.1:{portal_port}"
    people = {key: demo["by_key"][key] for key in ("contributor", "turning_60", "heir")}
    accounts = {f"acc-{key}": {"real_name": p["name"], "id_type": CODES[p["id_type"]],
                               "id_number": p["id_number"], "mobile": p["phone"]}
                for key, p in people.items()}
    client = {"client_id": "qingshan-pension", "redirect_uris": [portal + "/auth/callback"],
              "post_logout_redirect_uris": [portal + "/signed-out"],
              "token_endpoint_auth_method": "private_key_jwt",
              "jwks_uri": portal + "/auth/jwks", "response_types": ["code"],
              "grant_types": ["authorization_code"]}
    op_log = (work / "provider.log").open("w")
    op = subprocess.Popen(
        ["node", "provider.mjs"], cwd=OIDC_DIR, stdout=op_log, stderr=subprocess.STDOUT,
        env={"PATH": os.environ["PATH"], "OP_PORT": str(op_port), "OP_CLIENT": json.dumps(client),
             "OP_ACCOUNTS": json.dumps(accounts)})
    database = work / "portal.db"
    env = {
        "PATH": os.environ["PATH"], "HOME": str(work), "INSTANCE_PATH": str(work / "instance"),
        "DATABASE_URL": f"sqlite:///{database}", "EXTERNAL_URL": portal,
        "OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": "qingshan-pension",
        "OIDC_TOKEN_AUTH_METHOD": "private_key_jwt",
        "OIDC_SCOPE": "openid profile idcard phone",
        "OIDC_CLAIMS": json.dumps({"name": "real_name", "document_type": "id_type",
                                   "document_number": "id_number", "phone": "mobile"}),
        "OIDC_DOCUMENT_TYPES": json.dumps({code: ours for ours, code in CODES.items()}),
        "OIDC_ACR_REAL_NAME": "loa2", "OIDC_ACR_FACE": "loa3", "OIDC_MISSING_ACR": "refuse",
        "OIDC_AUTH_PARAMS": json.dumps({"ui_locales": "zh-CN"}),
    }
    flask = [sys.executable, "-m", "flask", "--app", "portal"]
    for command in (["db-upgrade"], ["demo-load"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    portal_log = (work / "portal.log").open("w")
    server = subprocess.Popen(flask + ["run", "--port", str(portal_port), "--with-threads"],
                              cwd=ROOT, env=env, stdout=portal_log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(issuer + "/.well-known/openid-configuration", op)
        wait_until_up(portal + "/", server)
        yield {"portal": portal, "issuer": issuer, "people": people, "database": database}
    finally:
        for process in (server, op):
            process.terminate()
            process.wait(timeout=10)
        op_log.close()
        portal_log.close()


def audit_rows(platform, since=0):
    with sqlite3.connect(platform["database"]) as connection:
        rows = connection.execute(
            "SELECT id, outcome, detail FROM audit_record WHERE action = 'sign_in' AND id > ? "
            "ORDER BY id", (since,)).fetchall()
    return [(i, outcome, json.loads(detail or "{}")) for i, outcome, detail in rows]


def last_audit_id(platform):
    rows = audit_rows(platform)
    return rows[-1][0] if rows else 0


def platform_login(page, person, level="loa2", seconds_ago=0):
    """The platform's own sign-in page (the package's interaction, our form)."""
    expect(page.get_by_role("heading", level=1)).to_have_text("统一身份认证平台登录")
    page.get_by_label("证件号码").fill(person["id_number"])
    page.locator(f"#level-{level}").check()
    page.get_by_label("认证发生在多少秒前").fill(str(seconds_ago))
    page.get_by_role("button", name="登录").click()


def authorization_request(page, platform, action):
    """The query of the authorization request the portal sent the browser to during `action`."""
    with page.expect_request(lambda r: r.url.startswith(platform["issuer"] + "/auth?")) as sent:
        action()
    return {k: v[0] for k, v in parse_qs(urlsplit(sent.value.url).query).items()}


def sign_in(page, platform, person, checks=None):
    page.goto(platform["portal"] + "/")
    page.get_by_role("link", name="登录办理").click()
    asked = authorization_request(
        page, platform, lambda: page.get_by_role("link", name="继续进行实名认证").click())
    # 1: every sign-in asks the platform for a fresh authentication
    assert asked["prompt"] == "login" and asked["max_age"] == "0"
    assert asked["acr_values"] == "loa2" and asked["ui_locales"] == "zh-CN"
    platform_login(page, person)
    page.wait_for_load_state()
    assert "登录未成功" not in page.content(), page.locator("main").inner_text()
    expect(page.get_by_role("heading", level=1)).to_contain_text(person["name"])
    if checks:
        checks.page(page, "interop-home-phone")


def test_sign_in_face_step_up_and_sign_out(page, platform, checks):
    person = platform["people"]["turning_60"]
    sign_in(page, platform, person, checks)
    # face step-up for the claim: the platform is asked for loa3, recently
    asked = authorization_request(
        page, platform, lambda: page.goto(platform["portal"] + "/apply/claim/"))
    assert asked["acr_values"] == "loa3" and asked["max_age"] == "300"  # 2, 3
    assert asked["id_token_hint"] and "prompt" not in asked
    platform_login(page, person, level="loa3")
    page.wait_for_url("**/apply/claim/")
    expect(page.get_by_role("heading", level=1)).to_have_text("申领养老金（待遇申领）")
    checks.page(page, "interop-claim-start-phone")
    # sign-out ends the platform's session too (RP-initiated logout)
    page.get_by_role("button", name="退出").click()
    page.get_by_role("button", name="确认退出").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("您已安全退出")
    checks.page(page, "interop-signed-out-phone")
    # the next person at this phone is asked to log in, not signed in as the previous one
    page.get_by_role("link", name="返回首页").click()
    page.get_by_role("link", name="登录办理").click()
    page.get_by_role("link", name="继续进行实名认证").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("统一身份认证平台登录")


def test_step_up_answered_at_the_lower_level_stops_on_a_clear_page(page, platform, checks):
    person = platform["people"]["heir"]
    sign_in(page, platform, person)
    before = last_audit_id(platform)
    page.goto(platform["portal"] + "/apply/deregistration/")
    platform_login(page, person, level="loa2")  # the face check does not happen
    expect(page.get_by_role("heading", level=1)).to_have_text("人脸核验未完成")
    expect(page.get_by_text("自助服务终端")).to_be_visible()
    checks.page(page, "interop-face-not-done-phone")
    assert "/auth/callback" in page.url  # stopped here: no loop
    rows = audit_rows(platform, before)
    assert [(outcome, detail.get("reason")) for _, outcome, detail in rows] == [
        ("failure", "acr_too_low")]
    # still signed in at real-name level; trying again asks the platform again
    page.get_by_role("link", name="重试").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("统一身份认证平台登录")


def test_a_stale_face_check_is_refused(page, platform, checks):
    person = platform["people"]["contributor"]
    sign_in(page, platform, person)
    before = last_audit_id(platform)
    page.goto(platform["portal"] + "/apply/claim/")
    platform_login(page, person, level="loa3", seconds_ago=320)  # older than the 300 s asked
    expect(page.get_by_role("heading", level=1)).to_have_text("登录未成功")
    expect(page.get_by_text("stale_authentication")).to_be_visible()
    checks.page(page, "interop-stale-phone")
    assert [d.get("reason") for _, _, d in audit_rows(platform, before)] == [
        "stale_authentication"]
    page.goto(platform["portal"] + "/me/")
    page.wait_for_url("**/sign-in")  # no session left

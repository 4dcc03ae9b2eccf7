"""Short verification tokens on statements (第十九条, issue 19 part 3): at most 24 characters,
unforgeable, expiring after STATEMENT_VERIFY_DAYS, and the QR code drawn once per statement,
never per page view."""

import re
from datetime import timedelta
from unittest import mock

from sqlalchemy import func, select

from portal.documents import verification
from portal.extensions import db
from portal.models import IssuedStatement, LedgerEntry, Person, PersonalAccount
from portal.rules.dates import china_today
from tests.integration.helpers import sign_in

TOKEN = re.compile(r"/verify/([A-Za-z0-9_\-]+)\"")


def token_on(page: str) -> str:
    return TOKEN.search(page).group(1)


def issued_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(IssuedStatement.id)))
        db.session.remove()
    return count


def test_the_token_is_short_and_the_qr_small(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    page = client.get("/me/account/statement/2024").get_data(as_text=True)
    token = token_on(page)
    assert len(token) <= 24
    svg = page[page.index('<div class="qr"><svg'):page.index("</svg>") + 6]
    assert len(svg) < 5000  # was ~27 KB with the 118-character token
    genuine = app.test_client().get(f"/verify/{token}")
    assert genuine.status_code == 200 and "真实有效" in genuine.get_data(as_text=True)


def test_a_tampered_token_is_refused(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    token = token_on(client.get("/me/account/statement/all").get_data(as_text=True))
    anonymous = app.test_client()
    head, mac = token[:-16], token[-16:]
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    other_id = verification._base36(int(head, 36) + 1) if head else "1"
    for forged in (head + flipped, other_id + mac, token + "x", token[:-1], "0" + token):
        response = anonymous.get(f"/verify/{forged}")
        assert response.status_code == 400, forged
        assert "伪造" in response.get_data(as_text=True)


def test_the_mac_is_checked_before_the_database(app):
    with app.test_request_context():
        token = verification.token_for(987654)
        with mock.patch.object(db.session, "get", side_effect=AssertionError("looked up")):
            for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "zz" + token[2:]):
                try:
                    verification.read(forged)
                except verification.Forged:
                    pass
                else:
                    raise AssertionError("accepted " + forged)
        db.session.remove()


def test_a_statement_is_issued_and_drawn_once(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    client.get("/me/account/statement/2023")
    before = issued_count(app)
    with mock.patch.object(verification, "qr_svg", side_effect=AssertionError("drawn again")):
        pages = [client.get("/me/account/statement/2023").get_data(as_text=True)
                 for _ in range(3)]
    assert issued_count(app) == before
    assert len({token_on(page) for page in pages}) == 1


def test_a_new_portal_address_redraws_the_code_of_the_same_statement(client, app, demo):
    """Views of an issued statement write nothing, but when the portal's address changed the
    same statement (same token) gets its address and code drawn again, once."""
    sign_in(client, app, demo["by_key"]["contributor"])
    first = client.get("/me/account/statement/2023").get_data(as_text=True)
    before = issued_count(app)
    old_address = app.config["EXTERNAL_URL"]
    app.config["EXTERNAL_URL"] = "https://moved.example.gov.cn"
    try:
        moved = client.get("/me/account/statement/2023").get_data(as_text=True)
        with mock.patch.object(verification, "qr_svg", side_effect=AssertionError("drawn again")):
            again = client.get("/me/account/statement/2023").get_data(as_text=True)
    finally:
        app.config["EXTERNAL_URL"] = old_address
    assert issued_count(app) == before
    assert token_on(moved) == token_on(first) == token_on(again)
    assert 'href="https://moved.example.gov.cn/verify/' in moved
    svg = moved[moved.index('<div class="qr"><svg'):moved.index("</svg>")]
    assert svg != first[first.index('<div class="qr"><svg'):first.index("</svg>")]
    assert again == moved


def test_a_changed_balance_is_a_new_statement(client, app, demo, enrolled):
    """The same period with another closing balance is another statement: a new token; the old
    one still verifies but says the record has changed since."""
    from portal.operations import ledger

    sign_in(client, app, enrolled)
    first = token_on(client.get("/me/account/statement/all").get_data(as_text=True))
    with app.app_context():
        account = db.session.scalar(select(PersonalAccount).join(Person).filter(
            Person.id_number == enrolled["id_number"]))
        db.session.add(LedgerEntry(account_id=account.id, kind="aid", amount_fen=1000,
                                   booked_on=china_today(), year=china_today().year,
                                   source_key=f"test:tokens:{account.id}"))
        db.session.commit()
        assert ledger.balance_fen(account.id) >= 1000
        db.session.remove()
    second = token_on(client.get("/me/account/statement/all").get_data(as_text=True))
    assert second != first
    old = app.test_client().get(f"/verify/{first}").get_data(as_text=True)
    assert "真实有效" in old and "更正" in old


def test_verification_expires_after_the_configured_days(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    token = token_on(client.get("/me/account/statement/2022").get_data(as_text=True))
    anonymous = app.test_client()
    days = app.config["STATEMENT_VERIFY_DAYS"]
    statement_id = None
    with app.test_request_context():
        statement_id = verification.statement_id_of(token)
        issued = db.session.get(IssuedStatement, statement_id)
        issued.issued_on = china_today() - timedelta(days=days)
        db.session.commit()
        db.session.remove()
    assert anonymous.get(f"/verify/{token}").status_code == 200  # the last day still counts
    with app.test_request_context():
        issued = db.session.get(IssuedStatement, statement_id)
        issued.issued_on = china_today() - timedelta(days=days + 1)
        db.session.commit()
        db.session.remove()
    expired = anonymous.get(f"/verify/{token}")
    assert expired.status_code == 410 and "过期" in expired.get_data(as_text=True)
    # An old statement is not reused for a new print: the resident gets a fresh one.
    fresh = token_on(client.get("/me/account/statement/2022").get_data(as_text=True))
    assert fresh != token and anonymous.get(f"/verify/{fresh}").status_code == 200


def test_long_tokens_printed_before_still_verify(app):
    """Statements printed with the first design's long token stay verifiable until they
    expire; an altered one is still refused."""
    with app.test_request_context():
        token = verification.legacy_issue(account_id=1, masked_name="张*兰", period="all",
                                          closing_fen=12345, issued_on=china_today())
    assert len(token) > 24
    anonymous = app.test_client()
    page = anonymous.get(f"/verify/{token}")
    assert page.status_code == 200 and "张*兰" in page.get_data(as_text=True)
    assert anonymous.get(f"/verify/{token[:-3]}AAA").status_code == 400


def test_the_qr_code_encodes_the_verification_address(app):
    """The compact SVG is a real QR code of the address: module for module the code qrcode
    draws for it (level M, version ≤ 4) with one of the eight masks, whichever it is (any mask
    decodes the same; the code's format information names it)."""
    import qrcode

    url = "https://ylbx.example.gov.cn/verify/" + "a1" + "B" * 16
    svg = verification.qr_svg(url)
    border = 2
    drawn = set()
    for x, y, width in re.findall(r"M(\d+) (\d+)\.5h(\d+)", svg):
        drawn |= {(int(x) - border + i, int(y) - border) for i in range(int(width))}
    matches = []
    for mask in range(8):
        code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M,
                             mask_pattern=mask)
        code.add_data(url)
        code.make(fit=True)
        dark = {(x, y) for y, row in enumerate(code.get_matrix()) for x, on in enumerate(row)
                if on}
        if dark == drawn:
            matches.append(mask)
    assert len(matches) == 1 and code.version <= 4 and len(svg) < 5000
    # Drawn with the same mask each time (chosen once per address shape, not per code).
    assert verification.qr_svg(url) == svg


def test_a_job_can_issue_a_credited_years_statements_ahead(app, demo):
    """issue_for_accounts (for a job after crediting, no request): the resident's first view
    then draws nothing and shows the pre-issued statement."""
    from portal.operations import ledger
    from portal.operations import statements as issuing

    person = demo["by_key"]["turning_60"]
    with app.app_context():
        account = db.session.scalar(select(PersonalAccount).join(Person).filter(
            Person.id_number == person["id_number"]))
        found = ledger.statement(account.id, 2021)
        assert issuing.issue_for_accounts("2021", [
            (account.id, verification.mask_name(person["name"]), found.closing_fen)]) == 1
        db.session.remove()
    client = app.test_client()
    sign_in(client, app, person)
    before = issued_count(app)
    with mock.patch.object(verification, "qr_svg", side_effect=AssertionError("drawn again")):
        page = client.get("/me/account/statement/2021").get_data(as_text=True)
    assert issued_count(app) == before
    assert app.test_client().get(f"/verify/{token_on(page)}").status_code == 200


def test_viewing_an_issued_statement_is_one_query_besides_the_session(client, app, demo):
    """The lines and the newest statement issued for the period come in one query: a view of a
    statement already issued asks nothing else (the session and resident are one more)."""
    from sqlalchemy import event

    sign_in(client, app, demo["by_key"]["contributor"])
    first = client.get("/me/account/statement/all").get_data(as_text=True)
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(" ".join(args[2].split()))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        again = client.get("/me/account/statement/all").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    own = [sql for sql in seen if "FROM web_session" not in sql]
    assert len(own) == 1 and "FROM personal_account" in own[0], own
    assert "issued_statement" in own[0]
    assert token_on(again) == token_on(first)
    assert again.count("<svg") == first.count("<svg") == 1


def test_an_older_statement_that_fits_is_reused_when_the_newest_does_not(app, demo):
    """issue(newest=…) takes the newest statement read with the lines; when it does not fit
    (its balance differs: the figures went back to an earlier statement's) the older ones are
    looked at, as without it, and one that fits is reused rather than issuing another."""
    from portal.operations import ledger
    from portal.operations import statements as issuing

    person = demo["by_key"]["contributor"]
    with app.test_request_context():
        account = db.session.scalar(select(PersonalAccount).join(Person).filter(
            Person.id_number == person["id_number"]))
        found = ledger.statement(account.id, 2022)
        figures = dict(account_id=account.id, period="2022", masked_name="张*兰")
        earlier = issuing.issue(**figures, closing_fen=found.closing_fen)
        later = issuing.issue(**figures, closing_fen=found.closing_fen + 1)
        assert later.id != earlier.id
        _found, newest = issuing.statement_with_newest(account.person_id, 2022)
        assert newest.id == later.id and newest.qr_svg == later.qr_svg
        with mock.patch.object(verification, "qr_svg", side_effect=AssertionError("drawn")):
            again = issuing.issue(**figures, closing_fen=found.closing_fen, newest=newest)
            assert again.id == earlier.id
            assert issuing.issue(**figures, closing_fen=found.closing_fen + 1,
                                 newest=newest).id == later.id
        assert issuing.issue(**figures, closing_fen=found.closing_fen + 2, newest=None).id \
            not in (earlier.id, later.id)  # None: nothing issued yet, so a new one
        db.session.remove()

"""Personal account: tax import (第十四条、第十七条), interest (第十八条), statements with
verification (第十九条), and the estimate (第二十二条)."""

import json
from datetime import date, timedelta

from sqlalchemy import func, select

from portal import queries
from portal.extensions import db
from portal.models import (
    ImportBatch,
    LedgerEntry,
    OutboxMessage,
    Person,
    PersonalAccount,
    RegistryDisability,
)
from portal.operations import ledger
from portal.operations.interest import credit_year
from portal.rules import ids
from portal.rules.dates import china_today
from portal.rules.interest import yearly_interest
from tests.integration.helpers import (  # noqa: F401  (importable from here too)
    csv_batch,
    send_contributions,
    sign_in,
)
from tests.integration.helpers import (
    post_contributions as post,
)


def book(client, app, body: bytes, content_type="text/csv"):
    """POST, then the outcome from the status URL (第十四条)."""
    return send_contributions(client, app, body, content_type)


def entries(app, account_id):
    with app.app_context():
        rows = [(e.kind, e.amount_fen, e.booked_on, e.year) for e in db.session.scalars(
            select(LedgerEntry).filter_by(account_id=account_id).order_by(LedgerEntry.id))]
        db.session.remove()
    return rows


def test_import_books_contribution_and_subsidy_once(client, app, account_holder):
    who = account_holder["id_number"]
    body = csv_batch((f"T{who}-24", who, 2024, 50000, "2024-05-10", "person"))
    response = book(client, app, body)
    assert response.json["status"] == "booked", response.json
    assert response.json["accepted"] == 1 and response.json["booked_entries"] == 2
    assert entries(app, account_holder["account_id"]) == [
        ("personal", 50000, date(2024, 5, 10), 2024), ("subsidy", 6000, date(2024, 5, 10), 2024)]
    again = book(client, app, body)  # the same file twice: the same batch, its first report
    assert again.json == response.json
    assert post(client, app, body).json["batch_id"] == response.json["batch_id"]
    resent = book(client, app, body + b"\n")  # the same row in another batch
    assert resent.json["batch_id"] != response.json["batch_id"]
    assert resent.json["already_booked"] == 1 and resent.json["booked_entries"] == 0
    assert len(entries(app, account_holder["account_id"])) == 2


def test_a_batch_with_a_bad_row_books_nothing_and_says_why(client, app, account_holder):
    who = account_holder["id_number"]
    unknown = ids.compose_resident_id("539901", date(1970, 1, 1), 999)
    body = csv_batch((f"G{who}", who, 2025, 30000, "2025-03-01", "person"),
                     (f"U{who}", unknown, 2025, 30000, "2025-03-01", "person"),
                     (f"A{who}", who, 2025, 12345, "2025-03-01", "person"),
                     (f"D{who}", who, "2025x", 30000, "2025-03-01", "person"),
                     (f"P{who}", who, 2025, 10000, "2025-03-01", "government"))
    response = book(client, app, body)
    assert response.json["status"] == "rejected"
    reasons = {d["row"]: d["reason"] for d in response.json["details"]}
    assert reasons == {2: "unknown_person", 3: "bad_amount", 4: "bad_row",
                       5: "not_eligible_for_government_payment"}
    assert entries(app, account_holder["account_id"]) == []
    assert "没有这个证件号码" not in json.dumps(response.json)  # reasons speak English to systems


def test_government_pays_the_lowest_tier_for_the_severely_disabled(client, app, account_holder):
    """代缴 (第十一条): the configured amount, once a year, with the subsidy of the year's tier."""
    who = account_holder["id_number"]
    with app.app_context():
        db.session.add(RegistryDisability(id_number=who, grade=1))
        db.session.commit()
        db.session.remove()
    body = csv_batch((f"GOV{who}-2025", who, 2025, 10000, "2025-06-01", "government"))
    assert book(client, app, body).json["status"] == "booked"
    assert entries(app, account_holder["account_id"]) == [
        ("government_paid", 10000, date(2025, 6, 1), 2025),
        ("subsidy", 3000, date(2025, 6, 1), 2025)]
    again = book(client, app, csv_batch(
        (f"GOV{who}-2025b", who, 2025, 10000, "2025-07-01", "government")))
    assert again.json["status"] == "rejected"
    assert again.json["details"][0]["reason"] == "year_already_paid"
    assert len(entries(app, account_holder["account_id"])) == 2


def test_back_pay_gets_no_subsidy_where_configured(client, app, account_holder):
    who = account_holder["id_number"]
    book(client, app, csv_batch((f"B{who}", who, 2021, 30000, "2025-02-01", "person")))
    assert entries(app, account_holder["account_id"]) == [
        ("personal", 30000, date(2025, 2, 1), 2021)]


def test_json_batches_and_the_endpoint_guards(client, app, account_holder):
    who = account_holder["id_number"]
    body = json.dumps({"rows": [{"tax_ref": f"J{who}", "id_number": who, "year": 2025,
                                 "amount_fen": 20000, "paid_on": "2025-07-07"}]}).encode()
    assert book(client, app, body, "application/json").json["status"] == "booked"
    assert post(client, app, body, "application/json", token="").status_code == 401
    assert post(client, app, body, "application/json", token="wrong").status_code == 401
    assert post(client, app, b"{not json", "application/json").status_code == 400
    assert post(client, app, b"a,b\n1,2", "text/csv").status_code == 400
    assert post(client, app, body, "text/plain").status_code == 415


def test_a_batch_is_read_only_with_the_token_and_names_no_other(client, app, account_holder):
    """The status and the acknowledgement (第十四条) answer only the tax department's system;
    a resident's session, a wrong token or no token get nothing about the batch."""
    who = account_holder["id_number"]
    status = book(client, app, csv_batch((f"ACC{who}", who, 2025, 30000, "2025-04-01",
                                          "person")))
    url, acknowledgement = status.json["batch_id"], status.json["acknowledgement_url"]
    url = f"/exchange/tax/contributions/batches/{url}"
    for headers in ({}, {"Authorization": "Bearer wrong"},
                    {"Authorization": app.config["TAX_API_TOKEN"]}):
        for path in (url, acknowledgement):
            answer = client.get(path, headers=headers)
            assert answer.status_code == 401 and who not in answer.get_data(as_text=True)
    token = {"Authorization": f"Bearer {app.config['TAX_API_TOKEN']}"}
    for missing in ("/exchange/tax/contributions/batches/999999999",
                    "/exchange/tax/contributions/batches/-1",
                    "/exchange/tax/contributions/batches/99999999999999999999",
                    "/exchange/tax/contributions/batches/x/acknowledgement"):
        answer = client.get(missing, headers=token)
        assert answer.status_code == 404 and answer.json == {"error": "no such batch"}
    # Booked: an acknowledgement with no refused row, only its header.
    assert client.get(acknowledgement, headers=token).get_data(as_text=True) == (
        "row,tax_ref,reason,explanation\n")


def test_a_file_broken_after_the_rows_read_at_receipt_is_unreadable(client, app, account_holder,
                                                                      monkeypatch):
    """Receipt reads the first rows only (a tax year is too long to read inside a request):
    a file broken further down is taken (202) and its status says why it could not be read;
    nothing is booked."""
    from portal.operations import tax_import

    monkeypatch.setattr(tax_import, "CHECK_ROWS", 1)
    who = account_holder["id_number"]
    body = csv_batch((f"UN1{who}", who, 2025, 30000, "2025-04-01", "person"),
                     (f"UN2{who}", who, 2025, "x" * 300, "2025-04-01", "person"))
    status = book(client, app, body)
    assert status.json["status"] == "unreadable"
    assert status.json["error"].startswith("too_long (line 3)")
    assert entries(app, account_holder["account_id"]) == []


def test_cli_import(app, tmp_path, account_holder):
    who = account_holder["id_number"]
    path = tmp_path / "batch.csv"
    path.write_bytes(csv_batch((f"C{who}", who, 2025, 40000, "2025-09-09", "person")))
    result = app.test_cli_runner().invoke(args=["import-contributions", str(path)])
    assert result.exit_code == 0 and '"accepted": 1' in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(ImportBatch.id))) >= 1
        db.session.remove()


def test_interest_twice_is_once_and_totals_agree(client, app, account_holder):
    who = account_holder["id_number"]
    book(client, app, csv_batch((f"I1{who}", who, 2025, 50000, "2025-03-15", "person"),
                                (f"I2{who}", who, 2025, 30000, "2025-11-20", "person")))
    with app.app_context():
        first = credit_year(2025, 150)
        second = credit_year(2025, 150)
        assert second["accounts"] == 0 and second["interest_fen"] == 0
        mine = db.session.scalar(select(LedgerEntry).filter_by(
            account_id=account_holder["account_id"], kind="interest", year=2025))
        # 500 + 60 subsidy from March: 9 months. November's 300 tops the year up to the 800
        # tier, whose subsidy is 75: only the difference, 15, comes with it (第十一条: the
        # subsidy is set once from the year's total), 1 month.
        # (56 000 × 9 + 31 500 × 1) × 150 / 120 000 = 669.375 → 669 fen (half up)
        assert mine.amount_fen == yearly_interest(
            0, [(date(2025, 3, 15), 56000), (date(2025, 11, 20), 31500)], 150) == 669
        assert mine.booked_on == date(2025, 12, 31)
        # the SQL total equals the rule applied account by account
        expected = 0
        credited = db.session.scalars(select(LedgerEntry.account_id).filter(
            LedgerEntry.kind == "interest", LedgerEntry.year == 2025,
            LedgerEntry.created_at == mine.created_at)).all()
        for account_id in credited:
            opening = ledger.balance_fen(account_id, date(2024, 12, 31))
            bookings = [(e.booked_on, e.amount_fen) for e in db.session.scalars(
                select(LedgerEntry).filter(LedgerEntry.account_id == account_id,
                                           LedgerEntry.booked_on >= date(2025, 1, 1),
                                           LedgerEntry.booked_on <= date(2025, 12, 31),
                                           LedgerEntry.kind != "interest"))]
            expected += yearly_interest(opening, bookings, 150)
        assert first["interest_fen"] == expected and first["accounts"] == len(credited)
        # One row: an SMS the message centre shows too (rendered from its parameters).
        ready = db.session.scalars(select(OutboxMessage).filter_by(
            person_id=account_holder["person_id"], kind="statement_ready")).all()
        assert [(m.channel, m.in_app, m.params) for m in ready] == [("sms", True, {"year": 2025})]
        holder = db.session.get(Person, account_holder["person_id"])
        assert ready[0].recipient == holder.phone and "2025" in ready[0].body
        assert ready[0] in queries.in_app_messages(holder.id)
        db.session.remove()


def test_credit_interest_command(app):
    result = app.test_cli_runner().invoke(args=["credit-interest", "2025"])
    assert result.exit_code == 0 and "2025:" in result.output
    bad = app.test_cli_runner().invoke(args=["credit-interest", "2031"])
    assert bad.exit_code != 0


def test_statement_figures_equal_the_ledger(client, app, demo):
    person = demo["by_key"]["contributor"]
    sign_in(client, app, person)
    overview = client.get("/me/account").get_data(as_text=True)
    with app.app_context():
        account = db.session.scalar(select(PersonalAccount).join(Person).filter(
            Person.id_number == person["id_number"]))
        balance = ledger.balance_fen(account.id)
        year_2024 = ledger.statement(account.id, 2024)
        closing_2023 = ledger.balance_fen(account.id, date(2023, 12, 31))
        db.session.remove()
    assert f"¥{balance / 100:,.2f}" in overview
    page = client.get("/me/account/statement/2024").get_data(as_text=True)
    assert f"¥{closing_2023 / 100:,.2f}" in page  # opening = last year's closing
    assert f"¥{year_2024.closing_fen / 100:,.2f}" in page
    assert page.count("<tr>") == len(year_2024.entries) + 3  # head, opening and closing rows
    assert "<svg" in page and "/verify/" in page
    pdf = client.get("/me/account/statement/2024.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert client.get("/me/account/statement/1999").status_code == 404


def test_statement_figures_agree_with_the_ledger_queries(app, demo):
    """The statement reads the account's lines once and sums them in Python: its opening,
    closing and contribution years equal the SQL sums and the contribution-years query, with a
    reversed contribution and a contribution booked after its year on the account."""
    person = demo["by_key"]["contributor"]
    with app.app_context():
        account = db.session.scalar(select(PersonalAccount).join(Person).filter(
            Person.id_number == person["id_number"]))
        assert not {2009, 2010} & set(ledger.contribution_years(account.id))
        paid = LedgerEntry(account_id=account.id, kind="personal", amount_fen=30_000,
                           booked_on=date(2009, 4, 2), year=2009, source_key="test:stmt:paid")
        late = LedgerEntry(account_id=account.id, kind="personal", amount_fen=20_000,
                           booked_on=date(2011, 1, 5), year=2010, source_key="test:stmt:late")
        db.session.add_all([paid, late])
        db.session.flush()
        ledger.reverse_entry(paid, "test", actor="test", channel="test")
        db.session.commit()
        for year in [None, *range(2008, china_today().year + 1)]:
            found = ledger.statement(account.id, year)
            opening = 0 if year is None else ledger.balance_fen(account.id,
                                                                date(year - 1, 12, 31))
            closing = ledger.balance_fen(account.id, None if year is None
                                         else date(year, 12, 31))
            assert (found.opening_fen, found.closing_fen) == (opening, closing), year
            assert found.closing_fen == opening + sum(e.amount_fen for e in found.entries)
            assert found.contribution_years == len(ledger.contribution_years(account.id, year))
            assert all(year is None or e.booked_on.year == year for e in found.entries)
        assert 2009 not in ledger.contribution_years(account.id)
        assert ledger.contribution_years(account.id, 2010) == [2010]
        assert ledger.statement(account.id, 2010).contribution_years == 1
        assert ledger.statement(account.id, 2010).entries == []  # booked in 2011
        db.session.remove()


def test_verification_genuine_altered_and_expired(client, app, demo):
    import re

    sign_in(client, app, demo["by_key"]["contributor"])
    page = client.get("/me/account/statement/all").get_data(as_text=True)
    token = re.search(r"/verify/([A-Za-z0-9_.\-]+)", page).group(1)
    anonymous = app.test_client()
    genuine = anonymous.get(f"/verify/{token}")
    text = genuine.get_data(as_text=True)
    assert genuine.status_code == 200 and "真实有效" in text and "张*兰" in text
    assert demo["by_key"]["contributor"]["id_number"] not in text
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    forged = anonymous.get(f"/verify/{altered}")
    assert forged.status_code == 400 and "伪造" in forged.get_data(as_text=True)
    app.config["STATEMENT_VERIFY_DAYS"] = -1
    try:
        assert anonymous.get(f"/verify/{token}").status_code == 410
    finally:
        app.config["STATEMENT_VERIFY_DAYS"] = 730


def test_verification_is_rate_limited(app):
    from portal.ratelimit import limiter

    client = app.test_client()
    limit = app.config["VERIFY_RATE_PER_MINUTE"]
    statuses = [client.get("/verify/x", environ_base={"REMOTE_ADDR": "127.0.0.9"}).status_code
                for _ in range(limit + 1)]
    assert statuses[:limit] == [400] * limit and statuses[-1] == 429
    other = client.get("/verify/x", environ_base={"REMOTE_ADDR": "127.0.0.10"})
    assert other.status_code == 400  # another client has its own count
    limiter.reset()


def test_estimates_for_a_resident_and_the_public(client, app, demo):
    sign_in(client, app, demo["by_key"]["contributor"])
    mine = client.get("/me/account/estimate").get_data(as_text=True)
    assert "¥163.00" in mine and "139" in mine  # basic pension and the divisor, stated
    public = app.test_client()
    shown = public.get("/estimate?age=45&years=10&balance=20000")
    assert shown.status_code == 200 and "2030" in shown.get_data(as_text=True)
    bad = public.get("/estimate?age=70&years=x")
    assert bad.status_code == 400 and "16到59" in bad.get_data(as_text=True)


def test_a_batch_read_in_small_pieces_books_the_same(client, app, account_holder, monkeypatch):
    """The import streams: the file in chunks of a few bytes (a number split between two
    chunks), rows staged and decisions written a couple at a time while the rows are still
    being read. Two payments of one year in one batch: the second tops the first up to the
    next tier and adds only the subsidy's difference (第十一条)."""
    from portal.operations import tax_import

    monkeypatch.setattr(tax_import, "CHUNK_BYTES", 7)
    monkeypatch.setattr(tax_import, "ROWS_PER_WRITE", 2)
    who = account_holder["id_number"]
    rows = [{"tax_ref": f"S{who}-{n}", "id_number": who, "year": 2024, "amount_fen": 10000,
             "paid_on": f"2024-0{n}-01"} for n in range(1, 6)]
    body = json.dumps({"note": {"ignored": [1, 2]}, "rows": rows}).encode()
    status = book(client, app, body, "application/json")
    assert status.json["status"] == "booked", status.json
    assert status.json["accepted"] == 5 and status.json["booked_entries"] == 10
    booked = entries(app, account_holder["account_id"])
    assert sum(amount for kind, amount, _d, _y in booked if kind == "personal") == 50000
    # The 500 tier's subsidy (60.00) in five steps, never more.
    assert sum(amount for kind, amount, _d, _y in booked if kind == "subsidy") == 6000
    assert sorted(kind for kind, *_rest in booked) == ["personal"] * 5 + ["subsidy"] * 5


def test_json_batches_that_cannot_be_read(client, app):
    for body in (b'[{"rows": []}]', b'{"rows": 5}', b'{"other": []}', b'{"rows": [1, 2',
                 b'{"rows": []} trailing', b'{"rows": [{"a": 1}] , }'):
        answer = post(client, app, body, "application/json")
        assert answer.status_code == 400, body


def test_a_batch_whose_worker_was_lost_is_booked_by_the_beat(client, app, account_holder,
                                                              monkeypatch):
    """202 means the file is kept (第十四条): when no worker books it (lost on the way), the
    beat's tax.book_pending asks again, and the batch is booked once."""
    from portal.exchange import tax_api
    from portal.jobs import registered
    from portal.models import ImportBatch

    monkeypatch.setattr(tax_api, "enqueue", lambda *args: None)  # the worker never comes
    who = account_holder["id_number"]
    body = csv_batch((f"L{who}-23", who, 2023, 50000, "2023-05-10", "person"))
    batch_id = post(client, app, body).json["batch_id"]
    monkeypatch.undo()
    with app.app_context():
        assert registered()["tax.book_pending"]() == []  # not yet: it may still be on its way
        batch = db.session.get(ImportBatch, batch_id)
        assert batch.status == "received"
        batch.received_at -= timedelta(minutes=30)
        db.session.commit()
        assert registered()["tax.book_pending"]() == [batch_id]
        assert db.session.get(ImportBatch, batch_id).status == "booked"
        assert registered()["tax.book_pending"]() == []
        db.session.remove()
    assert len(entries(app, account_holder["account_id"])) == 2

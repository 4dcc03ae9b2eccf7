"""Issuing statements (对账单, 第十九条): one stored record per statement, with its QR code drawn
once, so a resident's first view costs one insert and every later view a look-up.

A statement is "the same" while its period, closing balance and masked name are the same; it is
reissued (a new record, token and issue date) when any of them changes, or once it is older than
half of STATEMENT_VERIFY_DAYS, so that a copy printed today stays verifiable for at least that
long. Two first views at the same moment may both issue one; both tokens verify.
"""

from datetime import timedelta
from typing import NamedTuple

from flask import current_app, url_for
from sqlalchemy import bindparam, insert, update

from ..documents import verification
from ..extensions import db
from ..models import IssuedStatement, utcnow
from ..queries import issued_statements
from ..rules.dates import china_today


def _reusable(found, today) -> bool:
    days = current_app.config["STATEMENT_VERIFY_DAYS"]
    return today - found.issued_on < timedelta(days=days / 2)


def verify_url(statement_id: int) -> str:
    return _verify_prefix() + verification.token_for(statement_id)


def _verify_prefix() -> str:
    """The check page's address up to the token, built once per portal address (every view
    of a statement compares it with the stored one)."""
    from flask import request

    from ..chrome import kept

    external = current_app.config["EXTERNAL_URL"]
    return kept("portal_verify_prefix", (external, request.script_root),
                lambda: external + url_for("public.verify", token="~")[:-1])


class Issued(NamedTuple):
    id: int
    issued_on: object
    qr_url: str
    qr_svg: str


_table = IssuedStatement.__table__
# Built once, with bound parameters (building costs more than sending them).
_ISSUE = insert(_table).returning(_table.c.id)
_DRAW = (update(_table).where(_table.c.id == bindparam("statement_id"))
         .values(qr_url=bindparam("url"), qr_svg=bindparam("svg")))


def issue(*, account_id: int, period: str, masked_name: str, closing_fen: int):
    """The issued statement for these figures (id, issued_on, qr_url, qr_svg), issued now (and
    committed) if there is none to reuse. Its `qr_svg` is drawn here, or redrawn when the portal's
    address changed. A view of a statement already issued reads one row and writes nothing; a
    first view writes with two plain statements (no ORM unit of work: it cost more than the
    QR code)."""
    today = china_today()
    found = next((s for s in issued_statements(account_id, period)
                  if s.closing_fen == closing_fen and s.masked_name == masked_name
                  and _reusable(s, today)), None)
    if found is not None:
        url = verify_url(found.id)
        if found.qr_url == url and found.qr_svg:
            return found
        statement_id, issued_on = found.id, found.issued_on
    else:
        statement_id = db.session.execute(_ISSUE, {
            "account_id": account_id, "period": period, "masked_name": masked_name,
            "closing_fen": closing_fen, "issued_on": today, "created_at": utcnow()}
        ).scalar_one()  # the id makes the token
        issued_on = today
        url = verify_url(statement_id)
    svg = verification.qr_svg(url)
    db.session.execute(_DRAW, {"statement_id": statement_id, "url": url, "svg": svg})
    db.session.commit()
    return Issued(statement_id, issued_on, url, svg)


def issue_for_accounts(period: str, accounts: list[tuple[int, str, int]]) -> int:
    """Issue (and draw) the statements of many accounts ahead of their first view, e.g. for the
    year just credited: `accounts` holds (account id, masked name, closing balance in fen).
    Drawing costs a few milliseconds of CPU per statement, so this belongs in a background job
    spread over workers, not inside crediting's transaction. Returns how many were looked at."""
    from flask import has_request_context

    if not has_request_context():  # url_for needs one; a job has none
        with current_app.test_request_context():
            return issue_for_accounts(period, accounts)
    for account_id, masked_name, closing_fen in accounts:
        issue(account_id=account_id, period=period, masked_name=masked_name,
              closing_fen=closing_fen)
    return len(accounts)

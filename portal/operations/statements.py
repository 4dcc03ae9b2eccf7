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
from sqlalchemy import bindparam, case, func, insert, select, update

from ..documents import verification
from ..extensions import db
from ..models import IssuedStatement, LedgerEntry, PersonalAccount, utcnow
from ..queries import issued_statements
from ..rules.dates import china_today
from . import ledger


def _reusable(found, today) -> bool:
    days = current_app.config["STATEMENT_VERIFY_DAYS"]
    return today - found.issued_on < timedelta(days=days / 2)


def verify_url(statement_id: int) -> str:
    return _verify_prefix() + verification.token_for(statement_id)


def _verify_prefix() -> str:
    """The check page's address up to the token (every view of a statement compares it with
    the stored one; the address itself is kept by portal.application.Portal.url_for)."""
    return current_app.config["EXTERNAL_URL"] + url_for("public.verify", token="~")[:-1]


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


# The statement page's one query: the person's account and lines (ledger.PERSON_LINES) with the
# newest statement issued for the period, so that viewing one already issued needs no second
# look-up. Its small columns come with every line, its QR code (2–3 KB) with the first only.
_NEWEST_ISSUED = (select(func.max(_table.c.id))
                  .where(_table.c.account_id == PersonalAccount.__table__.c.id,
                         _table.c.period == bindparam("period"))
                  .correlate_except(_table).scalar_subquery())
_LINES_AND_NEWEST = (ledger.PERSON_LINES
                     .add_columns(_table.c.id.label("issued_id"),
                                  _table.c.closing_fen.label("issued_closing_fen"),
                                  _table.c.masked_name.label("issued_masked_name"),
                                  _table.c.issued_on.label("issued_on"),
                                  _table.c.qr_url.label("issued_qr_url"),
                                  # 2–3 KB: sent with the first line only
                                  case((func.row_number().over(order_by=(
                                      LedgerEntry.booked_on, LedgerEntry.id)) == 1,
                                        _table.c.qr_svg)).label("issued_qr_svg"))
                     .outerjoin(_table, _table.c.id == _NEWEST_ISSUED))


class Newest(NamedTuple):
    """The newest statement issued for an account and period, as issued_statements' rows."""
    id: int
    closing_fen: int
    masked_name: str
    issued_on: object
    qr_url: str | None
    qr_svg: str | None


def period_of(year: int | None) -> str:
    return str(year) if year else "all"


def statement_with_newest(person_id: int, year: int | None):
    """(the person's statement of `year` on their current account, the newest statement
    issued for it or None when there is none), in one query; (None, None) when the person has
    no account. Objects added to the session and not yet sent count (a plain select does not
    autoflush)."""
    if db.session.new:
        db.session.flush()
    rows = db.session.execute(_LINES_AND_NEWEST,
                              {"person_id": person_id, "period": period_of(year)}).all()
    found = ledger.statement_of_rows(rows, year)
    if found is None or rows[0].issued_id is None:
        return found, None
    first = rows[0]
    return found, Newest(first.issued_id, first.issued_closing_fen, first.issued_masked_name,
                         first.issued_on, first.issued_qr_url, first.issued_qr_svg)


_LOOK_UP = object()  # issue(newest=…) not given: look the issued statements up


def issue(*, account_id: int, period: str, masked_name: str, closing_fen: int,
          newest=_LOOK_UP):
    """The issued statement for these figures (id, issued_on, qr_url, qr_svg), issued now (and
    committed) if there is none to reuse. Its `qr_svg` is drawn here, or redrawn when the portal's
    address changed. A view of a statement already issued reads one row and writes nothing; a
    first view writes with two plain statements (no ORM unit of work: it cost more than the
    QR code). `newest`: the newest statement issued for the account and period, or None for
    none, when the caller read it already (statement_with_newest); the older ones are looked at
    only when it does not fit."""
    today = china_today()

    def fits(issued) -> bool:
        return (issued.closing_fen == closing_fen and issued.masked_name == masked_name
                and _reusable(issued, today))

    if newest is _LOOK_UP or (newest is not None and not fits(newest)):
        found = next((s for s in issued_statements(account_id, period) if fits(s)), None)
    else:
        found = newest
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

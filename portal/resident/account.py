"""The resident's personal account: balance, statements (第十九条) and the pension estimate."""

from flask import abort, current_app, render_template, request
from flask_login import current_user

from ..auth.resident import resident_required
from ..documents import seal, statements
from ..operations import ledger
from ..operations import statements as issuing
from ..rules import benefits
from ..rules.dates import china_today
from ..rules.enrolment import age_on
from ..schemes import scheme_for
from .views import bp


def my_account():
    account = ledger.account_of(current_user.id)
    if account is None:
        abort(404)
    return account


def parse_period(period: str) -> int | None:
    if period == "all":
        return None
    if period.isdigit() and 2009 <= int(period) <= china_today().year:
        return int(period)
    abort(404)


@bp.get("/account")
@resident_required()
def account():
    mine = ledger.account_of(current_user.id)
    if mine is None:
        return render_template("resident/no_account.html")
    years = sorted({e.year for e in ledger.statement(mine.id, None).entries}, reverse=True)
    return render_template("resident/account.html", balance=ledger.balance_fen(mine.id),
                           contribution_years=len(ledger.contribution_years(mine.id)),
                           years=years, this_year=china_today().year,
                           paid_this_year=china_today().year in ledger.contribution_years(mine.id))


def my_statement(year: int | None) -> statements.StatementView:
    """The view of the resident's statement, with the newest one issued read in the same
    query as the lines (a view of one already issued is one round trip)."""
    person = current_user._get_current_object()
    found, newest = issuing.statement_with_newest(person.id, year)
    if found is None:
        abort(404)
    return statements.prepare(person, found, year, newest)


@bp.get("/account/statement/<period>")
@resident_required()
def statement(period):
    view = my_statement(parse_period(period))
    return render_template("resident/statement.html", view=view, period=period,
                           qr=view.qr, person=current_user._get_current_object())


@bp.get("/account/statement/<period>.pdf")
@resident_required()
def statement_pdf(period):
    view = my_statement(parse_period(period))
    response = current_app.response_class(statements.pdf(current_user, view),
                                          mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="statement-{period}.pdf"'
    return response


@bp.get("/account/seal.png")
@resident_required()
def statement_seal():
    """The issuing agency's seal shown on statements (第十九条). Under its fingerprint (the
    address a statement page gives) it never changes, so the browser keeps it."""
    png = seal.seal_png()
    if png is None:
        abort(404)
    response = current_app.response_class(png, mimetype="image/png")
    response.headers["Cache-Control"] = (
        "private, max-age=31536000, immutable" if request.args.get("v") == seal.fingerprint()
        else "private, no-cache")
    return response


def estimates_for(balance_fen: int, years_paid: int, age: int, county: str,
                  extra_government_fen: int = 0):
    """rules.benefits.estimates_for with this portal's scheme and today's date."""
    return benefits.estimates_for(
        scheme_for(current_app.config["SCHEME_PROVINCE"]), china_today(),
        balance_fen=balance_fen, years_paid=years_paid, age=age, county=county,
        extra_government_fen=extra_government_fen)


@bp.get("/account/estimate")
@resident_required()
def estimate():
    mine = my_account()
    today = china_today()
    years = ledger.contribution_years(mine.id)
    paid_this_year = today.year in years
    age = age_on(current_user.birth_date, today) if current_user.birth_date else 45
    # This year's contribution already counts; the projection starts next year in that case.
    rows, assumptions = estimates_for(ledger.balance_fen(mine.id), len(years),
                                      age + (1 if paid_this_year else 0),
                                      current_user.hukou_region_code or
                                      current_app.config["SERVICE_COUNTY_CODE"])
    highlight = request.args.get("tier", type=int)
    return render_template("resident/estimate.html", rows=rows, assumptions=assumptions,
                           age=age, years_paid=len(years), balance=ledger.balance_fen(mine.id),
                           highlight=highlight)

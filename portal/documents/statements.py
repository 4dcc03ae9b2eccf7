"""What a statement shows, prepared once for the HTML page, the print view and the PDF."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from ..operations import ledger
from ..operations import statements as issuing
from ..presenters import date_label, ledger_kind, yuan
from ..rules import ids
from . import seal, verification


@dataclass
class StatementView:
    statement: ledger.Statement
    period_label: str
    rows: list[list[str]]
    verify_url: str
    issued_on: object
    qr: Markup = Markup("")  # the verification QR code, inline SVG drawn when first issued
    issuer: str = ""  # the agency that issues it, named on the statement
    seal: str | None = None  # the address of its electronic seal's image (seal.seal_url)
    # Formatted once here rather than in the template (each is shown once or twice).
    opening: str = ""
    closing: str = ""
    issued_on_label: str = ""


def period_label(year: int | None) -> str:
    return _("All years") if year is None else _("Year %(year)s", year=year)


def prepare(person, found: ledger.Statement, year: int | None, newest) -> StatementView:
    """The view of `found`, issuing it if need be; `found` and `newest` (the newest statement
    issued for it, or None) as operations.statements.statement_with_newest reads them."""
    issued = issuing.issue(account_id=found.account_id, period=issuing.period_of(year),
                           masked_name=verification.mask_name(person.name),
                           closing_fen=found.closing_fen, newest=newest)
    rows = [[date_label(e.booked_on, "medium"), ledger_kind(e.kind), str(e.year),
             yuan(e.amount_fen)] for e in found.entries]
    return StatementView(
        statement=found, period_label=period_label(year), rows=rows, issued_on=issued.issued_on,
        verify_url=issued.qr_url, qr=Markup(issued.qr_svg),
        issuer=current_app.config["AGENCY_NAME"], seal=seal.seal_url(),
        opening=yuan(found.opening_fen), closing=yuan(found.closing_fen),
        issued_on_label=date_label(issued.issued_on, "long"))


def pdf(person, view: StatementView) -> bytes:
    from .statement_pdf import render

    found = view.statement
    return render(
        title=_("Personal account statement (对账单)"),
        header_rows=[(_("Name"), person.name),
                     (_("Identity document number"), ids.mask(person.id_number)),
                     (_("Period"), view.period_label),
                     (_("Issued on"), view.issued_on_label),
                     (_("Issued by"), view.issuer)],
        table_head=[_("Date booked"), _("Type"), _("For year"), _("Amount")],
        table_rows=view.rows or [["—", _("No entries in this period"), "", ""]],
        summary_rows=[(_("Opening balance"), yuan(found.opening_fen)),
                      (_("Closing balance"), yuan(found.closing_fen)),
                      (_("Contribution years so far"), str(found.contribution_years))],
        verify_url=view.verify_url,
        issuer=_("Issued by %(agency)s", agency=view.issuer), seal_png=seal.seal_png(),
        verify_text=_("Scan the code to check that this statement is genuine. No sign-in is "
                      "needed."),
        footer=_("Questions about a figure? Call %(phone)s or ask your township office to check "
                 "the record (第二十条).", phone=current_app.config["HELPLINE"]),
    )

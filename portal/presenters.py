"""Plain words for statuses and timeline events, shared by resident and agency pages."""

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "submitted": _l("Being reviewed"),
    "township_checked": _l("Being reviewed"),
    "approved": _l("Approved"),
    "rejected": _l("Not approved"),
    "withdrawn": _l("Withdrawn"),
    "completed": _l("Done"),
    "in_hand": _l("Being answered"),
    "corrected": _l("Checked – record corrected"),
    "explained": _l("Checked – answer given"),
    "answered": _l("Answered"),
    "prepared": _l("Being reviewed"),
}

EVENT_TEXT = {
    "submitted": _l("Application received"),
    "township_checked": _l("Checked by the township office"),
    "approved": _l("Approved by the county social insurance agency"),
    "rejected": _l("Not approved by the county social insurance agency"),
    "withdrawn": _l("Withdrawn"),
    "completed": _l("The change took effect"),
    "in_hand": _l("Taken up by a member of staff, who will answer it"),
    "corrected": _l("Checked by the county: the record was corrected"),
    "explained": _l("Checked by the county: the record is right, see the explanation"),
    "answered": _l("Answered"),
    "prepared": _l("Pension computed (核定), waiting for a second check (复核)"),
    "returned": _l("Returned to be computed again"),
    "confirmed": _l("You confirmed the decision"),
    "transfer_completed": _l("Transfer completed: the money is in your account here"),
}


LEDGER_KINDS = {
    "personal": _l("Your contribution"),
    "government_paid": _l("Contribution paid by the government for you (代缴)"),
    "subsidy": _l("Government subsidy"),
    "collective": _l("Village collective subsidy"),
    "aid": _l("Other aid"),
    "interest": _l("Interest"),
    "transfer_in": _l("Transferred in"),
    "transfer_out": _l("Transferred out"),
    "pension_paid": _l("Pension paid from the account"),
    "settlement": _l("Settlement on deregistration"),
    "reversal": _l("Correction"),
}


def ledger_kind(kind: str) -> str:
    return LEDGER_KINDS.get(kind, kind)


def yuan(fen: int) -> str:
    from flask_babel import format_currency

    return format_currency(fen / 100, "CNY")


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def event_text(event) -> str:
    return EVENT_TEXT.get(event.kind, event.kind)


def region_name(code: str | None) -> str:
    from .regions import region_path

    return (region_path(code) or code or "") if code else ""


def template_helpers() -> dict:
    return {"status_label": status_label, "event_text": event_text, "ledger_kind": ledger_kind,
            "yuan": yuan, "region_name": region_name}

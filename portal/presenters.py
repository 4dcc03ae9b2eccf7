"""Plain words for statuses and timeline events, shared by resident and agency pages."""

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "submitted": _l("Being reviewed"),
    "township_checked": _l("Being reviewed"),
    "approved": _l("Approved"),
    "rejected": _l("Not approved"),
    "withdrawn": _l("Withdrawn"),
}

EVENT_TEXT = {
    "submitted": _l("Application received"),
    "township_checked": _l("Checked by the township office"),
    "approved": _l("Approved by the county social insurance agency"),
    "rejected": _l("Not approved by the county social insurance agency"),
    "withdrawn": _l("Withdrawn"),
}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def event_text(event) -> str:
    return EVENT_TEXT.get(event.kind, event.kind)


def template_helpers() -> dict:
    return {"status_label": status_label, "event_text": event_text}

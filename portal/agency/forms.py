"""The console's forms, one per lifecycle action: fields carry their own label and hint and are
rendered by the same macros as the resident flows (components/forms.html)."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, ValidationError
from wtforms.widgets import HiddenInput


class PasswordForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(_l("Enter your username"))])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password"))])


class CodeForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app"),
                       validators=[InputRequired(_l("Enter the 6-digit code"))])


class ActionForm(FlaskForm):
    """Every action carries the version of the application the staff member saw (optimistic
    locking: whoever acts second is told, nothing is overwritten)."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    choice_field: str | None = None
    note_field: str | None = None

    @property
    def choice(self) -> str:
        return self[self.choice_field].data if self.choice_field else ""

    def hook_data(self) -> dict:
        return {name: field.data for name, field in self._fields.items()
                if name not in ("version", "csrf_token")}


class DecisionForm(ActionForm):
    decision = StringField(validators=[AnyOf(("approve", "reject"),
                                             message=_l("Choose approve or reject"))])
    reason = TextAreaField(_l("Reason (required to reject; the resident reads it)"))
    choice_field, note_field = "decision", "reason"

    def validate_reason(self, field):
        field.data = (field.data or "").strip() or None
        if self.decision.data == "reject" and len(field.data or "") < 4:
            raise ValidationError(_("Write the reason the resident will read (at least 4 "
                                    "characters)"))


class TownshipCheckForm(ActionForm):
    note = TextAreaField(_l("Note for the county (optional)"))
    note_field = "note"

    def validate_note(self, field):
        field.data = (field.data or "").strip()[:500] or None


class PrepareForm(ActionForm):
    pass


class CheckForm(ActionForm):
    verdict = StringField(validators=[AnyOf(("approve", "return"),
                                            message=_l("Choose approve or return"))])
    note = TextAreaField(_l("Note (optional)"))
    choice_field, note_field = "verdict", "note"

    def validate_note(self, field):
        field.data = (field.data or "").strip()[:500] or None


def yuan_to_fen(text: str) -> int | None:
    """'500', '500.5', '-12.30' → fen; None when it is not an amount."""
    value = (text or "").strip().replace(",", "")
    if not re.fullmatch(r"-?\d{1,9}(\.\d{1,2})?", value):
        return None
    whole, _dot, cents = value.lstrip("-").partition(".")
    fen = int(whole) * 100 + int((cents + "00")[:2])
    return -fen if value.startswith("-") else fen


class ResolutionForm(ActionForm):
    """第二十条: correct an entry, or explain why it is right."""

    entry = SelectField(_l("Entry to correct (leave empty to explain only)"), coerce=str,
                        validate_choice=False)
    right_amount = StringField(_l("The right amount in yuan"))
    explanation = TextAreaField(_l("What you found (the resident reads it)"))
    note_field = "explanation"

    @property
    def choice(self) -> str:
        return "corrected" if self.entry.data or (self.right_amount.data or "").strip() \
            else "explained"

    def validate_explanation(self, field):
        field.data = (field.data or "").strip()
        if len(field.data) < 4:
            raise ValidationError(_("Write what you found; the resident reads it (at least 4 "
                                    "characters)"))

    def validate_entry(self, field):
        if (self.right_amount.data or "").strip() and not field.data:
            raise ValidationError(_("Choose the entry to correct"))

    def validate_right_amount(self, field):
        if self.entry.data and yuan_to_fen(field.data) is None:
            raise ValidationError(_("Enter the right amount in yuan, for example 500 or 59.50"))

    def hook_data(self) -> dict:
        if self.choice != "corrected":
            return {"explanation": self.explanation.data, "corrections": []}
        return {"explanation": self.explanation.data,
                "corrections": [(int(self.entry.data), yuan_to_fen(self.right_amount.data))]}


class TakeForm(ActionForm):
    pass


class AnswerForm(ActionForm):
    answer = TextAreaField(_l("Answer (the resident reads it in their messages)"))
    note_field = "answer"

    def validate_answer(self, field):
        field.data = (field.data or "").strip()
        if len(field.data) < 4:
            raise ValidationError(_("Write the answer (at least 4 characters)"))


class ReportOutcomeForm(FlaskForm):
    """举报 (第六十六条): what the county found, for the reporter to read."""

    outcome = TextAreaField(_l("Outcome (the reporter can read it with their reference)"))

    def validate_outcome(self, field):
        field.data = (field.data or "").strip()
        if len(field.data) < 4:
            raise ValidationError(_("Write the outcome the reporter may read (at least 4 "
                                    "characters)"))


class TerminalForm(FlaskForm):
    """A self-service terminal registered with its public key (operations.kiosk)."""

    device_id = StringField(_l("Device id"))
    name = StringField(_l("Name"))
    public_key = StringField(_l("Public key (Ed25519, base64)"))
    hints = {"public_key": _l("Shown by the terminal's agent at set-up: python -m kiosk.agent "
                              "--show-public-key")}

    def validate_name(self, field):
        self.device_id.data = (self.device_id.data or "").strip()
        field.data = (field.data or "").strip()
        if not self.device_id.data or not field.data:
            raise ValidationError(_("Enter the terminal's device id and a name staff will "
                                    "recognise"))

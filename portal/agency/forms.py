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


class PayoutCheckForm(ActionForm):
    """复核 of a payout (第六十二条): the second member of staff approves what the first prepared.
    Nothing to write: the figures are on the page, and the approval records both names."""

    verdict = StringField(validators=[AnyOf(("approve",), message=_l("Choose approve"))])
    choice_field = "verdict"


class ApprovalForm(FlaskForm):
    """One button on the approvals page: approve this payout (the version seen, so that two
    approvers at once cannot both release it)."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class ReturnPayoutForm(FlaskForm):
    """复核 finds a payout wrong: it goes back to its preparer with the reason (第六十二条)."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    reason = TextAreaField(_l("Why it goes back (the member of staff who prepared it reads this)"))

    def validate_reason(self, field):
        field.data = (field.data or "").strip()
        if len(field.data) < 4:
            raise ValidationError(_("Write why it goes back (at least 4 characters)"))


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


class RedeterminationForm(ActionForm):
    """重新核定 (第二十五条): the dispute about the pension was found right. Blank figures are
    taken from the records as they stand now."""

    balance = StringField(_l("Account balance at pension age in yuan"))
    years_paid = StringField(_l("Years of contributions"))
    reason = TextAreaField(_l("What was wrong (the resident reads it)"))
    hints = {"balance": _l("Leave empty to take it from the account as it stands now, with "
                           "interest to the day of eligibility."),
             "years_paid": _l("Leave empty to count the years in the account.")}

    def validate_balance(self, field):
        if (field.data or "").strip() and (yuan_to_fen(field.data) is None
                                           or yuan_to_fen(field.data) < 0):
            raise ValidationError(_("Enter the balance in yuan, for example 15000 or "
                                    "15000.50"))

    def validate_years_paid(self, field):
        value = (field.data or "").strip()
        if value and not (value.isdigit() and 0 <= int(value) <= 80):
            raise ValidationError(_("Enter the number of years, for example 15"))

    def validate_reason(self, field):
        field.data = (field.data or "").strip()
        if len(field.data) < 4:
            raise ValidationError(_("Write what was wrong; the resident reads it (at least 4 "
                                    "characters)"))

    def hook_data(self) -> dict:
        balance = (self.balance.data or "").strip()
        years = (self.years_paid.data or "").strip()
        return {"balance_fen": yuan_to_fen(balance) if balance else None,
                "years_paid": int(years) if years else None, "reason": self.reason.data}


class ExplanationForm(ActionForm):
    """The record or the amount is right: the county explains why (第二十五条、第四十四条)."""

    explanation = TextAreaField(_l("What you found (the resident reads it)"))
    note_field = "explanation"

    def validate_explanation(self, field):
        field.data = (field.data or "").strip()
        if len(field.data) < 4:
            raise ValidationError(_("Write what you found; the resident reads it (at least 4 "
                                    "characters)"))


class AskOldCountyForm(ActionForm):
    """第四十四条: what to ask the county the record came from."""

    question = TextAreaField(_l("Question for the old county"))
    note_field = "question"

    def validate_question(self, field):
        field.data = (field.data or "").strip()
        if len(field.data) < 4:
            raise ValidationError(_("Write the question for the old county (at least 4 "
                                    "characters)"))


class TransferResolutionForm(ExplanationForm):
    """第四十四条: close the dispute with the old county's answer: book its correction on both
    sides, or explain that the record is right."""

    outcome = StringField(validators=[AnyOf(("corrected", "explained"),
                                            message=_l("Choose correct or explain"))])
    choice_field = "outcome"


class InquiryAnswerForm(FlaskForm):
    """The old county answers a question about a record it transferred out (第四十四条)."""

    answer = TextAreaField(_l("Your answer (the new county and the resident read it)"))
    correction = StringField(_l("Amount missing from the transfer in yuan"))
    year = StringField(_l("Contribution year it concerns"))
    hints = {"correction": _l("Leave empty when the record is right. A negative amount means "
                              "too much was transferred.")}

    def validate_answer(self, field):
        field.data = (field.data or "").strip()
        if len(field.data) < 4:
            raise ValidationError(_("Write the answer (at least 4 characters)"))

    def validate_correction(self, field):
        if (field.data or "").strip() and not yuan_to_fen(field.data):
            raise ValidationError(_("Enter the amount in yuan, for example 500 or -59.50"))

    def validate_year(self, field):
        value = (field.data or "").strip()
        if value and not (value.isdigit() and 1990 <= int(value) <= 2100):
            raise ValidationError(_("Enter a year, for example 2019"))

    @property
    def correction_fen(self) -> int | None:
        value = (self.correction.data or "").strip()
        return yuan_to_fen(value) if value else None

    @property
    def correction_year(self) -> int | None:
        value = (self.year.data or "").strip()
        return int(value) if value else None


class OutsideAnswerForm(ActionForm):
    """第四十四条: the answer of a county outside this system, entered as it arrived."""

    answer = TextAreaField(_l("The old county's answer, as it arrived"))
    correction = StringField(_l("Amount missing from the transfer in yuan"))
    year = StringField(_l("Contribution year it concerns"))
    hints = InquiryAnswerForm.hints
    validate_answer = InquiryAnswerForm.validate_answer
    validate_correction = InquiryAnswerForm.validate_correction
    validate_year = InquiryAnswerForm.validate_year

    def hook_data(self) -> dict:
        correction = (self.correction.data or "").strip()
        year = (self.year.data or "").strip()
        return {"answer": self.answer.data,
                "correction_fen": yuan_to_fen(correction) if correction else None,
                "correction_year": int(year) if year else None}


class ConfirmForm(ActionForm):
    """The resident confirms what they read (the version they saw, like staff actions)."""


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


class CalendarYearForm(FlaskForm):
    """A year's State Council holiday notice, as its days off and make-up working days
    (operations.calendar.enter_year); the year is set by the page."""

    notice = StringField(_l("The notice"))
    days_off = TextAreaField(_l("Days off"))
    workdays = TextAreaField(_l("Make-up working days (weekend days worked, 调休)"))
    hints = {
        "notice": _l("Its title or document number, e.g. 国办发明电〔2026〕X号"),
        "days_off": _l("Every day off the notice lists, one date or one range a line, e.g. "
                       "2027-02-05 至 2027-02-11"),
        "workdays": _l("One date a line, e.g. 2027-02-20. Leave empty if there are none."),
    }

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.parsed: dict[str, list] = {"days_off": [], "workdays": []}

    def validate_notice(self, field):
        field.data = " ".join((field.data or "").split())
        if not field.data:
            raise ValidationError(_("Enter the notice's title or document number"))
        if len(field.data) > 120:
            raise ValidationError(_("Shorten the notice's name to 120 characters"))

    def _days(self, field) -> list:
        from ..rules.workdays import parse_days

        try:
            days = parse_days(field.data)
        except ValueError as error:
            raise ValidationError(_("Line %(line)s is not a date or a range of dates like "
                                    "2027-02-05 至 2027-02-11", line=error.args[0])) from None
        outside = [d for d in days if d.year != self.year]
        if outside:
            raise ValidationError(_("%(date)s is not in %(year)s",
                                    date=outside[0].isoformat(), year=self.year))
        self.parsed[field.name] = days
        return days

    def validate_days_off(self, field):
        if not self._days(field):
            raise ValidationError(_("Enter the days off the notice lists"))

    def validate_workdays(self, field):
        days = self._days(field)
        weekdays = [d for d in days if d.weekday() < 5]
        if weekdays:
            raise ValidationError(_("%(date)s is a weekday: a make-up working day is a "
                                    "Saturday or Sunday", date=weekdays[0].isoformat()))
        both = set(days) & set(self.parsed["days_off"])
        if both:
            raise ValidationError(_("%(date)s is both a day off and a working day",
                                    date=min(both).isoformat()))


class ConfirmYearForm(FlaskForm):
    """The second person's confirmation (only the CSRF token)."""


class NoDeathsForm(FlaskForm):
    """A village assistant's 零报告: nobody died last month (only the CSRF token)."""

"""The village assistant's forms (村协办员): consent before filing, the resident's SMS code, and
the monthly death report (第四条、第六条、第三十二条)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField as RequiredFileField
from flask_wtf.file import FileRequired
from wtforms import FileField, HiddenField, StringField

from ..forms import OneOfChoices, ValueRadioField

REASONS = [("limited_mobility", _l("Limited mobility")), ("illness", _l("Illness")),
           ("age", _l("Old age")), ("other", _l("Another reason"))]


class ConsentForm(FlaskForm):
    """What the resident agrees to, why the assistant files it, and how the resident consents.
    The services (`flow`) and the SMS choice's wording (the masked phone) are set by the view."""

    flow = ValueRadioField(_l("Which service?"),
                           validators=[OneOfChoices(_l("Choose the service"))])
    reason = ValueRadioField(_l("Why can the resident not do it themselves?"), choices=REASONS,
                             validators=[OneOfChoices(_l("Choose why you file for the "
                                                         "resident"))])
    method = ValueRadioField(_l("How does the resident consent?"),
                             validators=[OneOfChoices(_l("Choose how the resident consents"))])
    # Drawn on the signature pad (JavaScript) as a data: URL; without JavaScript, a photo.
    signature_png = HiddenField()
    evidence = FileField(_l("Photo of the signed authorisation or of the signature"))

    def method_choices(self, masked_phone: str):
        self.method.choices = [
            ("sms", _l("A code by text message to their registered phone %(phone)s",
                       phone=masked_phone or "—")),
            ("signature", _l("They sign on this screen")),
            ("paper", _l("A photo of the authorisation they signed on paper"))]


class ConsentCodeForm(FlaskForm):
    code = StringField(_l("Code"))


class DeathReportForm(FlaskForm):
    """One death typed in, or several in a CSV file; operations.assist checks either."""

    name = StringField(_l("Name"))
    id_number = StringField(_l("Identity card number"))
    death_date = StringField(_l("Date of death"),
                             description=_l("Year-month-day, for example 2026-10-05."))
    csv = FileField(_l("Or a CSV file with several (name,id_number,death_date)"))

    def typed_row(self) -> dict:
        return {"name": self.name.data or "", "id_number": self.id_number.data or "",
                "death_date": self.death_date.data or ""}


class HomeVisitForm(FlaskForm):
    """第三十一条: the home visit's record — a photo of the visit and the elder's signature or
    thumbprint on the visit form."""

    photo = RequiredFileField(_l("Photo of the visit"),
                              validators=[FileRequired(_l("Add a photo of the visit"))])
    signature = RequiredFileField(
        _l("The elder's signature or thumbprint on the visit form"),
        validators=[FileRequired(_l("Add a photo of the signed visit form"))])

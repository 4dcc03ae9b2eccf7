"""Forms of the embedded provider's pages."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..rules import ids

DOCUMENT_LABELS = {
    ids.RESIDENT_ID: _l("Resident identity card (居民身份证)"),
    ids.SOCIAL_SECURITY_CARD: _l("Social security card (社会保障卡)"),
    ids.HMT_RESIDENCE: _l("Residence permit for Hong Kong, Macao and Taiwan residents"),
    ids.FOREIGN_PERMANENT: _l("Foreigner's permanent residence ID card"),
    ids.FOREIGN_PASSPORT: _l("Foreign passport"),
}


class IdentifyForm(FlaskForm):
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter your full name as on your identity document")),
                    Length(max=60, message=_l("A name is at most 60 characters"))],
    )
    id_type = RadioField(
        _l("Identity document"),
        choices=list(DOCUMENT_LABELS.items()),
        default=ids.RESIDENT_ID,
        validators=[DataRequired(_l("Choose your identity document"))],
    )
    id_number = StringField(
        _l("Document number"),
        validators=[DataRequired(_l("Enter your document number"))],
    )
    nationality = StringField(_l("Nationality"))

    def validate_id_number(self, field):
        self.id_check = ids.validate(
            self.id_type.data or "", field.data or "", nationality=self.nationality.data or None
        )
        problem = _first_problem(self.id_check)
        if problem and problem.code != "nationality":
            raise ValidationError(gettext(problem.message, **problem.params))

    def validate_nationality(self, field):
        # The rules check nationality together with the passport number; report it on this field.
        problem = _first_problem(getattr(self, "id_check", None))
        if problem and problem.code == "nationality":
            raise ValidationError(gettext(problem.message, **problem.params))


def _first_problem(check):
    return check.problems[0] if check is not None and check.problems else None


class CodeForm(FlaskForm):
    code = StringField(
        _l("Verification code"),
        validators=[DataRequired(_l("Enter the 6-digit code from the text message"))],
    )

    def validate_code(self, field):
        digits = "".join(ch for ch in field.data or "" if not ch.isspace() and ch != "-")
        if len(digits) != 6 or not digits.isdigit():
            raise ValidationError(_l("The code has 6 digits"))
        field.data = digits


class FaceForm(FlaskForm):
    """The face check page's two buttons: check now, or (where not required) later."""

    choice = StringField()

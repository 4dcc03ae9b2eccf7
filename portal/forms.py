"""Fields shared by every blueprint's WTForms forms (the resident flows, the console, the
assistants' pages), rendered by the macros in templates/components/forms.html. A field carries
its own hint (`description`), so a page is `{{ radios(form.method) }}`."""

from wtforms import RadioField
from wtforms.validators import StopValidation


class ValueRadioField(RadioField):
    """Radios whose ids name their value (`#method-sms`, not `#method-0`), so a page's CSS, a
    label and a test can point at one option whatever the order of the choices. A value not
    among the choices gets the field's own message (`OneOfChoices`), not WTForms' English."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)

    def __iter__(self):
        for option in super().__iter__():
            option.id = f"{self.id}-{option.data}"
            yield option


class OneOfChoices:
    """The answer must be one of the field's choices (set in the form or by the view)."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.data not in {str(value) for value, *_label in field.choices or ()}:
            raise StopValidation(self.message)

"""The resident's own small forms outside the declared flows."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField


class ObjectionForm(FlaskForm):
    """"I did not agree": stops what an assistant filed under a consent (村协办员代办)."""

    reason = TextAreaField(_l("What happened? (optional)"))

    @classmethod
    def for_consent(cls, consent_id: int) -> "ObjectionForm":
        """One form per consent on the page: the same field name, an id of its own."""
        form = cls(formdata=None)
        form.reason.id = f"reason-{consent_id}"
        return form

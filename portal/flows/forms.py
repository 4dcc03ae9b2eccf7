"""The check-answers page's own form: the submission key (one application per draft, whatever
is pressed twice) and, where the flow has one, the declaration that the answers are true."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField


class SubmitForm(FlaskForm):
    submission_key = HiddenField()
    declaration = StringField()  # a checkbox whose value is "yes"

    def declared(self) -> bool:
        return self.declaration.data == "yes"

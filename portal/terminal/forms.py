"""What a self-service terminal posts: its signed assertion, and a one-tap rating (好差评)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import AnyOf, InputRequired


class AssertionForm(FlaskForm):
    """Posted by the terminal's agent, not typed by a person: authenticity comes from the
    terminal's signature and nonce (operations.kiosk), so no CSRF token."""

    class Meta:
        csrf = False

    assertion = StringField()
    signature = StringField()


class RatingForm(FlaskForm):
    """好差评 (ux.md): five levels, one tap; the reference of the service rated, if any."""

    rating = IntegerField(validators=[InputRequired(), AnyOf((1, 2, 3, 4, 5))])
    reference = HiddenField()

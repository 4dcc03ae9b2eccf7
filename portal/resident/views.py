"""The resident's own pages; every route requires a signed-in resident."""

from flask import Blueprint, render_template, session
from flask_login import current_user

from ..auth.resident import resident_required
from ..rules import ids

bp = Blueprint("resident", __name__, url_prefix="/me")


@bp.get("/")
@resident_required()
def home():
    return render_template(
        "resident/home.html",
        person=current_user,
        masked_id=ids.mask(current_user.id_number),
        assurance=session.get("acr"),
    )

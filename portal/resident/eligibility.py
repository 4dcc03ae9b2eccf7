"""资格认证 (第三十一条): the resident's own yearly face check on the phone or at a kiosk, and
亲情认证 — a relative registered as an elder's helper doing the elder's face check for them."""

from flask import abort, redirect, render_template, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired, ValidationError

from ..auth.resident import resident_required, step_up_redirect
from ..documents.verification import mask_name
from ..operations import eligibility as ops
from ..rules import ids
from ..rules.dates import china_today
from .views import bp


class ConfirmForm(FlaskForm):
    """Nothing to answer: the face check itself is the confirmation."""


class EndHelperForm(FlaskForm):
    """Nothing to answer: the button ends one 亲情认证 registration."""


class ElderFaceForm(FlaskForm):
    # The button that starts the (embedded, simulated) face comparison sends "match".
    capture = StringField()

    def validate_capture(self, field):
        if field.data != "match":
            raise ValidationError(_l("Start the face check with the elder in front of the "
                                     "camera"))


class HelperForm(ElderFaceForm):
    elder_name = StringField(_l("The elder's full name"),
                             validators=[InputRequired(_l("Enter the elder's full name"))])
    elder_id_number = StringField(_l("The elder's identity card number"),
                                  validators=[InputRequired(_l(
                                      "Enter the elder's identity card number"))])
    consent = BooleanField(_l("The elder agrees that I confirm their eligibility for them "
                              "every year"),
                           validators=[InputRequired(_l(
                               "Read the consent to the elder and tick it when they agree"))])

    def validate_elder_id_number(self, field):
        check = ids.validate(ids.RESIDENT_ID, field.data or "")
        if not check.ok:
            raise ValidationError(_l("Enter an 18-character resident identity card number"))
        field.data = check.number


def _channel() -> str:
    return session.get("channel", "online")


@bp.route("/eligibility", methods=["GET", "POST"])
@resident_required()
def eligibility():
    """The short service 资格认证: offered when due; the identity platform's face check (a
    fresh step-up) is the confirmation. After it, this same page says it is done."""
    today = china_today()
    standing = ops.standing_of(current_user.id, today)
    if standing is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit() and standing.action_needed:
        refused = step_up_redirect(fresh=True)
        if refused is not None:
            return refused
        ops.confirm_by_face(current_user, _channel(), today)
        return redirect(url_for(".eligibility"), 303)
    helpers = [(link, mask_name(helper.name)) for link, helper in ops.helpers_of(current_user)]
    return render_template("resident/eligibility.html", standing=standing, form=form,
                           today=today, helpers=helpers, end_form=EndHelperForm())


def _end_helper(link_id: int, *, as_elder: bool, back: str):
    if not EndHelperForm().validate_on_submit():
        abort(400)
    try:
        ops.end_helper(current_user, link_id, as_elder=as_elder, channel=_channel())
    except LookupError:
        abort(404)
    return redirect(back, 303)


@bp.post("/eligibility/helpers/<int:link_id>/end")
@resident_required()
def end_my_helper(link_id):
    """The elder withdraws a relative's registration to confirm for them (亲情认证)."""
    return _end_helper(link_id, as_elder=True, back=url_for(".eligibility", _anchor="helpers"))


@bp.post("/family/<int:link_id>/end")
@resident_required()
def stop_helping(link_id):
    """The relative stops confirming for the elder."""
    return _end_helper(link_id, as_elder=False, back=url_for(".family"))


@bp.route("/family", methods=["GET", "POST"])
@resident_required()
def family():
    """亲情认证: the elders this person helps, and registering as a helper (the household
    register must link them; the elder's face check in front of the phone is their consent)."""
    form = HelperForm()
    status = 200
    if form.validate_on_submit():
        try:
            ops.register_helper(current_user, form.elder_name.data, form.elder_id_number.data,
                                form.capture.data)
            return redirect(url_for(".family"), 303)
        except ops.NotRelated:
            form.elder_id_number.errors.append(_l(
                "The household register does not show this person as your relative, or the "
                "name and number do not match. Check both, or ask the village assistant."))
        except ops.NotReceiving:
            form.elder_id_number.errors.append(_l(
                "This person does not receive a residents' pension here, so there is nothing "
                "to confirm."))
        except ops.FaceMismatch:
            form.capture.errors.append(_l("The face did not match the elder's identity card. "
                                          "Try again in good light."))
    if form.errors:
        status = 400
    today = china_today()
    elders = [(link, elder, ops.standing_of(elder.id, today))
              for link, elder in ops.helpers_for(current_user)]
    return render_template("resident/family.html", form=form, elders=elders,
                           mask=ids.mask, end_form=EndHelperForm()), status


@bp.route("/family/<int:link_id>", methods=["GET", "POST"])
@resident_required()
def family_confirm(link_id):
    """The helper does the registered elder's face check on their own phone."""
    try:
        link, elder = ops.helper_link(current_user, link_id)
    except LookupError:
        abort(404)
    today = china_today()
    standing = ops.standing_of(elder.id, today)
    if standing is None:
        abort(404)
    form = ElderFaceForm()
    if form.validate_on_submit() and standing.action_needed:
        try:
            ops.confirm_by_helper(current_user, link.id, form.capture.data, _channel(), today)
            return redirect(url_for(".family_confirm", link_id=link.id), 303)
        except ops.FaceMismatch:
            form.capture.errors.append(_l("The face did not match the elder's identity card. "
                                          "Try again in good light."))
    return render_template("resident/family_confirm.html", form=form, link=link, elder=elder,
                           standing=standing), 400 if form.errors else 200

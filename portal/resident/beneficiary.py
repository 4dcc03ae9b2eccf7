"""My designated beneficiary (指定受益人, 第三十八条): who may end my insurance after my death
under the commitment system and receives my account balance and funeral subsidy. Naming,
changing or removing one needs a face check (it decides where money goes, security.md)."""

from flask import redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import InputRequired, ValidationError

from ..auth.resident import resident_required
from ..constants import BeneficiaryRelationship
from ..operations import beneficiaries
from ..rules import contact, ids
from .views import bp

DOCUMENTS = {
    ids.RESIDENT_ID: _l("Resident identity card (居民身份证)"),
    ids.HMT_RESIDENCE: _l("Residence permit for Hong Kong, Macao and Taiwan residents"),
    ids.FOREIGN_PERMANENT: _l("Foreigner's permanent residence ID card"),
}


class BeneficiaryForm(FlaskForm):
    name = StringField(_l("Their full name"))
    id_type = RadioField(_l("Their identity document"), choices=list(DOCUMENTS.items()),
                         default=ids.RESIDENT_ID,
                         validators=[InputRequired(_l("Choose their identity document"))])
    id_number = StringField(_l("Their document number"))
    relationship = SelectField(
        _l("How are they related to you? (optional)"),
        choices=[("", _l("I would rather not say"))] + [
            (member.value, member.label) for member in BeneficiaryRelationship],
        validate_choice=False)
    phone = StringField(_l("Their phone number"))

    def validate_name(self, field):
        field.data = contact.normalize_name(field.data or "")
        if not field.data:
            raise ValidationError(_("Enter their name as on their identity document"))
        problem = contact.name_problem(field.data)
        if problem:
            raise ValidationError(_("Enter their name exactly as on their identity document"))

    def validate_id_number(self, field):
        check = ids.validate(self.id_type.data or "", field.data or "")
        if not check.ok:
            raise ValidationError(_(check.problems[0].message, **check.problems[0].params))
        field.data = check.number
        if ids.normalize(current_user.id_number) == check.number:
            raise ValidationError(_("Name someone else: the beneficiary receives the money "
                                    "after your death"))

    def validate_relationship(self, field):
        if field.data and field.data not in {m.value for m in BeneficiaryRelationship}:
            raise ValidationError(_("Choose one of the relationships, or leave it empty"))

    def validate_phone(self, field):
        if not contact.normalize_phone(field.data or ""):
            raise ValidationError(_("Enter their phone number, so we can tell them when they "
                                    "need to act"))
        problem = contact.phone_problem(field.data or "")
        if problem:
            raise ValidationError(_(problem))
        field.data = contact.normalize_phone(field.data)


class RemoveForm(FlaskForm):
    pass


@bp.get("/beneficiary")
@resident_required()
def beneficiary():
    return render_template("resident/beneficiary.html",
                           designation=beneficiaries.current_of(current_user.id),
                           mask=ids.mask, mask_phone=ids.mask_phone)


@bp.route("/beneficiary/change", methods=["GET", "POST"])
@resident_required("face", back="resident.change_beneficiary")
def change_beneficiary():
    current = beneficiaries.current_of(current_user.id)
    form = BeneficiaryForm(obj=None)
    if not form.is_submitted() and current is not None:
        form.name.data, form.id_type.data = current.name, current.id_type
        form.id_number.data, form.phone.data = current.id_number, current.phone
        form.relationship.data = current.relationship or ""
    if form.validate_on_submit():
        beneficiaries.name(current_user, name=form.name.data, id_type=form.id_type.data,
                           id_number=form.id_number.data, phone=form.phone.data,
                           relationship=form.relationship.data or None,
                           actor=current_user.get_id(), channel=_channel())
        return redirect(url_for(".beneficiary", saved=1), 303)
    return render_template("resident/beneficiary_change.html", form=form,
                           current=current), 400 if form.errors else 200


@bp.route("/beneficiary/remove", methods=["GET", "POST"])
@resident_required("face", back="resident.remove_beneficiary")
def remove_beneficiary():
    current = beneficiaries.current_of(current_user.id)
    form = RemoveForm()
    if form.validate_on_submit():
        beneficiaries.remove(current_user, actor=current_user.get_id(), channel=_channel())
        return redirect(url_for(".beneficiary"), 303)
    if current is None:
        return redirect(url_for(".beneficiary"), 303)
    return render_template("resident/beneficiary_remove.html", form=form, current=current,
                           mask=ids.mask)


def _channel() -> str:
    """Online or at a kiosk, as recorded at sign-in (the flows read it the same way)."""
    return session.get("channel", "online")

"""Enrolment (参保登记, 第七条、第八条): who may enrol, what we ask, the 3-working-day review."""

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, RadioField, StringField
from wtforms.validators import InputRequired, ValidationError

from ..operations import uploads
from ..operations.applications import open_insurance
from ..presenters import yuan
from ..rules import contact, contributions, enrolment, files, ids
from .engine import Context, Flow, KnownFact, Step, register
from .lifecycles import reviewed


class StudentForm(FlaskForm):
    student = RadioField(
        _l("Are you a full-time student?"),
        choices=[("no", _l("No")), ("yes", _l("Yes"))],
        validators=[InputRequired(_l("Choose yes or no"))],
    )


class PhoneForm(FlaskForm):
    phone = StringField(_l("Contact phone number"))

    def validate_phone(self, field):
        problem = contact.phone_problem(field.data)
        if problem:
            raise ValidationError(_(problem))
        field.data = contact.normalize_phone(field.data)


class AddressForm(FlaskForm):
    address = StringField(_l("Where do you live now?"))

    def validate_address(self, field):
        problem = contact.address_problem(field.data)
        if problem:
            raise ValidationError(_(problem))
        field.data = field.data.strip()


class TierForm(FlaskForm):
    tier = RadioField(_l("How much will you pay each year?"),
                      validators=[InputRequired(_l("Choose how much you will pay each year"))])


def check_files(field, required: bool) -> None:
    """The chosen files: how many, and each one's type and size (security.md)."""
    chosen = [f for f in field.data or [] if f and f.filename]
    if required and not chosen:
        raise ValidationError(_("Choose at least one photo or PDF"))
    if len(chosen) > files.MAX_FILES:
        raise ValidationError(_("Choose at most %(count)s files", count=files.MAX_FILES))
    for item in chosen:
        data = item.read()
        item.seek(0)
        problem = files.problem(data)
        if problem:
            raise ValidationError(_(problem))


class DocumentsForm(FlaskForm):
    documents = MultipleFileField(_l("Photos of your documents"))

    def validate_documents(self, field):
        check_files(field, required=True)


def documents_needed(answers, ctx: Context) -> bool:
    """第六条: documents only where data comparison cannot confirm identity and hukou; and on the
    assisted channel, where the village assistant photographs the identity card and household
    register and uploads them (第七条（二）)."""
    found = ctx.comparison
    return (ctx.channel == "assisted" or not found.get("population_found")
            or not found.get("hukou_region_code"))


def documents_hint(ctx: Context):
    if ctx.channel == "assisted":
        return _("Photograph the resident's identity card (both sides) and the household "
                 "register's first page and their own page (第七条（二）). Take several photos "
                 "if a page is hard to read. JPG or PNG, up to 5 MB each.")
    return _("We could not confirm your household registration from the records. Upload your "
             "identity document (both sides) and the household register's first page and your "
             "own page, or your residence permit. JPG, PNG or PDF, up to 5 MB each.")


def store_documents(form, answers, ctx: Context) -> dict:
    stored = [uploads.store(ctx.person.id, "enrolment_documents", item.read(),
                            actor=ctx.extra.get("actor", ctx.person.get_id()))
              for item in form.documents.data if item and item.filename]
    return {"documents": [upload.id for upload in stored]}


def prepare_tier(form, answers, ctx: Context):
    choices = []
    for tier in contributions.tiers(ctx.scheme, ctx.today.year):
        label = _("%(amount)s a year – the government adds %(subsidy)s",
                  amount=yuan(tier.amount_fen), subsidy=yuan(tier.subsidy_fen))
        choices.append((str(tier.amount_fen), label))
    form.tier.choices = choices
    form.tier.common = common_levels(choices)


def common_levels(choices) -> list[str]:
    """The 3–4 levels most chosen come first; the rest sit behind 更多档次."""
    from ..operations.residents import most_chosen_tiers

    return [str(amount) for amount in most_chosen_tiers([int(value) for value, _label in choices])]


def tier_hint(ctx: Context):
    paid = contributions.government_pays_fen(ctx.scheme, ctx.today.year,
                                             (ctx.comparison.get("disability_grade") or 9) <= 2)
    text = _("The more you pay, the more the government adds, and the higher your pension. "
             "You can choose again every year.")
    if paid:
        text += " " + _("Because of your disability, the government pays %(amount)s of your "
                        "contribution each year for you.", amount=yuan(paid))
    return text


def prepare_phone(form, answers, ctx: Context):
    if not form.is_submitted() and not form.phone.data:
        form.phone.data = answers.get("phone") or ctx.person.phone


def prepare_address(form, answers, ctx: Context):
    if not form.is_submitted() and not form.address.data:
        form.address.data = answers.get("address") or ctx.comparison.get("address")


def facts(ctx: Context) -> enrolment.EnrolmentFacts:
    from datetime import date

    found = ctx.comparison
    resident_region = found.get("resident_scheme_region") or ctx.extra.get("local_relation_region")
    return enrolment.EnrolmentFacts(
        birth_date=date.fromisoformat(found["birth_date"]) if found.get("birth_date") else None,
        alive=found.get("alive", True),
        hukou_region_code=found.get("hukou_region_code"),
        in_employee_scheme=found.get("in_employee_scheme", False),
        resident_scheme_region=resident_region,
    )


def obstacles(ctx: Context) -> list[str]:
    config = contributions.year_config(ctx.scheme, ctx.today.year)
    return enrolment.obstacles(facts(ctx), ctx.extra["county_code"], ctx.today,
                               config.get("minimum_enrolment_age", 16))


def known_facts(ctx: Context) -> list[KnownFact]:
    person = ctx.person
    identity = _l("real-name verification")
    register_ = _l("household register (公安)")
    rows = [
        KnownFact(_l("Name"), person.name, identity),
        KnownFact(_l("Identity document number"), ids.mask(person.id_number), identity),
    ]
    if person.birth_date:
        rows.append(KnownFact(_l("Date of birth"), format_date(person.birth_date, "long"),
                              identity))
    if ctx.extra.get("hukou_name"):
        rows.append(KnownFact(_l("Household registration (户籍)"), ctx.extra["hukou_name"],
                              register_))
    return rows


ENROLMENT = register(Flow(
    name="enrolment",
    title=_l("Enrol in residents' pension insurance"),
    intro=_l("Enrolment takes about 3 minutes. You need nothing else: we check your identity "
             "and household registration with the public security records."),
    steps=[
        Step("student", StudentForm, _l("Are you a full-time student?"),
             summary=lambda a, c: _("Yes") if a.get("student") == "yes" else _("No"),
             stops=lambda a: "student" if a.get("student") == "yes" else None,
             hint=_l("Full-time students enrol after they finish their studies.")),
        Step("documents", DocumentsForm, _l("Upload photos of your documents"),
             summary=lambda a, c: _("%(count)s files uploaded", count=len(a.get("documents", []))),
             condition=documents_needed, to_answers=store_documents, hint=documents_hint),
        Step("phone", PhoneForm, _l("Contact phone number"),
             summary=lambda a, c: a.get("phone", ""), prepare=prepare_phone,
             hint=_l("We send messages about your application to this number.")),
        Step("address", AddressForm, _l("Where do you live now?"),
             summary=lambda a, c: a.get("address", ""), prepare=prepare_address,
             hint=_l("Township, village or community, and house number.")),
        Step("tier", TierForm, _l("How much will you pay each year?"),
             summary=lambda a, c: _("%(amount)s a year", amount=yuan(int(a["tier"])))
             if a.get("tier") else "",
             prepare=prepare_tier, hint=tier_hint),
    ],
    declaration=_l("I declare that the information I have given is true and complete. I know that "
                   "false information can lead to the enrolment being cancelled and money being "
                   "recovered."),
    deadline_workdays=3,
    deadline_article="第八条",
    handled_in="hukou",
    lifecycle=reviewed(on_approve=open_insurance, township_first=True),
    obstacles=obstacles,
    obstacle_text={
        "deceased": _l("The records show this person has died."),
        "already_enrolled_here": _l("You are already enrolled in this county. You do not need "
                                    "to enrol again."),
        "already_enrolled_elsewhere": _l("You are already enrolled in another county. If your "
                                         "household registration moved here, apply to transfer "
                                         "your insurance instead (转入申请)."),
        "employee_scheme": _l("You are in the employees' basic pension scheme, so you cannot "
                              "also join the residents' scheme."),
        "too_young": _l("You can enrol from the age of 16."),
        "hukou_elsewhere": _l("Your household registration (户籍) is not in this county. Enrol "
                              "in the county where your household is registered."),
        "student": _l("Full-time students cannot enrol yet. You can enrol after your studies."),
        "open_application": _l("You already have an enrolment application in progress."),
    },
    known_facts=known_facts,
    next_steps=_l("The county social insurance agency checks your application with the public "
                  "security, tax and enrolment records. We will send you a text message with the "
                  "result. After approval, pay your contribution through the tax department's "
                  "payment channel."),
))

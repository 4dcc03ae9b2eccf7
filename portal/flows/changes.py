"""Changing registered information (第九条、第十条) and choosing this year's contribution
level (第十一条), declared as flows.

Sex, ethnicity, address and phone change at once without review (第九条); name, date of birth
and identity number are reviewed by the county within 3 working days (第十条). Moving hukou
within the county is an address change and never a transfer (第四十条).
"""

from datetime import date

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, ValidationError

from ..exchange.population import population_register
from ..operations import applications as ops
from ..operations import ledger
from ..presenters import day, yuan
from ..rules import contact, contributions, ids
from ..rules.enrolment import age_on
from .engine import Context, Flow, KnownFact, Step, past_date, register
from .enrolment import AddressForm, DocumentsForm, PhoneForm, common_levels, store_documents
from .lifecycles import at_once, reviewed

SEXES = {"M": _l("Male"), "F": _l("Female")}


class WhichDetailForm(FlaskForm):
    detail = RadioField(_l("What do you want to change?"),
                        choices=[("address", _l("Where I live (address)")),
                                 ("ethnicity", _l("Ethnicity (民族)")),
                                 ("sex", _l("Sex"))],
                        validators=[InputRequired(_l("Choose what you want to change"))])


class EthnicityForm(FlaskForm):
    ethnicity = StringField(_l("Your ethnicity (民族)"))

    def validate_ethnicity(self, field):
        value = contact.normalize_ethnicity(field.data)
        if value is None:
            raise ValidationError(_("Enter one of the 56 ethnic groups, for example 汉族 or 彝族"))
        field.data = value


class SexForm(FlaskForm):
    sex = RadioField(_l("Your sex"), choices=list(SEXES.items()),
                     validators=[InputRequired(_l("Choose male or female"))])


def _current(ctx: Context, field: str):
    return getattr(ctx.person, field)


def _prefill(field: str):
    def prepare(form, answers, ctx: Context):
        if not form.is_submitted() and not form[field].data:
            form[field].data = answers.get(field) or _current(ctx, field)
    return prepare


def _must_differ(field: str, message):
    """A change that changes nothing is an error the resident can fix, not an empty record."""
    return lambda new, ctx: message if new.get(field) == _current(ctx, field) else None


def contact_facts(ctx: Context) -> list[KnownFact]:
    person, source = ctx.person, _l("your registration")
    rows = [KnownFact(_l("Name"), person.name, _l("real-name verification"))]
    if person.address:
        rows.append(KnownFact(_l("Address"), person.address, source))
    if person.ethnicity:
        rows.append(KnownFact(_l("Ethnicity (民族)"), person.ethnicity, source))
    if person.sex:
        rows.append(KnownFact(_l("Sex"), str(SEXES.get(person.sex, person.sex)), source))
    if person.phone:
        rows.append(KnownFact(_l("Contact phone number"), ids.mask_phone(person.phone), source))
    return rows


DETAILS = register(Flow(
    name="details_change",
    title=_l("Change your address, ethnicity or sex"),
    intro=_l("The change takes effect as soon as you confirm it. Nobody needs to review it "
             "(第九条). Moving within the county is an address change: no transfer is needed."),
    steps=[
        Step("detail", WhichDetailForm, _l("What do you want to change?"),
             summary=lambda a, c: str(dict(WhichDetailForm.detail.kwargs["choices"]).get(
                 a.get("detail"), ""))),
        Step("address", AddressForm, _l("Where do you live now?"),
             condition=lambda a, c: a.get("detail") == "address",
             summary=lambda a, c: a.get("address", ""),
             prepare=_prefill("address"),
             check=_must_differ("address", _l("This is the address we already have. Enter "
                                                "the new one."))),
        Step("ethnicity", EthnicityForm, _l("Your ethnicity (民族)"),
             condition=lambda a, c: a.get("detail") == "ethnicity",
             summary=lambda a, c: a.get("ethnicity", ""),
             prepare=_prefill("ethnicity"),
             check=_must_differ("ethnicity", _l("This is what we already have. Enter the "
                                                  "correct ethnicity."))),
        Step("sex", SexForm, _l("Your sex"),
             condition=lambda a, c: a.get("detail") == "sex",
             summary=lambda a, c: str(SEXES.get(a.get("sex"), "")),
             prepare=_prefill("sex"),
             check=_must_differ("sex", _l("This is what we already have."))),
    ],
    declaration=_l("I confirm the new information is true."),
    deadline_workdays=0,
    deadline_article="第九条",
    obstacle_text={"open_application": _l("You already have a change in progress.")},
    known_facts=contact_facts,
    next_steps=_l("The change has taken effect. It is recorded with the date and the old "
                  "value."),
    lifecycle=at_once(ops.change_details),
))


PHONE = register(Flow(
    name="phone_change",
    title=_l("Change your contact phone number"),
    intro=_l("For your safety we first check your face again. The old number gets a text "
             "message about the change."),
    steps=[
        Step("phone", PhoneForm, _l("Your new contact phone number"),
             summary=lambda a, c: a.get("phone", ""),
             prepare=_prefill("phone"),
             check=_must_differ("phone", _l("This is the number we already have. Enter the "
                                              "new one.")),
             hint=_l("We send messages about your pension to this number.")),
    ],
    declaration=_l("I confirm this is my phone number."),
    deadline_workdays=0,
    deadline_article="第九条",
    obstacle_text={"open_application": _l("You already have a change in progress.")},
    known_facts=contact_facts,
    next_steps=_l("The new number is used from now on. We told the old number about the "
                  "change."),
    lifecycle=at_once(ops.change_details),
    step_up=True,
))


# Name, date of birth, identity number: reviewed (第十条).

class WhichIdentityForm(FlaskForm):
    detail = RadioField(_l("What has changed on your identity document?"),
                        choices=[("name", _l("My name")),
                                 ("birth_date", _l("My date of birth")),
                                 ("id_number", _l("My identity document number"))],
                        validators=[InputRequired(_l("Choose what has changed"))])


class NameForm(FlaskForm):
    name = StringField(_l("Your name on the new document"))

    def validate_name(self, field):
        problem = contact.name_problem(field.data)
        if problem:
            raise ValidationError(_(problem))
        field.data = contact.normalize_name(field.data)


class BirthDateForm(FlaskForm):
    birth_date = StringField(_l("Your date of birth on the new document"))

    def validate_birth_date(self, field):
        past_date(field, date(1900, 1, 1), _("Enter a date of birth in the past"))


class IdNumberForm(FlaskForm):
    id_number = StringField(_l("Your new identity document number"),
                            validators=[InputRequired(_l("Enter the new number"))])


def check_id_number(new: dict, ctx: Context):
    """The new number must be valid for the resident's kind of document, and new."""
    check = ids.validate(ctx.person.id_type, new["id_number"])
    if not check.ok:
        problem = check.problems[0]
        return _(problem.message, **problem.params)
    if check.number == ctx.person.id_number:
        return _l("This is the number we already have. Enter the new one.")
    new["id_number"] = check.number
    return None


def confirmed_by_register(answers: dict, ctx: Context) -> bool:
    """第六条: when the population register already shows the new value, no document is
    asked for."""
    field = answers.get("detail")
    if field not in ("name", "birth_date", "id_number") or field not in answers:
        return False
    register_ = population_register()
    number = answers["id_number"] if field == "id_number" else ctx.person.id_number
    record = register_.find(ctx.person.id_type, number)
    if record is None:
        return False
    if field == "id_number":
        return record.name == ctx.person.name
    if field == "birth_date":
        return record.birth_date is not None and record.birth_date.isoformat() == answers[field]
    return record.name == answers["name"]


def identity_facts(ctx: Context) -> list[KnownFact]:
    person, source = ctx.person, _l("your registration")
    rows = [KnownFact(_l("Name"), person.name, source),
            KnownFact(_l("Identity document number"), ids.mask(person.id_number), source)]
    if person.birth_date:
        rows.append(KnownFact(_l("Date of birth"), format_date(person.birth_date, "long"),
                              source))
    return rows


IDENTITY = register(Flow(
    name="identity_change",
    lifecycle=reviewed(on_approve=ops.change_details),
    title=_l("Change your name, date of birth or identity number"),
    intro=_l("Use this after the public security bureau has changed your identity document. "
             "We check the change with the household register; if the register does not show "
             "it yet, you upload a photo of the new document. The county answers within 3 "
             "working days (第十条)."),
    steps=[
        Step("detail", WhichIdentityForm, _l("What has changed on your identity document?"),
             summary=lambda a, c: str(dict(WhichIdentityForm.detail.kwargs["choices"]).get(
                 a.get("detail"), ""))),
        Step("name", NameForm, _l("Your name on the new document"),
             condition=lambda a, c: a.get("detail") == "name",
             summary=lambda a, c: a.get("name", "")),
        Step("birth_date", BirthDateForm, _l("Your date of birth on the new document"),
             condition=lambda a, c: a.get("detail") == "birth_date",
             summary=lambda a, c: day(a["birth_date"]) if a.get("birth_date") else "",
             hint=_l("Year-month-day, for example 1965-03-08.")),
        Step("id_number", IdNumberForm, _l("Your new identity document number"),
             condition=lambda a, c: a.get("detail") == "id_number",
             summary=lambda a, c: ids.mask(a.get("id_number", "")),
             check=check_id_number),
        Step("documents", DocumentsForm, _l("Upload photos of your new identity document"),
             condition=lambda a, c: a.get("detail") in a and not confirmed_by_register(a, c),
             summary=lambda a, c: _("%(count)s files uploaded",
                                    count=len(a.get("documents", []))),
             to_answers=store_documents,
             hint=_l("The household register does not show the change yet. Upload both sides "
                     "of the new identity document. JPG, PNG or PDF, up to 5 MB each.")),
    ],
    declaration=_l("I declare that the new information is true and matches my identity "
                   "document."),
    deadline_workdays=3,
    deadline_article="第十条",
    obstacle_text={"open_application": _l("You already have a change of identity details "
                                          "being reviewed.")},
    known_facts=identity_facts,
    next_steps=_l("The county social insurance agency checks the change with the household "
                  "register and tells you the result by text message. Once approved, the new "
                  "details are used everywhere; the old ones are kept in the history."),
))


# This year's contribution level (第十一条).

class ChooseTierForm(FlaskForm):
    tier = RadioField(_l("How much will you pay this year?"),
                      validators=[InputRequired(_l("Choose how much you will pay this year"))])


def contribution_arrived(ctx: Context) -> bool:
    account = ledger.account_of(ctx.person.id)
    return account is not None and bool(ledger.contributions_in(account.id, ctx.today.year))


def tier_obstacles(ctx: Context) -> list[str]:
    relation = ctx.extra.get("relation")
    if relation is None:
        return ["not_enrolled"]
    if relation.status != "contributing":
        return ["not_contributing"]
    if contribution_arrived(ctx):
        return ["already_paid"]
    return []


def prepare_choose_tier(form, answers, ctx: Context):
    from ..rules.benefits import estimates_for

    account = ledger.account_of(ctx.person.id)
    years = ledger.contribution_years(account.id) if account else []
    age = age_on(ctx.person.birth_date, ctx.today) if ctx.person.birth_date else 45
    rows, _assumptions = estimates_for(
        ctx.scheme, ctx.today, balance_fen=ledger.balance_fen(account.id) if account else 0,
        years_paid=len(years), age=age,
        county=ctx.extra.get("service_county") or current_app.config["SERVICE_COUNTY_CODE"])
    form.tier.choices = [
        (str(row.tier.amount_fen),
         _("%(amount)s a year – the government adds %(subsidy)s – about %(pension)s a month "
           "at 60", amount=yuan(row.tier.amount_fen), subsidy=yuan(row.tier.subsidy_fen),
           pension=yuan(row.monthly_fen)))
        for row in rows]
    form.tier.common = common_levels(form.tier.choices)
    relation = ctx.extra.get("relation")
    if not form.is_submitted() and not form.tier.data and relation is not None:
        form.tier.data = str(relation.contribution_tier_fen or "")


def tier_choice_hint(ctx: Context):
    text = _("The more you pay, the more the government adds and the higher your pension. "
             "The pension figures are estimates if you paid this level every year until 60.")
    paid = contributions.government_pays_fen(
        ctx.scheme, ctx.today.year, (ctx.comparison.get("disability_grade") or 9) <= 2)
    if paid:
        text += " " + _("Because of your disability, the government pays %(amount)s of your "
                        "contribution for you: at the lowest level you pay nothing yourself.",
                        amount=yuan(paid))
    return text


TIER = register(Flow(
    name="tier_choice",
    title=_l("Choose this year's contribution level"),
    intro=_l("Choose how much you pay this year (第十一条). You then pay through the tax "
             "department's payment channel; we show you how."),
    steps=[
        Step("tier", ChooseTierForm, _l("How much will you pay this year?"),
             summary=lambda a, c: _("%(amount)s a year", amount=yuan(int(a["tier"])))
             if a.get("tier") else "",
             prepare=prepare_choose_tier, hint=tier_choice_hint),
    ],
    declaration=_l("I choose this level for this year."),
    deadline_workdays=0,
    deadline_article="第十一条",
    obstacles=tier_obstacles,
    obstacle_text={
        "not_enrolled": _l("Enrol first; you choose your level when you enrol."),
        "not_contributing": _l("You are receiving your pension, so you no longer pay "
                               "contributions."),
        "already_paid": _l("This year's contribution has already arrived. You can choose "
                           "again next year."),
        "open_application": _l("You already have a choice in progress."),
    },
    next_steps=_l("Pay through the tax department's channel with the payment code above. "
                  "Once the money arrives, your home page shows it."),
    lifecycle=at_once(ops.choose_tier),
    offered=lambda ctx: ctx.extra.get("relation") is not None,
))

"""Claiming the pension (待遇申领, 第二十三条、第二十四条), declared as a flow.

Face-level sign-in is required (security.md). Eligibility is checked by data comparison before
anything is asked, so a resident who cannot claim is told why at once; the county decides within
5 working days, with a different person checking the calculation (第六十二条).
"""

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, ValidationError

from ..operations import benefits
from ..presenters import yuan
from ..rules import benefits as rules
from ..rules import contact, ids
from .engine import Context, Flow, KnownFact, Step, register
from .lifecycles import CLAIM


class DetailsRightForm(FlaskForm):
    details_right = RadioField(_l("Are these details right?"),
                               choices=[("yes", _l("Yes, they are right")),
                                        ("no", _l("No, something is wrong"))],
                               validators=[InputRequired(_l("Choose yes or no"))])


class BankForm(FlaskForm):
    bank_account = StringField(_l("Bank account of your social security card"))

    def validate_bank_account(self, field):
        problem = contact.bank_account_problem(field.data)
        if problem:
            raise ValidationError(_(problem))
        field.data = contact.normalize_bank_account(field.data)


class OtherPensionForm(FlaskForm):
    other_pension = RadioField(
        _l("Do you receive any other basic pension?"),
        choices=[("no", _l("No")), ("yes", _l("Yes, for example the employees' pension"))],
        validators=[InputRequired(_l("Choose yes or no"))])


def _facts(ctx: Context):
    if "claim" not in ctx.extra:
        ctx.extra["claim"] = benefits.claim_facts(ctx.person, ctx.extra.get("relation"),
                                                  ctx.today)
    return ctx.extra["claim"]


def obstacles(ctx: Context) -> list[str]:
    if ctx.person.birth_date is None:
        return ["no_birth_date"]
    facts, _comparison, _balance = _facts(ctx)
    return rules.claim_obstacles(facts, ctx.scheme,
                                 current_app.config.get("CLAIM_ADVANCE_DAYS", 31))


def known_facts(ctx: Context) -> list[KnownFact]:
    person = ctx.person
    facts, _comparison, balance = _facts(ctx)
    relation = ctx.extra.get("relation")
    eligible_on = rules.pension_age_date(person.birth_date, ctx.scheme.get("pension_age", 60))
    basic, account_part = rules.monthly_benefit(
        ctx.scheme, eligible_on, relation.region_code if relation else
        current_app.config["SERVICE_COUNTY_CODE"], balance)
    identity, records = _l("real-name verification"), _l("your personal account")
    return [
        KnownFact(_l("Name"), person.name, identity),
        KnownFact(_l("Identity document number"), ids.mask(person.id_number), identity),
        KnownFact(_l("Date of birth"), format_date(person.birth_date, "long"), identity),
        KnownFact(_l("Pension age reached on"), format_date(eligible_on, "long"), identity),
        KnownFact(_l("Years of contributions"), str(facts.years_paid), records),
        KnownFact(_l("Account balance"), yuan(balance), records),
        KnownFact(_l("Estimated monthly pension"),
                  _("%(total)s (basic %(basic)s + account %(account)s)",
                    total=yuan(basic + account_part), basic=yuan(basic),
                    account=yuan(account_part)), records),
    ]


CLAIM = register(Flow(
    name="claim",
    lifecycle=CLAIM,
    title=_l("Claim your pension (待遇申领)"),
    intro=_l("No paper is needed: we check your age, contributions and records with the other "
             "agencies. The county decides within 5 working days; you then confirm the amount "
             "and payment starts the month after you turn 60."),
    steps=[
        Step("details_right", DetailsRightForm, _l("Are these details right?"),
             summary=lambda a, c: _("Yes") if a.get("details_right") == "yes" else _("No"),
             stops=lambda a: "details_wrong" if a.get("details_right") == "no" else None,
             hint=_l("Your name, identity number and date of birth as shown at the start.")),
        Step("bank_account", BankForm, _l("Bank account of your social security card"),
             summary=lambda a, c: contact.mask_bank_account(a.get("bank_account", "")),
             hint=_l("Your pension is paid into the bank account linked to your social "
                     "security card (社会保障卡). 16 to 19 digits.")),
        Step("other_pension", OtherPensionForm, _l("Do you receive any other basic pension?"),
             summary=lambda a, c: _("No") if a.get("other_pension") == "no" else _("Yes"),
             stops=lambda a: "other_pension" if a.get("other_pension") == "yes" else None),
    ],
    declaration=_l("I declare that I receive no other basic pension and that the information "
                   "is true. I know that a pension paid without entitlement must be repaid."),
    deadline_workdays=5,
    deadline_article="第二十四条",
    obstacles=obstacles,
    obstacle_text={
        "no_birth_date": _l("We do not know your date of birth. Please contact your township "
                            "office."),
        "deceased": _l("The records show this person has died."),
        "not_contributing": _l("You are not in the contribution period of the residents' "
                               "scheme here, so there is nothing to claim. If you already "
                               "receive your pension, see My pension."),
        "other_pension": _l("You receive another basic pension (for example the employees' "
                            "pension), so you cannot also receive this one."),
        "not_yet_60": _l("You can claim from one month before you turn 60."),
        "too_few_years": _l("You have fewer contribution years than needed (usually 15). Ask "
                            "your township office about paying for missed years (补缴)."),
        "details_wrong": _l("Change your details first (name, date of birth or identity "
                            "number), then claim."),
        "open_application": _l("Your claim is already being decided."),
    },
    known_facts=known_facts,
    next_steps=_l("The county computes your pension and a second member of staff checks it. "
                  "You then read the decision (核定表) under My pension and confirm it."),
    face=True,
))

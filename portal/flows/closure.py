"""Deregistration under the commitment system (注销, 告知承诺, 第三十七条至第三十九条) and
transfer-in across counties (转入申请, 第四十条至第四十五条), declared as flows.

An heir applies with their own verified identity; no death certificate or proof of relationship
is asked for (第三十八条): they sign a commitment instead, and data comparison checks the death
and the relationship.
"""

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired

from .. import queries
from ..exchange.registries import relation_between
from ..extensions import db
from ..models import InsuranceRelation, Person
from ..operations import beneficiaries
from ..regions import region_path
from ..rules import commitment, contact, ids
from .claim import BankForm
from .engine import Context, Flow, KnownFact, Step, past_date, register
from .lifecycles import deregistration, transfer_in

GROUNDS = {
    "death": _l("Someone insured has died: I am their relative or their designated "
                "beneficiary"),
    "nationality": _l("I have lost Chinese nationality"),
    "other_pension": _l("I already receive another basic pension"),
}
RELATIONS = {"child": _l("child"), "spouse": _l("spouse"), "parent": _l("parent"),
             "sibling": _l("brother or sister")}


class GroundForm(FlaskForm):
    ground = RadioField(_l("Why should the insurance end?"), choices=list(GROUNDS.items()),
                        validators=[InputRequired(_l("Choose why the insurance should end"))])


class DeceasedForm(FlaskForm):
    deceased_name = StringField(_l("Name of the person who died"),
                                validators=[InputRequired(_l("Enter the name"))])
    deceased_id_number = StringField(_l("Their identity card number"),
                                     validators=[InputRequired(_l("Enter the number"))])


class EventDateForm(FlaskForm):
    """第三十四条: payment stops from the month after the event, so its date matters; the records
    (national enrolment registry) win where they know it, the applicant's word otherwise."""

    event_on = StringField(_l("On which day did this happen?"))

    def validate_event_on(self, field):
        past_date(field, date(2009, 1, 1), _("Enter a day in the past"))


def insured_relation(person_id: int) -> InsuranceRelation | None:
    return queries.current_relation(person_id)


def deceased_person(answers: dict) -> Person | None:
    number = ids.normalize(answers.get("deceased_id_number") or "")
    return db.session.scalar(Person.by_id_number(number)) if number else None


def check_ground(new: dict, ctx: Context):
    if new["ground"] != "death" and ctx.extra.get("relation") is None:
        return _l("You are not insured in the residents' scheme here, so there is nothing to "
                  "end.")
    return None


def check_deceased(new: dict, ctx: Context):
    """Data comparison, not documents: the person must be insured here, and the records must
    show the applicant as their relative."""
    new["deceased_id_number"] = ids.normalize(new["deceased_id_number"])
    person = deceased_person(new)
    if person is None or person.name != new["deceased_name"].strip() or insured_relation(
            person.id) is None:
        return _l("We find nobody insured here with this name and identity number. Check both "
                  "against their identity card or household register.")
    # 第三十八条: the beneficiary the insured person named applies, and is paid; where one is
    # named, the heirs are not (the insured person chose who receives the money).
    designation = beneficiaries.current_of(person.id)
    if beneficiaries.is_named(designation, ctx.person):
        return None
    if designation is not None:
        return _l("This person named a designated beneficiary (指定受益人), who ends the "
                  "insurance and receives the money (第三十八条). Ask them to apply, or your "
                  "township office for help.")
    if relation_between(ctx.person.id_number, person.id_number) is None:
        return _l("The household and civil records do not show you as a relative or the "
                  "designated beneficiary of this person, so you cannot apply for them. Ask a "
                  "relative to apply, or your township office for help.")
    return None


def deceased_summary(answers: dict, ctx) -> str:
    return f'{answers.get("deceased_name", "")} {ids.mask(answers.get("deceased_id_number", ""))}'


DEREGISTRATION = register(Flow(
    name="deregistration",
    lifecycle=deregistration(),
    title=_l("End pension insurance (注销登记)"),
    intro=_l("When an insured person dies, the beneficiary they named (指定受益人) or else a "
             "relative can end the insurance and receive the account balance and any funeral "
             "subsidy. No death certificate or proof of relationship is needed: you sign a "
             "commitment and we check the records (告知承诺制, 第三十八条). The county decides "
             "within 5 working days."),
    steps=[
        Step("ground", GroundForm, _l("Why should the insurance end?"),
             summary=lambda a, c: str(GROUNDS.get(a.get("ground"), "")), check=check_ground),
        Step("deceased", DeceasedForm, _l("Who has died?"),
             condition=lambda a, c: a.get("ground") == "death",
             summary=deceased_summary, check=check_deceased,
             hint=_l("As on their identity card or household register.")),
        Step("event_on", EventDateForm, _l("On which day did this happen?"),
             condition=lambda a, c: a.get("ground") in ("nationality", "other_pension"),
             summary=lambda a, c: format_date(date.fromisoformat(a["event_on"]), "long")
             if a.get("event_on") else "",
             hint=_l("The day you lost Chinese nationality, or the first day of the other "
                     "pension. The pension here stops from the following month; anything paid "
                     "since is deducted from the refund (第三十四条). Example: 2026-03-08")),
        Step("bank_account", BankForm, _l("Bank account for the payment"),
             summary=lambda a, c: contact.mask_bank_account(a.get("bank_account", "")),
             hint=_l("The balance and any funeral subsidy are paid into this account in your "
                     "name. 16 to 19 digits.")),
    ],
    declaration=_l(commitment.TEXTS[commitment.CURRENT_VERSION]),
    deadline_workdays=5,
    deadline_article="第三十九条",
    obstacle_text={"open_application": _l("You already have a deregistration being decided.")},
    known_facts=lambda ctx: [KnownFact(_l("Applicant"), ctx.person.name,
                                       _l("real-name verification")),
                             KnownFact(_l("Identity document number"),
                                       ids.mask(ctx.person.id_number),
                                       _l("real-name verification"))],
    next_steps=_l("The county checks the death or other ground with the civil affairs, health "
                  "and pension records and decides within 5 working days. You then see the "
                  "settlement: the account balance, any funeral subsidy, and any pension paid "
                  "after the death that is deducted."),
    face=True,
))


# Transfer-in (第四十条至第四十五条) -----------------------------------------------------------

class TransferForm(FlaskForm):
    confirm_transfer = RadioField(
        _l("Move your insurance to this county?"),
        choices=[("yes", _l("Yes, move it here")), ("no", _l("No"))],
        validators=[InputRequired(_l("Choose yes or no"))])


def transfer_obstacles(ctx: Context) -> list[str]:
    """第四十条: only in the contribution period, only across counties."""
    found = ctx.comparison
    relation = ctx.extra.get("relation")
    here = ctx.extra["county_code"]
    if relation is not None and relation.status == "receiving":
        return ["receiving"]
    if relation is not None and relation.region_code[:6] == here[:6]:
        return ["same_county"]
    old = found.get("resident_scheme_region") or (relation.region_code if relation else None)
    if not old:
        return ["nothing_to_transfer"]
    if found.get("resident_scheme_status") == "receiving":
        return ["receiving"]
    if old[:6] == here[:6]:
        return ["same_county"]
    return []


def transfer_facts(ctx: Context) -> list[KnownFact]:
    found = ctx.comparison
    relation = ctx.extra.get("relation")
    old = found.get("resident_scheme_region") or (relation.region_code if relation else "")
    source = _l("national enrolment registry (全民参保库)")
    return [KnownFact(_l("Insured now in"), region_path(old) or old, source),
            KnownFact(_l("Household registration (户籍)"), ctx.extra.get("hukou_name") or "",
                      _l("household register (公安)"))]


TRANSFER = register(Flow(
    name="transfer_in",
    lifecycle=transfer_in(),
    title=_l("Move your insurance here (转入申请)"),
    intro=_l("If your household registration has moved to this county while you are still "
             "paying contributions, move your insurance here. Your balance and all your "
             "contribution years come with it (第四十一条). You follow every stage here."),
    steps=[Step("confirm_transfer", TransferForm, _l("Move your insurance to this county?"),
                summary=lambda a, c: _("Yes") if a.get("confirm_transfer") == "yes" else _("No"),
                stops=lambda a: "declined" if a.get("confirm_transfer") == "no" else None)],
    declaration=_l("I declare that my household registration has moved to this county and "
                   "that I am not receiving a pension."),
    deadline_workdays=5,
    deadline_article="第四十二条",
    handled_in="hukou",
    obstacles=transfer_obstacles,
    obstacle_text={
        "receiving": _l("You already receive your pension, so the insurance is not moved "
                        "(第四十条)."),
        "same_county": _l("Moving within the county needs no transfer: just change your "
                          "address (第四十条)."),
        "nothing_to_transfer": _l("We find no residents' pension insurance of yours in another "
                                  "county. If you have never enrolled, enrol here."),
        "declined": _l("Nothing was sent."),
        "open_application": _l("Your transfer is already in progress."),
    },
    known_facts=transfer_facts,
    next_steps=_l("This county checks your application within 5 working days and sends an "
                  "acceptance letter to your old county, which sends your balance the following "
                  "month. You can follow each stage and its deadline on the tracker."),
    face=True,
))

"""Disputes about a record (核查申请: 第二十条, 第二十五条, 第四十四条) and questions to the
agency (咨询, 第六十五条), declared as flows."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..operations import uploads
from .engine import Context, Flow, Step, register
from .enrolment import check_files
from .lifecycles import DISPUTE, QUESTION

SUBJECTS = {
    "account": _l("My personal account record (contributions, subsidies, interest)"),
    "benefit": _l("The pension amount decided for me"),
    "transfer": _l("The record transferred from another county"),
}
SUBJECT_ARTICLES = {"account": "第二十条", "benefit": "第二十五条", "transfer": "第四十四条"}


class SubjectForm(FlaskForm):
    subject = RadioField(_l("What do you think is wrong?"), choices=list(SUBJECTS.items()),
                         validators=[InputRequired(_l("Choose what you think is wrong"))])


class WhatIsWrongForm(FlaskForm):
    what_is_wrong = TextAreaField(
        _l("Tell us what is wrong"),
        validators=[InputRequired(_l("Tell us what is wrong")),
                    Length(min=6, max=1000, message=_l("Write between 6 and 1000 characters"))])


class EvidenceForm(FlaskForm):
    documents = MultipleFileField(_l("Evidence (optional)"))

    def validate_documents(self, field):
        check_files(field, required=False)


def store_evidence(form, answers, ctx: Context) -> dict:
    stored = [uploads.store(ctx.person.id, "dispute_evidence", item.read(),
                            actor=ctx.extra.get("actor", ctx.person.get_id()))
              for item in form.documents.data or [] if item and item.filename]
    return {"documents": [upload.id for upload in stored]}


DISPUTE = register(Flow(
    name="dispute",
    lifecycle=DISPUTE,
    title=_l("Ask us to check a record (核查申请)"),
    intro=_l("If a figure on your statement, your pension decision or a transferred record "
             "looks wrong, tell us. The county checks it at once (第二十条) and tells you the "
             "result: either a correction or an explanation."),
    steps=[
        Step("subject", SubjectForm, _l("What do you think is wrong?"),
             summary=lambda a, c: str(SUBJECTS.get(a.get("subject"), ""))),
        Step("what_is_wrong", WhatIsWrongForm, _l("Tell us what is wrong"),
             summary=lambda a, c: a.get("what_is_wrong", ""),
             hint=_l("For example: “My 2024 contribution of 500 yuan is missing; I paid on "
                     "10 May 2024.”")),
        Step("evidence", EvidenceForm, _l("Do you have evidence?"),
             summary=lambda a, c: _("%(count)s files uploaded",
                                    count=len(a.get("documents", []))),
             to_answers=store_evidence,
             hint=_l("A payment receipt or a photo of a document helps us check faster. You can "
                     "also continue without. JPG, PNG or PDF, up to 5 MB each.")),
    ],
    declaration=_l("I declare that what I have written is true to the best of my knowledge."),
    deadline_workdays=5,
    deadline_setting="DISPUTE_DEADLINE_WORKDAYS",
    deadline_article="第二十条",
    obstacle_text={"open_application": _l("We are already checking a record for you. You can "
                                          "follow it in My applications.")},
    next_steps=_l("The county checks the record with the tax and bank records and your "
                  "evidence. If it is wrong, it is corrected in your account; if it is right, "
                  "we explain why. A pension decided wrongly is decided again: you read the "
                  "new decision and confirm it, and the difference for the months already "
                  "paid comes with your next payment (第二十五条). For a record transferred "
                  "from another county, we ask that county to check it (第四十四条). Either "
                  "way we send you a message."),
    urgent=True,
))


class QuestionForm(FlaskForm):
    question = TextAreaField(
        _l("Your question"),
        validators=[InputRequired(_l("Write your question")),
                    Length(min=6, max=1000, message=_l("Write between 6 and 1000 characters"))])


QUESTION = register(Flow(
    name="question",
    lifecycle=QUESTION,
    title=_l("Ask a question (咨询)"),
    intro=_l("Ask the county social insurance agency anything about your pension insurance. "
             "The first person who takes up your question answers it (首问负责制, 第六十五条). "
             "The answer arrives in your messages."),
    steps=[
        Step("question", QuestionForm, _l("Your question"),
             summary=lambda a, c: a.get("question", ""),
             hint=_l("Do not write your identity number or bank details; we know who you "
                     "are.")),
    ],
    declaration=None,
    deadline_workdays=5,
    deadline_article="第六十五条",
    obstacle_text={"open_application": _l("Your earlier question is still waiting for its "
                                          "answer.")},
    next_steps=_l("A member of staff takes up your question and answers it. You will find the "
                  "answer in your messages and we send you a text message."),
))

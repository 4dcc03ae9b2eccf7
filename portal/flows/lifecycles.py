"""The back office's part of each flow, declared like its questions: which actions the township
and the county take, from which states, to which, by whom, and what each does.

Flows pick one of these (`reviewed(...)`, `CLAIM`, `DISPUTE`, `QUESTION`, `at_once(...)`);
`operations.transitions.transition()` applies them and the console reads them to draw its
forms, its queue and whose turn it is.
"""

from flask_babel import lazy_gettext as _l

from ..agency import forms
from ..constants import ApplicationStatus as S
from ..constants import Channel, PayoutKind
from ..constants import EventKind as E
from ..lifecycle import (
    APPLICANT,
    CHECKERS,
    COUNTY_TURN,
    REVIEWERS,
    TOWNSHIP_CLERKS,
    Action,
    Lifecycle,
    Outcome,
    Turn,
)
from ..operations import applications as ops
from ..operations import approvals, benefits, closure

APPROVED = Outcome(S.APPROVED, E.APPROVED, notify="approved")
REJECTED = Outcome(S.REJECTED, E.REJECTED, notify="rejected")

TOWNSHIP_CHECK = Action(
    name="township-check", label=_l("First check (初审)"), sources=(S.SUBMITTED,),
    roles=TOWNSHIP_CLERKS, turn=Turn.TOWNSHIP, form=forms.TownshipCheckForm,
    template="agency/actions/township_check.html", note_field="note",
    outcomes={"": Outcome(S.TOWNSHIP_CHECKED, E.TOWNSHIP_CHECKED,
                          notify="township_checked")})


def _on(choice: str, hook):
    """Run an operation (application, actor, channel) only for one choice of a decision."""
    def run(application, *, actor, choice: str = "", data=None, channel=Channel.COUNTER):
        if choice == wanted:
            hook(application, actor, channel)

    wanted = choice
    return run


def _both(*hooks):
    def run(application, **kwargs):
        for hook in hooks:
            if hook is not None:
                hook(application, **kwargs)
    return run


def decision(*, on_approve=None, on_reject=None, approve=True) -> Action:
    """第八条 and the like: the county approves or rejects, the reason read by the resident."""
    outcomes = {"approve": APPROVED, "reject": REJECTED} if approve else {"reject": REJECTED}
    return Action(
        name="decision", label=_l("Decision"), sources=(S.SUBMITTED, S.TOWNSHIP_CHECKED),
        roles=REVIEWERS, form=forms.DecisionForm, template="agency/actions/decision.html",
        outcomes=outcomes, note_field="reason",
        hook=_both(_on("approve", on_approve) if on_approve else None,
                   _on("reject", on_reject) if on_reject else None))


def reviewed(*, on_approve=None, on_reject=None, on_submit=None,
             township_first=False) -> Lifecycle:
    """Reviewed by the county within the flow's deadline; where `township_first`, the township
    office checks first if the county asks for it (初审, 第四条)."""
    actions = (TOWNSHIP_CHECK,) if township_first else ()
    return Lifecycle(actions=actions + (decision(on_approve=on_approve, on_reject=on_reject),),
                     on_submit=on_submit)


def at_once(hook) -> Lifecycle:
    """第九条: takes effect at submission; nobody reviews it."""
    return Lifecycle(at_once=hook)


# Claims (第二十四条): computed by one, checked by a different person (第六十二条) -------------

def _prepared_by(application):
    decision_ = benefits.decision_for(application)
    return decision_.prepared_by if decision_ is not None else None


CLAIM = Lifecycle(actions=(
    Action(name="benefit", label=_l("Compute the pension (核定)"),
           sources=(S.SUBMITTED, S.TOWNSHIP_CHECKED), roles=REVIEWERS, form=forms.PrepareForm,
           template="agency/actions/benefit.html", hook=benefits.compute_decision,
           then="application",
           outcomes={"": Outcome(S.PREPARED, E.PREPARED, audit="benefit_prepared")}),
    Action(name="benefit-check", label=_l("Pension decision (核定表)"), sources=(S.PREPARED,),
           roles=CHECKERS, form=forms.CheckForm, template="agency/actions/benefit_check.html",
           hook=benefits.record_check, prepared_by=_prepared_by, note_field="note",
           outcomes={"approve": Outcome(S.APPROVED, E.APPROVED, notify="claim_approved",
                                        audit="benefit_checked"),
                     "return": Outcome(S.SUBMITTED, E.RETURNED, audit="benefit_returned")}),
    # Not eligible after all: refused with the reason; approval only through the check above.
    decision(approve=False),
))


# Two people on every payout (第六十二条) -------------------------------------------------------

def payout_check(*, name: str, label, kind: PayoutKind, subject_of, hook,
                 approved: Outcome) -> Action:
    """The second person's action on an application-bound payout: from `prepared`, by a
    checker who is not the one who prepared it (the lifecycle refuses them, and
    operations.approvals.approve refuses them again), to `approved`. `hook` finds the
    application's PayoutApproval and approves it. Re-determinations reuse this."""
    return Action(name=name, label=label, sources=(S.PREPARED,), roles=CHECKERS,
                  form=forms.PayoutCheckForm, template="agency/actions/payout_check.html",
                  hook=hook, prepared_by=approvals.prepared_by_for(kind, subject_of),
                  applies=approvals.awaits(kind, subject_of), outcomes={"approve": approved})


# Disputes (第二十条) and questions (首问负责制) ------------------------------------------------

def _about(*subjects):
    """A dispute's actions depend on what it is about (the resident's first answer)."""
    def applies(application) -> bool:
        return (application.answers or {}).get("subject", "account") in subjects
    return applies


def _redetermination_prepared_by(application):
    decision_ = benefits.decision_for(application)
    return decision_.prepared_by if decision_ is not None else None


EXPLAINED = Outcome(S.EXPLAINED, E.EXPLAINED, notify="explained", audit="dispute_explained")

DISPUTE = Lifecycle(actions=(
    # 第二十条: the personal account record; a wrong entry is reversed and booked right. Also
    # for a "transferred record" that the records here can answer (no transfer behind it).
    Action(name="resolution", label=_l("Check and answer (第二十条)"),
           sources=(S.SUBMITTED, S.TOWNSHIP_CHECKED), roles=REVIEWERS,
           form=forms.ResolutionForm, template="agency/actions/resolution.html",
           hook=ops.book_corrections, note_field="explanation",
           applies=_about("account", "transfer"),
           outcomes={"corrected": Outcome(S.PREPARED, E.CORRECTION_PREPARED,
                                          audit="dispute_correction_prepared"),
                     "explained": EXPLAINED}),
    payout_check(name="correction-check", label=_l("Approve the correction (复核)"),
                 kind=PayoutKind.LEDGER_CORRECTION, subject_of=ops.correction_subject,
                 hook=ops.approve_corrections,
                 approved=Outcome(S.CORRECTED, E.CORRECTED, notify="corrected",
                                  audit="dispute_corrected")),
    # 第二十五条: the pension amount. Found right: a new 核定表 by a reviewer, checked by a
    # different person (第六十二条), confirmed by the resident; the next run pays or deducts
    # the difference for the months already paid. Found wrong: the explanation, sent.
    Action(name="redetermine", label=_l("Re-decide the pension (重新核定, 第二十五条)"),
           sources=(S.SUBMITTED, S.TOWNSHIP_CHECKED), roles=REVIEWERS,
           form=forms.RedeterminationForm, template="agency/actions/redetermine.html",
           hook=benefits.prepare_redetermination, then="application",
           applies=_about("benefit"),
           outcomes={"": Outcome(S.PREPARED, E.REDETERMINATION_PREPARED,
                                 audit="redetermination_prepared")}),
    Action(name="redetermination-check", label=_l("Re-decided pension (核定表): check"),
           sources=(S.PREPARED,), roles=CHECKERS, form=forms.CheckForm,
           template="agency/actions/redetermination_check.html",
           hook=benefits.check_redetermination, prepared_by=_redetermination_prepared_by,
           note_field="note", applies=_about("benefit"),
           outcomes={"approve": Outcome(S.AWAITING_RESIDENT, E.REDETERMINATION_CHECKED,
                                        notify="redetermination_ready",
                                        audit="redetermination_checked"),
                     "return": Outcome(S.SUBMITTED, E.RETURNED,
                                       audit="redetermination_returned")}),
    Action(name="confirm-redetermination", label=_l("Confirm the re-decided pension"),
           sources=(S.AWAITING_RESIDENT,), roles=APPLICANT, turn=Turn.APPLICANT,
           form=forms.ConfirmForm, hook=benefits.confirm_redetermination,
           applies=_about("benefit"),
           outcomes={"": Outcome(S.CORRECTED, E.CONFIRMED, notify="redetermined",
                                 audit="redetermination_confirmed")}),
    Action(name="explanation", label=_l("The amount is right: explain why"),
           sources=(S.SUBMITTED, S.TOWNSHIP_CHECKED), roles=REVIEWERS,
           form=forms.ExplanationForm, template="agency/actions/explanation.html",
           note_field="explanation", applies=_about("benefit"),
           outcomes={"": Outcome(S.EXPLAINED, E.EXPLAINED, notify="explained_with_note",
                                 audit="dispute_explained", with_note=True)}),
    # 第四十四条: a transferred record. The old county is asked (in-process or through the
    # transfer interface); with its answer the dispute is closed here, a correction prepared
    # and, once a different person approves it, booked on both sides.
    Action(name="ask-old-county", label=_l("Ask the old county (第四十四条)"),
           sources=(S.SUBMITTED, S.TOWNSHIP_CHECKED), roles=REVIEWERS,
           form=forms.AskOldCountyForm, template="agency/actions/ask_old_county.html",
           hook=closure.ask_old_county, note_field="question", applies=_about("transfer"),
           outcomes={"": Outcome(S.ASKED, E.ASKED_OLD_COUNTY, notify="asked_old_county",
                                 audit="record_inquiry_sent")}),
    Action(name="old-county-answer", label=_l("Record the old county's answer"),
           sources=(S.ASKED,), roles=REVIEWERS, form=forms.OutsideAnswerForm,
           template="agency/actions/old_county_answer.html",
           hook=closure.record_outside_answer,
           applies=lambda application: _about("transfer")(application)
           and closure.on_exchange(application),
           outcomes={"": Outcome(S.OLD_COUNTY_ANSWERED, E.OLD_COUNTY_ANSWERED,
                                 notify="old_county_answered",
                                 audit="record_inquiry_answered")}),
    Action(name="transfer-resolution", label=_l("Close with the old county's answer"),
           sources=(S.OLD_COUNTY_ANSWERED,), roles=REVIEWERS,
           form=forms.TransferResolutionForm,
           template="agency/actions/transfer_resolution.html",
           hook=closure.book_transfer_correction, note_field="explanation",
           applies=_about("transfer"),
           outcomes={"corrected": Outcome(S.PREPARED, E.CORRECTION_PREPARED,
                                          audit="dispute_correction_prepared"),
                     "explained": Outcome(S.EXPLAINED, E.EXPLAINED,
                                          notify="explained_with_note",
                                          audit="dispute_explained", with_note=True)}),
    # 第六十二条: the correction on both sides is booked only when a different person approves.
    payout_check(name="transfer-correction-check",
                 label=_l("Approve the correction on both sides (复核)"),
                 kind=PayoutKind.TRANSFER_CORRECTION,
                 subject_of=closure.transfer_correction_subject,
                 hook=closure.approve_transfer_correction,
                 approved=Outcome(S.CORRECTED, E.CORRECTED, notify="corrected",
                                  audit="dispute_corrected")),
))

QUESTION = Lifecycle(actions=(
    Action(name="take", label=_l("Question"), sources=(S.SUBMITTED,), roles=REVIEWERS,
           turn=Turn.ANY, form=forms.TakeForm, template="agency/actions/take.html",
           hook=ops.take_up, then="application",
           outcomes={"": Outcome(S.IN_HAND, E.IN_HAND, audit="question_taken")}),
    Action(name="answer", label=_l("Your answer"), sources=(S.IN_HAND,), roles=REVIEWERS,
           turn=Turn.OWNER, form=forms.AnswerForm, template="agency/actions/answer.html",
           note_field="answer",
           outcomes={"": Outcome(S.ANSWERED, E.ANSWERED, notify="answered",
                                 audit="question_answered")}),
))


def _prepare_settlement(application, *, actor, channel=Channel.COUNTER, **_kwargs):
    settlement = closure.deregister(application, actor, channel)
    return {"payable_fen": settlement.payable_fen}


def deregistration() -> Lifecycle:
    """第三十九条: the county checks the records and settles the account (经办); a different
    member of staff approves the settlement before anything is paid (复核, 第六十二条). Refused
    with the reason where the records do not bear the application out."""
    return Lifecycle(on_submit=closure.deregistration_submitted, actions=(
        Action(name="settlement", label=_l("Deregister and compute the settlement (经办)"),
               sources=(S.SUBMITTED, S.TOWNSHIP_CHECKED), roles=REVIEWERS,
               form=forms.PrepareForm, template="agency/actions/settlement.html",
               hook=_prepare_settlement, then="application",
               outcomes={"": Outcome(S.PREPARED, E.SETTLEMENT_PREPARED,
                                     audit="settlement_prepared")}),
        payout_check(name="settlement-check", label=_l("Approve the settlement (复核)"),
                     kind=PayoutKind.DEREGISTRATION_SETTLEMENT,
                     subject_of=closure.settlement_subject, hook=closure.approve_settlement,
                     approved=APPROVED),
        decision(approve=False),
    ))


def transfer_in() -> Lifecycle:
    return reviewed(on_submit=closure.transfer_submitted, on_approve=closure.transfer_accepted,
                    on_reject=lambda application, actor, channel: closure.transfer_refused(
                        application))


__all__ = ["CLAIM", "COUNTY_TURN", "DISPUTE", "QUESTION", "at_once", "deregistration",
           "payout_check", "reviewed", "transfer_in"]

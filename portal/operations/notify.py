"""Messages to people go through the outbox (SMS and the in-portal message centre)."""

import re

from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..models import OutboxMessage
from ..rules.ids import N_

# In-portal messages are stored with their kind and parameters and rendered in the reader's
# language; SMS go out in Chinese.
MESSAGES = {
    "application_submitted": N_("Your application %(reference)s has been received. The decision "
                                "is due by %(due)s."),
    # Next year's holiday notice not confirmed yet (rules.workdays): the date may move.
    "application_submitted_may_move": N_("Your application %(reference)s has been received. "
                                         "The decision is due by %(due)s (may move: next "
                                         "year's official holidays are not confirmed yet)."),
    "deadline_moved": N_("The official holiday calendar changed: the decision on your "
                         "application %(reference)s is now due by %(due)s."),
    "deadline_moved_may_move": N_("The official holiday calendar changed: the decision on your "
                                  "application %(reference)s is now due by %(due)s (may move "
                                  "again until the holidays are confirmed)."),
    "application_township_checked": N_("Your application %(reference)s has been checked by "
                                       "the township office and passed to the county."),
    "application_approved": N_("Your application %(reference)s has been approved."),
    "application_rejected": N_("Your application %(reference)s was not approved. Sign in to read "
                               "why."),
    "application_completed": N_("Your request %(reference)s is done: the change has taken "
                                "effect."),
    "application_corrected": N_("We checked your request %(reference)s and corrected the "
                                "record. Sign in to see the correction."),
    "application_explained": N_("We checked your request %(reference)s. Sign in to read our "
                                "answer."),
    "application_answered": N_("Your question %(reference)s has been answered: "
                               "%(answer)s"),
    "phone_changed": N_("The contact phone of your pension insurance was changed to "
                        "%(phone)s. If this was not you, call 12333 at once."),
    "application_claim_approved": N_("Your pension claim %(reference)s has been decided. Sign in "
                                     "to read the decision and confirm it."),
    "pension_notice": N_("You reach pension age on %(date)s. Your pension notice (告知书) is "
                         "ready: sign in to read it and claim your pension."),
    "transfer_completed": N_("Your insurance has been moved here (%(reference)s). Your balance "
                             "and contribution years are in your new account."),
    "consent_code": N_("Village assistant %(name)s asks your consent to handle a pension "
                       "service for you. If you agree, tell them this code: %(code)s. If not, "
                       "do not share it."),
    "proxy_filed": N_("Village assistant %(name)s filed application %(reference)s for you. If "
                      "you did not agree, sign in and object, or call 12333."),
    "heir_invited": N_("We are sorry for the loss of %(name)s. As a relative you can end the "
                       "pension insurance and receive the account balance online, at a kiosk "
                       "or through your village assistant. No death certificate is needed."),
    "beneficiary_invited": N_("We are sorry for the loss of %(name)s, who named you as their "
                              "designated beneficiary (指定受益人). You can end the pension "
                              "insurance and receive the account balance online, at a kiosk or "
                              "through your village assistant. No death certificate is needed."),
    "pension_amount_changed": N_("From %(month)s your pension is %(total)s yuan a month: basic "
                                 "pension %(basic)s yuan and %(account)s yuan from your "
                                 "personal account."),
    "application_redetermination_ready": N_("We re-decided your pension after your request "
                                            "%(reference)s. Sign in to read the new decision "
                                            "and confirm it."),
    "application_redetermined": N_("You confirmed your re-decided pension (%(reference)s). "
                                   "The difference for the months already paid comes with "
                                   "your next payment; see My pension."),
    "application_explained_with_note": N_("We checked your request %(reference)s and found the "
                                          "record right: %(note)s"),
    "application_asked_old_county": N_("About your request %(reference)s: we asked the county "
                                       "your record came from to check it."),
    "application_old_county_answered": N_("About your request %(reference)s: the county your "
                                          "record came from has answered. We tell you the "
                                          "result shortly."),
    "statement_ready": N_("Your account statement for %(year)s is ready. Sign in to see it, or "
                          "print it at a self-service kiosk."),
    # The yearly eligibility confirmation (第三十一条、第三十三条).
    "eligibility_reminder": N_("Your yearly pension eligibility confirmation (资格认证) is due by "
                               "%(due)s. Confirm with a face check on your phone or at a "
                               "self-service kiosk, let a relative do it on their phone, or ask "
                               "your village assistant to visit."),
    "eligibility_overdue": N_("Your yearly pension eligibility confirmation (资格认证) is "
                              "overdue. Confirm by %(until)s, or your pension is suspended "
                              "from the month after."),
    "eligibility_suspended": N_("Your pension is suspended from %(month)s because the yearly "
                                "eligibility confirmation was missed (第三十三条). Confirm with "
                                "a face check or ask your village assistant: payment resumes "
                                "at once and the suspended months are paid back."),
    "family_helper_registered": N_("%(name)s has registered to confirm your pension "
                                   "eligibility for you on their phone (亲情认证). If you did not "
                                   "agree, call 12333."),
    "family_helper_ended_by_elder": N_("%(name)s has ended your registration to confirm their "
                                       "pension eligibility for them (亲情认证). You can no "
                                       "longer do their face check on your phone."),
    "family_helper_ended_by_helper": N_("%(name)s no longer confirms your pension eligibility "
                                        "for you (亲情认证). Confirm it yourself with a face "
                                        "check, or let another relative register."),
    "eligibility_confirmed": N_("Your pension eligibility is confirmed for this year. The next "
                                "confirmation is due by %(due)s."),
    "eligibility_resumed": N_("Your pension eligibility is confirmed and your pension resumes. "
                              "The suspended months are paid with the next payment. The next "
                              "confirmation is due by %(due)s."),
}
SMS_PREFIX = N_("[Residents' pension] ")


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def message_text(kind: str, params: dict) -> str:
    """A notification in the reader's language (the message centre renders it on display):
    dates as 2026年11月23日, references in groups of four."""
    from ..presenters import day, grouped

    shown = {key: day(value) if isinstance(value, str) and ISO_DATE.match(value)
             else grouped(value) if key == "reference" else value
             for key, value in params.items()}
    return _(MESSAGES[kind], **shown)


def chinese_texts(kind: str, params: dict) -> tuple[str, str]:
    """(message centre text, SMS text), both Chinese, as stored in the outbox."""
    with force_locale("zh_Hans_CN"):
        text = message_text(kind, params)
        return text, _(SMS_PREFIX) + text


def tell(person, kind: str, params: dict) -> None:
    """One message to a person: in the message centre (rendered in the reader's language) and,
    when a phone is known, by SMS in Chinese."""
    text, sms = chinese_texts(kind, params)
    db.session.add(OutboxMessage(channel="in_app", kind=kind, person_id=person.id, body=text,
                                 params=params))
    if person.phone:
        queue_sms(phone=person.phone, body=sms, kind=kind, person_id=person.id)


def queue_sms(*, phone: str, body: str, kind: str, person_id: int | None = None) -> OutboxMessage:
    message = OutboxMessage(
        channel="sms", kind=kind, recipient=phone, body=body, person_id=person_id
    )
    db.session.add(message)
    db.session.flush()
    return message

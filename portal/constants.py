"""Every status, kind, channel and event code, each with the plain words a person reads.

Codes are what the database stores; people never see them (ux.md: "no code reaches a person").
A label is an English msgid translated by Babel (zh_Hans_CN default); tests/unit/test_constants.py
fails on any value without a label in both languages, and on a code used in the code base that
has no member here.
"""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Labelled(StrEnum):
    """A StrEnum whose members carry a label: `Channel.KIOSK.label` → 自助终端."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def label_of(cls, value) -> str:
        """The label of a stored code. An unknown code is a bug the constants test catches; the
        page shows a neutral word rather than the code itself."""
        try:
            return cls(value).label
        except ValueError:
            return _l("Other")


class ApplicationStatus(Labelled):
    SUBMITTED = "submitted", _l("Being reviewed")
    TOWNSHIP_CHECKED = "township_checked", _l("Being reviewed")
    IN_HAND = "in_hand", _l("Being answered")
    # 核定 done, waiting for a different person's check (复核, 第六十二条).
    PREPARED = "prepared", _l("Being reviewed")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Not approved")
    # A change that needs no review took effect at once (第九条).
    COMPLETED = "completed", _l("Done")
    CORRECTED = "corrected", _l("Checked – record corrected")
    EXPLAINED = "explained", _l("Checked – answer given")
    ANSWERED = "answered", _l("Answered")
    WITHDRAWN = "withdrawn", _l("Withdrawn")
    # Filed by an assistant and objected to by the resident: on hold until the township looks.
    FROZEN = "frozen", _l("On hold – you objected, the township office is looking into it")
    # Shown, never stored: a level chosen (第十一条) whose money has not reached the account yet.
    AWAITING_PAYMENT = "awaiting_payment", _l("Waiting for payment")


class EventKind(Labelled):
    """One step on an application's timeline."""

    SUBMITTED = "submitted", _l("Application received")
    TOWNSHIP_CHECKED = "township_checked", _l("Checked by the township office")
    APPROVED = "approved", _l("Approved by the county social insurance agency")
    REJECTED = "rejected", _l("Not approved by the county social insurance agency")
    WITHDRAWN = "withdrawn", _l("Withdrawn")
    COMPLETED = "completed", _l("The change took effect")
    IN_HAND = "in_hand", _l("Taken up by a member of staff, who will answer it")
    CORRECTED = "corrected", _l("Checked by the county: the record was corrected")
    EXPLAINED = "explained", _l("Checked by the county: the record is right, see the explanation")
    ANSWERED = "answered", _l("Answered")
    PREPARED = "prepared", _l("Pension computed (核定), waiting for a second check (复核)")
    RETURNED = "returned", _l("Returned to be computed again")
    CONFIRMED = "confirmed", _l("You confirmed the decision")
    TRANSFER_COMPLETED = "transfer_completed", _l(
        "Transfer completed: the money is in your account here")
    FROZEN = "frozen", _l(
        "Put on hold: you objected to the filing, the township office is looking into it")


class ApplicationKind(Labelled):
    """What an application is for: the short service name (one per flow)."""

    ENROLMENT = "enrolment", _l("Enrolment (参保登记)")
    DETAILS_CHANGE = "details_change", _l("Change of address, ethnicity or sex")
    PHONE_CHANGE = "phone_change", _l("Change of phone number")
    IDENTITY_CHANGE = "identity_change", _l("Change of name, date of birth or identity number")
    TIER_CHOICE = "tier_choice", _l("Contribution level for the year")
    CLAIM = "claim", _l("Pension claim (待遇申领)")
    DEREGISTRATION = "deregistration", _l("Ending the insurance (注销登记)")
    TRANSFER_IN = "transfer_in", _l("Moving the insurance here (转入)")
    DISPUTE = "dispute", _l("Request to check a record (核查申请)")
    QUESTION = "question", _l("Question (咨询)")


class Channel(Labelled):
    """Where something was done (applications, audit records, signed commitments)."""

    ONLINE = "online", _l("Online (phone or computer)")
    KIOSK = "kiosk", _l("Self-service kiosk")
    ASSISTED = "assisted", _l("Through the village assistant")
    COUNTER = "counter", _l("At the service counter")
    CONSOLE = "console", _l("Staff console")
    SYSTEM = "system", _l("Automatic (the system)")


class FiledBy(Labelled):
    """Who filed or did something (also the kind part of an actor id such as "staff:4")."""

    RESIDENT = "resident", _l("the resident")
    ASSISTANT = "assistant", _l("village assistant")
    STAFF = "staff", _l("member of staff")
    SYSTEM = "system", _l("the system")


class PersonField(Labelled):
    """A registered detail that can change (第九条 at once, 第十条 reviewed)."""

    SEX = "sex", _l("Sex")
    ETHNICITY = "ethnicity", _l("Ethnicity")
    ADDRESS = "address", _l("Address")
    PHONE = "phone", _l("Phone number")
    NAME = "name", _l("Name")
    BIRTH_DATE = "birth_date", _l("Date of birth")
    ID_NUMBER = "id_number", _l("Identity document number")


class RelationStatus(Labelled):
    """The insurance relation (参保关系)."""

    CONTRIBUTING = "contributing", _l("Enrolled – contributing")
    RECEIVING = "receiving", _l("Receiving a pension")
    TERMINATED = "terminated", _l("Ended")


class LedgerKind(Labelled):
    PERSONAL = "personal", _l("Your contribution")
    GOVERNMENT_PAID = "government_paid", _l("Contribution paid by the government for you (代缴)")
    SUBSIDY = "subsidy", _l("Government subsidy")
    COLLECTIVE = "collective", _l("Village collective subsidy")
    AID = "aid", _l("Other aid")
    INTEREST = "interest", _l("Interest")
    TRANSFER_IN = "transfer_in", _l("Transferred in")
    TRANSFER_OUT = "transfer_out", _l("Transferred out")
    PENSION_PAID = "pension_paid", _l("Pension paid from the account")
    SETTLEMENT = "settlement", _l("Settlement on deregistration")
    REVERSAL = "reversal", _l("Correction")


class PaymentStatus(Labelled):
    SENT = "sent", _l("Sent to the bank")
    PAID = "paid", _l("Paid")
    FAILED = "failed", _l("Failed – being re-issued")
    REISSUED = "reissued", _l("Re-issued")


class DecisionStatus(Labelled):
    """A pension decision (核定表)."""

    PREPARED = "prepared", _l("Computed, waiting for the second check")
    CHECKED = "checked", _l("Checked, waiting for your confirmation")
    RETURNED = "returned", _l("Returned to be computed again")
    CONFIRMED = "confirmed", _l("Confirmed")


class ConsentStatus(Labelled):
    PENDING = "pending", _l("Waiting for your code")
    ACTIVE = "active", _l("You agreed")
    OBJECTED = "objected", _l("You objected")


class ConsentMethod(Labelled):
    SMS = "sms", _l("Code sent by text message to the resident's phone")
    SIGNATURE = "signature", _l("Signature on this screen")
    PAPER = "paper", _l("Signed paper form, photographed")


class DeathReportStatus(Labelled):
    REPORTED = "reported", _l("Reported")
    FORWARDED = "forwarded", _l("Forwarded by the township")
    MATCHED = "matched", _l("Pension suspended, being checked")
    CONFIRMED = "confirmed", _l("Confirmed")
    ALIVE = "alive", _l("Found alive; payment resumed")


class RegistryResult(Labelled):
    """What the registries say about a reported death (第六条、第三十二条)."""

    DEATH_RECORDED = "death_recorded", _l("The registries record this death")
    ALIVE = "alive", _l("The household register shows this person alive: the registries "
                        "contradict the report")
    NAME_DIFFERS = "name_differs", _l("The name differs from the household register: the "
                                      "registries contradict the report")
    NOT_FOUND = "not_found", _l("Not in the household register: the registries contradict "
                                "the report")


class EligibilityMethod(Labelled):
    """How a pensioner's eligibility was confirmed (待遇资格认证)."""

    DATA_COMPARISON = "data_comparison", _l("data comparison")
    FACE = "face", _l("face check")
    HOME_VISIT = "home_visit", _l("a home visit")


class DebtStatus(Labelled):
    TO_PAY = "to_pay", _l("To be repaid")
    PAID = "paid", _l("Repaid")


class ReportStatus(Labelled):
    RECEIVED = "received", _l("Being looked into")
    CLOSED = "closed", _l("Dealt with")


class TerminalStatus(Labelled):
    ACTIVE = "active", _l("Active")
    REVOKED = "revoked", _l("Revoked")


class BatchStatus(Labelled):
    READY = "ready", _l("Waiting to be collected")
    COLLECTED = "collected", _l("Collected, no answer yet")
    ACKNOWLEDGED = "acknowledged", _l("Answered")


LABELLED = (ApplicationStatus, EventKind, ApplicationKind, Channel, FiledBy, PersonField,
            RelationStatus, LedgerKind, PaymentStatus, DecisionStatus, ConsentStatus, ConsentMethod,
            DeathReportStatus, RegistryResult, EligibilityMethod, DebtStatus, ReportStatus,
            TerminalStatus, BatchStatus)

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
    # A dispute about the pension found right: re-decided and checked, the resident confirms
    # (第二十五条).
    AWAITING_RESIDENT = "awaiting_resident", _l("Re-decided – waiting for your "
                                                "confirmation")
    # A dispute about a transferred record: the old county is asked (第四十四条), then answers.
    ASKED = "asked", _l("Being checked with the county your record came from")
    OLD_COUNTY_ANSWERED = "old_county_answered", _l("The county your record came from has "
                                                    "answered")


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
    # The official holiday calendar changed (a new notice entered or confirmed): same number of
    # working days, counted again (第八、十、二十四、四十二条).
    DEADLINE_MOVED = "deadline_moved", _l(
        "Decision date moved: the official holiday calendar changed")
    SETTLEMENT_PREPARED = "settlement_prepared", _l(
        "Settlement computed, waiting for a second member of staff to approve it")
    CORRECTION_PREPARED = "correction_prepared", _l(
        "Correction prepared, waiting for a second member of staff to approve it")
    REDETERMINATION_PREPARED = "redetermination_prepared", _l(
        "Pension re-decided (重新核定), waiting for a second check (复核)")
    REDETERMINATION_CHECKED = "redetermination_checked", _l(
        "Re-decided pension checked: waiting for your confirmation")
    ASKED_OLD_COUNTY = "asked_old_county", _l(
        "Asked the county your record came from to check it")
    OLD_COUNTY_ANSWERED = "old_county_answered", _l(
        "The county your record came from answered")


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
    # 第六十二条: a re-issue prepared by one member of staff waits for a different one.
    TO_REISSUE = "to_reissue", _l("Failed – re-issue waiting for approval")
    REISSUED = "reissued", _l("Re-issued")


class DecisionStatus(Labelled):
    """A pension decision (核定表)."""

    PREPARED = "prepared", _l("Computed, waiting for the second check")
    CHECKED = "checked", _l("Checked, waiting for your confirmation")
    RETURNED = "returned", _l("Returned to be computed again")
    CONFIRMED = "confirmed", _l("Confirmed")
    # Replaced by a re-determination the resident confirmed (第二十五条).
    SUPERSEDED = "superseded", _l("Replaced by a re-decided pension")


class InquiryStatus(Labelled):
    """A question to the old county about a transferred record (第四十四条)."""

    ASKED = "asked", _l("Asked")
    ANSWERED = "answered", _l("Answered")


class PayoutKind(Labelled):
    """Money the county pays out only when a second member of staff approves it (第六十二条)."""

    DEREGISTRATION_SETTLEMENT = "deregistration_settlement", _l(
        "Settlement on deregistration (注销结算)")
    TRANSFER_SETTLEMENT = "transfer_settlement", _l("Balance sent on transfer out (转出结算)")
    REISSUE = "reissue", _l("Re-issue of failed pension payments (再次发放)")
    REDETERMINATION = "redetermination", _l("Difference from a re-determined pension (重新核定)")
    LEDGER_CORRECTION = "ledger_correction", _l("Correction of account entries (冲正)")
    TRANSFER_CORRECTION = "transfer_correction", _l(
        "Correction of a transferred record on both sides (第四十四条)")


class PayoutStatus(Labelled):
    AWAITING = "awaiting", _l("Waiting for a second member of staff to approve")
    APPROVED = "approved", _l("Approved and released")
    RETURNED = "returned", _l("Sent back to the member of staff who prepared it")


class SettlementStatus(Labelled):
    AWAITING_APPROVAL = "awaiting_approval", _l("Computed, waiting for approval")
    TO_PAY = "to_pay", _l("Approved, sent to the bank")
    PAID = "paid", _l("Paid")


class PayeeRole(Labelled):
    """Who receives a deregistration settlement (第三十八条)."""

    INSURED = "insured", _l("the insured person")
    HEIR = "heir", _l("legal heir")
    DESIGNATED_BENEFICIARY = "designated_beneficiary", _l("designated beneficiary (指定受益人)")


class BeneficiaryRelationship(Labelled):
    """How a designated beneficiary is related to the resident (optional)."""

    SPOUSE = "spouse", _l("Spouse")
    CHILD = "child", _l("Child")
    PARENT = "parent", _l("Parent")
    SIBLING = "sibling", _l("Brother or sister")
    GRANDCHILD = "grandchild", _l("Grandchild")
    OTHER_RELATIVE = "other_relative", _l("Other relative")
    NOT_RELATED = "not_related", _l("Not related (for example a carer or friend)")


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
    # 亲情认证: a registered relative did the elder's face check on their phone.
    FAMILY = "family", _l("a relative's phone (亲情认证)")
    HOME_VISIT = "home_visit", _l("a home visit")


class EligibilityState(Labelled):
    """Where a pensioner stands with the yearly confirmation (rules.eligibility)."""

    CONFIRMED = "confirmed", _l("Confirmed – nothing to do now")
    DUE_SOON = "due_soon", _l("Due soon – please confirm")
    OVERDUE = "overdue", _l("Overdue – confirm before the pension is suspended")
    MISSED = "missed", _l("Missed – pension suspended until confirmed")


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


class CalendarYearStatus(Labelled):
    """A year's holiday notice in the agency's calendar (maker–checker)."""

    ENTERED = "entered", _l("Entered, waiting for a second person to confirm it")
    CONFIRMED = "confirmed", _l("Confirmed")


class DeliveryStatus(Labelled):
    """An SMS in the outbox (operations/outbox.py); in-portal messages are pending until read."""

    PENDING = "pending", _l("Waiting to be sent")
    SENDING = "sending", _l("Being sent")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Could not be sent")


class JobRunStatus(Labelled):
    """A scheduled job's run for one period (operations/jobruns.py)."""

    RUNNING = "running", _l("Running")
    DONE = "done", _l("Finished")
    FAILED = "failed", _l("Failed, to be tried again")
    WAITING = "waiting", _l("Waiting, to be tried again")


LABELLED = (ApplicationStatus, EventKind, ApplicationKind, Channel, FiledBy, PersonField,
            RelationStatus, LedgerKind, PaymentStatus, DecisionStatus, ConsentStatus, ConsentMethod,
            DeathReportStatus, RegistryResult, EligibilityMethod, EligibilityState, DebtStatus,
            ReportStatus, TerminalStatus, BatchStatus, CalendarYearStatus, DeliveryStatus,
            JobRunStatus, PayoutKind, PayoutStatus, SettlementStatus, PayeeRole,
            BeneficiaryRelationship, InquiryStatus)

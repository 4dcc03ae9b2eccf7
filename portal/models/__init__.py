"""SQLAlchemy models, one module per aggregate; importing this package registers every table."""

from .application import OPEN_STATUSES, Application, ApplicationEvent, Draft
from .approval import PayoutApproval
from .assist import Consent, DeathReport, DeathReturn
from .audit import AuditRecord, DataAccess
from .base import Base, utcnow
from .beneficiary import DesignatedBeneficiary
from .benefit import (
    BenefitAdjustment,
    BenefitDecision,
    BenefitPayment,
    BenefitSuspension,
    EligibilityCheck,
    FamilyHelper,
    PaymentRun,
    PensionNotice,
)
from .calendar import CalendarYear, WorkdayOverride
from .closure import Commitment, ImmutableRecord, RecordInquiry, Settlement, TransferCase
from .exchange import OutgoingBatch
from .idp import IdpAuthorizationCode, IdpSession, IdpToken
from .insurance import InsuranceRelation, PersonalAccount
from .jobrun import JobRun
from .kiosk import KioskNonce, KioskRating, KioskTerminal
from .ledger import ImportBatch, LedgerEntry, RefusedContribution
from .limits import AttemptCounter
from .notification import OutboxMessage
from .person import Person, PersonChange
from .region import Region
from .registry import (
    RegistryActivity,
    RegistryCustody,
    RegistryDeath,
    RegistryDisability,
    RegistryEnrolment,
    RegistryPerson,
    RegistryRelative,
)
from .report import FraudReport
from .session import WebSession
from .staff import ROLES, StaffUser
from .statement import IssuedStatement
from .upload import Upload

__all__ = [
    "OPEN_STATUSES",
    "Application",
    "ApplicationEvent",
    "Draft",
    "ImportBatch",
    "IssuedStatement",
    "InsuranceRelation",
    "JobRun",
    "LedgerEntry",
    "RefusedContribution",
    "PersonalAccount",
    "AttemptCounter",
    "AuditRecord",
    "DataAccess",
    "DesignatedBeneficiary",
    "PayoutApproval",
    "Consent",
    "DeathReport",
    "DeathReturn",
    "Commitment",
    "ImmutableRecord",
    "RecordInquiry",
    "Settlement",
    "TransferCase",
    "BenefitAdjustment",
    "BenefitDecision",
    "BenefitPayment",
    "BenefitSuspension",
    "EligibilityCheck",
    "FamilyHelper",
    "PaymentRun",
    "PensionNotice",
    "Base",
    "IdpAuthorizationCode",
    "IdpSession",
    "IdpToken",
    "KioskNonce",
    "KioskRating",
    "KioskTerminal",
    "OutboxMessage",
    "OutgoingBatch",
    "Person",
    "PersonChange",
    "FraudReport",
    "ROLES",
    "Region",
    "RegistryActivity",
    "RegistryCustody",
    "RegistryDeath",
    "RegistryDisability",
    "RegistryEnrolment",
    "RegistryPerson",
    "RegistryRelative",
    "StaffUser",
    "Upload",
    "WebSession",
    "WorkdayOverride",
    "CalendarYear",
    "utcnow",
]

"""SQLAlchemy models, one module per aggregate; importing this package registers every table."""

from .application import OPEN_STATUSES, Application, ApplicationEvent, Draft
from .assist import Consent, DeathReport
from .audit import AuditRecord, DataAccess
from .base import Base, utcnow
from .benefit import (
    BenefitDecision,
    BenefitPayment,
    BenefitSuspension,
    EligibilityCheck,
    PaymentRun,
    PensionNotice,
)
from .calendar import WorkdayOverride
from .closure import Commitment, ImmutableRecord, Settlement, TransferCase
from .exchange import OutgoingBatch
from .idp import IdpAuthorizationCode, IdpSession, IdpToken
from .insurance import InsuranceRelation, PersonalAccount
from .kiosk import KioskNonce, KioskRating, KioskTerminal
from .ledger import ImportBatch, LedgerEntry, RefusedContribution
from .limits import AttemptCounter
from .notification import OutboxMessage
from .person import Person, PersonChange
from .region import Region
from .registry import (
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
    "LedgerEntry",
    "RefusedContribution",
    "PersonalAccount",
    "AttemptCounter",
    "AuditRecord",
    "DataAccess",
    "Consent",
    "DeathReport",
    "Commitment",
    "ImmutableRecord",
    "Settlement",
    "TransferCase",
    "BenefitDecision",
    "BenefitPayment",
    "BenefitSuspension",
    "EligibilityCheck",
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
    "utcnow",
]

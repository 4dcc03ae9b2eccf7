"""The 告知承诺书 texts (第三十八条), versioned: a signed commitment keeps the exact version and
text that was signed, so a later wording never changes what someone declared."""

from .ids import N_

CURRENT_VERSION = "DEREG-2026-1"

TEXTS = {
    "DEREG-2026-1": N_(
        "I apply to deregister the pension insurance of the person named "
        "above. I declare that the facts I have given (the death or other ground, and my "
        "relationship as heir or beneficiary) are true. I understand that no death certificate "
        "or proof of relationship is asked of me because of this commitment, that the agency "
        "checks it with other agencies' records, and that a false declaration means the money "
        "must be repaid, may be recorded in my credit record and may be prosecuted."),
}

"""Contact details residents type: phone numbers and addresses."""

import re
import unicodedata

from .ids import N_

MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")


def normalize_phone(text: str) -> str:
    value = unicodedata.normalize("NFKC", text or "")
    value = re.sub(r"[\s\-()（）]", "", value)
    return value[3:] if value.startswith("+86") else value


def phone_problem(text: str) -> str | None:
    """None when the number is a mainland mobile or a landline with area code."""
    value = normalize_phone(text)
    if not value:
        return N_("Enter a phone number we can reach you on")
    if not value.isdigit():
        return N_("A phone number has digits only, for example 13812345678")
    if not (MOBILE.fullmatch(value) or LANDLINE.fullmatch(value)):
        return N_("Enter an 11-digit mobile number, or a landline with its area code")
    return None


def address_problem(text: str) -> str | None:
    value = (text or "").strip()
    if len(value) < 6:
        return N_("Enter your full address: township, village and house number")
    if len(value) > 120:
        return N_("An address is at most 120 characters")
    return None

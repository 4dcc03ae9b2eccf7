"""Identity documents of 第六十七条: validation, derived birth date and sex, masking.

Pure functions. Messages are English msgids marked with N_() and translated by the web layer.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

RESIDENT_ID = "resident_id"  # 居民身份证 (GB 11643-1999)
HMT_RESIDENCE = "hmt_residence"  # 港澳台居民居住证
FOREIGN_PERMANENT = "foreign_permanent"  # 外国人永久居留身份证
SOCIAL_SECURITY_CARD = "social_security_card"  # 社会保障卡: its number is the holder's ID number
FOREIGN_PASSPORT = "foreign_passport"  # 外国人护照
DOCUMENT_TYPES = (
    RESIDENT_ID,
    HMT_RESIDENCE,
    FOREIGN_PERMANENT,
    SOCIAL_SECURITY_CARD,
    FOREIGN_PASSPORT,
)

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
# Province-level codes of the mainland (GB/T 2260); 81–83 are Hong Kong, Macao and Taiwan.
MAINLAND_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65"
    .split()
)
HMT_PREFIXES = ("810000", "820000", "830000")
EARLIEST_BIRTH = date(1880, 1, 1)  # GB 11643's own worked example is born in 1880


def N_(message: str) -> str:
    """Marks a msgid for Babel's extractor without translating it here."""
    return message


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class IdCheck:
    ok: bool
    document_type: str
    number: str | None
    birth_date: date | None
    sex: str | None
    problems: tuple[Problem, ...]
    nationality: str | None = None


def normalize(number: str) -> str:
    """Full-width to ASCII, drop spaces and hyphens, upper-case (people type 'x' and '-')."""
    text = unicodedata.normalize("NFKC", number or "")
    return re.sub(r"[\s\-‐‑–—_]", "", text).upper()


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character over the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def mask(number: str) -> str:
    """Keep the first 6 and last 4 characters (security.md); short numbers keep 2 and 2."""
    if not number:
        return ""
    keep_start, keep_end = (6, 4) if len(number) > 10 else (2, 2)
    if len(number) <= keep_start + keep_end:
        return number[:1] + "*" * (len(number) - 1)
    return number[:keep_start] + "*" * (len(number) - keep_start - keep_end) + number[-keep_end:]


def mask_phone(phone: str) -> str:
    """Mobile numbers keep the first 3 and last 4 digits, as Chinese services show them."""
    digits = normalize(phone or "")
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def compose_resident_id(region_code: str, birth_date: date, sequence: int) -> str:
    """A valid 18-character number, for synthetic demo and test people."""
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def validate(
    document_type: str,
    number: str,
    *,
    nationality: str | None = None,
    today: date | None = None,
) -> IdCheck:
    today = today or date.today()
    value = normalize(number)
    if document_type not in DOCUMENT_TYPES:
        return _fail(document_type, "unknown_type", N_("Choose a type of identity document."))
    if not value:
        return _fail(document_type, "empty", N_("Enter the document number."))
    if document_type in (RESIDENT_ID, SOCIAL_SECURITY_CARD):
        return _eighteen_digit(document_type, value, today, _mainland_region)
    if document_type == HMT_RESIDENCE:
        return _eighteen_digit(document_type, value, today, _hmt_region)
    if document_type == FOREIGN_PERMANENT:
        return _foreign_permanent(value, today)
    return _passport(value, nationality)


def _fail(document_type, code, message, **params) -> IdCheck:
    return IdCheck(False, document_type, None, None, None, (Problem(code, message, params),))


def _mainland_region(value: str) -> Problem | None:
    if value[:2] not in MAINLAND_PROVINCES:
        return Problem(
            "region",
            N_("The first digits %(region)s are not a mainland province code. "
               "Please check the number."),
            {"region": value[:6]},
        )
    return None


def _hmt_region(value: str) -> Problem | None:
    if value[:6] not in HMT_PREFIXES:
        return Problem(
            "hmt_prefix",
            N_("A residence permit number for Hong Kong, Macao or Taiwan residents starts with "
               "810000, 820000 or 830000."),
        )
    return None


def _eighteen_digit(document_type, value, today, region_rule, birth_slice=slice(6, 14)) -> IdCheck:
    """The GB 11643 structure shared by ID cards, social security and HMT residence permits."""
    if len(value) != 18:
        return _fail(document_type, "length",
                     N_("This number has 18 characters; you entered %(found)s."),
                     found=len(value))
    if not (value[:17].isdigit() and (value[17].isdigit() or value[17] == "X")):
        return _fail(document_type, "characters",
                     N_("Use only digits; the last character may also be X."))
    problem = region_rule(value)
    if problem:
        return IdCheck(False, document_type, None, None, None, (problem,))
    born, problem = _birth_date(value[birth_slice], today)
    if problem:
        return IdCheck(False, document_type, None, None, None, (problem,))
    expected = check_character(value[:17])
    if value[17] != expected:
        return _fail(document_type, "check_character",
                     N_("The last character (check character) should be %(expected)s, not "
                        "%(found)s. Please check the number."),
                     expected=expected, found=value[17])
    sex = "M" if int(value[16]) % 2 else "F"
    return IdCheck(True, document_type, value, born, sex, ())


def _birth_date(digits: str, today: date) -> tuple[date | None, Problem | None]:
    shown = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None, Problem("birth_date",
                             N_("The date of birth %(date)s in the number is not a real date."),
                             {"date": shown})
    if born > today:
        return None, Problem("future_birth_date",
                             N_("The date of birth %(date)s in the number is in the future."),
                             {"date": shown})
    if born < EARLIEST_BIRTH:
        return None, Problem("birth_date",
                             N_("The date of birth %(date)s in the number is not a real date."),
                             {"date": shown})
    return born, None


def _foreign_permanent(value: str, today: date) -> IdCheck:
    """2023 format: 18 digits starting with 9 (province, nationality, birth date, check);
    2017 format: 3 letters of nationality + 12 digits with YYMMDD at positions 8–13."""
    if len(value) == 18:
        if value[0] != "9":
            return _fail(FOREIGN_PERMANENT, "characters",
                         N_("An 18-character permanent residence card number starts with 9."))
        return _eighteen_digit(FOREIGN_PERMANENT, value, today, lambda _v: None)
    if len(value) == 15:
        if not (value[:3].isalpha() and value[:3].isascii() and value[3:].isdigit()):
            return _fail(FOREIGN_PERMANENT, "characters",
                         N_("A 15-character permanent residence card number is 3 letters "
                            "followed by 12 digits."))
        yy, rest = int(value[7:9]), value[9:13]
        # Two-digit years: the most recent century that does not put the birth in the future.
        century = 2000 if f"{2000 + yy}{rest}" <= f"{today:%Y%m%d}" else 1900
        born, problem = _birth_date(f"{century + yy}{rest}", today)
        if problem:
            return IdCheck(False, FOREIGN_PERMANENT, None, None, None, (problem,))
        return IdCheck(True, FOREIGN_PERMANENT, value, born, None, (), nationality=value[:3])
    return _fail(FOREIGN_PERMANENT, "length",
                 N_("A permanent residence card number has 15 or 18 characters; you entered "
                    "%(found)s."),
                 found=len(value))


def _passport(value: str, nationality: str | None) -> IdCheck:
    country = normalize(nationality or "")
    if not (len(country) == 3 and country.isalpha() and country.isascii()) or country == "CHN":
        return _fail(FOREIGN_PASSPORT, "nationality",
                     N_("Enter the passport's nationality as a 3-letter code, for example USA."))
    if not (5 <= len(value) <= 20 and value.isalnum() and value.isascii()):
        return _fail(FOREIGN_PASSPORT, "characters",
                     N_("A passport number has 5 to 20 letters and digits."))
    return IdCheck(True, FOREIGN_PASSPORT, value, None, None, (), nationality=country)

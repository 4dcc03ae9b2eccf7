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


# The 56 ethnic groups (GB/T 3304), as people write them.
ETHNICITIES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 "
    "哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 "
    "达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 "
    "乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 鄂伦春族 赫哲族 "
    "门巴族 珞巴族 基诺族"
).split()


def normalize_ethnicity(text: str) -> str | None:
    """'汉' and '汉族' are the same answer; None when it is not one of the 56."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        return None
    if not value.endswith("族"):
        value += "族"
    return value if value in ETHNICITIES else None


# The middle dot of transliterated names (安娜·施密特) as people type it on different keyboards.
NAME_DOTS = str.maketrans({"•": "·", "‧": "·", "・": "·", "･": "·", "●": "·"})
NAME_JOINERS = "·- '"  # only between letters: 阿依古丽·买买提, Jean-Pierre, O'Neil


def normalize_name(text: str) -> str:
    value = unicodedata.normalize("NFKC", text or "").translate(NAME_DOTS)
    return " ".join(value.split())


def _name_letter(char: str) -> bool:
    """A Chinese character (any CJK ideograph block, 〇 included) or a Latin letter (with
    accents, for minority and foreign names written in Latin letters)."""
    if char == "〇":
        return True
    name = unicodedata.name(char, "")
    if name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")):
        return True
    return unicodedata.category(char) in ("Lu", "Ll") and name.startswith("LATIN")


def name_problem(text: str) -> str | None:
    """What a name on a Chinese identity document can contain: Chinese characters, the middle
    dot, and Latin letters with spaces, hyphens and apostrophes between them. Nothing else, so
    a name can never be a spreadsheet formula or markup."""
    value = normalize_name(text)
    if not value:
        return N_("Enter the name as it is on the new identity document")
    if len(value) > 60:
        return N_("A name is at most 60 characters")
    if not all(_name_letter(ch) or ch in NAME_JOINERS for ch in value):
        return N_("A name can only contain Chinese characters, the middle dot · and, for names "
                  "written in Latin letters, letters, spaces, hyphens and apostrophes")
    if not _joined_properly(value):
        return N_("Enter the name exactly as it is on the identity document")
    return None


def _joined_properly(value: str) -> bool:
    """Letters at both ends, and never two joiners (· space - ') side by side."""
    return _name_letter(value[0]) and _name_letter(value[-1]) and not any(
        a in NAME_JOINERS and b in NAME_JOINERS for a, b in zip(value, value[1:], strict=False))


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def bank_account_problem(text: str) -> str | None:
    """The social security card's bank account (UnionPay): 16 to 19 digits with a valid
    check digit (Luhn)."""
    value = re.sub(r"\s", "", unicodedata.normalize("NFKC", text or ""))
    if not value:
        return N_("Enter the bank account number of your social security card")
    if not value.isdigit() or not 16 <= len(value) <= 19:
        return N_("A bank account number has 16 to 19 digits")
    if not luhn_ok(value):
        return N_("This bank account number is not valid. Check each digit on your card")
    return None


def normalize_bank_account(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or ""))


def mask_bank_account(value: str) -> str:
    return value[:4] + " **** **** " + value[-4:] if len(value) >= 8 else "****"

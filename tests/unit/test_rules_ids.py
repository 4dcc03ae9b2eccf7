"""Identity documents of 第六十七条 (domain.md: identity documents)."""

from datetime import date

import pytest

from portal.rules import ids

TODAY = date(2026, 11, 24)


def check(kind, number, **kwargs):
    return ids.validate(kind, number, today=TODAY, **kwargs)


# --- 居民身份证 -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("number", "born", "sex"),
    [
        ("11010519491231002X", date(1949, 12, 31), "F"),  # GB 11643-1999 worked example
        ("440524188001010014", date(1880, 1, 1), "M"),  # GB 11643-1999 worked example
        ("539901198106170221", date(1981, 6, 17), "F"),
        ("539901196612090313", date(1966, 12, 9), "M"),
    ],
)
def test_valid_resident_ids_give_birth_date_and_sex(number, born, sex):
    result = check(ids.RESIDENT_ID, number)
    assert result.ok and result.problems == ()
    assert (result.number, result.birth_date, result.sex) == (number, born, sex)


@pytest.mark.parametrize("typed", [
    "11010519491231002x", "110105 19491231 002X", "110105-19491231-002X",
    "１１０１０５１９４９１２３１００２Ｘ", " 11010519491231002X\t",
])
def test_input_is_normalised(typed):
    result = check(ids.RESIDENT_ID, typed)
    assert result.ok and result.number == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "code", "params"),
    [
        ("1101051949123100", "length", {"found": 16}),
        ("11010519491231002XX", "length", {"found": 19}),
        ("1101051949123100X2", "characters", {}),
        ("11010519491231A02X", "characters", {}),
        ("91010519491231002X", "region", {"region": "910105"}),
        ("810000197902271130", "region", {"region": "810000"}),  # HMT prefix is not an ID card
        ("110105194902300028", "birth_date", {"date": "1949-02-30"}),
        ("110105194913010028", "birth_date", {"date": "1949-13-01"}),
        ("110105187912310028", "birth_date", {"date": "1879-12-31"}),
        ("110105202712010028", "future_birth_date", {"date": "2027-12-01"}),
        ("110105194912310021", "check_character", {"expected": "X", "found": "1"}),
        ("440524188001010015", "check_character", {"expected": "4", "found": "5"}),
    ],
)
def test_each_rejection_names_what_is_wrong(number, code, params):
    result = check(ids.RESIDENT_ID, number)
    assert not result.ok and result.number is None
    (problem,) = result.problems
    assert problem.code == code
    assert problem.params == params
    assert problem.message % problem.params  # the English text fills in cleanly


def test_future_birth_date_depends_on_today():
    number = ids.compose_resident_id("539901", date(2026, 11, 25), 12)
    assert not check(ids.RESIDENT_ID, number).ok
    assert ids.validate(ids.RESIDENT_ID, number, today=date(2026, 11, 25)).ok


@pytest.mark.parametrize("first17, expected", [
    ("11010519491231002", "X"), ("44052418800101001", "4"), ("53990119940308011", "2"),
])
def test_check_character(first17, expected):
    assert ids.check_character(first17) == expected


def test_every_check_character_value_is_reachable():
    seen = {ids.check_character(f"11010519900101{n:03d}") for n in range(200)}
    assert seen == set("0123456789X")


def test_compose_makes_valid_numbers():
    for sequence in (0, 1, 998, 999):
        number = ids.compose_resident_id("539901", date(1970, 2, 28), sequence)
        result = check(ids.RESIDENT_ID, number)
        assert result.ok and result.birth_date == date(1970, 2, 28)
        assert result.sex == ("M" if sequence % 2 else "F")


# --- 社会保障卡 (its number is the holder's ID number, 社会保险法 第五十八条) --------------------

def test_social_security_card_is_checked_as_the_id_number():
    result = check(ids.SOCIAL_SECURITY_CARD, "11010519491231002X")
    assert result.ok and result.document_type == ids.SOCIAL_SECURITY_CARD
    assert result.sex == "F" and result.birth_date == date(1949, 12, 31)
    assert check(ids.SOCIAL_SECURITY_CARD, "110105194912310021").problems[0].code == (
        "check_character")


# --- 港澳台居民居住证 ------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["810000", "820000", "830000"])
def test_hmt_residence_permits(prefix):
    number = ids.compose_resident_id(prefix, date(1979, 2, 27), 113)
    result = check(ids.HMT_RESIDENCE, number)
    assert result.ok and result.sex == "M" and result.birth_date == date(1979, 2, 27)


@pytest.mark.parametrize("prefix", ["110105", "810001", "840000"])
def test_hmt_permit_with_other_prefix_is_refused(prefix):
    number = ids.compose_resident_id(prefix, date(1979, 2, 27), 113)
    assert check(ids.HMT_RESIDENCE, number).problems[0].code == "hmt_prefix"


def test_hmt_permit_check_character():
    number = ids.compose_resident_id("830000", date(1979, 2, 27), 113)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert check(ids.HMT_RESIDENCE, wrong).problems[0].code == "check_character"


# --- 外国人永久居留身份证 --------------------------------------------------------------------

def test_permanent_residence_2023_format():
    first17 = "95327619800704012"
    number = first17 + ids.check_character(first17)
    result = check(ids.FOREIGN_PERMANENT, number)
    assert result.ok and result.birth_date == date(1980, 7, 4) and result.sex == "F"


@pytest.mark.parametrize(("number", "code"), [
    ("853276198007040128", "characters"),  # 18 characters must start with 9
    ("953276198007040129", "check_character"),
    ("953276198002300128", "birth_date"),
    ("9532761980070401", "length"),
])
def test_permanent_residence_2023_rejections(number, code):
    assert check(ids.FOREIGN_PERMANENT, number).problems[0].code == code


@pytest.mark.parametrize(("number", "born"), [
    ("USA110087062512", date(1987, 6, 25)),
    ("DEU530010070412", date(2010, 7, 4)),
    ("usa 1100 8706 2512", date(1987, 6, 25)),
])
def test_permanent_residence_2017_format(number, born):
    result = check(ids.FOREIGN_PERMANENT, number)
    assert result.ok and result.birth_date == born and result.sex is None
    assert result.nationality == number[:3].upper()


def test_two_digit_year_never_lands_in_the_future():
    result = check(ids.FOREIGN_PERMANENT, "GBR110026120112")  # YYMMDD 261201
    assert result.ok and result.birth_date == date(1926, 12, 1)


@pytest.mark.parametrize(("number", "code"), [
    ("US1110087062512", "characters"),
    ("USA11008706251A", "characters"),
    ("USA110087022912", "birth_date"),  # 1987-02-29 does not exist
    ("USA1100870625", "length"),
])
def test_permanent_residence_2017_rejections(number, code):
    assert check(ids.FOREIGN_PERMANENT, number).problems[0].code == code


# --- 外国人护照 -----------------------------------------------------------------------------

def test_passport_needs_nationality_and_shape():
    result = check(ids.FOREIGN_PASSPORT, "e1234 5678", nationality="usa")
    assert result.ok and result.number == "E12345678" and result.nationality == "USA"
    assert result.birth_date is None and result.sex is None


@pytest.mark.parametrize(("number", "nationality", "code"), [
    ("E12345678", None, "nationality"),
    ("E12345678", "US", "nationality"),
    ("E12345678", "CHN", "nationality"),  # a Chinese citizen does not use a foreign passport
    ("E123", "USA", "characters"),
    ("E1234567890123456789X", "USA", "characters"),
    ("E1234#678", "USA", "characters"),
])
def test_passport_rejections(number, nationality, code):
    assert check(ids.FOREIGN_PASSPORT, number, nationality=nationality).problems[0].code == code


# --- general --------------------------------------------------------------------------------

def test_unknown_type_and_empty_number():
    assert check("driving_licence", "123").problems[0].code == "unknown_type"
    assert check(ids.RESIDENT_ID, "  - ").problems[0].code == "empty"


@pytest.mark.parametrize(("number", "masked"), [
    ("11010519491231002X", "110105********002X"),
    ("USA110087062512", "USA110*****2512"),
    ("E12345678", "E1*****78"),
    ("", ""),
])
def test_mask_keeps_first_six_and_last_four(number, masked):
    assert ids.mask(number) == masked


@pytest.mark.parametrize(("phone", "masked"), [
    ("13800000002", "138****0002"), ("138 0000 0002", "138****0002"), ("", ""),
])
def test_mask_phone(phone, masked):
    assert ids.mask_phone(phone) == masked


"""Short, unforgeable verification tokens printed as QR codes on statements (第十九条).

A token is an issued statement's id (base 36) followed by a MAC of that id (the first 12 bytes of
HMAC-SHA256 under SECRET_KEY, base64url, 16 characters): at most 24 characters, so the QR code of
a whole verification address stays small (version 4, 33×33 modules, for a typical host name). What
the check page may show (masked name, issue date, period, closing balance) is stored with the
statement (models.IssuedStatement), never carried in the token; the token only names it. Guessing a
token means guessing a 96-bit MAC; a token is refused without a database look-up when its MAC is
wrong.

Statements printed before this change carry the first design's long signed token (itsdangerous,
~120 characters); those still verify, from what they carry, until STATEMENT_VERIFY_DAYS after they
were issued, so nothing already printed becomes "forged". `legacy_issue` remains only so that tests
can print such a statement.
"""

import base64
import hashlib
import hmac
from datetime import date, timedelta
from functools import cache, lru_cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from ..models import IssuedStatement
from ..rules.dates import china_today

MAC_BYTES = 12
MAC_CHARS = 16  # base64url of 12 bytes, no padding
MAX_TOKEN_CHARS = 24
LEGACY_SALT = "statement-verification-v1"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


class Forged(ValueError):
    pass


class Expired(ValueError):
    pass


@lru_cache(maxsize=8)
def _mac_key(secret: str) -> bytes:
    return hashlib.sha256(b"statement-verification-v2:" + secret.encode()).digest()


def _mac(statement_id: int) -> str:
    # Every view of a statement checks its stored address against this: the key derived once
    # per secret, and hmac.digest (one C call) instead of hmac.new(…).digest().
    digest = hmac.digest(_mac_key(current_app.config["SECRET_KEY"]), str(statement_id).encode(),
                         "sha256")[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode()


def _base36(number: int) -> str:
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = _DIGITS[digit] + text
        if not number:
            return text


def token_for(statement_id: int) -> str:
    token = _base36(statement_id) + _mac(statement_id)
    if len(token) > MAX_TOKEN_CHARS:  # 36^8 ≈ 2.8 × 10^12 statements first
        raise OverflowError("statement id too large for a short token")
    return token


def statement_id_of(token: str) -> int:
    """The statement id a token names, or Forged when its MAC is not ours."""
    if not (MAC_CHARS < len(token) <= MAX_TOKEN_CHARS):
        raise Forged()
    head, mac = token[:-MAC_CHARS], token[-MAC_CHARS:]
    if any(c not in _DIGITS for c in head) or (len(head) > 1 and head[0] == "0"):
        raise Forged()
    statement_id = int(head, 36)
    if not hmac.compare_digest(mac, _mac(statement_id)):
        raise Forged()
    return statement_id


def expired(issued_on: date) -> bool:
    return china_today() > issued_on + timedelta(days=current_app.config["STATEMENT_VERIFY_DAYS"])


def read(token: str) -> dict:
    """What the check page shows: a = account id, n = masked name, p = period ("2025" or "all"),
    c = closing balance in fen, d = issue date (ISO)."""
    if len(token) > MAX_TOKEN_CHARS:
        return _read_legacy(token)
    found = db.session.get(IssuedStatement, statement_id_of(token))
    if found is None:  # a MAC of ours on an id we never issued: only with our key
        raise Forged()
    if expired(found.issued_on):
        raise Expired()
    return {"a": found.account_id, "n": found.masked_name, "p": found.period,
            "c": found.closing_fen, "d": found.issued_on.isoformat()}


def _legacy_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LEGACY_SALT)


def _read_legacy(token: str) -> dict:
    max_age = current_app.config["STATEMENT_VERIFY_DAYS"] * 24 * 3600
    try:
        return _legacy_serializer().loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise Expired() from error
    except BadSignature as error:
        raise Forged() from error


def legacy_issue(*, account_id: int, masked_name: str, period: str, closing_fen: int,
                 issued_on: date) -> str:
    """The first design's token, as printed on statements before the short tokens."""
    return _legacy_serializer().dumps({"a": account_id, "n": masked_name, "p": period,
                                       "c": closing_fen, "d": issued_on.isoformat()})


# (address up to the token, its length) → (mask, version)
_MASKS: dict[tuple[str, int], tuple[int, int]] = {}


def _qr_modules(url: str, mask: int | None = None, version: int | None = None
                ) -> list[list[bool]]:
    """The code's modules. Without a `version` qrcode finds the smallest that holds `url`,
    which it works out twice per code (a quarter of the drawing)."""
    import qrcode

    code = qrcode.QRCode(version=version, border=0,
                         error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=mask)
    code.add_data(url)
    if version is not None and [chunk.mode for chunk in code.data_list] == [_BYTE_MODE]:
        # qrcode places these codewords as it would its own (it uses them when given).
        code.data_cache = _codewords(code.data_list[0].data, version)
    code.make(fit=version is None)
    return code.get_matrix()


# The codewords of a byte-mode QR code at level M, worked out here rather than by qrcode: its
# Reed–Solomon step divides polynomials of Python objects and its bit buffer takes one call per
# bit, two thirds of drawing a code. Same arithmetic (ISO/IEC 18004 §7.4–7.5: GF(256) with the
# polynomial x⁸+x⁴+x³+x²+1, the standard generator polynomials), done with log tables; a test
# compares every codeword with qrcode's on random addresses of every length and version used.
_BYTE_MODE = 4
_EXP = [0] * 510  # α^i for i < 510: a product's exponent is at most 254 + 254
_LOG = [0] * 256
_value = 1
for _power in range(255):
    _EXP[_power] = _EXP[_power + 255] = _value
    _LOG[_value] = _power
    _value <<= 1
    if _value & 0x100:
        _value ^= 0x11D


@cache
def _generator_logs(degree: int) -> tuple[int, ...]:
    """log α of the coefficients after the leading 1 of (x − α⁰)(x − α¹)…(x − α^(degree−1))."""
    poly = [1]
    for i in range(degree):
        product = poly + [0]
        for j, coefficient in enumerate(poly):
            if coefficient:
                product[j + 1] ^= _EXP[_LOG[coefficient] + i]
        poly = product
    return tuple(_LOG[coefficient] for coefficient in poly[1:])


def _error_correction(data: list[int], degree: int) -> list[int]:
    """The remainder of data · x^degree divided by the generator polynomial."""
    logs = _generator_logs(degree)
    remainder = [0] * degree
    for byte in data:
        factor = byte ^ remainder.pop(0)
        remainder.append(0)
        if factor:
            shift = _LOG[factor]
            for i, log in enumerate(logs):
                remainder[i] ^= _EXP[shift + log]
    return remainder


def _codewords(data: bytes, version: int) -> list[int]:
    """Data and error-correction codewords, interleaved by block, of `data` in byte mode."""
    from qrcode import base, constants
    from qrcode.exceptions import DataOverflowError

    blocks = base.rs_blocks(version, constants.ERROR_CORRECT_M)
    capacity = sum(block.data_count for block in blocks)
    count_bits = 8 if version < 10 else 16
    bits = 4 + count_bits + 8 * len(data)
    if bits > capacity * 8:
        raise DataOverflowError(f"{bits} bits do not fit in version {version}")
    value = ((_BYTE_MODE << count_bits | len(data)) << 8 * len(data)) | int.from_bytes(data)
    terminator = min(4, capacity * 8 - bits)
    padding = -(bits + terminator) % 8
    value <<= terminator + padding
    stream = list(value.to_bytes((bits + terminator + padding) // 8))
    stream += [0xEC, 0x11] * ((capacity - len(stream)) // 2 + 1)
    stream = stream[:capacity]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        data_blocks.append(stream[offset:offset + block.data_count])
        offset += block.data_count
        ec_blocks.append(_error_correction(data_blocks[-1], block.total_count - block.data_count))
    return [block[column] for group in (data_blocks, ec_blocks)
            for column in range(max(len(block) for block in group))
            for block in group if column < len(block)]


def _version_for(modules: list) -> int:
    return (len(modules) - 17) // 4  # a version-v code is 4v + 17 modules wide


def _mask_for(url: str) -> tuple[int, int]:
    """The QR mask pattern for verification addresses shaped like `url`. An encoder picks the
    mask whose penalty (ISO/IEC 18004: runs, blocks, finder-like patterns, dark share) is lowest;
    qrcode does that by drawing the code eight times, 4 of the 5 ms a statement's first view
    spent on its QR. Every address differs only in its token, so the mask that scores best on
    average over a few sample tokens of the same length is chosen once per portal address and
    process (~40 ms), and each code is then drawn once. Any of the eight masks decodes the same
    (the code says which one it uses); on random tokens the chosen mask's penalty was on average
    3–9 % above that of the best mask for each token. The version (size) is the one the samples
    need: the same for every address of that length."""
    from qrcode import util

    head, _, token = url.rpartition("/")
    key = (head, len(token))
    if key not in _MASKS:
        samples = [head + "/" + base64.urlsafe_b64encode(
            hashlib.sha256(b"mask sample %d" % i).digest()).decode()[:len(token)]
            for i in range(4)]
        drawn = [[_qr_modules(sample, mask) for sample in samples] for mask in range(8)]
        penalties = [sum(util.lost_point(modules) for modules in codes) for codes in drawn]
        _MASKS[key] = (penalties.index(min(penalties)), _version_for(drawn[0][0]))
    return _MASKS[key]


def qr_svg(url: str) -> str:
    """The QR code of `url` as a compact inline SVG: one path, a horizontal stroke per run of
    dark modules (2–3 KB, against ~13 KB for qrcode's own SVG path of the same code). It is
    drawn once per issued statement (under 1 ms), never per page view."""
    from qrcode.exceptions import DataOverflowError

    mask, version = _mask_for(url)
    try:
        modules = _qr_modules(url, mask, version)
    except DataOverflowError:  # cannot happen for addresses of one length; never fail for it
        modules = _qr_modules(url, mask)
    size = len(modules)
    border = 2
    strokes = []
    for y, row in enumerate(modules):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                strokes.append(f"M{start + border} {y + border}.5h{x - start}")
            else:
                x += 1
    full = size + 2 * border
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {full} {full}" '
            f'width="{full * 8}" height="{full * 8}" role="img" aria-hidden="true" '
            f'focusable="false" shape-rendering="crispEdges">'
            f'<rect width="{full}" height="{full}" fill="#fff"/>'
            f'<path stroke="#000" d="{"".join(strokes)}"/></svg>')


def mask_name(name: str) -> str:
    """张桂兰 → 张*兰, 李明 → 李*: enough to recognise, not enough to identify."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]

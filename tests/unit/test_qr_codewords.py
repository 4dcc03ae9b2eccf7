"""The statement QR code's codewords (documents.verification._codewords) are qrcode's own: the
same data bits, padding, Reed–Solomon error correction and block interleaving, at level M, for
byte-mode data of every length a version holds (versions 1–12: one and several blocks, 8- and
16-bit length fields)."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from qrcode import base, constants, util
from qrcode.exceptions import DataOverflowError

from portal.documents.verification import _codewords, _qr_modules


def capacity_bytes(version: int) -> int:
    """How many data bytes fit: the data codewords less the mode and length fields."""
    blocks = base.rs_blocks(version, constants.ERROR_CORRECT_M)
    return sum(block.data_count for block in blocks) - (2 if version < 10 else 3)


def qrcode_codewords(data: bytes, version: int) -> list[int]:
    try:
        return util.create_data(version, constants.ERROR_CORRECT_M,
                                [util.QRData(data, mode=util.MODE_8BIT_BYTE, check_data=False)])
    except ValueError:  # qrcode's own division fails on a block that begins with a zero byte
        assume(False)


@settings(max_examples=300, deadline=None)
@given(version=st.integers(1, 12), data=st.data())
def test_codewords_equal_qrcodes_for_every_length_a_version_holds(version, data):
    length = data.draw(st.integers(0, capacity_bytes(version)))
    # What an address holds (qrcode's own division fails on a block starting with a 0 byte).
    payload = bytes(data.draw(st.lists(st.integers(0x21, 0x7E), min_size=length,
                                       max_size=length)))
    assert _codewords(payload, version) == qrcode_codewords(payload, version)


@pytest.mark.parametrize("version", [1, 4, 9, 10, 12])
def test_full_and_overfull_versions(version):
    full = bytes(range(0x21, 0x7F)) * 10
    full = full[:capacity_bytes(version)]
    assert _codewords(full, version) == qrcode_codewords(full, version)
    with pytest.raises(DataOverflowError):
        _codewords(full + b"x", version)


@settings(max_examples=60, deadline=None)
@given(token=st.text("abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                     min_size=1, max_size=24), mask=st.integers(0, 7))
def test_a_verification_code_is_drawn_module_for_module_as_qrcode_draws_it(token, mask):
    import qrcode

    url = "https://ylbx.example.gov.cn/verify/" + token
    code = qrcode.QRCode(border=0, error_correction=constants.ERROR_CORRECT_M,
                         mask_pattern=mask)
    code.add_data(url)
    code.make(fit=True)
    assert _qr_modules(url, mask, code.version) == code.get_matrix()

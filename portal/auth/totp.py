"""Time-based one-time passwords (RFC 6238, SHA-1, 30 s, 6 digits) for staff second factor."""

import base64
import hashlib
import hmac
import struct


def code_at(secret_b32: str, unix_time: float, step: int = 30, digits: int = 6) -> str:
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = struct.pack(">Q", int(unix_time // step))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"


def verify(secret_b32: str, code: str, unix_time: float, window: int = 1) -> bool:
    """Accept the current step and `window` steps either side (phone clocks drift)."""
    code = "".join(code.split())
    return any(
        hmac.compare_digest(code_at(secret_b32, unix_time + drift * 30), code)
        for drift in range(-window, window + 1)
    )

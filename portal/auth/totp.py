"""Time-based one-time passwords (RFC 6238, SHA-1, 30 s, 6 digits) for staff second factor."""

import base64
import hashlib
import hmac
import struct

STEP = 30


def code_at(secret_b32: str, unix_time: float, step: int = STEP, digits: int = 6) -> str:
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = struct.pack(">Q", int(unix_time // step))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"


def matching_step(secret_b32: str, code: str, unix_time: float, window: int = 1) -> int | None:
    """The time step whose code this is, looking `window` steps either side (phone clocks
    drift); None when it matches none. The caller accepts each step once per account."""
    code = "".join((code or "").split())
    for drift in range(-window, window + 1):
        moment = unix_time + drift * STEP
        if hmac.compare_digest(code_at(secret_b32, moment), code):
            return int(moment // STEP)
    return None


def verify(secret_b32: str, code: str, unix_time: float, window: int = 1) -> bool:
    return matching_step(secret_b32, code, unix_time, window) is not None

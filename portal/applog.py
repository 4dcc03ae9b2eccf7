"""Structured application logging: one JSON line per event, with the request id, the kind and id
of the user (resident:7, staff:3) and never an identity number (security.md: none in logs).

Each request gets an id (the proxy's X-Request-ID, or a new one) returned in the response, so a
resident quoting it on the helpline leads staff to the log lines of their request.
"""

import json
import logging
import re
import secrets
import sys
import time

from flask import g, has_request_context, request
from flask_login import current_user

# 居民身份证, residence permits and 2023 foreign permanent residence cards: 18 characters with
# the GB 11643 check character; bank card numbers: 16–19 digits with the Luhn check. Kept: the
# first 6 and the last 4, like every masked page. (An application reference is neither.)
CANDIDATE = re.compile(r"\b\d{15,18}[\dXx]\b")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _identity_number(text: str) -> bool:
    return len(text) == 18 and text[:17].isdigit() and \
        "10X98765432"[sum(int(d) * w for d, w in zip(text, WEIGHTS, strict=False)) % 11] \
        == text[17].upper()


def _bank_card(text: str) -> bool:
    if not text.isdigit() or not 16 <= len(text) <= 19:
        return False
    total = 0
    for index, digit in enumerate(reversed(text)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def redact(text: str) -> str:
    def mask(match):
        found = match.group(0)
        if _identity_number(found) or _bank_card(found):
            return f"{found[:6]}********{found[-4:]}"
        return found

    return CANDIDATE.sub(mask, text)


class JsonLines(logging.Formatter):
    _second = (None, "")  # the last second formatted: every request writes a line

    def _time(self, record: logging.LogRecord) -> str:
        second, text = self._second
        if second != int(record.created):
            text = self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
            self._second = (int(record.created), text)
        return text

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self._time(record), "level": record.levelname,
                "logger": record.name, "message": redact(record.getMessage())}
        if has_request_context():
            line["request_id"] = getattr(g, "request_id", None)
            line["path"] = request.path
            user = current_user._get_current_object()  # once, not through the proxy thrice
            line["user"] = user.get_id() if user and user.is_authenticated else None
        for key in ("status", "duration_ms", "method", "event"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


logger = logging.getLogger("portal")


def init_app(app) -> None:
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines())
        logger.addHandler(handler)
        logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
        logger.propagate = False

    @app.before_request
    def _start():
        # From the environ: Werkzeug's headers.get raises and catches inside when it is absent.
        g.request_id = (request.environ.get("HTTP_X_REQUEST_ID") or "")[:64] \
            or secrets.token_hex(8)
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = getattr(g, "request_id", "")
        if not request.path.startswith("/static/"):
            started = getattr(g, "request_started", time.perf_counter())
            if logger.isEnabledFor(logging.INFO):
                # Made directly rather than by logger.info, which walks the stack for the
                # caller's file and line on every request; the JSON line shows neither.
                logger.handle(logger.makeRecord(
                    logger.name, logging.INFO, "", 0, "request", (), None, extra={
                        "method": request.method, "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1)}))
        return response


def log_unexpected(error: BaseException) -> None:
    """Everything a blueprint does not handle as a domain refusal: logged with its request id."""
    logger.error("unhandled error", exc_info=(type(error), error, error.__traceback__),
                 extra={"event": "unhandled"})

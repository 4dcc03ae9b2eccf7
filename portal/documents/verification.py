"""Signed, non-guessable verification tokens printed as QR codes on statements (第十九条).

The token carries only what the public verification page may show: masked name, issue date,
period and closing balance, plus the account id to check the figure against the ledger.
"""

from datetime import date
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "statement-verification-v1"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def issue(*, account_id: int, masked_name: str, period: str, closing_fen: int,
          issued_on: date) -> str:
    """The same statement on the same day gets the same token, so its QR code is drawn once
    (drawing it is most of a statement page's time)."""
    return _issue(current_app.config["SECRET_KEY"], account_id, masked_name, period,
                  closing_fen, issued_on.isoformat())


@lru_cache(maxsize=4096)
def _issue(secret: str, account_id: int, masked_name: str, period: str, closing_fen: int,
           issued_on: str) -> str:
    serializer = URLSafeTimedSerializer(secret, salt=SALT)
    return serializer.dumps({"a": account_id, "n": masked_name, "p": period, "c": closing_fen,
                             "d": issued_on})


class Forged(ValueError):
    pass


class Expired(ValueError):
    pass


def read(token: str) -> dict:
    max_age = current_app.config["STATEMENT_VERIFY_DAYS"] * 24 * 3600
    try:
        return _serializer().loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise Expired() from error
    except BadSignature as error:
        raise Forged() from error


def mask_name(name: str) -> str:
    """张桂兰 → 张*兰, 李明 → 李*: enough to recognise, not enough to identify."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]

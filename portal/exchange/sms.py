"""The SMS gateway: the interface the outbox dispatcher sends through, the embedded one that only
logs (make run, tests) and an HTTP one for a real gateway (SMS_GATEWAY=http).

A gateway either accepts a message (returns its reference), refuses it for good (a wrong number:
`Refused`), or cannot take it now (`Unavailable`: the dispatcher tries again later).
"""

import logging
from typing import Protocol

import requests

logger = logging.getLogger("portal.sms")


class Unavailable(RuntimeError):
    """The gateway could not take the message now (down, busy, 5xx, 429): try again later."""


class Refused(RuntimeError):
    """The gateway refused this message for good (4xx): trying again would not help."""


class SmsGateway(Protocol):
    def send(self, *, message_id: int, phone: str, text: str) -> str:
        """Hand one message over; returns the gateway's reference for it."""


def masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


class LogGateway:
    """Embedded: writes a line per message (number masked, no text) and accepts it."""

    def send(self, *, message_id: int, phone: str, text: str) -> str:
        logger.info("sms %s to %s (%d characters)", message_id, masked(phone), len(text))
        return f"log-{message_id}"


class HttpGateway:
    """POSTs `{"id", "to", "text"}` as JSON to the gateway's URL with a bearer token. The outbox
    id travels as `Idempotency-Key`, so a gateway that keeps them never sends one message twice
    even if an answer is lost on the way back."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0,
                 session: requests.Session | None = None):
        self.url = url
        self.token = token
        self.timeout = timeout
        self.http = session or requests.Session()

    def send(self, *, message_id: int, phone: str, text: str) -> str:
        headers = {"Idempotency-Key": f"outbox-{message_id}"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            answer = self.http.post(self.url, json={"id": message_id, "to": phone, "text": text},
                                    headers=headers, timeout=self.timeout)
        except requests.RequestException as error:
            raise Unavailable(type(error).__name__) from error
        if answer.status_code == 429 or answer.status_code >= 500:
            raise Unavailable(f"HTTP {answer.status_code}")
        if answer.status_code >= 400:
            raise Refused(f"HTTP {answer.status_code}: {answer.text[:120]}")
        try:
            reference = answer.json().get("id")
        except (ValueError, AttributeError):
            reference = None
        return str(reference or f"http-{message_id}")[:80]


def gateway_from_config(config) -> SmsGateway:
    if config["SMS_GATEWAY"] == "http":
        return HttpGateway(config["SMS_GATEWAY_URL"], config.get("SMS_GATEWAY_TOKEN"),
                           timeout=config["SMS_GATEWAY_TIMEOUT_SECONDS"])
    return LogGateway()

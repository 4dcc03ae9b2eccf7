"""The outbox dispatcher (issue 19): SMS go to the gateway with retries and exponential backoff,
each at most once even with two dispatchers at once; the HTTP gateway against a small server on
127.0.0.1. Each test sends only its own kind of message (the database is shared)."""

import itertools
import json
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from portal.exchange.sms import HttpGateway, LogGateway, Refused, Unavailable
from portal.extensions import db
from portal.models import OutboxMessage, utcnow
from portal.operations.notify import queue_sms
from portal.operations.outbox import claim, dispatch

_kinds = itertools.count(1)


def messages(count: int) -> tuple[str, list[int]]:
    kind = f"test_sms_{next(_kinds)}"
    ids = [queue_sms(phone=f"1390000{n:04d}", body=f"[测试] 第{n}条", kind=kind).id
           for n in range(count)]
    db.session.commit()
    return kind, ids


def state(message_id: int) -> OutboxMessage:
    return db.session.scalar(select(OutboxMessage).filter_by(id=message_id)
                             .execution_options(populate_existing=True))


class FlakyGateway:
    """Cannot take the first `failures` tries of each message, then accepts."""

    def __init__(self, failures=0, refuse=False, delay=0.0):
        self.failures, self.refuse, self.delay = failures, refuse, delay
        self.tries = Counter()
        self.sent = []
        self.lock = threading.Lock()

    def send(self, *, message_id, phone, text):
        time.sleep(self.delay)
        with self.lock:
            self.tries[message_id] += 1
            if self.refuse:
                raise Refused("HTTP 400: no such number")
            if self.tries[message_id] <= self.failures:
                raise Unavailable("HTTP 503")
            self.sent.append(message_id)
        return f"gw-{message_id}"


def test_a_message_the_gateway_cannot_take_is_tried_again_later_and_sent_once(app_context):
    kind, [message_id] = messages(1)
    gateway = FlakyGateway(failures=2)
    start = utcnow()
    options = {"kinds": (kind,), "base_seconds": 30, "cap_seconds": 3600, "max_attempts": 6}

    assert dispatch(gateway, now=start, **options)["retry"] == 1
    first = state(message_id)
    assert (first.status, first.attempts, first.last_error) == ("pending", 1, "HTTP 503")
    assert first.next_attempt_at == start + timedelta(seconds=30)
    # Not due yet: nothing is tried.
    assert dispatch(gateway, now=start + timedelta(seconds=29), **options)["retry"] == 0
    assert gateway.tries[message_id] == 1

    later = start + timedelta(seconds=30)
    dispatch(gateway, now=later, **options)
    second = state(message_id)
    assert (second.attempts, second.next_attempt_at) == (2, later + timedelta(seconds=60))

    assert dispatch(gateway, now=later + timedelta(seconds=60), **options)["sent"] == 1
    sent = state(message_id)
    assert (sent.status, sent.attempts, sent.gateway_ref, sent.claimed_by) == (
        "sent", 3, f"gw-{message_id}", None)
    assert sent.sent_at is not None
    # Sent is sent: later runs never send it again.
    dispatch(gateway, now=later + timedelta(days=1), **options)
    assert gateway.sent == [message_id]


def test_after_the_last_try_a_message_is_failed_and_left_alone(app_context):
    kind, [message_id] = messages(1)
    gateway = FlakyGateway(failures=99)
    moment = utcnow()
    for _ in range(3):
        dispatch(gateway, now=moment, kinds=(kind,), max_attempts=3, base_seconds=1,
                 cap_seconds=1)
        moment += timedelta(seconds=2)
    assert (state(message_id).status, state(message_id).attempts) == ("failed", 3)
    dispatch(gateway, now=moment + timedelta(days=1), kinds=(kind,), max_attempts=3)
    assert gateway.tries[message_id] == 3


def test_a_refused_message_is_not_tried_again(app_context):
    kind, [message_id] = messages(1)
    gateway = FlakyGateway(refuse=True)
    assert dispatch(gateway, kinds=(kind,))["failed"] == 1
    dispatch(gateway, kinds=(kind,))
    assert gateway.tries[message_id] == 1
    assert state(message_id).last_error.startswith("HTTP 400")


def test_a_dispatcher_claims_no_more_than_its_batch(app_context):
    kind, ids = messages(5)
    a, b = f"a-{kind}", f"b-{kind}"
    assert [m.id for m in claim(a, utcnow(), 2, (kind,))] == ids[:2]
    assert [m.id for m in claim(b, utcnow(), 2, (kind,))] == ids[2:4]
    assert [state(i).claimed_by for i in ids] == [a, a, b, b, None]


def test_a_message_claimed_by_one_dispatcher_is_never_sent_by_another(app_context):
    kind, [message_id] = messages(1)
    assert [m.id for m in claim(f"a-{kind}", utcnow(), 10, (kind,))] == [message_id]
    gateway = FlakyGateway()
    assert dispatch(gateway, kinds=(kind,))["sent"] == 0
    assert gateway.tries[message_id] == 0 and state(message_id).status == "sending"
    # A dispatcher that died with it leaves it for a person to check: counted, not resent.
    long_ago = utcnow() + timedelta(minutes=11)
    assert dispatch(gateway, now=long_ago, kinds=(kind,))["stuck"] >= 1
    assert gateway.tries[message_id] == 0


def test_two_dispatchers_at_once_send_each_message_exactly_once(app):
    """Two dispatchers (threads with their own sessions and connections) drain the same 30
    messages with a slow gateway: every message goes out, none twice."""
    with app.app_context():
        kind, ids = messages(30)
        db.session.remove()
    gateway = FlakyGateway(delay=0.02)
    counts = []
    together = threading.Barrier(2)

    def dispatcher():
        with app.app_context():
            db.session.execute(select(1))  # connected, so both start at the same moment
            together.wait(30)
            counts.append(dispatch(gateway, kinds=(kind,), batch=4))
            db.session.remove()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(gateway.sent) == sorted(ids)
    assert max(gateway.tries.values()) == 1
    assert sum(c["sent"] for c in counts) == 30
    assert all(c["sent"] > 0 for c in counts), f"one dispatcher did everything: {counts}"
    with app.app_context():
        assert {state(i).status for i in ids} == {"sent"}
        db.session.remove()


def test_an_sms_shown_in_the_message_centre_is_sent_once_and_stays_there(app_context):
    """The yearly statement notice is one row per account (issue 19): an SMS marked `in_app`.
    The dispatcher sends it like any SMS; the resident's message centre shows it throughout."""
    from portal import queries
    from portal.models import Person

    person = Person(id_type="resident_id", id_number=f"X{next(_kinds):017d}", name="合并",
                    birth_date=utcnow().date())
    db.session.add(person)
    db.session.flush()
    kind, [message_id] = messages(1)
    db.session.get(OutboxMessage, message_id).person_id = person.id
    db.session.get(OutboxMessage, message_id).in_app = True
    db.session.commit()
    assert [m.id for m in queries.in_app_messages(person.id)] == [message_id]
    gateway = FlakyGateway(failures=1)
    moment = utcnow()
    dispatch(gateway, now=moment, kinds=(kind,), base_seconds=1, cap_seconds=1)
    dispatch(gateway, now=moment + timedelta(seconds=2), kinds=(kind,), base_seconds=1)
    dispatch(gateway, now=moment + timedelta(days=1), kinds=(kind,))
    assert gateway.sent == [message_id] and gateway.tries[message_id] == 2
    assert state(message_id).status == "sent"
    assert [m.id for m in queries.in_app_messages(person.id)] == [message_id]


def test_the_log_gateway_writes_no_number_and_no_text(caplog):
    import logging

    logger = logging.getLogger("portal.sms")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="portal.sms"):
            assert LogGateway().send(message_id=7, phone="13812345678", text="验证码 123456") == \
                "log-7"
    finally:
        logger.removeHandler(caplog.handler)
    assert "138****5678" in caplog.text
    assert "13812345678" not in caplog.text and "123456" not in caplog.text


@pytest.fixture
def sms_server():
    """A gateway on 127.0.0.1 that answers from a script of status codes and keeps requests."""
    received, script = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"body": body, "headers": dict(self.headers)})
            status = script.pop(0) if script else 200
            answer = json.dumps({"id": f"gw{body['id']}"} if status == 200 else
                                {"error": "busy"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", received, script
    server.shutdown()


def test_the_http_gateway_retries_a_busy_server_and_sends_once(app_context, sms_server):
    url, received, script = sms_server
    script.extend([503, 429])
    kind, [message_id] = messages(1)
    gateway = HttpGateway(url, token="secret-token", timeout=5)
    moment = utcnow()
    for _ in range(3):
        dispatch(gateway, now=moment, kinds=(kind,), base_seconds=1, cap_seconds=10)
        moment += timedelta(seconds=10)
    assert len(received) == 3
    request = received[-1]
    assert request["body"] == {"id": message_id, "to": "13900000000", "text": "[测试] 第0条"}
    assert request["headers"]["Authorization"] == "Bearer secret-token"
    assert {r["headers"]["Idempotency-Key"] for r in received} == {f"outbox-{message_id}"}
    sent = state(message_id)
    assert (sent.status, sent.attempts, sent.gateway_ref) == ("sent", 3, f"gw{message_id}")


def test_the_http_gateway_tells_refusals_from_outages(sms_server):
    url, _received, script = sms_server
    script.append(400)
    with pytest.raises(Refused):
        HttpGateway(url).send(message_id=1, phone="13900000000", text="x")
    script.append(500)
    with pytest.raises(Unavailable):
        HttpGateway(url).send(message_id=1, phone="13900000000", text="x")
    with pytest.raises(Unavailable):  # nobody listening
        HttpGateway("http://127.0.0.1:9/sms", timeout=2).send(message_id=1,
                                                              phone="13900000000", text="x")

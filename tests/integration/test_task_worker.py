"""Real Celery workers against Redis (issue 19): two worker processes on the test database take
jobs the portal sends with `enqueue`; the same month's payment run sent to both at once is built
once.

The workers listen on a queue of this run's own (its name is also the prefix of every key in
Redis), so test runs sharing one Redis never see each other's jobs; the keys are removed after.
Skipped, saying so, only when no Redis answers at TEST_REDIS_URL.
"""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import create_app, jobs
from portal.extensions import db
from portal.models import AuditRecord, JobRun, PaymentRun

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90


def redis_or_skip():
    import redis

    store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        store.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL} ({error}); set TEST_REDIS_URL to run the workers")
    return store


def wait_for(condition, what: str, logs=()):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    tails = "\n".join(f"--- {log}:\n{Path(log).read_text()[-3000:]}" for log in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


@pytest.fixture(scope="module")
def workers(app, tmp_path_factory):
    """Two `celery worker` processes (solo pool, one job at a time each) on a queue of their
    own, and a portal app that sends to it."""
    store = redis_or_skip()
    queue = f"portal-test-{uuid.uuid4().hex[:10]}"
    env = os.environ | {
        "INSTANCE_PATH": app.instance_path, "DATABASE_URL": app.config["DATABASE_URL"],
        "EXTERNAL_URL": app.config["EXTERNAL_URL"], "TASK_BROKER_URL": REDIS_URL,
        "TASK_QUEUE": queue, "PORTAL_ENV": "development", "PYTHONUNBUFFERED": "1"}
    logs = [tmp_path_factory.mktemp("workers") / f"worker{n}.log" for n in (1, 2)]
    processes = []
    for number, log in enumerate(logs, start=1):
        with log.open("w") as output:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal.worker", "worker",
                 "--pool", "solo", "--loglevel", "info", "--hostname", f"w{number}-{queue}@%h",
                 "--without-mingle", "--without-gossip", "--without-heartbeat"],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT))
    sender = create_app({"INSTANCE_PATH": app.instance_path,
                         "DATABASE_URL": app.config["DATABASE_URL"],
                         "EXTERNAL_URL": app.config["EXTERNAL_URL"], "TESTING": True,
                         "TASK_BROKER_URL": REDIS_URL, "TASK_QUEUE": queue})
    try:
        wait_for(lambda: all(" ready." in log.read_text() for log in logs),
                 "both workers to start", logs)
        yield sender, logs
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        engine = sender.extensions.get("portal_celery")
        if engine is not None:
            engine.close()
        sender.extensions["portal_engine"].dispose()
        for key in store.scan_iter(match=f"{queue}:*"):
            store.delete(key)


def outcomes(logs, task_ids) -> dict[str, list[str]]:
    """log file → the statuses of our tasks it finished, from Celery's `succeeded` lines."""
    found = {}
    for log in logs:
        text = log.read_text()
        found[log.name] = [status for task_id, status in re.findall(
            r"\[([0-9a-f-]{36})\] succeeded in [^:]+: \{'status': '(\w+)'", text)
            if task_id in task_ids]
    return found


def count(model, **where) -> int:
    return db.session.scalar(select(func.count(model.id)).filter_by(**where))


def test_a_worker_runs_what_the_portal_enqueues(workers, app):
    sender, logs = workers
    with sender.app_context():
        sent = jobs.enqueue("benefits.run_month", "1962-05")
    assert len(sent.id) == 36  # an AsyncResult: it went to the broker, it did not run here

    def done():
        with app.app_context():
            row = db.session.scalar(select(JobRun).filter_by(
                name="benefits.run_month", period="1962-05"))
            db.session.remove()
            return row is not None and row.status == "done"

    wait_for(done, "the worker to build 1962-05's payment run", logs)
    with app.app_context():
        from datetime import date

        assert count(PaymentRun, month=date(1962, 5, 1)) == 1
        db.session.remove()


def test_two_workers_given_the_same_months_payment_run_build_it_once(workers, app):
    """第二十七条: a month's payment list is built once. The beat, a retry and an operator all
    asking at once, on two workers: one run, one audit record; every other copy is skipped."""
    sender, logs = workers
    copies = 8
    with sender.app_context():
        task_ids = {jobs.enqueue("benefits.run_month", "1962-06").id for _ in range(copies)}

    def finished():
        return sum(len(v) for v in outcomes(logs, task_ids).values()) == copies

    wait_for(finished, f"the workers to finish {copies} copies", logs)
    time.sleep(1)  # a copy delivered twice would show up as a ninth line
    by_worker = outcomes(logs, task_ids)
    statuses = [status for worker in by_worker.values() for status in worker]
    assert len(statuses) == copies
    assert statuses.count("done") == 1, by_worker
    assert statuses.count("skipped") == copies - 1
    assert all(by_worker.values()), f"one worker took every copy: {by_worker}"
    with app.app_context():
        from datetime import date

        assert count(PaymentRun, month=date(1962, 6, 1)) == 1
        assert count(AuditRecord, action="payment_run_built", object_id="1962-06") == 1
        row = db.session.scalar(select(JobRun).filter_by(name="benefits.run_month",
                                                         period="1962-06"))
        assert (row.status, row.attempts) == ("done", 1)
        db.session.remove()


def test_the_embedded_broker_needs_no_server(app, tmp_path):
    """`make run`'s task engine: a worker on kombu's filesystem transport under the instance
    folder takes what the portal enqueues, with no broker server at all."""
    instance = Path(app.instance_path)
    env = os.environ | {
        "INSTANCE_PATH": str(instance), "DATABASE_URL": app.config["DATABASE_URL"],
        "EXTERNAL_URL": app.config["EXTERNAL_URL"], "TASK_BROKER_URL": "embedded",
        "TASK_QUEUE": f"portal-test-{uuid.uuid4().hex[:10]}", "PORTAL_ENV": "development"}
    env.pop("REDIS_URL", None)
    log = tmp_path / "embedded.log"
    sender = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": app.config["DATABASE_URL"],
                         "EXTERNAL_URL": app.config["EXTERNAL_URL"], "TESTING": True,
                         "TASK_BROKER_URL": "embedded", "TASK_QUEUE": env["TASK_QUEUE"]})
    with log.open("w") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal.worker", "worker", "--pool", "solo",
             "--loglevel", "info", "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        with sender.app_context():
            jobs.enqueue("benefits.run_month", "1962-07")

        def done():
            with app.app_context():
                status = db.session.scalar(select(JobRun.status).filter_by(
                    name="benefits.run_month", period="1962-07"))
                db.session.remove()
                return status == "done"

        wait_for(done, "the embedded worker to build 1962-07's payment run", [log])
        assert list((instance / "tasks" / "queue").iterdir()) == []  # taken, none left
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)
        sender.extensions["portal_engine"].dispose()

"""Scheduled jobs run once per period however many workers receive them (issue 19): the job_run
guard (advisory lock on PostgreSQL, the claimed row on SQLite), the jobs built on it, and
`enqueue` without a task engine. Runs on SQLite and on TEST_DATABASE_URL."""

import itertools
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from portal import jobs
from portal.extensions import db
from portal.models import AuditRecord, JobRun, PaymentRun, utcnow
from portal.operations.jobruns import STALE_AFTER, NotYet, exclusive
from portal.tasks import interest_crediting, payment_run

_periods = itertools.count(1)


def period() -> str:
    return f"test-{next(_periods)}"


def rows(name: str) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).filter_by(name=name)
                                   .execution_options(populate_existing=True)))


def test_enqueue_without_a_task_engine_runs_the_job_at_once(app, app_context):
    assert app.config["TASK_BROKER_URL"] == ""
    calls = []

    @jobs.job("test.inline")
    def inline(a, b=0):
        calls.append((a, b))
        return a + b

    assert jobs.enqueue("test.inline", 2, b=3) == 5
    assert calls == [(2, 3)]
    assert jobs.engine_for(app) is None
    with pytest.raises(KeyError):
        jobs.enqueue("test.no_such_job")


def test_every_scheduled_operation_is_a_registered_job():
    registered = jobs.discover()
    assert {"benefits.run_month", "benefits.compare_beneficiaries", "benefits.pension_notices",
            "interest.credit_year", "outbox.dispatch", "sessions.purge"} <= set(registered)


def test_a_job_run_twice_for_a_period_works_once(app_context):
    name, when = "test.twice", period()
    done = []
    first = exclusive(name, when, lambda: done.append(1) or {"n": len(done)})
    second = exclusive(name, when, lambda: done.append(1) or {"n": len(done)})
    assert first == {"status": "done", "result": {"n": 1}}
    assert second == {"status": "skipped", "reason": "done already"}
    assert done == [1]
    [row] = rows(name)
    assert (row.period, row.status, row.detail, row.attempts) == (when, "done", {"n": 1}, 1)
    # Another period is another run.
    assert exclusive(name, period(), lambda: {"n": 2})["status"] == "done"


def test_while_one_worker_runs_a_job_another_skips_it(app):
    """Two workers at the same moment: the second finds the lock taken (PostgreSQL's advisory
    lock, or the running row on SQLite) and skips without doing the work."""
    name, when = "test.race", period()
    started, release = threading.Event(), threading.Event()
    outcome = {}

    def slow():
        started.set()
        assert release.wait(30)
        return {"by": "first"}

    def first_worker():
        with app.app_context():
            outcome["first"] = exclusive(name, when, slow)
            db.session.remove()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert started.wait(30)
        with app.app_context():
            outcome["second"] = exclusive(name, when, lambda: {"by": "second"})
            db.session.remove()
    finally:
        release.set()
        thread.join(30)
    assert outcome["second"] == {"status": "skipped", "reason": "running elsewhere"}
    assert outcome["first"] == {"status": "done", "result": {"by": "first"}}
    with app.app_context():
        assert [(r.status, r.detail) for r in rows(name)] == [("done", {"by": "first"})]
        db.session.remove()


def test_a_failed_run_is_recorded_and_tried_again(app_context):
    name, when = "test.fails", period()

    def broken():
        raise RuntimeError("the bank's server is down")

    with pytest.raises(RuntimeError):
        exclusive(name, when, broken)
    assert [(r.status, r.detail) for r in rows(name)] == [("failed", {"error": "RuntimeError"})]
    assert exclusive(name, when, lambda: {"ok": True})["status"] == "done"
    [row] = rows(name)
    assert (row.status, row.attempts) == ("done", 2)


def test_a_job_that_cannot_work_yet_waits_and_is_tried_again(app_context):
    name, when = "test.waits", period()

    def not_yet():
        raise NotYet("no rate configured")

    assert exclusive(name, when, not_yet) == {"status": "waiting",
                                              "reason": "no rate configured"}
    assert exclusive(name, when, lambda: {"ok": 1}) == {"status": "done", "result": {"ok": 1}}


def test_a_run_left_by_a_dead_worker_is_taken_over(app_context):
    """A worker killed mid-job leaves its row running. On PostgreSQL nobody holds the advisory
    lock any more, so the next run takes over at once; on SQLite after STALE_AFTER."""
    name, when = "test.orphan", period()
    db.session.add(JobRun(name=name, period=when, status="running", claimed_by="dead:1:x"))
    db.session.commit()
    if db.engine.dialect.name != "postgresql":
        assert exclusive(name, when, lambda: {"ok": 1})["reason"] == "running elsewhere"
        db.session.execute(update(JobRun).filter_by(name=name).values(
            started_at=utcnow() - STALE_AFTER - timedelta(minutes=1)))
        db.session.commit()
    assert exclusive(name, when, lambda: {"ok": 1})["status"] == "done"


def test_the_payment_run_job_builds_a_month_once(app_context):
    """第二十七条: the month's payment run, asked for twice (a beat and a retry, two workers),
    is built once and audited once."""
    month = "1961-03"
    first, again = payment_run(month), payment_run(month)
    assert first["status"] == "done" and first["result"]["month"] == month
    assert again == {"status": "skipped", "reason": "done already"}
    assert db.session.scalar(select(func.count(PaymentRun.id)).filter_by(
        month=date(1961, 3, 1))) == 1
    assert db.session.scalar(select(func.count(AuditRecord.id)).filter_by(
        action="payment_run_built", object_id=month)) == 1
    # The run compared beneficiaries with the registries first (第三十条、第三十四条).
    assert db.session.scalar(select(func.count(AuditRecord.id)).filter(
        AuditRecord.action == "beneficiaries_compared",
        AuditRecord.actor == "system:scheduler")) >= 1


def test_crediting_waits_for_the_provinces_rate(app_context):
    """第十八条: a year without a configured rate is not credited; the January job waits."""
    outcome = interest_crediting(1960)
    assert outcome["status"] == "waiting" and "1960" in outcome["reason"]
    [row] = [r for r in rows("interest.credit_year") if r.period == "1960"]
    assert row.status == "waiting"


def test_each_job_is_a_celery_task_of_its_name_run_in_an_app_context(app, tmp_path):
    """What a worker runs: the Celery task named like the job, inside an app context even when
    called from a thread that has none (Celery's local `apply`, no broker)."""
    engine = jobs.make_celery(app)
    assert set(jobs.registered()) <= set(engine.tasks)
    assert engine.conf.task_default_queue == app.config["TASK_QUEUE"]
    assert engine.conf.timezone == "Asia/Shanghai" and engine.conf.task_acks_late
    queue = app.config["TASK_QUEUE"]
    routes = engine.amqp.router
    assert routes.route({}, "tax.book_batch")["queue"].name == f"{queue}.long"
    assert routes.route({}, "benefits.run_month")["queue"].name == f"{queue}.long"
    assert routes.route({}, "outbox.dispatch")["queue"].name == queue
    outcome = engine.tasks["benefits.run_month"].apply(args=("1961-04",)).get()
    assert outcome["status"] == "done" and outcome["result"]["month"] == "1961-04"


def test_broker_settings(tmp_path):
    embedded = jobs.broker_settings({"TASK_BROKER_URL": "embedded", "TASK_QUEUE": "portal"},
                                    str(tmp_path))
    assert embedded["broker_url"] == "filesystem://"
    options = embedded["broker_transport_options"]
    assert options["data_folder_in"] == options["data_folder_out"] == str(tmp_path / "tasks/queue")
    assert (tmp_path / "tasks/control").is_dir()
    redis = jobs.broker_settings({"TASK_BROKER_URL": "redis://127.0.0.1:6379/3",
                                  "TASK_QUEUE": "county-a"}, str(tmp_path))
    assert redis["broker_url"] == "redis://127.0.0.1:6379/3"
    assert redis["broker_transport_options"]["global_keyprefix"] == "county-a:"


def test_the_daily_registry_comparison_compares_once_a_day(app_context):
    """第六条、第三十条、第三十四条: the comparison job, delivered twice on one day (two workers, a
    redelivery), compares once; the CLI command stays free to compare again by hand."""
    from portal.rules.dates import china_today
    from portal.tasks import registry_comparison

    def compared() -> int:
        return db.session.scalar(select(func.count(AuditRecord.id)).filter_by(
            action="beneficiaries_compared", actor="system:scheduler"))

    before = compared()
    first, second = registry_comparison(), registry_comparison()
    assert first["status"] == "done" and "found" in first["result"]
    assert second == {"status": "skipped", "reason": "done already"}
    assert compared() == before + 1
    assert [r.period for r in rows("benefits.compare_beneficiaries")] == [
        china_today().isoformat()]


def test_a_scheduled_daily_operation_does_its_day_once_however_many_workers_get_the_tick(app):
    """The beat calls the eligibility and death-return jobs with no arguments (第三十一条、
    第三十二条): the second call on the same day is skipped, recorded once in job_run."""
    from portal.jobs import registered
    from portal.models import JobRun
    from portal.rules.dates import china_today

    with app.app_context():
        for name in ("eligibility.reminders", "reports.flag_late_villages"):
            registered()[name]()
            assert registered()[name]() == []
            runs = db.session.scalars(select(JobRun).filter_by(
                name=name, period=china_today().isoformat())).all()
            assert [run.status for run in runs] == ["done"]

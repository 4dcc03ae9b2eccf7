"""Work that runs later, by name: scheduled jobs and long ones (a tax year's import, crediting).

Operations register a job with `@job("name")`; views and schedules ask for it with
`enqueue("name", *args)`. Arguments are plain values (ids, dates as ISO strings), never ORM
objects, so a job can run in another process.

With a task engine configured (TASK_BROKER_URL: Redis, or "embedded" for `make run`) each job is a
Celery task of the same name and `enqueue` sends it to the broker, returning Celery's
AsyncResult; a worker (`celery -A portal.worker worker`) runs it in an app context. Without one
(tests, a bare `flask run`) the job runs at once, in the caller's process, and `enqueue` returns
its result. Celery is imported only when it is used, so the web process pays nothing for it.
"""

import importlib
import logging
import pkgutil
import threading
from collections.abc import Callable
from pathlib import Path

from flask import current_app, has_app_context

logger = logging.getLogger("portal.jobs")

_JOBS: dict[str, Callable] = {}
# Jobs that may run for minutes or hours: routed to TASK_QUEUE.long.
LONG_JOBS = ("tax.*", "interest.*", "benefits.run_month")
_LOCK = threading.Lock()


def job(name: str):
    """Register the decorated function as the job called `name`."""

    def register(function: Callable) -> Callable:
        _JOBS[name] = function
        return function

    return register


def discover() -> dict[str, Callable]:
    """Import every module that may register jobs (portal.tasks and all of portal.operations),
    so a worker or the beat knows each job by name."""
    from . import operations

    importlib.import_module("portal.tasks")
    for module in pkgutil.iter_modules(operations.__path__):
        importlib.import_module(f"portal.operations.{module.name}")
    return registered()


def registered() -> dict[str, Callable]:
    return dict(_JOBS)


def enqueue(name: str, *args, **kwargs):
    """Ask for job `name` to run: sent to the task engine when one is configured (returns the
    AsyncResult), else run here at once (returns its result). Commit what the job will read
    before asking."""
    if name not in _JOBS:
        discover()
    function = _JOBS[name]  # an unknown name fails here, in the caller, not later in a worker
    engine = engine_for(current_app) if has_app_context() else None
    if engine is None:
        return function(*args, **kwargs)
    return engine.send_task(name, args=args, kwargs=kwargs)


def engine_for(app):
    """The app's Celery application, made on first use; None when jobs run inline."""
    if not app.config.get("TASK_BROKER_URL"):
        return None
    engine = app.extensions.get("portal_celery")
    if engine is None:
        with _LOCK:
            engine = app.extensions.get("portal_celery")
            if engine is None:
                engine = app.extensions["portal_celery"] = make_celery(app)
    return engine


def broker_settings(config: dict, instance_path: str) -> dict:
    """Celery's broker settings for TASK_BROKER_URL. "embedded" is kombu's filesystem transport
    in instance/tasks/: no server, shared by the web process, the worker and the beat on one
    machine."""
    url = config["TASK_BROKER_URL"]
    queue = config["TASK_QUEUE"]
    if url == "embedded":
        root = Path(instance_path) / "tasks"
        folders = {"data_folder_in": root / "queue", "data_folder_out": root / "queue",
                   "control_folder": root / "control", "processed_folder": root / "processed"}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        return {"broker_url": "filesystem://",
                "broker_transport_options": {key: str(value) for key, value in folders.items()}
                | {"store_processed": False}}
    options = {}
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Keys of their own, so portals (and test runs) can share one Redis. A job is handed
        # to another worker only if it has not been acknowledged after this long (a long
        # import must not be started twice while it runs; the jobs are idempotent anyway).
        options = {"global_keyprefix": f"{queue}:", "visibility_timeout": 6 * 3600}
    return {"broker_url": url, "broker_transport_options": options}


def make_celery(app):
    """Celery for this Flask app: every registered job as a task of the same name, run in an
    app context (the beat's schedule is added by portal.worker)."""
    from celery import Celery, Task
    from kombu import Exchange, Queue

    class AppTask(Task):
        def __call__(self, *args, **kwargs):
            from .extensions import db

            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    queue = app.config["TASK_QUEUE"]
    engine = Celery("portal", task_cls=AppTask, set_as_current=False)
    engine.conf.update(
        **broker_settings(app.config, app.instance_path),
        task_default_queue=queue,
        # Long jobs (a tax year's import, crediting, the payment run) have a queue of their
        # own, so they never hold up the SMS dispatcher; a worker takes both unless told
        # otherwise (`-Q portal.long` for workers kept for them).
        task_queues=[Queue(name, Exchange(name), routing_key=name)
                     for name in (queue, f"{queue}.long")],
        task_routes={pattern: {"queue": f"{queue}.long"} for pattern in LONG_JOBS},
        task_ignore_result=True,  # outcomes are in the database (job_run, batches, outbox)
        # Acknowledged when done: a job whose worker died is run again (they are idempotent).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone="Asia/Shanghai",
        enable_utc=True,
        beat_schedule_filename=str(Path(app.instance_path) / "celerybeat-schedule"),
        worker_hijack_root_logger=False,
    )
    for name, function in discover().items():
        engine.task(name=name, serializer="json")(function)
    return engine

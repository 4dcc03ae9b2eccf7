"""The scheduled operations as jobs, and the beat schedule that starts them.

Each job takes plain values, works out its period (the month, the day, the year) in China time,
and runs its operation through `jobruns.exclusive`, so it does its work once per period however
many workers receive it, and is safe to run again. The operations keep their own idempotency
too (a month's payment run is built once, a year is credited once, a notice is made once).
"""

import logging
from datetime import date

from flask import current_app

from .jobs import job
from .rules.dates import china_today
from .rules.schedule import effective_schedule

logger = logging.getLogger("portal.jobs")

SCHEDULER = "system:scheduler"  # the actor of scheduled work in the audit log


def _scheme() -> dict:
    from .schemes import scheme_for

    return scheme_for(current_app.config["SCHEME_PROVINCE"])


@job("benefits.run_month")
def payment_run(month: str | None = None) -> dict:
    """第二十七条: MONTH's (YYYY-MM, this month by default) payment list, 审批表 totals and bank
    file, after comparing beneficiaries with the registries (第三十条、第三十四条)."""
    from .operations.benefits import run_month

    first = date.fromisoformat(month + "-01") if month else china_today().replace(day=1)

    def work():
        run = run_month(first, actor=SCHEDULER)
        return {"month": first.strftime("%Y-%m"), "payments": run.payments,
                "people": run.people, "total_fen": run.basic_fen + run.account_fen}

    return _exclusive("benefits.run_month", first.strftime("%Y-%m"), work)


@job("benefits.compare_beneficiaries")
def registry_comparison() -> dict:
    """第六条、第三十条、第三十四条: today's comparison with the death and prison records."""
    from .operations.benefits import compare_beneficiaries

    today = china_today()
    return _exclusive("benefits.compare_beneficiaries", today.isoformat(), lambda: {
        "found": len(compare_beneficiaries(today, actor=SCHEDULER))})


@job("benefits.pension_notices")
def pension_notices(months: int = 3) -> dict:
    """第二十二条: the 告知书 for residents reaching pension age in the next `months`."""
    from .operations.benefits import generate_notices

    today = china_today()
    return _exclusive("benefits.pension_notices", today.isoformat(), lambda: {
        "notices": len(generate_notices(_scheme(), today, months, actor=SCHEDULER))})


@job("interest.credit_year")
def interest_crediting(year: int | None = None) -> dict:
    """第十八条: credit YEAR's interest (last year by default) once the year has ended and the
    province's rate is configured; until then the job waits and is tried again."""
    from .operations.interest import CannotCredit, check_can_credit, credit_year
    from .operations.jobruns import NotYet

    year = int(year) if year else china_today().year - 1

    def work():
        try:
            rate = check_can_credit(year, _scheme(), china_today())
        except CannotCredit as reason:
            raise NotYet(str(reason)) from reason
        return credit_year(year, rate, actor=SCHEDULER)

    return _exclusive("interest.credit_year", str(year), work)


@job("outbox.dispatch")
def outbox_dispatch() -> dict:
    """Send due SMS through the configured gateway (each at most once; see operations.outbox).
    Not once per period: several dispatchers may run together, each claiming its own rows."""
    from .exchange.sms import gateway_from_config
    from .operations.outbox import dispatch

    config = current_app.config
    return dispatch(gateway_from_config(config), max_attempts=config["SMS_MAX_ATTEMPTS"],
                    base_seconds=config["SMS_RETRY_SECONDS"],
                    cap_seconds=config["SMS_RETRY_MAX_SECONDS"])


@job("sessions.purge")
def session_purge() -> dict:
    """Web sessions past their idle limit and attempt counters long ended (both idempotent)."""
    from .auth.sessions import purge_expired
    from .operations.limits import purge_ended

    return {"sessions": purge_expired(current_app), "counters": purge_ended()}


def _exclusive(name, period, work) -> dict:
    from .operations.jobruns import exclusive

    return exclusive(name, period, work)


def beat_schedule(config, jobs: dict) -> dict:
    """Celery's beat_schedule from the defaults and TASK_SCHEDULE. An entry whose job is not
    registered here (another part not installed) is logged and left out, never a crash."""
    from datetime import timedelta

    from celery.schedules import crontab

    schedule = {}
    for entry, (name, when) in effective_schedule(config["TASK_SCHEDULE"]).items():
        if name not in jobs:
            logger.warning("schedule %s: job %s is not registered; skipped", entry, name)
            continue
        if when.seconds is not None:
            # A run that waited longer than its interval in the queue is dropped: the next one
            # comes anyway.
            schedule[entry] = {"task": name, "schedule": timedelta(seconds=when.seconds),
                               "options": {"expires": when.seconds}}
        else:
            minute, hour, day_of_month, month_of_year, day_of_week = when.crontab
            schedule[entry] = {"task": name, "schedule": crontab(
                minute=minute, hour=hour, day_of_month=day_of_month,
                month_of_year=month_of_year, day_of_week=day_of_week)}
    return schedule

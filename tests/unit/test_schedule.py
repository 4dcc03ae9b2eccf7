"""The beat's schedule (issue 19): what runs when, how TASK_SCHEDULE changes it, and the SMS
backoff. Times are China time."""

import logging
from pathlib import Path

import pytest

from portal import config as settings
from portal.rules.schedule import (
    DEFAULT_SCHEDULE,
    When,
    effective_schedule,
    parse_when,
    retry_delay_seconds,
    schedule_setting,
)
from portal.tasks import beat_schedule

EVERY_JOB = {"benefits.run_month", "benefits.compare_beneficiaries", "benefits.pension_notices",
             "interest.credit_year", "eligibility.silent_confirmation", "eligibility.reminders",
             "eligibility.suspend_missed", "tax.book_pending", "outbox.dispatch",
             "sessions.purge", "reports.flag_late_villages"}


def test_the_default_schedule_names_every_scheduled_job():
    assert {name for name, _when in DEFAULT_SCHEDULE.values()} == EVERY_JOB
    schedule = effective_schedule({})
    # 第二十七条: the payment run early each month; 第十八条: last year's interest in January.
    assert schedule["payment_run"] == ("benefits.run_month",
                                       When(crontab=("0", "6", "1", "*", "*")))
    assert schedule["interest_crediting"][1].crontab[3] == "1"
    assert schedule["registry_comparison"][1].crontab[2:] == ("*", "*", "*")
    assert schedule["outbox"] == ("outbox.dispatch", When(seconds=15))


@pytest.mark.parametrize(("value", "expected"), [
    ("0 6 1 * *", When(crontab=("0", "6", "1", "*", "*"))),
    ("*/15 8-18 * * 1-5", When(crontab=("*/15", "8-18", "*", "*", "1-5"))),
    ("0 3,15 * 1 *", When(crontab=("0", "3,15", "*", "1", "*"))),
    (30, When(seconds=30)),
    ("45", When(seconds=45)),
    ("off", None),
    ("OFF", None),
])
def test_schedule_values(value, expected):
    assert parse_when(value) == expected


@pytest.mark.parametrize("value", ["0 6 1 *", "0 6 1 * * *", "61 * * * *", "0 24 * * *",
                                   "0 6 0 * *", "0 6 1 13 *", "a b c d e", 0, -5, True, None,
                                   "every day"])
def test_bad_schedule_values_are_refused(value):
    with pytest.raises(ValueError):
        parse_when(value)


def test_task_schedule_changes_only_the_entries_it_names():
    changes = schedule_setting({"payment_run": "0 7 2 * *", "pension_notices": "off",
                                "outbox": 5})
    schedule = effective_schedule(changes)
    assert schedule["payment_run"][1] == When(crontab=("0", "7", "2", "*", "*"))
    assert "pension_notices" not in schedule
    assert schedule["outbox"][1] == When(seconds=5)
    assert schedule["registry_comparison"] == effective_schedule({})["registry_comparison"]
    with pytest.raises(ValueError, match="unknown entries"):
        schedule_setting({"payment_runs": "0 7 2 * *"})


def test_a_typo_in_task_schedule_stops_the_start(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TASK_SCHEDULE", '{"payment_run": "0 25 1 * *"}')
    with pytest.raises(settings.ConfigError, match="TASK_SCHEDULE"):
        settings.load(tmp_path)
    monkeypatch.setenv("TASK_SCHEDULE", "not json")
    with pytest.raises(settings.ConfigError, match="TASK_SCHEDULE"):
        settings.load(tmp_path)


def test_beat_schedule_for_celery_skips_jobs_not_registered():
    config = {"TASK_SCHEDULE": schedule_setting({"tax_imports": "off"})}
    registered = {name: None for name in EVERY_JOB - {"eligibility.reminders"}}
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("portal.jobs")
    logger.addHandler(handler)
    try:
        schedule = beat_schedule(config, registered)
    finally:
        logger.removeHandler(handler)
    assert "eligibility_reminders" not in schedule and "tax_imports" not in schedule
    assert any("eligibility.reminders is not registered" in r.getMessage() for r in records)
    run = schedule["payment_run"]
    assert run["task"] == "benefits.run_month"
    assert (run["schedule"].minute, run["schedule"].hour, run["schedule"].day_of_month) == (
        {0}, {6}, {1})
    credit = schedule["interest_crediting"]["schedule"]
    assert credit.month_of_year == {1} and credit.hour == {3}
    outbox = schedule["outbox"]
    assert outbox["schedule"].total_seconds() == 15 and outbox["options"]["expires"] == 15
    assert {entry["task"] for entry in schedule.values()} == (
        EVERY_JOB - {"eligibility.reminders", "tax.book_pending"})


def test_sms_backoff_doubles_up_to_its_cap():
    assert [retry_delay_seconds(n, 30, 3600) for n in range(1, 9)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600]
    with pytest.raises(ValueError):
        retry_delay_seconds(0, 30, 3600)

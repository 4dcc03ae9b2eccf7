"""Dates as residents read them (presenters.date_label)."""

from datetime import UTC, date, datetime, timedelta


def test_a_kept_date_label_is_babels_own_in_each_language():
    """date_label keeps a formatted date per language and format: the first call and every
    later one read exactly as flask_babel.format_date, and a datetime is never kept (it is
    moved into the user's time zone first)."""
    import random

    from flask import Flask
    from flask_babel import Babel, force_locale, format_date

    from portal import presenters

    app = Flask(__name__)
    Babel(app)
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Shanghai"
    rng = random.Random(26)
    days = [date(2009, 1, 1) + timedelta(days=rng.randint(0, 8000)) for _ in range(300)]
    with app.test_request_context("/"):
        for locale in ("zh_Hans_CN", "en"):
            with force_locale(locale):
                for day in days + days:  # the second pass reads what was kept
                    for form in ("medium", "long"):
                        assert presenters.date_label(day, form) == format_date(day, form)
                moment = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
                assert presenters.date_label(moment, "long") == format_date(moment, "long")
    assert not any(type(key[1]) is datetime for key in presenters._DATE_LABELS)

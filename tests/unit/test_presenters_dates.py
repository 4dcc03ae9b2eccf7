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


def test_current_locale_is_flask_babels_choice_in_every_case():
    """presenters.current_locale reads what Flask-Babel chose; before it chose, inside
    force_locale and outside any request it answers as flask_babel.get_locale does."""
    from flask import Flask, request
    from flask_babel import Babel, force_locale, get_locale

    from portal import presenters

    app = Flask(__name__)
    Babel(app, locale_selector=lambda: request.cookies.get("lang", "zh_Hans_CN"))
    assert presenters.current_locale() is None  # no app context: as get_locale
    for cookie, expected in ((None, "zh_Hans_CN"), ("en", "en")):
        headers = {"Cookie": f"lang={cookie}"} if cookie else {}
        with app.test_request_context("/", headers=headers):
            assert str(presenters.current_locale()) == expected  # Flask-Babel chooses now
            assert presenters.current_locale() is get_locale()  # and the choice is read
            other = "zh_Hans_CN" if expected == "en" else "en"
            with force_locale(other):
                assert str(presenters.current_locale()) == other == str(get_locale())
            assert str(presenters.current_locale()) == expected



def test_current_language_names_the_current_locale_in_every_case():
    """presenters.current_language is str(current_locale()), kept per locale object: it follows
    the cookie's choice and force_locale, and is empty outside any request."""
    from flask import Flask, request
    from flask_babel import Babel, force_locale, get_locale

    from portal import presenters

    app = Flask(__name__)
    Babel(app, locale_selector=lambda: request.cookies.get("lang", "zh_Hans_CN"))
    assert presenters.current_language() == ""
    for cookie, expected in ((None, "zh_Hans_CN"), ("en", "en"), (None, "zh_Hans_CN")):
        headers = {"Cookie": f"lang={cookie}"} if cookie else {}
        with app.test_request_context("/", headers=headers):
            for _ in range(2):  # the second time from what was kept
                assert presenters.current_language() == expected == str(get_locale())
                other = "zh_Hans_CN" if expected == "en" else "en"
                with force_locale(other):
                    assert presenters.current_language() == other
                assert presenters.current_language() == expected

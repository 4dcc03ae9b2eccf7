"""cookies.cookie: request.cookies.get without raising inside for a missing cookie."""

from flask import Flask

from portal.cookies import cookie


def test_a_cookie_is_read_as_werkzeug_reads_it_and_a_missing_one_is_none():
    app = Flask(__name__)
    with app.test_request_context("/", headers={"Cookie": "lang=en; voice=1; empty="}):
        from flask import request

        for name in ("lang", "voice", "empty", "elder", "kiosk", ""):
            assert cookie(name) == request.cookies.get(name)
        assert cookie("elder") is None and cookie("empty") == ""
    with app.test_request_context("/"):
        assert cookie("lang") is None

"""Reading the browser's cookies on every page."""

from flask import request


def cookie(name: str) -> str | None:
    """`request.cookies.get(name)`, without its cost when the cookie is absent: Werkzeug's `get`
    raises and catches a BadRequestKeyError (an HTTP exception, costly to make), and a page asks
    for half a dozen preference cookies (language, 长辈版, kiosk, voice) that most browsers lack."""
    cookies = request.cookies
    return cookies[name] if name in cookies else None

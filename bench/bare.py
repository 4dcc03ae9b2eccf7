"""The baseline: a bare Flask app served with the same gunicorn settings as the portal.

One route that answers a constant HTML page about the size of the portal's public home (no
templates, database, session, CSRF, Babel or security headers), so "× bare Flask" says what the
portal's own work costs on top of Flask, gunicorn and the load generator on this machine.

    gunicorn -c gunicorn.conf.py 'bench.bare:create_app()'
"""

from flask import Flask

PAGE = ("<!doctype html><html lang=\"zh-Hans-CN\"><head><meta charset=\"utf-8\">"
        "<title>baseline</title></head><body><main>"
        + "<p>城乡居民基本养老保险 baseline page</p>" * 55 + "</main></body></html>")


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def page():
        return PAGE

    return app

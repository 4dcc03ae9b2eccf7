"""Shared fixtures for integration (tests/) and browser (e2e/) tests.

A fresh database for every test module, on a real database: the migrations and the demo data
run once per session into a template (a SQLite file, or a database next to TEST_DATABASE_URL on
PostgreSQL), and each module gets a copy of it (SQLite's backup, PostgreSQL's `CREATE DATABASE …
TEMPLATE …`) with an app of its own. One loopback server serves whichever module's app is
current (the portal talks to its embedded identity provider over real HTTP, and browsers need a
URL), so a module never sees what another left behind.

Fixtures: `app` and `client` (as before), `live_url`, `demo`, `app_context`, `url` (url_for in
the module's app) and `html_page` (a response parsed as HTML, tests/pages.py).
"""

import itertools
import os
import queue
import sqlite3
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from portal import create_app
from portal.cli import drop_everything, upgrade_database
from portal.config import database_url
from portal.demo import loader
from portal.extensions import db
from tests.pages import Page


def pytest_configure(config):
    """Compile the translation catalogues so a bare `pytest` sees the Chinese pages too."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).parent.glob("portal/translations/*/LC_MESSAGES/messages.po"):
        with po.open("rb") as source:
            catalogue = read_po(source)
        with po.with_suffix(".mo").open("wb") as target:
            write_mo(target, catalogue)


class _Dispatcher:
    """Lets the server pick a free port before the app (which must know its URL) exists, and
    serve each test module's app in turn."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


class Databases:
    """The session's template database and the copies handed to test modules."""

    def __init__(self, shared_url: str | None, instance: Path):
        self.instance = instance
        self.shared = make_url(database_url(shared_url)) if shared_url else None
        self.numbers = itertools.count(1)
        self.made: list[str] = []
        self.to_drop: queue.Queue = queue.Queue()
        self.dropper: threading.Thread | None = None

    def _url(self, suffix: str) -> str:
        if self.shared is None:
            return f"sqlite:///{self.instance / f'{suffix}.db'}"
        return self.shared.set(database=f"{self.shared.database}_{suffix}").render_as_string(
            hide_password=False)

    def _admin(self, *statements: str) -> None:
        engine = create_engine(self.shared.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
        engine.dispose()

    def template(self) -> str:
        url = self._url("template")
        if self.shared is not None:
            name = make_url(url).database
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                        f'CREATE DATABASE "{name}"')
        self.made.append(url)
        return url

    def copy(self) -> str:
        """A new database with the template's contents (nobody may be connected to it)."""
        template, url = self._url("template"), self._url(f"m{next(self.numbers)}")
        if self.shared is None:
            source = sqlite3.connect(make_url(template).database)
            target = sqlite3.connect(make_url(url).database)
            with target:
                source.backup(target)
            source.close()
            target.close()
        else:
            name = make_url(url).database
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                        f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"')
        self.made.append(url)
        return url

    def drop(self, url: str) -> None:
        """SQLite: the file goes at once. PostgreSQL: DROP DATABASE waits for a checkpoint
        (seconds on a busy machine), so a background thread drops while the next module runs;
        `finish` waits for it at the end of the session."""
        if self.shared is None:
            Path(make_url(url).database).unlink(missing_ok=True)
            return
        if self.dropper is None:
            self.dropper = threading.Thread(target=self._drop_queued, daemon=True)
            self.dropper.start()
        self.to_drop.put(make_url(url).database)

    def _drop_queued(self) -> None:
        while (name := self.to_drop.get()) is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def finish(self) -> None:
        if self.shared is not None:
            self.drop(self._url("template"))
            self.to_drop.put(None)
            self.dropper.join()


def app_config(instance: Path, url: str, base_url: str) -> dict:
    return {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
        "EXTERNAL_URL": base_url,
        "TESTING": True,
        "TASK_BROKER_URL": "",  # jobs run inline; tests/integration/test_task_worker.py has workers
    }


@pytest.fixture(scope="session")
def live_server():
    """(server, dispatcher, base URL) of the session's one loopback server."""
    dispatcher = _Dispatcher()
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, dispatcher, f"http://127.0.0.1:{server.port}"
    server.shutdown()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, live_server):
    """Migrations run from scratch and the demo data loaded, once per session."""
    instance = tmp_path_factory.mktemp("instance")
    databases = Databases(os.environ.get("TEST_DATABASE_URL"), instance)
    url = databases.template()
    drop_everything(url)  # migrations are tested from scratch on every run
    app = create_app(app_config(instance, url, live_server[2]))
    upgrade_database(app)
    with app.app_context():
        loader.load_demo()
        db.session.remove()
    dispose_engines(app)
    yield instance, databases
    databases.finish()


def dispose_engines(app):
    """Close the app's connections (the session's pool and the attempt counters' own), so its
    database can serve as a template or be dropped."""
    app.extensions["portal_engine"].dispose()
    app.extensions["portal_counting_engine"].dispose()


@pytest.fixture(scope="module")
def live_server_and_app(database_template, live_server):
    """This module's app on its own copy of the template, served by the live server."""
    instance, databases = database_template
    _server, dispatcher, base_url = live_server
    url = databases.copy()
    app = create_app(app_config(instance, url, base_url))
    dispatcher.app = app
    yield base_url, app
    dispose_engines(app)
    databases.drop(url)


@pytest.fixture(scope="module")
def app(live_server_and_app):
    return live_server_and_app[1]


@pytest.fixture(scope="module")
def live_url(live_server_and_app):
    """The live server's URL, serving this module's app (a browser test that asks only for the
    URL still gets its module's database behind it)."""
    return live_server_and_app[0]


@pytest.fixture(scope="session")
def demo():
    data = loader.demo_data()
    data["by_key"] = {person["key"]: person for person in data["people"]}
    return data


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield
        db.session.remove()


def local_path(url: str) -> str:
    """The path and query of an absolute URL on the live server, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def url(app):
    """url_for in this module's app: `url("assist.resident", registry_id=4)`."""
    from flask import url_for

    def build(endpoint: str, **values) -> str:
        with app.test_request_context():
            return url_for(endpoint, **values)

    return build


@pytest.fixture
def html_page():
    """A response (or HTML text) parsed as a page: `html_page(client.get(…)).one("h1").text`
    (not `page`: that is the browser tests' Playwright page)."""
    return Page

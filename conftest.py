"""Shared fixtures for integration (tests/) and browser (e2e/) tests.

One app per test session on a real database: a temporary SQLite file, or TEST_DATABASE_URL
(PostgreSQL in CI). The app is also served on a loopback port by a multi-threaded server, because
the portal talks to its embedded identity provider over real HTTP.
"""

import os
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from portal import create_app
from portal.cli import drop_everything, upgrade_database
from portal.config import database_url
from portal.demo import loader
from portal.extensions import db


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
    """Lets the server pick a free port before the app (which must know its URL) exists."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def live_server_and_app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    url = database_url(os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{instance / 'test.db'}")
    drop_everything(url)  # migrations are tested from scratch on every run
    dispatcher = _Dispatcher()
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    base_url = f"http://127.0.0.1:{server.port}"
    app = create_app({
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
        "EXTERNAL_URL": base_url,
        "TESTING": True,
        "TASK_BROKER_URL": "",  # jobs run inline; tests/integration/test_task_worker.py has workers
    })
    dispatcher.app = app
    upgrade_database(app)
    with app.app_context():
        loader.load_demo()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url, app
    server.shutdown()
    app.extensions["portal_engine"].dispose()


@pytest.fixture(scope="session")
def app(live_server_and_app):
    return live_server_and_app[1]


@pytest.fixture(scope="session")
def live_url(live_server_and_app):
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

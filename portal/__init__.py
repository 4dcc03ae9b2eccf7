"""Self-service portal for urban and rural residents' basic pension insurance
(城乡居民基本养老保险).

`create_app` is the only entry point; nothing connects or reads files at import time.
"""

import os
from pathlib import Path

from flask import Flask

from . import config as settings
from .application import Portal


def create_app(overrides: dict | None = None) -> Flask:
    overrides = dict(overrides or {})
    instance = overrides.pop("INSTANCE_PATH", None) or os.environ.get("INSTANCE_PATH")
    instance = Path(instance or Path.cwd() / "instance").resolve()
    app = Portal(__name__, instance_path=str(instance))
    app.config.update(settings.load(Path(app.instance_path), overrides))

    from . import web

    web.init_app(app)
    return app

"""Alembic environment: migrates the database the app is configured for."""

from pathlib import Path

from alembic import context
from sqlalchemy import create_engine

from portal import config as settings
from portal.crypto import KeyRing
from portal.models import Base

alembic_config = context.config
if "database_url" not in alembic_config.attributes or "keyring" not in alembic_config.attributes:
    _loaded = settings.load(Path.cwd() / "instance")
    alembic_config.attributes.setdefault("database_url", _loaded["DATABASE_URL"])
    # Migrations that seal personal data use the keys the app would use.
    alembic_config.attributes.setdefault("keyring", KeyRing.from_config(_loaded))
url = alembic_config.attributes["database_url"]


def run_offline():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_online():
    engine = create_engine(url, hide_parameters=True)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=url.startswith("sqlite"), compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

"""Alembic environment: migrates the database the app is configured for."""

from pathlib import Path

from alembic import context
from sqlalchemy import create_engine

from portal import config as settings
from portal.models import Base

alembic_config = context.config
url = alembic_config.attributes.get("database_url") or settings.load(
    Path.cwd() / "instance"
)["DATABASE_URL"]


def run_offline():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_online():
    engine = create_engine(url)
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

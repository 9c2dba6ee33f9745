"""Alembic environment: run with a connection handed in by sync.store.migrate."""

from alembic import context

from sync.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

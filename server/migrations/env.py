"""Alembic environment of the central server: the connection comes from sync.contract.migrate."""

from alembic import context

from server.db import ServerBase

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=ServerBase.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

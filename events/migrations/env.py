"""Alembic environment: migrations run on the connection `events.store.migrate` hands over.

The migrations are written by hand (the triggers and dialect differences are
not something autogenerate can express), so there is no target metadata.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()

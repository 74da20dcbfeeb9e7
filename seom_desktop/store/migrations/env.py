"""Alembic environment: always run on the connection handed over by Store.ensure_schema."""

from alembic import context

from seom_desktop.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the store opens migrations
    raise RuntimeError("migrations run through seom_desktop.store.open_store()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

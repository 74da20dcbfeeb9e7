"""The store data file: models, engine and transactions, migrations, system parameters."""

from seom_desktop.store.engine import Store, open_store

__all__ = ["Store", "open_store"]

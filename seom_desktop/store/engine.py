"""Opening a store: a SQLite file (the default, also shared from a network folder) or PostgreSQL.

SQLite decisions (see docs/decisions.md, "SQLite on a shared folder"):

* rollback journal (``journal_mode=DELETE``), not WAL: WAL needs shared memory between the
  processes, which does not work for a file opened from a network share by several PCs;
* ``synchronous=FULL`` so a committed QOH change survives a power cut;
* a busy timeout (``SEOM_BUSY_TIMEOUT`` seconds, default 15) instead of failing at once;
* foreign keys on;
* write transactions start with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two
  writers can never both hold a read lock and deadlock trying to upgrade it. Read-only work
  uses plain ``BEGIN`` and never blocks other readers.

PostgreSQL runs at READ COMMITTED with ``lock_timeout`` set to the same busy timeout; QOH is
only ever changed by ``UPDATE ... SET qoh = qoh + :delta``, which row-locks.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from seom_desktop.errors import StoreError, StoreLockedError, StoreTooNewError
from seom_desktop.store.models import Workstation, utcnow

log = logging.getLogger("seom_desktop.store")

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 0x5E0A  # pg_advisory_xact_lock key: one migrator at a time


def busy_timeout_seconds() -> float:
    raw = os.environ.get("SEOM_BUSY_TIMEOUT", "15")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 15.0


def to_url(location: str) -> URL:
    """A SQLAlchemy URL for a store location (a file path or a database URL)."""
    text = location.strip()
    if "://" not in text:
        return URL.create("sqlite+pysqlite", database=str(Path(text).expanduser().resolve()))
    url = make_url(text)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        return url.set(drivername="sqlite+pysqlite")
    raise StoreError(
        f"cannot open a store at {url.render_as_string(hide_password=True)}: "
        "give a file path or a postgresql:// URL"
    )


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


class Store:
    """An open store: engines and the two kinds of transaction.

    ``read()`` is for queries, ``write()`` for changes; each yields a Session that is used by
    one thread only and is closed at the end of the block.
    """

    def __init__(self, url: URL) -> None:
        self.url = url
        self.is_sqlite = url.get_backend_name() == "sqlite"
        self.busy_timeout = busy_timeout_seconds()
        self.engine = self._make_engine()
        self.write_engine = self.engine.execution_options(seom_begin="IMMEDIATE")
        self._read_sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(bind=self.write_engine, expire_on_commit=False)

    # -- engines -------------------------------------------------------------------------
    def _make_engine(self) -> Engine:
        if self.is_sqlite:
            engine = create_engine(
                self.url,
                connect_args={"timeout": self.busy_timeout, "check_same_thread": False},
            )
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", _sqlite_on_begin)
            return engine
        ms = int(self.busy_timeout * 1000)
        return create_engine(
            self.url,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 10, "options": f"-c lock_timeout={ms}"},
        )

    @property
    def display_name(self) -> str:
        if self.is_sqlite:
            return str(self.url.database)
        return self.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions --------------------------------------------------------------------
    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        # Closing the session ends its transaction; objects read stay usable (detached).
        with _translate_errors(self), self._read_sessions() as session:
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed at the end of the block, rolled back on error."""
        with _translate_errors(self), self._write_sessions.begin() as session:
            session.connection()  # BEGIN IMMEDIATE now: the write lock before any read
            yield session

    # -- schema --------------------------------------------------------------------------
    def current_revision(self) -> str | None:
        with _translate_errors(self), self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def ensure_schema(self) -> None:
        """Create or upgrade the schema; refuse a store made by a newer version."""
        script = ScriptDirectory.from_config(_alembic_config())
        head = script.get_current_head()
        current = self.current_revision()
        if current == head:
            return
        self._check_known(script, current)
        with _translate_errors(self), self.write_engine.begin() as conn:
            if not self.is_sqlite:
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            current = MigrationContext.configure(conn).get_current_revision()
            self._check_known(script, current)
            if current is None and _foreign_tables(conn):
                raise StoreError(
                    f"{self.display_name} holds tables but is not a SEOM Desktop store; "
                    "choose another file or database"
                )
            if current != head:
                log.info("upgrading store %s from %s to %s", self.display_name, current, head)
                cfg = _alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")

    def _check_known(self, script: ScriptDirectory, revision: str | None) -> None:
        if revision is None:
            return
        try:
            script.get_revision(revision)
        except CommandError:
            raise StoreTooNewError(
                f"{self.display_name} was made by a newer version of SEOM Desktop "
                f"(schema {revision}); install that version to open it. Nothing was changed."
            ) from None

    # -- workstations --------------------------------------------------------------------
    def register_workstation(self, name: str) -> None:
        """Record that ``name`` is using this store now (first launch or a later one)."""
        now = utcnow()
        values: dict[str, Any] = {
            "name": name,
            "hostname": socket.gethostname(),
            "first_seen": now,
            "last_seen": now,
        }
        insert = sqlite_dialect.insert if self.is_sqlite else pg_dialect.insert
        stmt = insert(Workstation).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Workstation.name],
            set_={"last_seen": now, "hostname": values["hostname"]},
        )
        with self.write() as session:
            session.execute(stmt)

    def workstations(self) -> list[str]:
        with self.read() as session:
            return list(session.scalars(select(Workstation.name).order_by(Workstation.name)))


def _foreign_tables(conn: Any) -> list[str]:
    return [name for name in inspect(conn).get_table_names() if name != "alembic_version"]


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling is off).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_seconds() * 1000)}")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    if conn.get_execution_options().get("seom_begin") != "IMMEDIATE":
        conn.exec_driver_sql("BEGIN")
        return
    _begin_immediate(conn)


def _begin_immediate(conn: Any) -> None:
    """Take the write lock, waiting up to the busy timeout, fairly.

    SQLite's own busy handler backs off to 100 ms sleeps, so a workstation that waits behind
    busy colleagues polls rarely and can be starved past the timeout while the others take
    the lock back-to-back. Waiting here instead, with short jittered polls (at most 5 ms),
    gives every waiting workstation an even chance. Only BEGIN is retried: nothing has been
    read or written yet. Commits keep SQLite's busy timeout (they wait for readers to finish).
    """
    timeout = busy_timeout_seconds()
    conn.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + timeout
        pause = 0.0005
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if "locked" not in str(exc.orig).lower() or time.monotonic() >= deadline:
                    raise
            time.sleep(random.uniform(0, pause))
            pause = min(pause * 2, 0.005)
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout * 1000)}")


@contextlib.contextmanager
def _translate_errors(store: Store) -> Iterator[None]:
    """Turn driver errors about the store itself into one clear StoreError."""
    try:
        yield
    except OperationalError as exc:
        text = str(exc.orig).lower()
        if "locked" in text or "busy" in text or "lock timeout" in text:
            raise StoreLockedError(
                f"the store {store.display_name} stayed locked by another workstation for "
                f"{store.busy_timeout:g} s; nothing was changed, try again"
            ) from exc
        if "unable to open" in text or "connection" in text or "could not" in text:
            raise StoreError(f"cannot open the store {store.display_name}: {exc.orig}") from exc
        raise
    except DatabaseError as exc:
        if "not a database" in str(exc.orig).lower():
            raise StoreError(f"{store.display_name} is not a SEOM Desktop store file") from exc
        raise


def open_store(location: str, *, create: bool = False, migrate: bool = True) -> Store:
    """Open (and if asked, create) a store and bring its schema up to date."""
    url = to_url(location)
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        if not path.exists():
            if not create:
                raise StoreError(
                    f"there is no store file at {path}; run `seom-desktop init` to create one"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(url)
    try:
        if migrate:
            store.ensure_schema()
    except BaseException:
        store.close()
        raise
    return store

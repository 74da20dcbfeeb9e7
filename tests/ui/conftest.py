"""Fixtures for the screen tests: a SQLite store whose background tasks are waited for before
it closes, and the dialog hook (every dialog recorded and answered; never a modal box)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from seom_desktop.store import Store
from seom_desktop.ui import dialogs, gc_guard, workers


@pytest.fixture(autouse=True)
def gui_thread_gc(qapp: object) -> None:
    """As in the application: garbage is collected on the GUI thread only (ui/gc_guard.py)."""
    gc_guard.install()


@pytest.fixture
def store(sqlite_store: Store) -> Iterator[Store]:
    """The screens are tested on SQLite (the domain tests cover PostgreSQL)."""
    yield sqlite_store
    assert workers.wait_for_all(30_000)


@dataclass
class Dialogs:
    seen: list[tuple[str, str, str]] = field(default_factory=list)
    answers: list[bool] = field(default_factory=list)
    """Answers to the next confirmations, in order (then: yes)."""
    paths: list[str | None] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.seen]

    def errors(self) -> list[str]:
        return [f"{title}: {message}" for kind, title, message in self.seen if kind == "error"]


@pytest.fixture(autouse=True)
def shown() -> Iterator[Dialogs]:
    record = Dialogs()

    def hook(kind: str, title: str, message: str) -> bool:
        record.seen.append((kind, title, message))
        if kind == "confirm" and record.answers:
            return record.answers.pop(0)
        return True

    def path_hook(title: str, suggested: str) -> str | None:
        return record.paths.pop(0) if record.paths else None

    dialogs.set_hook(hook)
    dialogs.set_path_hook(path_hook)
    yield record
    dialogs.set_hook(None)
    dialogs.set_path_hook(None)

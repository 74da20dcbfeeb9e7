"""The Main Menu window on a store (the full menu arrives with the screens issue)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from seom_desktop import app
from seom_desktop.demo import populate_demo
from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.store import Store, params
from seom_desktop.store import carts as cart_records
from seom_desktop.ui import dialogs
from seom_desktop.ui.main_menu import MainMenu


@pytest.fixture
def shown_dialogs() -> Iterator[list[tuple[str, str, str]]]:
    seen: list[tuple[str, str, str]] = []

    def hook(kind: str, title: str, message: str) -> bool:
        seen.append((kind, title, message))
        return True

    dialogs.set_hook(hook)
    yield seen
    dialogs.set_hook(None)


def test_main_menu_shows_the_store_and_its_backlog(qtbot: QtBot, sqlite_store: Store) -> None:
    assert populate_demo(sqlite_store, "TEST-PC")
    assert not populate_demo(sqlite_store, "TEST-PC")  # only an empty store is filled
    window = MainMenu(sqlite_store, "TEST-PC")
    qtbot.addWidget(window)
    assert window.summary.text() == "40 products, 0 carts"
    assert "TEST-PC" in window.workstation_label.text()
    assert window.backlog_label.text() == "Backlog: 0"

    with sqlite_store.write() as session:
        params.set_value(session, "SynchQOH", True)
        cart_records.add_cart(session, "Shop", "shopify", "https://s.example")
        cart_records.set_sync(session, "Shop", True)
        apply_change(session, QohChange("BLUMUG-100", Source.POS_SALE, delta=-1), "TEST-PC")
    window.refresh()
    assert window.summary.text() == "40 products, 1 carts"
    assert window.backlog_label.text() == "Backlog: 1"


def test_a_crash_is_shown_and_logged(
    shown_dialogs: list[tuple[str, str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        app._excepthook(ValueError, exc, exc.__traceback__)
    assert shown_dialogs == [
        ("error", "Unexpected error", "ValueError: boom\n\nThe details were written to the log.")
    ]
    assert "Traceback" in caplog.text

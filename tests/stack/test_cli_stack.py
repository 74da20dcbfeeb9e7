"""`seom-desktop controller` and `seom-desktop stack ...` as an operator uses them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from sqlalchemy import select, update

from seom_desktop.cli import main
from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.store import params
from seom_desktop.store.models import ControllerLease, StackRow
from tests.shops import Shop


def change(shop: Shop, sku: str, delta: int, workstation: str = "TEST-PC") -> None:
    with shop.store.write() as session:
        apply_change(session, QohChange(sku, Source.MANUAL_ADJUSTMENT, delta=delta), workstation)


def cli(shop: Shop, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--store", shop.store.url.render_as_string(hide_password=False), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def location(shop: Shop) -> str:
    url = shop.store.url
    return str(url.database) if shop.store.is_sqlite else url.render_as_string(hide_password=False)


def test_controller_once_sends_and_exits_zero(
    shop_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Shop": "shopify", "Gen": "generic"})
    change(shop, "A1", -3)
    code, _, err = cli(shop, capsys, "controller", "--once", "--max-wait", "20")
    assert code == 0, err
    assert shop.cart_qoh("Shop") == {"A1": 7}
    assert shop.cart_qoh("Gen") == {"A1": 7}
    code, out, _ = cli(shop, capsys, "stack", "status", "--json")
    state = json.loads(out)
    assert state["pending"] == 0 and state["mode"] == "local"
    assert state["sent_last_minute"] == 2


def test_controller_shared_refuses_when_shared_mode_is_off(
    shop_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Shop": "shopify"})
    code, _, err = cli(shop, capsys, "controller", "--shared", "--once")
    assert code == 1
    assert "SharedStackController is FALSE" in err


def test_controller_that_cannot_open_the_store(tmp_path: Any) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "seom_desktop",
            "--store",
            str(tmp_path / "gone.seom"),
            "controller",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "no store file" in done.stderr
    assert "Traceback" not in done.stderr


def test_controller_runs_until_sigterm_then_releases_its_lease(shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Shop": "shopify"})
    with shop.store.write() as session:
        params.set_value(session, "SharedStackController", True)
    env = {**os.environ, "SEOM_STORE": location(shop)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "seom_desktop", "--workstation", "SERVER", "controller", "--shared"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        change(shop, "A1", 5, workstation="FRONT")
        deadline = time.monotonic() + 30
        while shop.cart_qoh("Shop") != {"A1": 15} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert shop.cart_qoh("Shop") == {"A1": 15}
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stack controller stopped" in err
    with shop.store.read() as session:
        assert session.get(ControllerLease, "shared").holder_token is None  # type: ignore[union-attr]


def test_retry_bypass_delete_adopt(shop_factory: Any, capsys: pytest.CaptureFixture[str]) -> None:
    shop: Shop = shop_factory({"A1": 10, "B2": 3}, {"Shop": "shopify"})
    change(shop, "A1", 1, workstation="GONE-PC")
    change(shop, "B2", 1, workstation="GONE-PC")
    change(shop, "A1", 1)
    with shop.store.read() as session:
        ids = list(session.scalars(select(StackRow.id).order_by(StackRow.id)))
    code, _, err = cli(shop, capsys, "stack", "delete", str(ids[2]))
    assert code == 1 and "--yes" in err
    assert cli(shop, capsys, "stack", "delete", str(ids[2]), "--yes")[0] == 0
    assert cli(shop, capsys, "stack", "bypass", str(ids[1]))[0] == 0
    code, out, _ = cli(shop, capsys, "stack", "list", "--status", "bypassed", "--json")
    assert [r["id"] for r in json.loads(out)] == [ids[1]]
    # The workstation that made the first change is gone: adopt its rows and send them.
    code, out, _ = cli(shop, capsys, "stack", "adopt", "GONE-PC", "--json")
    assert json.loads(out)["adopted"] == 1
    assert cli(shop, capsys, "controller", "--once")[0] == 0
    assert shop.cart_qoh("Shop") == {"A1": 11, "B2": 3}
    code, out, _ = cli(shop, capsys, "stack", "retry", "--all-bypassed", "--json")
    assert json.loads(out) == {"retried": 1}
    with shop.store.write() as session:  # it was made on GONE-PC: adopt it too
        session.execute(update(StackRow).values(origin_workstation="TEST-PC"))
    assert cli(shop, capsys, "controller", "--once")[0] == 0
    assert shop.cart_qoh("Shop") == {"A1": 11, "B2": 4}
    code, _, err = cli(shop, capsys, "stack", "retry", str(ids[0]))
    assert code == 1 and "already sent" in err
    code, _, err = cli(shop, capsys, "stack", "bypass", "99999")
    assert code == 1 and "no web-stack row 99999" in err

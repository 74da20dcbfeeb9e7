"""``seom-desktop qoh send|get`` and ``seom-desktop sandbox``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from seom_desktop.cli import main

from .helpers import GENERIC_SECRET, GENERIC_USER


@pytest.fixture
def store_path(tmp_path: Path, sandbox) -> tuple[str, object]:
    path = str(tmp_path / "cli.seom")
    cart = sandbox("generic", catalog={"A1": 10, "B2": 5, "NEW-1": 8, "C3": None})
    assert main(["--store", path, "init"]) == 0
    for sku, q in (("A1", "3"), ("B2", "4"), ("C3", "2"), ("LOCAL", "1")):
        assert main(["--store", path, "product", "add", sku, "--qoh", q]) == 0
    assert (
        main(
            [
                "--store",
                path,
                "cart",
                "add",
                "Web",
                "--platform",
                "generic",
                "--url",
                cart.url + "/seom.php",
                "--user",
                GENERIC_USER,
                "--secret",
                GENERIC_SECRET,
            ]
        )
        == 0
    )
    return path, cart


def test_qoh_send_text(store_path, capsys) -> None:
    path, cart = store_path
    capsys.readouterr()
    assert main(["--store", path, "qoh", "send", "Web", "--max-items", "2"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == (
        "Send QOH to Web: 4 products: 2 ok, 1 not found, 1 not tracked, 0 errors"
    )
    assert "LOCAL" in out and "not found" in out
    assert err.splitlines() == ["Send QOH to Web: 2/4 products", "Send QOH to Web: 4/4 products"]
    assert cart.inventory()["A1"] == 3
    assert GENERIC_SECRET not in out + err


def test_qoh_get_json_with_create_new(store_path, capsys, tmp_path: Path) -> None:
    path, _cart = store_path
    capsys.readouterr()
    report = tmp_path / "get.csv"
    assert (
        main(["--store", path, "qoh", "get", "Web", "--create-new", "--json", "--csv", str(report)])
        == 0
    )
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["summary"]["changed"] == 3
    assert data["summary"]["created"] == 1
    assert {i["cart_sku"]: i["status"] for i in data["items"]} == {
        "A1": "ok",
        "B2": "ok",
        "NEW-1": "ok",
        "C3": "not tracked",
    }
    assert err == ""
    assert report.read_text().startswith("sku,cart_sku,store_qoh,status,message,cart_qoh")
    main(["--store", path, "product", "show", "NEW-1", "--json"])
    assert json.loads(capsys.readouterr().out)["qoh"] == 8


def test_qoh_refused_while_real_time_sync_is_on(store_path, capsys) -> None:
    path, cart = store_path
    assert main(["--store", path, "param", "set", "SynchQOH", "TRUE"]) == 0
    assert main(["--store", path, "cart", "sync", "Web", "on"]) == 0
    capsys.readouterr()
    assert main(["--store", path, "qoh", "send", "Web"]) == 1
    assert "initial synchronization" in capsys.readouterr().err
    assert cart.stats.requests == 0
    assert main(["--store", path, "qoh", "send", "Web", "--force", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["ok"] == 2


def test_sandbox_command_needs_no_store(tmp_path: Path, capsys) -> None:
    home = Path(os.environ["SEOM_HOME"])
    assert main(["sandbox", "generic", "--faults", "nonsense=1"]) == 1
    assert "unknown key" in capsys.readouterr().err
    assert not home.exists() or not any(home.rglob("*.seom*"))


def test_sandbox_command_serves_until_interrupted(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,qoh\nX1,4\nX2,\n", encoding="utf-8")
    env = {**os.environ, "SEOM_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seom_desktop",
            "sandbox",
            "woocommerce",
            "--catalog",
            str(catalog),
            "--secret",
            "cs_cli",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("woocommerce sandbox cart listening on http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1].strip()
        assert requests.get(url + "/_sandbox/inventory", timeout=10).json() == {"X1": 4, "X2": None}
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").rglob("*.seom*"))

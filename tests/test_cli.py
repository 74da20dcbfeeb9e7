"""The headless commands as an operator types them."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from seom_desktop.cli import main


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "shop.seom"
    monkeypatch.setenv("SEOM_STORE", str(path))
    assert main(["init"]) == 0
    return path


def content(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Everything the store holds except the workstations' last-seen times."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in tables
            if t != "workstations"
        }


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_a_clerks_day(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run(capsys, "product", "add", "A1", "--name", "Blue mug", "--qoh", "10")[0] == 0
    assert (
        run(
            capsys,
            "cart",
            "add",
            "Shop",
            "--platform",
            "shopify",
            "--url",
            "https://shop.example",
            "--secret",
            "shpat_secret_value",
        )[0]
        == 0
    )
    assert run(capsys, "param", "set", "SynchQOH", "TRUE")[0] == 0
    assert run(capsys, "cart", "sync", "Shop", "on")[0] == 0
    result = run_json(capsys, "adjust", "A1", "--add", "5", "--reason", "physical count")
    assert result == {
        "sku": "A1",
        "qoh_before": 10,
        "delta": 5,
        "qoh_after": 15,
        "ledger_id": result["ledger_id"],  # type: ignore[index]
        "stack_rows": result["stack_rows"],  # type: ignore[index]
        "carts": ["Shop"],
    }
    rows = run_json(capsys, "stack", "list")
    assert [(r["cart"], r["sku"], r["delta"], r["status"]) for r in rows] == [  # type: ignore[union-attr, index]
        ("Shop", "A1", 5, "pending")
    ]
    shown = run_json(capsys, "product", "show", "A1")
    assert shown["qoh"] == 15  # type: ignore[index]


def test_set_and_no_send(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["product", "add", "A1", "--qoh", "10"])
    main(["cart", "add", "Woo", "--platform", "woocommerce", "--url", "https://woo.example"])
    main(["param", "set", "SynchQOH", "on"])
    main(["cart", "sync", "Woo", "on"])
    capsys.readouterr()
    code, out, _ = run(capsys, "adjust", "A1", "--set", "40")
    assert code == 0
    assert "10 -> 40 (+30); queued for Woo" in out
    code, out, _ = run(capsys, "adjust", "A1", "--subtract", "1", "--no-send")
    assert "not sent to any cart" in out
    assert len(run_json(capsys, "stack", "list")) == 1  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["adjust", "NOPE", "--add", "1"], "no product with SKU 'NOPE'"),
        (["adjust", "A1", "--add", "1.5"], "whole number"),
        (["adjust", "A1", "--add", "-2"], "cannot be negative"),
        (["adjust", "A1", "--set", "lots"], "whole number"),
        (["adjust", "A1", "--add", "1", "--reason", "cosmic rays"], "QOHReason"),
        (["param", "set", "SynchQOH", "perhaps"], "TRUE or FALSE"),
        (["param", "get", "NoSuchThing"], "no system parameter"),
        (["cart", "sync", "Nowhere", "on"], "no cart called"),
        (["cart", "add", "X", "--platform", "amazonas", "--url", "u"], "unknown cart platform"),
        (["cart", "set", "Phone", "colour=red"], "no field"),
        (["cart", "sync", "Phone", "on"], "cannot take real-time"),
        (["product", "add", "A1"], "already exists"),
        (["product", "web-fields", "A1", "Nowhere"], "no cart called"),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(
    store_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    main(["product", "add", "A1", "--qoh", "3"])
    main(["cart", "add", "Phone", "--platform", "manual", "--url", ""])
    capsys.readouterr()
    before = content(store_path)
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert content(store_path) == before


def test_secrets_are_never_printed(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(
        [
            "cart",
            "add",
            "Woo",
            "--platform",
            "woocommerce",
            "--url",
            "https://w.example",
            "--user",
            "ck_public",
            "--secret",
            "cs_very_secret",
        ]
    )
    main(["cart", "set", "Woo", "secret=cs_even_more_secret", "option.allow_http=true"])
    out, err = capsys.readouterr()
    for argv in (["cart", "list"], ["cart", "list", "--json"]):
        code, out, err = run(capsys, *argv)
        assert code == 0
        assert "cs_very_secret" not in out + err
        assert "cs_even_more_secret" not in out + err
        assert "********" in out
        assert "ck_public" in out


def test_product_import(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("sku,name,qoh\nA1,Mug,5\nB2,Plate,\n", encoding="utf-8")
    assert run_json(capsys, "product", "import", str(csv_file)) == {
        "created": 2,
        "updated": 0,
        "qoh_changed": 0,
    }
    csv_file.write_text("sku,name,qoh\nA1,Big mug,7\n", encoding="utf-8")
    assert run_json(capsys, "product", "import", str(csv_file)) == {
        "created": 0,
        "updated": 1,
        "qoh_changed": 1,
    }
    listed = run_json(capsys, "product", "list")
    assert [(p["sku"], p["name"], p["qoh"]) for p in listed] == [  # type: ignore[union-attr, index]
        ("A1", "Big mug", 7),
        ("B2", "Plate", 0),
    ]


def test_a_bad_import_file_names_the_line_and_imports_nothing(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("sku,name,qoh\nA1,Mug,5\nB2,Plate,five\n", encoding="utf-8")
    code, _, err = run(capsys, "product", "import", str(csv_file))
    assert code == 1
    assert "line 3" in err
    assert run_json(capsys, "product", "list") == []


def test_web_fields(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["product", "add", "A1"])
    main(["cart", "add", "Shop", "--platform", "shopify", "--url", "https://s.example"])
    capsys.readouterr()
    info = run_json(
        capsys, "product", "web-fields", "A1", "Shop", "--cart-sku", "S-A1", "--sync", "off"
    )
    assert info["cart_sku"] == "S-A1" and info["sync_qoh"] is False  # type: ignore[index]


def test_params(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = run_json(capsys, "param", "list")
    names = {p["name"]: p for p in listed}  # type: ignore[union-attr, index]
    assert names["SynchQOH"]["value"] is False
    assert names["SynchQOH"]["group"] == "Program"
    assert names["StackMaxAttempts"]["value"] == 10
    run(capsys, "param", "set", "QOHReason", "Count;Broken")
    _, out, _ = run(capsys, "param", "get", "qohreason")
    assert out.strip() == "Count; Broken"


def test_a_command_needs_an_existing_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--store", str(tmp_path / "typo.seom"), "product", "list")
    assert code == 1
    assert "seom-desktop init" in err
    assert not (tmp_path / "typo.seom").exists()


def test_the_store_is_resolved_in_the_documented_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from seom_desktop import config

    # Nothing given: the default store in the (isolated) user data folder.
    assert run_json(capsys, "init")["store"] == str(config.default_store_path())  # type: ignore[index]
    saved = tmp_path / "saved.seom"
    config.WorkstationConfig(name="SAVED-PC", store=str(saved)).save()
    monkeypatch.delenv("SEOM_WORKSTATION")
    result = run_json(capsys, "init")
    assert result == {"store": str(saved), "schema": result["schema"], "workstation": "SAVED-PC"}  # type: ignore[index]
    env = tmp_path / "env.seom"
    monkeypatch.setenv("SEOM_STORE", str(env))
    assert run_json(capsys, "init")["store"] == str(env)  # type: ignore[index]
    flag = tmp_path / "flag.seom"
    assert run_json(capsys, "--store", str(flag), "init")["store"] == str(flag)  # type: ignore[index]


def _cli(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seom_desktop", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_a_locked_store_is_reported_and_nothing_is_lost(store_path: Path) -> None:
    env = {**os.environ, "SEOM_STORE": str(store_path), "SEOM_BUSY_TIMEOUT": "0.5"}
    assert _cli("product", "add", "A1", "--qoh", "5", env=env).returncode == 0
    holder = sqlite3.connect(store_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        done = _cli("adjust", "A1", "--add", "1", env=env)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 1
    assert "locked by another workstation" in done.stderr
    assert "Traceback" not in done.stderr
    again = _cli("adjust", "A1", "--add", "1", "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["qoh_after"] == 6


def test_the_cli_never_imports_qt(store_path: Path) -> None:
    env = {**os.environ, "SEOM_STORE": str(store_path)}
    code = (
        "import sys; from seom_desktop.cli import main; main(['product', 'list']); "
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_orders_pos_purchase_orders_and_kits(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for sku, qoh in [("A1", "10"), ("B2", "6"), ("BOX", "0")]:
        assert run(capsys, "product", "add", sku, "--qoh", qoh)[0] == 0
    kit: Any = run_json(capsys, "kit", "define", "BOX", "A1:2", "B2:1")
    assert (kit["qoh"], kit["components"]) == (
        5,
        [{"sku": "A1", "quantity": 2}, {"sku": "B2", "quantity": 1}],
    )
    sale: Any = run_json(capsys, "pos", "sale", "BOX", "B2:2")
    assert sale["kind"] == "POS"
    order: Any = run_json(capsys, "order", "add", "A1:1")
    assert order["number"] == sale["number"] + 1
    shown: Any = run_json(capsys, "product", "list")
    assert {p["sku"]: p["qoh"] for p in shown} == {"A1": 7, "B2": 3, "BOX": 3}
    code, out, _ = run(capsys, "order", "cancel", str(order["number"]))
    assert code == 0 and "cancelled" in out
    po: Any = run_json(capsys, "po", "create", "Acme", "A1:100", "B2:5")
    assert po["status"] == "open"
    received: Any = run_json(capsys, "po", "receive", str(po["number"]), "A1:40")
    assert received["status"] == "partly received"
    assert [c["qoh_after"] for c in received["changes"]] == [48]
    run_json(capsys, "po", "receive", str(po["number"]))
    shown = run_json(capsys, "product", "list")
    assert {p["sku"]: p["qoh"] for p in shown} == {"A1": 108, "B2": 8, "BOX": 8}

    before = content(store_path)
    for argv, message in [
        (("pos", "sale", "NOPE:1"), "no product with SKU 'NOPE'"),
        (("order", "add", "A1:0"), "at least 1"),
        (("order", "add", "A1:-2"), "cannot be negative"),
        (("order", "add", "A1:x"), "whole number"),
        (("po", "receive", str(po["number"]), "A1:1"), "nothing|0 outstanding"),
        (("order", "cancel", str(order["number"])), "already cancelled"),
        (("kit", "define", "A1", "BOX:1"), "kit"),
        (("adjust", "BOX", "--add", "1"), "derived from its components"),
        (("orders", "import", "Nowhere"), "no cart called"),
    ]:
        code, out, err = run(capsys, *argv)
        assert code == 1, argv
        assert re.search(message, err), (argv, err)
    assert content(store_path) == before
    listed: Any = run_json(capsys, "order", "list")
    assert [(o["number"], o["status"]) for o in listed] == [
        (order["number"], "cancelled"),
        (sale["number"], "open"),
    ]

"""The shared base: lifecycle, catalogue loading, control endpoints, persistence."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from seom_desktop.sandbox import PLATFORMS, create_sandbox, run_sandbox, start_sandbox
from seom_desktop.sandbox.catalog import load_catalog_csv


def test_context_manager_starts_and_stops() -> None:
    with start_sandbox("generic", catalog={"A1": 1}) as cart:
        assert cart.running
        url = cart.url
        assert requests.get(url + "/_sandbox/inventory", timeout=10).json() == {"A1": 1}
    assert not cart.running
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/_sandbox/inventory", timeout=10)


def test_unknown_platform() -> None:
    with pytest.raises(ValueError, match="unknown sandbox platform"):
        create_sandbox("prestashop")
    assert set(PLATFORMS) == {
        "generic",
        "shopify",
        "woocommerce",
        "bigcommerce",
        "miva",
        "magento",
    }


def test_catalog_csv_empty_qoh_is_untracked(tmp_path: Path, sandbox, http) -> None:
    csv_file = tmp_path / "catalog.csv"
    csv_file.write_text("sku,qoh\nA1,5\nB2,\nC3,0\n", encoding="utf-8")
    for platform in PLATFORMS:
        cart = sandbox(platform, catalog=csv_file)
        inventory = http.get(cart.url + "/_sandbox/inventory", timeout=10).json()
        assert inventory == {"A1": 5, "B2": None, "C3": 0}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("code,qty\nA1,5\n", "sku,qoh"),
        ("sku,qoh\nA1,5\nA1,6\n", "duplicate"),
        ("sku,qoh\nA1,many\n", "not an integer"),
        ("sku,qoh\n,5\n", "empty sku"),
    ],
)
def test_catalog_csv_errors(tmp_path: Path, content: str, message: str) -> None:
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_catalog_csv(csv_file)


def test_web_order_lowers_qoh_of_tracked_skus(sandbox, http) -> None:
    cart = sandbox("generic", catalog={"A1": 5, "B2": None})
    r = http.post(
        cart.url + "/_sandbox/order",
        json={"lines": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}]},
        timeout=10,
    )
    assert r.json() == {"order": "1001"}
    assert http.get(cart.url + "/_sandbox/inventory", timeout=10).json() == {"A1": 3, "B2": None}
    bad = http.post(
        cart.url + "/_sandbox/order",
        json={"lines": [{"sku": "A1", "qty": 1}, {"sku": "ZZ", "qty": 1}]},
        timeout=10,
    )
    assert bad.status_code == 400
    assert http.get(cart.url + "/_sandbox/inventory", timeout=10).json()["A1"] == 3
    assert (
        http.post(cart.url + "/_sandbox/order", json={"lines": []}, timeout=10).status_code == 400
    )
    stats = http.get(cart.url + "/_sandbox/stats", timeout=10).json()
    assert stats["orders_created"] == 1
    assert stats["changes_applied"] == 0  # web sales are not protocol changes


def test_set_inventory_and_reset(sandbox, http) -> None:
    cart = sandbox("generic", catalog={"A1": 5, "B2": 1})
    http.post(cart.url + "/_sandbox/inventory", json={"A1": 40, "B2": None}, timeout=10)
    assert cart.inventory() == {"A1": 40, "B2": None}
    http.post(cart.url + "/_sandbox/order", json={"lines": [{"sku": "A1", "qty": 1}]}, timeout=10)
    assert http.post(cart.url + "/_sandbox/reset", timeout=10).json() == {"reset": True}
    assert cart.inventory() == {"A1": 5, "B2": 1}
    assert http.get(cart.url + "/_sandbox/orders", timeout=10).json() == {"orders": []}
    assert http.get(cart.url + "/_sandbox/nothing", timeout=10).status_code == 404


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_state_file_survives_restart(tmp_path: Path, platform: str, http) -> None:
    state = tmp_path / "cart.json"
    with start_sandbox(platform, catalog={"A1": 5, "B2": None}, state_file=state) as cart:
        http.post(cart.url + "/_sandbox/inventory", json={"A1": 9}, timeout=10)
        http.post(
            cart.url + "/_sandbox/order", json={"lines": [{"sku": "A1", "qty": 2}]}, timeout=10
        )
        port = cart.port
    # Same port, same session: the old keep-alive connection must be gone.
    with start_sandbox(platform, catalog={"X": 1}, state_file=state, port=port) as again:
        assert http.get(again.url + "/_sandbox/inventory", timeout=10).json() == {
            "A1": 7,
            "B2": None,
        }
        orders = http.get(again.url + "/_sandbox/orders", timeout=10).json()["orders"]
        assert [o["number"] for o in orders] == [1001]
        r = http.post(again.url + "/_sandbox/order", json={"lines": [{"sku": "A1", "qty": 1}]})
        assert r.json() == {"order": "1002"}


def test_state_file_of_another_platform_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "cart.json"
    with start_sandbox("generic", state_file=state):
        pass
    with pytest.raises(ValueError, match="generic"):
        create_sandbox("shopify", state_file=state)


def test_run_sandbox_prints_url_and_credentials() -> None:
    import io
    import threading

    out = io.StringIO()
    done = threading.Event()
    done.set()  # stop at once: only the banner matters here
    assert run_sandbox("woocommerce", out=out, stop_event=done) == 0
    text = out.getvalue()
    assert "woocommerce sandbox cart listening on http://127.0.0.1:" in text
    assert "consumer key: ck_sandbox" in text
    assert "consumer secret: cs_sandbox" in text


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("bigcommerce", ["X-Auth-Token: bc_sandbox_token_", "store hash: sbx0store1"]),
        ("miva", ["Store_Code: SBX", "X-Miva-API-Authorization: MIVA miva_sandbox_token_"]),
        ("magento", ["Authorization: Bearer magento_sandbox_integration_token_"]),
    ],
)
def test_run_sandbox_prints_credentials(platform: str, expected: list[str]) -> None:
    import io
    import threading

    out = io.StringIO()
    done = threading.Event()
    done.set()
    assert run_sandbox(platform, out=out, stop_event=done) == 0
    text = out.getvalue()
    assert f"{platform} sandbox cart listening on http://127.0.0.1:" in text
    for line in expected:
        assert line in text

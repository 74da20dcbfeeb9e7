"""The fault spec grammar and the injector, plus each fault kind on a live sandbox."""

from __future__ import annotations

import json

import pytest
import requests

from seom_desktop.sandbox.faults import FaultInjector, FaultSpec, parse_faults

FORM = {"setiuser": "seom", "password": "seom-sandbox", "code": "S1", "omversion": "9"}


def test_parse_full_spec() -> None:
    spec = parse_faults(
        "latency=20ms,error500=0.1,drop=0.05,lost=0.1,throttle=0.1,malformed=0.05,"
        "oversized=0.01,seed=7"
    )
    assert spec.latency == pytest.approx(0.02)
    assert (spec.error500, spec.drop, spec.lost) == (0.1, 0.05, 0.1)
    assert (spec.throttle, spec.malformed, spec.oversized, spec.seed) == (0.1, 0.05, 0.01, 7)
    assert parse_faults(spec.to_string()) == spec


@pytest.mark.parametrize(
    ("text", "seconds"), [("latency=0.5s", 0.5), ("latency=250", 0.25), ("latency=3ms", 0.003)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_faults(text).latency == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("error500", "key=value"),
        ("bogus=0.1", "unknown key"),
        ("drop=1.5", "between 0 and 1"),
        ("drop=x", "not a number"),
        ("latency=fast", "duration"),
        ("seed=1.5", "integer"),
        ("drop=0.1,drop=0.2", "twice"),
        ("drop=0.6,lost=0.6", "add up"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_faults(text)


def test_empty_and_none_specs_do_nothing() -> None:
    assert parse_faults("") == FaultSpec()
    assert parse_faults(None) == FaultSpec()
    assert not FaultInjector("").decide().kind


def test_seeded_injector_is_reproducible() -> None:
    spec = "error500=0.3,drop=0.3,lost=0.3,seed=42"
    first = [FaultInjector(spec).decide().kind for _ in range(1)]
    a, b = FaultInjector(spec), FaultInjector(spec)
    seq_a = [a.decide().kind for _ in range(50)]
    seq_b = [b.decide().kind for _ in range(50)]
    assert seq_a == seq_b
    assert seq_a[:1] == first
    assert {"error500", "drop", "lost", None} >= set(seq_a)
    assert len(set(seq_a)) > 2


def test_probability_one_always_fires() -> None:
    injector = FaultInjector("throttle=1")
    assert all(injector.decide().kind == "throttle" for _ in range(20))


# -- each fault kind against a live sandbox (generic invupdate: a visible, relative change) --


def _invupdate(http: requests.Session, url: str, delta: int) -> requests.Response:
    data = {**FORM, "setifunction": "invupdate", "update": f"A1~{delta}"}
    return http.post(url + "/seom.php", data=data, timeout=10)


def _qoh(http: requests.Session, url: str) -> int:
    return http.get(url + "/_sandbox/inventory", timeout=10).json()["A1"]


def test_lost_applies_but_the_answer_never_arrives(sandbox, http) -> None:
    cart = sandbox("generic", catalog={"A1": 10}, faults="lost=1")
    with pytest.raises(requests.ConnectionError):
        _invupdate(http, cart.url, -3)
    assert _qoh(http, cart.url) == 7
    stats = http.get(cart.url + "/_sandbox/stats", timeout=10).json()
    assert stats["faults"]["lost"] == 1
    assert stats["changes_applied"] == 1


def test_drop_does_not_apply(sandbox, http) -> None:
    cart = sandbox("generic", catalog={"A1": 10}, faults="drop=1")
    with pytest.raises(requests.ConnectionError):
        _invupdate(http, cart.url, -3)
    assert _qoh(http, cart.url) == 10


def test_error500_does_not_apply(sandbox, http) -> None:
    cart = sandbox("generic", catalog={"A1": 10}, faults="error500=1")
    assert _invupdate(http, cart.url, -3).status_code == 500
    assert _qoh(http, cart.url) == 10


def test_throttle_fault_answers_429_with_retry_after(sandbox, http) -> None:
    cart = sandbox("generic", catalog={"A1": 10}, faults="throttle=1")
    r = _invupdate(http, cart.url, -3)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert _qoh(http, cart.url) == 10


def test_malformed_applies_and_truncates(sandbox, http) -> None:
    cart = sandbox("woocommerce", catalog={"A1": 10}, faults="malformed=1")
    r = http.put(
        cart.url + "/wp-json/wc/v3/products/1001",
        json={"stock_quantity": 4},
        auth=(cart.user, cart.secret),
        timeout=10,
    )
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)
    assert _qoh(http, cart.url) == 4


def test_oversized_applies_and_sends_megabytes(sandbox, http) -> None:
    cart = sandbox("generic", catalog={"A1": 10}, faults="oversized=1", oversized_bytes=2_000_000)
    r = _invupdate(http, cart.url, 5)
    assert len(r.content) == 2_000_000
    assert "SETIResponse" not in r.text
    assert _qoh(http, cart.url) == 15


def test_latency_still_answers(sandbox, http) -> None:
    cart = sandbox("generic", catalog={"A1": 10}, faults="latency=1ms")
    assert _invupdate(http, cart.url, 1).text.startswith("SETIResponse=OK")


def test_faults_can_change_at_runtime(sandbox, http) -> None:
    cart = sandbox("generic", catalog={"A1": 10}, faults="error500=1")
    assert _invupdate(http, cart.url, 1).status_code == 500
    r = http.post(cart.url + "/_sandbox/faults", data="", timeout=10)
    assert r.json() == {"faults": ""}
    assert _invupdate(http, cart.url, 1).status_code == 200
    r = http.post(cart.url + "/_sandbox/faults", json={"faults": "drop=1,seed=3"}, timeout=10)
    assert r.json() == {"faults": "drop=1,seed=3"}
    assert http.post(cart.url + "/_sandbox/faults", data="drop=7", timeout=10).status_code == 400
    # control endpoints never get faults
    assert http.get(cart.url + "/_sandbox/stats", timeout=10).json()["faults"]["error500"] == 1

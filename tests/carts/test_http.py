"""The HTTP layer: plain-http refusal, redaction, size limit, rate limiting, error flags.

Real HTTP only: the sandbox carts and a scripted loopback server; a fake clock stands in for
time so waits cost nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from seom_desktop.carts.base import CartError, QohDelta, QohSet
from seom_desktop.carts.generic import GenericConnector
from seom_desktop.carts.http import (
    MAX_THROTTLE_RETRIES,
    RateLimiter,
    Redactor,
    decode_json,
    encode_query,
    is_loopback,
    parse_retry_after,
)
from seom_desktop.carts.registry import connector_for
from seom_desktop.errors import InputError

from .helpers import (
    GENERIC_SECRET,
    FakeClock,
    Seen,
    cart_info,
    generic_info,
    scripted_server,
    shopify_info,
    woo_info,
)

CATALOG = {"A1": 10, "B2": 5, "C3": None}


def test_loopback_hosts() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host), host
    for host in ("10.0.0.1", "192.0.2.1", "shop.example.com", "localhost.example.com", ""):
        assert not is_loopback(host), host


def test_plain_http_to_a_remote_host_is_refused_without_contacting_it() -> None:
    # 192.0.2.1 (TEST-NET-1) never answers: contacting it would hang until the timeout.
    info = cart_info("generic", "http://192.0.2.1/seom.php", "seom", "s3cret-pass")
    with pytest.raises(CartError) as caught:
        connector_for(info, timeout=0.5)
    assert "refusing plain http://" in str(caught.value)
    assert caught.value.transient is False
    assert "s3cret-pass" not in str(caught.value)


def test_allow_http_option_and_https_are_accepted(sandbox) -> None:
    remote = cart_info("generic", "http://192.0.2.1/seom.php", allow_http="true")
    connector_for(remote).close()  # built: the refusal is lifted for this cart
    connector_for(cart_info("shopify", "https://shop.example.com", secret="x")).close()
    with pytest.raises(CartError, match="must start with https://"):
        connector_for(cart_info("woocommerce", "ftp://shop.example.com"))


def test_registry_names_platforms_without_a_connector() -> None:
    with pytest.raises(InputError, match="does not exchange quantities"):
        connector_for(cart_info("manual", ""))


def test_redactor_removes_every_form_of_the_secret() -> None:
    secret = "p@ss w/rd&=1"
    redact = Redactor([secret], [("user", secret)])
    basic = base64.b64encode(f"user:{secret}".encode()).decode()
    text = (
        f"plain {secret} quoted {quote(secret, safe='')} plus {quote_plus(secret)} "
        f'json "{secret}" basic {basic} header Authorization: Basic Zm9vOmJhcg== '
        "X-Shopify-Access-Token: shpat_abc form password=hunter2&x=1"
    )
    out = redact(text)
    for leaked in (
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        basic,
        "Zm9vOmJhcg",
        "shpat_abc",
        "hunter2",
    ):
        assert leaked not in out, leaked
    assert "x=1" in out


def test_an_echoed_password_never_reaches_the_error(sandbox) -> None:
    secret = "echo&me=please"

    def answer(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        return 200, {}, b"SETIError: Invalid login for request " + seen.body

    with scripted_server(answer) as server:
        conn = connector_for(cart_info("generic", server.url + "/seom.php", "seom", secret))
        with pytest.raises(CartError) as caught:
            conn.test_connection()
    message = str(caught.value)
    assert "Invalid login" in message
    assert secret not in message
    assert quote_plus(secret) not in message
    assert caught.value.transient is False


def test_wrong_credentials_give_a_permanent_error_without_the_secret(sandbox) -> None:
    woo = sandbox("woocommerce", catalog=CATALOG)
    info = woo_info(woo)
    wrong = cart_info("woocommerce", woo.url, info.username, "cs_wrong_secret_value")
    with connector_for(wrong) as conn, pytest.raises(CartError) as caught:
        conn.test_connection()
    assert caught.value.status == 401
    assert caught.value.transient is False
    assert "cs_wrong_secret_value" not in str(caught.value)
    shop = sandbox("shopify", catalog=CATALOG)
    bad = cart_info("shopify", shop.url, secret="shpat_not_the_token")
    with connector_for(bad) as conn, pytest.raises(CartError) as caught:
        conn.test_connection()
    assert caught.value.status == 401
    assert "shpat_not_the_token" not in str(caught.value)


def test_lost_answer_to_a_change_is_applied_unknown(sandbox) -> None:
    cart = sandbox("generic", catalog=CATALOG, faults="lost=1")
    with GenericConnector(generic_info(cart)) as conn:
        with pytest.raises(CartError) as caught:
            conn.adjust_qoh([QohDelta("A1", -2, "k1")])
        assert caught.value.applied_unknown is True
        assert caught.value.transient is True
        assert cart.inventory()["A1"] == 8  # it was applied
        with pytest.raises(CartError) as caught:
            list(conn.iter_qoh())  # a read cannot have changed anything
        assert caught.value.applied_unknown is False
    assert GENERIC_SECRET not in str(caught.value)


def test_truncated_and_oversized_answers(sandbox) -> None:
    shop = sandbox("shopify", catalog=CATALOG)
    with connector_for(shopify_info(shop, location_id="76543210001")) as conn:
        assert conn.read_qoh(["A1"]) == {"A1": 10}
        shop.set_faults("malformed=1")
        with pytest.raises(CartError, match="not valid JSON") as caught:
            conn.adjust_qoh([QohDelta("A1", 1, "k-malformed")])
        assert caught.value.applied_unknown is True
    cart = sandbox("generic", catalog=CATALOG, faults="oversized=1", oversized_bytes=300_000)
    with GenericConnector(generic_info(cart), max_body=100_000) as conn:
        with pytest.raises(CartError, match="larger than") as caught:
            conn.set_qoh([QohSet("A1", 3)])
        assert caught.value.applied_unknown is True
        with pytest.raises(CartError, match="larger than") as caught:
            conn.test_connection()
        assert caught.value.applied_unknown is False


def test_server_error_and_refused_connection_are_transient_and_not_applied(sandbox) -> None:
    cart = sandbox("generic", catalog=CATALOG, faults="error500=1")
    with GenericConnector(generic_info(cart)) as conn, pytest.raises(CartError) as caught:
        conn.set_qoh([QohSet("A1", 3)])
    assert (caught.value.status, caught.value.transient, caught.value.applied_unknown) == (
        500,
        True,
        False,
    )
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    info = cart_info("generic", f"http://127.0.0.1:{port}/seom.php", "seom", "pw")
    with GenericConnector(info) as conn, pytest.raises(CartError) as caught:
        conn.adjust_qoh([QohDelta("A1", 1, "k")])
    assert caught.value.transient is True
    assert caught.value.applied_unknown is False


def test_redirects_are_not_followed() -> None:
    def answer(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        return 302, {"Location": "https://elsewhere.example.com/seom.php"}, b""

    with scripted_server(answer) as server:
        conn = connector_for(cart_info("generic", server.url + "/seom.php", "u", "pw"))
        with pytest.raises(CartError, match="redirect") as caught:
            conn.test_connection()
        assert caught.value.transient is False
        assert len(server.requests) == 1


def test_429_retry_after_is_waited_out(sandbox, clock: FakeClock) -> None:
    cart = sandbox("generic", catalog=CATALOG, rate_limit_rps=1, clock=clock)
    with GenericConnector(generic_info(cart), clock=clock, sleep=clock.sleep) as conn:
        results = conn.adjust_qoh([QohDelta("A1", -1, "k1"), QohDelta("B2", -1, "k2")])
    assert [r.status.value for r in results] == ["ok", "ok"]
    assert cart.stats.rate_limited >= 1
    assert clock.sleeps and clock.sleeps[0] >= 1.0  # Retry-After: 1
    assert cart.inventory() == {"A1": 9, "B2": 4, "C3": None}


def test_endless_429_ends_in_a_transient_error_with_retry_after(sandbox, clock) -> None:
    cart = sandbox("woocommerce", catalog=CATALOG, faults="throttle=1")
    conn = connector_for(woo_info(cart), clock=clock, sleep=clock.sleep)
    with conn, pytest.raises(CartError) as caught:
        conn.test_connection()
    assert caught.value.status == 429
    assert caught.value.transient is True
    assert caught.value.retry_after == 1.0
    assert len(clock.sleeps) == MAX_THROTTLE_RETRIES


def test_bigcommerce_quota_headers_pause_the_next_request(clock: FakeClock) -> None:
    calls: list[float] = []

    def answer(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        calls.append(clock())
        left = "0" if len(calls) == 1 else "5"
        headers = {"X-Rate-Limit-Requests-Left": left, "X-Rate-Limit-Time-Reset-Ms": "2500"}
        return 200, headers, b"SETIResponse: version=1.000"

    with scripted_server(answer) as server:
        conn = GenericConnector(
            cart_info("generic", server.url + "/seom.php", "u", "pw"),
            clock=clock,
            sleep=clock.sleep,
        )
        conn.http.request("POST", conn.cart.url, mutating=False, what="one")
        conn.http.request("POST", conn.cart.url, mutating=False, what="two")
    assert clock.sleeps == [2.5]
    assert calls[1] - calls[0] == 2.5


def test_rate_limiter_bucket_and_pause(clock: FakeClock) -> None:
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    assert limiter.wait(500) == 0  # nothing known yet
    limiter.observe_bucket(1000, 100, 50)
    assert limiter.delay_for(300) == pytest.approx(4.0, abs=0.01)
    clock.advance(2)
    assert limiter.delay_for(300) == pytest.approx(2.0, abs=0.01)
    limiter.pause(5)
    assert limiter.delay_for(0) == pytest.approx(5.0)
    # after the 5 s pause the bucket has refilled 350 points: no extra wait for 300
    assert limiter.delay_for(300) == pytest.approx(5.0)
    assert limiter.wait(300) == pytest.approx(5.0)
    assert clock.sleeps == [pytest.approx(5.0)]


def test_retry_after_forms() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = dt.datetime(2026, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Fri, 01 May 2026 12:00:30 GMT", lambda: now) == 30.0


@pytest.mark.parametrize(
    "params",
    [
        {"sku": "A1,B2,C-3.x_y~z", "per_page": 100},
        {"sku": "a b&c=d,é/ü?#%"},
        {"searchCriteria[pageSize]": 300, "searchCriteria[currentPage]": 2},
        {"ids": [1, 2, 3], "skip": None, "flag": True},
    ],
)
def test_a_query_reads_back_as_requests_would_send_it(params: dict[str, object]) -> None:
    """Our query strings decode to what requests' own encoding decodes to."""
    ours = encode_query(params)
    theirs = requests.Request("GET", "http://127.0.0.1/", params=params).prepare().url
    assert theirs is not None
    assert parse_qsl(ours, keep_blank_values=True) == parse_qsl(
        urlsplit(theirs).query, keep_blank_values=True
    )


def test_plain_sku_lists_are_sent_as_they_are() -> None:
    assert encode_query({"sku": "A1,B2,C-3", "page": 2}) == "sku=A1,B2,C-3&page=2"


# -- decode_json ----------------------------------------------------------------------------
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # past orjson's 64 bits too
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_JSON_VALUES)
def test_decode_json_reads_every_answer_as_json_does(value) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=1, ensure_ascii=False)):
        body = text.encode("utf-8")
        assert repr(decode_json(body)) == repr(json.loads(text))  # repr: NaN != NaN


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"\xef\xbb\xbf{}", b'{"a": 1} x', b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000],
)
def test_decode_json_refuses_what_is_not_json(body: bytes) -> None:
    with pytest.raises((ValueError, RecursionError)):
        decode_json(body)

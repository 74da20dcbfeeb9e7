"""Stone Edge generic cart script sandbox: the documented functions and rules."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests

CATALOG = {"A1": 10, "B2": None, "C3": 0, "D4": 7, "E5": 3}


@pytest.fixture
def cart(sandbox):
    return sandbox("generic", catalog=CATALOG)


def call(http: requests.Session, cart, function: str, **params: str) -> requests.Response:
    data = {
        "setifunction": function,
        "setiuser": cart.user,
        "password": cart.secret,
        "code": "STORE1",
        "omversion": "9.000",
        **params,
    }
    return http.post(cart.url + "/seom.php", data=data, timeout=10)


def test_sendversion_needs_no_login(cart, http) -> None:
    r = http.post(cart.url + "/seom.php", data={"setifunction": "sendversion"}, timeout=10)
    assert r.text == "SETIResponse: version=1.000"


@pytest.mark.parametrize("function", ["getproductscount", "downloadqoh", "qohreplace", "invupdate"])
def test_bad_credentials_are_refused(cart, http, function: str) -> None:
    data = {"setifunction": function, "setiuser": cart.user, "password": "wrong", "update": "A1~1"}
    r = http.post(cart.url + "/seom.php", data=data, timeout=10)
    assert r.text == "SETIError: Invalid login"
    assert cart.inventory()["A1"] == 10


def test_form_post_only(cart, http) -> None:
    assert http.get(cart.url + "/seom.php", timeout=10).status_code == 405
    r = http.post(cart.url + "/seom.php", json={"setifunction": "getproductscount"}, timeout=10)
    assert r.text.startswith("SETIError")
    assert http.post(cart.url + "/other.php", timeout=10).status_code == 404
    assert call(http, cart, "nosuchfunction").text.startswith("SETIError: Unknown function")


def test_getproductscount(cart, http) -> None:
    assert call(http, cart, "getproductscount").text == "SETIResponse: itemcount=5"


def test_downloadqoh_pages_are_one_based(cart, http) -> None:
    root = ET.fromstring(call(http, cart, "downloadqoh", startnum="1", batchsize="2").text)
    assert root.tag == "SETIProducts"
    assert root.findtext("Response/ResponseCode") == "1"
    products = [(p.findtext("Code"), p.findtext("QOH")) for p in root.findall("Product")]
    assert products == [("A1", "10"), ("B2", "NA")]
    assert all(p.findtext("WebID") for p in root.findall("Product"))
    root = ET.fromstring(call(http, cart, "downloadqoh", startnum="5", batchsize="2").text)
    assert [p.findtext("Code") for p in root.findall("Product")] == ["E5"]
    root = ET.fromstring(call(http, cart, "downloadqoh", startnum="6", batchsize="2").text)
    assert root.findtext("Response/ResponseCode") == "2"
    assert root.findall("Product") == []


@pytest.mark.parametrize(
    ("startnum", "batchsize"), [("0", "10"), ("1", "0"), ("1", "1001"), ("x", "1")]
)
def test_downloadqoh_bad_range_is_code_3(cart, http, startnum: str, batchsize: str) -> None:
    r = call(http, cart, "downloadqoh", startnum=startnum, batchsize=batchsize)
    root = ET.fromstring(r.text)
    assert root.findtext("Response/ResponseCode") == "3"
    assert root.findtext("Response/ResponseDescription")


def test_newline_free_xml_variant(sandbox, http) -> None:
    cart = sandbox("generic", catalog=CATALOG, xml_newlines=False)
    text = call(http, cart, "downloadqoh", startnum="1", batchsize="5").text
    assert "\n" not in text
    assert len(ET.fromstring(text).findall("Product")) == 5


def test_qohreplace_pipe_form_with_trailing_pipe(cart, http) -> None:
    r = call(http, cart, "qohreplace", count="4", update="A1~4|B2~9|ZZ~1|C3~12|")
    assert r.text.split("\n") == [
        "SETIResponse",
        "A1=OK",
        "B2=NA",
        "ZZ=NF",
        "C3=OK",
        "SETIEndOfData",
        "",
    ]
    assert cart.inventory() == {**CATALOG, "A1": 4, "C3": 12}


def test_qohreplace_xml_form(cart, http) -> None:
    update = (
        "<SETIProducts><Product><SKU>A1</SKU><QOH>1</QOH></Product>"
        "<Product><SKU>NOPE</SKU><QOH>2</QOH></Product></SETIProducts>"
    )
    r = call(http, cart, "qohreplace", count="2", update=update)
    assert r.text.splitlines() == ["SETIResponse", "A1=OK", "NOPE=NF", "SETIEndOfData"]
    assert cart.inventory()["A1"] == 1


@pytest.mark.parametrize(
    ("count", "update"), [("3", "A1~4|D4~5|"), ("1", "A1~4|D4~5"), ("", "A1~4|")]
)
def test_qohreplace_count_mismatch_applies_nothing(cart, http, count: str, update: str) -> None:
    r = call(http, cart, "qohreplace", count=count, update=update)
    assert r.text.startswith("SETIError: count mismatch")
    assert cart.inventory() == CATALOG


def test_qohreplace_batch_cap(sandbox, http) -> None:
    cart = sandbox("generic", catalog=CATALOG, max_items=3)
    r = call(http, cart, "qohreplace", count="4", update="A1~1|C3~1|D4~1|E5~1|")
    assert r.text.startswith("SETIError: too many items")
    assert cart.inventory() == CATALOG
    assert (
        call(http, cart, "qohreplace", count="3", update="A1~1|C3~1|D4~1|").text.count("=OK") == 3
    )


def test_qohreplace_rejects_garbage(cart, http) -> None:
    assert call(http, cart, "qohreplace", count="1", update="A1~x|").text.startswith("SETIError")
    assert call(http, cart, "qohreplace", count="1", update="A1|").text.startswith("SETIError")
    assert call(http, cart, "qohreplace", count="1", update="<SETIProducts>").text.startswith(
        "SETIError"
    )
    assert cart.inventory() == CATALOG


def test_strict_trailing_pipe_variant(sandbox, http) -> None:
    cart = sandbox("generic", catalog=CATALOG, strict_trailing_pipe=True)
    assert call(http, cart, "qohreplace", count="1", update="A1~2").text.startswith("SETIError")
    assert "A1=OK" in call(http, cart, "qohreplace", count="1", update="A1~2|").text


def test_invupdate_is_relative(cart, http) -> None:
    assert (
        call(http, cart, "invupdate", update="A1~-3").text == "SETIResponse=OK;SKU=A1;QOH=7;NOTE="
    )
    assert call(http, cart, "invupdate", update="A1~+5|").text == (
        "SETIResponse=OK;SKU=A1;QOH=12;NOTE="
    )
    assert call(http, cart, "invupdate", update="ZZ~1").text == (
        "SETIResponse=False;SKU=ZZ;QOH=NF;NOTE=NotFound"
    )
    assert call(http, cart, "invupdate", update="B2~1").text == (
        "SETIResponse=False;SKU=B2;QOH=NA;NOTE=NotTracking"
    )
    assert call(http, cart, "invupdate", update="A1~1|D4~1|").text.startswith("SETIError")
    assert call(http, cart, "invupdate", update="A1~lots").text.startswith("SETIError")
    assert cart.inventory()["A1"] == 12
    stats = cart.stats.to_json()
    assert stats["changes_applied"] == 2
    assert stats["changes_refused"] == 2


def test_invupdate_resent_is_applied_twice(cart, http) -> None:
    """The protocol has no idempotency key: the sandbox must not invent one."""
    call(http, cart, "invupdate", update="A1~-1")
    call(http, cart, "invupdate", update="A1~-1")
    assert cart.inventory()["A1"] == 8


def test_rate_limit_answers_429_with_retry_after(sandbox, http, clock) -> None:
    cart = sandbox("generic", catalog=CATALOG, rate_limit_rps=2, rate_limit_burst=2, clock=clock)
    assert call(http, cart, "getproductscount").status_code == 200
    assert call(http, cart, "invupdate", update="A1~1").status_code == 200
    r = call(http, cart, "invupdate", update="A1~1")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "1"
    assert r.text.startswith("SETIError")
    assert cart.inventory()["A1"] == 11
    clock.advance(0.5)
    assert call(http, cart, "invupdate", update="A1~1").status_code == 200
    assert cart.stats.to_json()["rate_limited"] == 1


def test_orders_import(cart, http) -> None:
    assert call(http, cart, "ordercount", lastorder="All", lastdate="All").text == (
        "SETIResponse: ordercount=0"
    )
    root = ET.fromstring(call(http, cart, "downloadorders", lastorder="All", startnum="1").text)
    assert root.tag == "SETIOrders"
    assert root.findtext("Response/ResponseCode") == "2"
    for lines in ([{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}], [{"sku": "D4", "qty": 3}]):
        http.post(cart.url + "/_sandbox/order", json={"lines": lines}, timeout=10)
    assert cart.inventory()["A1"] == 8
    assert call(http, cart, "ordercount", lastorder="All", lastdate="All").text.endswith("=2")
    assert call(http, cart, "ordercount", lastorder="1001", lastdate="All").text.endswith("=1")
    r = call(
        http, cart, "downloadorders", lastorder="All", lastdate="All", startnum="1", batchsize="1"
    )
    root = ET.fromstring(r.text)
    assert root.findtext("Response/ResponseCode") == "1"
    (order,) = root.findall("Order")
    assert order.findtext("OrderNumber") == "1001"
    lines = [(p.findtext("SKU"), p.findtext("Quantity")) for p in order.findall("Shipping/Product")]
    assert lines == [("A1", "2"), ("B2", "1")]
    r = call(
        http, cart, "downloadorders", lastorder="All", lastdate="All", startnum="2", batchsize="1"
    )
    assert ET.fromstring(r.text).findtext("Order/OrderNumber") == "1002"
    r = call(
        http, cart, "downloadorders", lastorder="1002", lastdate="All", startnum="1", batchsize="9"
    )
    assert ET.fromstring(r.text).findtext("Response/ResponseCode") == "2"
    assert call(http, cart, "ordercount", lastorder="x").text.startswith("SETIError")
    assert call(http, cart, "ordercount", lastdate="2000-01-01").text.endswith("=2")
    assert call(http, cart, "ordercount", lastdate="2999-01-01").text.endswith("=0")
    assert call(http, cart, "updatestatus", orderno="1001").text == "SETIResponse: update=OK;Notes="

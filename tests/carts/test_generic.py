"""The Stone Edge generic cart connector against the generic sandbox and scripted variants."""

from __future__ import annotations

import pytest

from seom_desktop.carts.base import CartError, QohDelta, QohSet
from seom_desktop.carts.generic import GenericConnector

from .helpers import GENERIC_SECRET, Seen, cart_info, generic_info, scripted_server

CATALOG = {"A1": 10, "B2": 5, "C3": None, "D4": 0, "E5": 1, "F6": 2, "G7": 3}


def statuses(results: list) -> list[str]:
    return [r.status.value for r in results]


def test_connection_reports_version_and_checks_the_login(sandbox) -> None:
    cart = sandbox("generic", catalog=CATALOG)
    with GenericConnector(generic_info(cart)) as conn:
        assert conn.test_connection() == (
            "Connected to Test cart (generic cart script version 1.000, 7 products)"
        )
    wrong = cart_info("generic", cart.url + "/seom.php", "seom", "not-the-password")
    with GenericConnector(wrong) as conn, pytest.raises(CartError, match="Invalid login") as caught:
        conn.test_connection()  # sendversion passes without credentials, the count does not
    assert caught.value.transient is False
    assert "not-the-password" not in str(caught.value)


def test_reads_in_startnum_pages(sandbox) -> None:
    cart = sandbox("generic", catalog=CATALOG, xml_newlines=False)
    with GenericConnector(generic_info(cart, download_batch="3")) as conn:
        pages = list(conn.iter_qoh())
        assert [len(p) for p in pages] == [3, 3, 1]
        assert {q.sku: q.qoh for p in pages for q in p} == CATALOG
        assert conn.read_qoh(["B2", "C3", "ZZ"]) == {"B2": 5, "C3": None}
    assert cart.stats.operations["downloadqoh"] >= 3


def test_a_download_error_response_code_3_fails_the_read(sandbox) -> None:
    cart = sandbox("generic", catalog=CATALOG, max_batchsize=100)
    conn = GenericConnector(generic_info(cart, download_batch="500"))
    with conn, pytest.raises(CartError, match="batchsize must be between"):
        list(conn.iter_qoh())


@pytest.mark.parametrize("xml", [False, True])
def test_qohreplace_answers_per_item(sandbox, xml: bool) -> None:
    cart = sandbox("generic", catalog=CATALOG, crlf=True, strict_trailing_pipe=not xml)
    with GenericConnector(generic_info(cart), send_as_xml=xml) as conn:
        results = conn.set_qoh(
            [QohSet("A1", 4), QohSet("C3", 9), QohSet("NOPE", 1), QohSet("D4", 6)]
        )
    assert statuses(results) == ["ok", "not tracked", "not found", "ok"]
    assert results[0].cart_qoh == 4
    inventory = cart.inventory()
    assert (inventory["A1"], inventory["C3"], inventory["D4"]) == (4, None, 6)


def test_pipe_form_cannot_carry_a_pipe_in_a_sku(sandbox) -> None:
    cart = sandbox("generic", catalog={"A|1": 1, "B2": 2})
    with GenericConnector(generic_info(cart)) as conn:
        results = conn.set_qoh([QohSet("A|1", 5), QohSet("B2", 7)])
    assert statuses(results) == ["error", "ok"]
    assert "GenericQOHChangeSendAsXML" in results[0].message
    with GenericConnector(generic_info(cart), send_as_xml=True) as conn:
        assert statuses(conn.set_qoh([QohSet("A|1", 5)])) == ["ok"]
    assert cart.inventory() == {"A|1": 5, "B2": 7}


def test_batch_limit_is_the_platform_and_cart_limit(sandbox) -> None:
    cart = sandbox("generic", catalog={f"S{n}": 0 for n in range(8)}, max_items=5)
    with GenericConnector(generic_info(cart, max_items=5)) as conn:
        assert conn.max_batch == 5
        with pytest.raises(ValueError, match="at most 5"):
            conn.set_qoh([QohSet(f"S{n}", 1) for n in range(6)])
        assert statuses(conn.set_qoh([QohSet(f"S{n}", 1) for n in range(5)])) == ["ok"] * 5
    # The sandbox refuses more than 5: a connector that sends too many fails as a whole.
    conn = GenericConnector(generic_info(cart, max_items=8))
    with conn, pytest.raises(CartError, match="too many items"):
        conn.set_qoh([QohSet(f"S{n}", 1) for n in range(8)])


def test_invupdate_per_item(sandbox) -> None:
    cart = sandbox("generic", catalog=CATALOG)
    with GenericConnector(generic_info(cart)) as conn:
        results = conn.adjust_qoh(
            [QohDelta("A1", -3, "k1"), QohDelta("C3", 1, "k2"), QohDelta("ZZ", 2, "k3")]
        )
    assert statuses(results) == ["ok", "not tracked", "not found"]
    assert results[0].cart_qoh == 7
    assert cart.inventory()["A1"] == 7


def test_invupdate_failure_after_the_first_item_is_reported_per_item() -> None:
    """invupdate has no idempotency key: once one change went through, a lost answer must be
    reported per item (applied_unknown) and the rest must not be sent."""

    def answer(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        body = seen.body.decode()
        if "update=A1" in body:
            return 200, {}, b"SETIResponse=OK;SKU=A1;QOH=4;NOTE="
        return 0, {}, b""  # B2: the connection closes without an answer

    with scripted_server(answer) as server:
        conn = GenericConnector(cart_info("generic", server.url + "/seom.php", "u", "pw"))
        results = conn.adjust_qoh(
            [QohDelta("A1", 1, "k1"), QohDelta("B2", 1, "k2"), QohDelta("C3", 1, "k3")]
        )
        assert statuses(results) == ["ok", "error", "error"]
        assert (results[1].applied_unknown, results[1].transient) == (True, True)
        assert (results[2].applied_unknown, results[2].transient) == (False, True)
        assert "not sent" in results[2].message
        assert [r.body.decode().count("update=C3") for r in server.requests] == [0, 0]
        with pytest.raises(CartError) as caught:  # the first change fails: the call fails
            conn.adjust_qoh([QohDelta("B2", 1, "k2"), QohDelta("A1", 1, "k4")])
        assert caught.value.applied_unknown is True


def test_answer_variants_of_real_scripts() -> None:
    answers = {
        "A1": b"SETIResponse=OK;SKU=A1;QOH=NF;NOTE=NotFound",  # OK + note: stop retrying
        "B2": b"SETIResponse=False;SKU=B2;QOH=12;NOTE=database busy, will retry",
        "C3": b"SETIResponse=OK;SKU=C3;QOH=12;NOTE=",
    }

    def answer(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        body = seen.body.decode()
        if "setifunction=invupdate" in body:
            for sku, text in answers.items():
                if f"update={sku}" in body:
                    return 200, {}, text
            return 200, {}, b"SETIResponse=False;Note=the store is being backed up, will retry"
        if "setifunction=qohreplace" in body:
            return 200, {}, b"SETIResponse\r\nA1=OK\r\nB2=NA\r\n"  # no SETIEndOfData, no C3
        return 200, {}, b"SETIError: Unknown function"

    with scripted_server(answer) as server:
        conn = GenericConnector(cart_info("generic", server.url + "/seom.php", "u", "pw"))
        results = conn.adjust_qoh(
            [QohDelta("A1", 1, "k1"), QohDelta("B2", 1, "k2"), QohDelta("C3", 1, "k3")]
        )
        assert statuses(results) == ["not found", "error", "ok"]
        assert results[1].transient is True
        assert results[2].cart_qoh == 12
        with pytest.raises(CartError, match="will retry") as caught:
            conn.adjust_qoh([QohDelta("Z9", 1, "k4")])
        assert caught.value.transient is True
        results = conn.set_qoh([QohSet("A1", 1), QohSet("B2", 2), QohSet("C3", 3)])
        assert statuses(results) == ["ok", "not tracked", "error"]
        assert results[2].applied_unknown is True
        with pytest.raises(CartError, match="Unknown function") as caught:
            conn.new_orders(None, 10)
        assert caught.value.transient is False


def test_new_orders(sandbox) -> None:
    cart = sandbox("generic", catalog=CATALOG)
    cart.place_order([("A1", 2), ("B2", 1)])
    cart.place_order([("D4", 1)])
    with GenericConnector(generic_info(cart)) as conn:
        orders = conn.new_orders(None, 10)
        assert [(o.number, [(ln.sku, ln.quantity) for ln in o.lines]) for o in orders] == [
            ("1001", [("A1", 2), ("B2", 1)]),
            ("1002", [("D4", 1)]),
        ]
        assert [o.number for o in conn.new_orders("1001", 10)] == ["1002"]
        assert conn.new_orders("1002", 10) == []
    assert GENERIC_SECRET not in repr(orders)

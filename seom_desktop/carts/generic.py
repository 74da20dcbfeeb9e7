"""The Stone Edge "generic cart" script protocol (``cart-protocols.md`` section 1).

One script URL (the cart's URL) takes form POSTs carrying ``setifunction``, ``setiuser``,
``password``, ``code`` and ``omversion``. What this connector uses:

* ``sendversion`` (no credentials on many scripts) and ``getproductscount`` (which checks
  them) for Test Connection;
* ``downloadqoh`` paged by ``startnum`` (1-based) / ``batchsize`` for Get QOH and reads;
* ``qohreplace`` (absolute, ``count`` + ``update``) for Send QOH, in the pipe form
  ``sku~q|sku~q|`` (with the trailing ``|`` real SEOM traffic has) or, when the system
  parameter GenericQOHChangeSendAsXML is TRUE, the XML form; the caller passes that value in
  (``send_as_xml``), this module never opens the store;
* ``invupdate`` (relative) for real-time changes, one SKU per request (``update=sku~delta``).
  The protocol has no idempotency key, so an ``invupdate`` whose answer was lost is reported
  with ``applied_unknown`` and must not be re-sent blindly;
* ``ordercount`` / ``downloadorders`` for new orders.

Answer variants accepted (seen in real scripts): CRLF or LF lines, XML without newlines, a
missing ``SETIEndOfData``, ``SETIError: message`` text, XML ``ResponseCode`` 3, ``SKU=NF`` /
``SKU=NA``, ``SETIResponse=OK`` with ``QOH=NF``/``NA`` and a note (stop retrying) and
``SETIResponse=False;...`` whose note says it will retry (a transient failure).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from seom_desktop.carts.base import (
    CartError,
    CartOrder,
    CartOrderLine,
    CartQoh,
    ItemResult,
    ItemStatus,
    QohDelta,
    QohSet,
    stopped_at,
)
from seom_desktop.carts.http import INT_LIMIT, HttpConnector, option_flag
from seom_desktop.store.carts import CartInfo

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

OMVERSION = "6.000"
DOWNLOAD_BATCH = 500
"""Products per ``downloadqoh`` page unless the cart option ``download_batch`` says otherwise."""
_TRANSIENT_WORDS = re.compile(r"(?i)retry|try again|temporar|busy|timeout|too many")


def _quantity(text: str | None) -> int | None:
    """A QOH as scripts write it: ``12``, ``12.0``, ``NA`` / empty = not tracked."""
    raw = (text or "").strip()
    if not raw or raw.upper() in ("NA", "N/A", "NULL"):
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite() or value != value.to_integral_value() or abs(value) > INT_LIMIT:
        raise ValueError(raw)
    return int(value)


class GenericConnector(HttpConnector):
    """A Stone Edge generic cart script (see the module docstring)."""

    platform = "generic"

    def __init__(self, cart: CartInfo, *, send_as_xml: bool | None = None, **kwargs: Any) -> None:
        super().__init__(cart, **kwargs)
        self.send_as_xml = (
            send_as_xml if send_as_xml is not None else option_flag(cart, "send_as_xml")
        )
        try:
            self.download_batch = max(1, int(cart.options.get("download_batch", DOWNLOAD_BATCH)))
        except ValueError:
            self.download_batch = DOWNLOAD_BATCH

    # -- transport -------------------------------------------------------------------------
    def _call(self, function: str, what: str, *, mutating: bool = False, **fields: str) -> str:
        form = {
            "setifunction": function,
            "setiuser": self.cart.username,
            "password": self.cart.secret,
            "code": self.cart.options.get("code", ""),
            "omversion": OMVERSION,
            **fields,
        }
        answer = self.http.request("POST", self.cart.url, data=form, mutating=mutating, what=what)
        text = answer.text.lstrip("\ufeff")
        self._raise_for_error(text, what, mutating)
        return text

    def _raise_for_error(self, text: str, what: str, mutating: bool) -> None:
        """``SETIError: message`` and ``SETIResponse=False;Note=... will retry`` fail the call."""
        stripped = text.strip()
        if stripped.upper().startswith("SETIERROR"):
            message = stripped.split(":", 1)[1].strip() if ":" in stripped else stripped
            raise self.http.error(
                f"{what}: the cart script answered: {self.http.snippet(message)}",
                transient=bool(_TRANSIENT_WORDS.search(message)),
            )
        fields = self._fields(stripped)
        if fields.get("SETIRESPONSE", "").upper() == "FALSE" and "SKU" not in fields:
            note = fields.get("NOTE", stripped)
            raise self.http.error(
                f"{what}: the cart script could not do it: {self.http.snippet(note)}",
                transient=bool(_TRANSIENT_WORDS.search(note)) or not note,
            )

    @staticmethod
    def _fields(text: str) -> dict[str, str]:
        """``SETIResponse=OK;SKU=x;QOH=5;NOTE=`` as {upper-case key: value}."""
        first = text.strip().splitlines()[0] if text.strip() else ""
        out: dict[str, str] = {}
        for part in first.split(";"):
            key, sep, value = part.partition("=")
            if sep:
                out[key.strip().upper()] = value.strip()
        return out

    def _xml_products(self, text: str, root_name: str, what: str) -> Element | None:
        """Parse an XML answer; None when ResponseCode says "no data" (2)."""
        root = self.http.xml(text, what, mutating=False)
        if root.tag != root_name:
            raise self.http.error(
                f"{what}: expected a <{root_name}> document, got <{root.tag}>", transient=True
            )
        code = (root.findtext("Response/ResponseCode") or "1").strip()
        if code == "2":
            return None
        if code == "3":
            description = root.findtext("Response/ResponseDescription") or "error"
            raise self.http.error(
                f"{what}: the cart script answered: {self.http.snippet(description)}",
                transient=bool(_TRANSIENT_WORDS.search(description)),
            )
        return root

    # -- connection ------------------------------------------------------------------------
    def test_connection(self) -> str:
        text = self._call("sendversion", "sendversion")
        version = "unknown"
        match = re.search(r"version\s*=\s*([^\s;]+)", text, re.IGNORECASE)
        if match:
            version = self.http.clean(match.group(1), 40)
        count = self._call("getproductscount", "getproductscount")
        found = re.search(r"itemcount\s*=\s*(\d{1,12})\b", count, re.IGNORECASE | re.ASCII)
        items = f", {found.group(1)} products" if found else ""
        return f"Connected to {self.cart.name} (generic cart script version {version}{items})"

    # -- reading ---------------------------------------------------------------------------
    def iter_qoh(self) -> Iterator[list[CartQoh]]:
        start = 1
        previous_first: str | None = None
        while True:
            what = f"downloadqoh from {start}"
            text = self._call(
                "downloadqoh",
                what,
                startnum=str(start),
                batchsize=str(self.download_batch),
            )
            root = self._xml_products(text, "SETIProducts", what)
            if root is None:
                return
            page: list[CartQoh] = []
            for product in root.iter("Product"):
                sku = (product.findtext("Code") or product.findtext("SKU") or "").strip()
                if not sku:
                    continue
                try:
                    qoh = _quantity(product.findtext("QOH"))
                except ValueError as exc:
                    self.log.warning(
                        "%s: %s has an unreadable QOH %r; skipped", self.cart.name, sku, str(exc)
                    )
                    continue
                page.append(CartQoh(sku, qoh))
            if not page:
                return
            if page[0].sku == previous_first:
                raise self.http.error(
                    f"{what}: the cart script sent the same products again (it ignores "
                    "startnum); Get QOH stopped",
                    transient=False,
                )
            previous_first = page[0].sku
            yield page
            count = sum(1 for _ in root.iter("Product"))
            if count < self.download_batch:
                return
            start += count

    def read_qoh(self, skus: Sequence[str]) -> dict[str, int | None]:
        """The protocol has no per-SKU read: the cart is scanned with ``downloadqoh``."""
        wanted = set(skus)
        found: dict[str, int | None] = {}
        for page in self.iter_qoh():
            for item in page:
                if item.sku in wanted:
                    found[item.sku] = item.qoh
            if len(found) == len(wanted):
                break
        return found

    # -- changes ---------------------------------------------------------------------------
    def set_qoh(self, items: Sequence[QohSet]) -> list[ItemResult]:
        """``qohreplace``: one request for the whole batch, one ``SKU=OK|NF|NA`` line each."""
        if len(items) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} items per call, not {len(items)}")
        results: dict[int, ItemResult] = {}
        send: list[tuple[int, QohSet]] = []
        seen: set[str] = set()
        for n, item in enumerate(items):
            if not self.send_as_xml and ("|" in item.sku or "~" in item.sku):
                results[n] = ItemResult(
                    item.sku,
                    ItemStatus.ERROR,
                    "the SKU contains | or ~, which the pipe form cannot carry; set "
                    "GenericQOHChangeSendAsXML to TRUE if the cart script takes XML",
                )
            elif item.sku in seen:
                results[n] = ItemResult(
                    item.sku, ItemStatus.ERROR, "the SKU is twice in this batch"
                )
            else:
                seen.add(item.sku)
                send.append((n, item))
        if send:
            if self.send_as_xml:
                update = (
                    "<SETIProducts>"
                    + "".join(
                        f"<Product><SKU>{escape(i.sku)}</SKU><QOH>{i.quantity}</QOH></Product>"
                        for _, i in send
                    )
                    + "</SETIProducts>"
                )
            else:
                update = "".join(f"{i.sku}~{i.quantity}|" for _, i in send)
            what = f"qohreplace of {len(send)} items"
            text = self._call(
                "qohreplace", what, mutating=True, count=str(len(send)), update=update
            )
            answers = self._replace_answers(text, what)
            for n, item in send:
                results[n] = self._replace_result(item, answers.get(item.sku))
        return [results[n] for n in range(len(items))]

    def _replace_answers(self, text: str, what: str) -> dict[str, str]:
        lines = [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]
        if not lines or not lines[0].upper().startswith("SETIRESPONSE"):
            raise self.http.error(
                f"{what}: unexpected answer from the cart script (the changes may have been "
                f"applied): {self.http.snippet(text, 200)}",
                transient=True,
                applied_unknown=True,
            )
        answers: dict[str, str] = {}
        for line in lines[1:]:
            if line.upper().startswith("SETIENDOFDATA"):
                break
            sku, sep, status = line.rpartition("=")
            if sep and sku:
                answers[sku] = status.strip()
        return answers

    def _replace_result(self, item: QohSet, status: str | None) -> ItemResult:
        if status is None:
            return ItemResult(
                item.sku,
                ItemStatus.ERROR,
                "the cart script did not answer for this SKU",
                transient=True,
                applied_unknown=True,
            )
        word = status.split(";", 1)[0].strip().upper()
        if word == "OK":
            return ItemResult(item.sku, ItemStatus.OK, cart_qoh=item.quantity)
        if word == "NF":
            return ItemResult(item.sku, ItemStatus.NOT_FOUND, "not found on the cart", code="NF")
        if word == "NA":
            return ItemResult(
                item.sku, ItemStatus.NOT_TRACKED, "the cart does not track its stock", code="NA"
            )
        return ItemResult(
            item.sku, ItemStatus.ERROR, f"the cart script answered {self.http.snippet(status)!r}"
        )

    def adjust_qoh(self, items: Sequence[QohDelta]) -> list[ItemResult]:
        """``invupdate``, one SKU per request. If the first request fails as a whole the
        CartError is raised; after that, a failure ends the call with per-item results (the
        items already changed must not be re-sent)."""
        if len(items) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} items per call, not {len(items)}")
        results: list[ItemResult] = []
        for n, item in enumerate(items):
            if "|" in item.sku or "~" in item.sku:
                results.append(
                    ItemResult(
                        item.sku,
                        ItemStatus.ERROR,
                        "the SKU contains | or ~ (invupdate cannot carry it)",
                    )
                )
                continue
            try:
                text = self._call(
                    "invupdate",
                    f"invupdate of {item.sku}",
                    mutating=True,
                    update=f"{item.sku}~{item.delta}",
                )
            except CartError as exc:
                if n == 0 or not results:
                    raise
                results.extend(stopped_at(exc, item.sku, [r.sku for r in items[n + 1 :]]))
                break
            results.append(self._update_result(item, text))
        return results

    def _update_result(self, item: QohDelta, text: str) -> ItemResult:
        fields = self._fields(text)
        response = fields.get("SETIRESPONSE", "").upper()
        qoh = fields.get("QOH", "").upper()
        note = fields.get("NOTE", "")
        if qoh == "NF" or note.lower() == "notfound":
            return ItemResult(
                item.sku,
                ItemStatus.NOT_FOUND,
                self.http.snippet(note or "not found on the cart"),
                code="NF",
            )
        if qoh == "NA" or note.lower() == "nottracking":
            return ItemResult(
                item.sku,
                ItemStatus.NOT_TRACKED,
                self.http.snippet(note or "the cart does not track its stock"),
                code="NA",
            )
        if response == "OK":
            try:
                cart_qoh = _quantity(fields.get("QOH"))
            except ValueError:
                cart_qoh = None
            return ItemResult(item.sku, ItemStatus.OK, self.http.clean(note), cart_qoh=cart_qoh)
        if response == "FALSE":
            return ItemResult(
                item.sku,
                ItemStatus.ERROR,
                f"the cart script refused it: {self.http.snippet(note or text)}",
                transient=bool(_TRANSIENT_WORDS.search(note)),
            )
        return ItemResult(
            item.sku,
            ItemStatus.ERROR,
            f"unexpected answer from the cart script: {self.http.snippet(text, 200)}",
            transient=True,
            applied_unknown=True,
        )

    # -- orders ----------------------------------------------------------------------------
    def new_orders(self, after: str | None, batch: int) -> list[CartOrder]:
        last = after if after else "All"
        count_text = self._call("ordercount", "ordercount", lastorder=last, lastdate="All")
        match = re.search(r"ordercount\s*=\s*(\d{1,12})\b", count_text, re.IGNORECASE | re.ASCII)
        if match is None:
            raise self.http.error(
                f"ordercount: unexpected answer: {self.http.snippet(count_text)}", transient=True
            )
        if int(match.group(1)) == 0:
            return []
        what = "downloadorders"
        text = self._call(
            "downloadorders",
            what,
            lastorder=last,
            lastdate="All",
            startnum="1",
            batchsize=str(max(1, batch)),
            dkey="",
        )
        root = self._xml_products(text, "SETIOrders", what)
        if root is None:
            return []
        orders: list[CartOrder] = []
        for order in root.iter("Order"):
            number = (order.findtext("OrderNumber") or "").strip()
            lines: list[CartOrderLine] = []
            for product in order.iter("Product"):
                sku = (product.findtext("SKU") or product.findtext("Code") or "").strip()
                try:
                    quantity = _quantity(product.findtext("Quantity")) or 0
                except ValueError:
                    quantity = 0
                if sku:
                    lines.append(CartOrderLine(sku, quantity))
            if number:
                orders.append(CartOrder(number, tuple(lines)))
        return orders

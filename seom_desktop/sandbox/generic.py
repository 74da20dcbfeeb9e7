"""Sandbox of a Stone Edge "generic cart" script (the SEOM way).

One script URL (``POST /seom.php`` by default), ``application/x-www-form-urlencoded``.
Every call carries ``setifunction``, ``setiuser``, ``password`` (and ``code``, ``omversion``,
which are accepted and not checked). Rules enforced, from the generic cart protocol:

- Credentials on every function except ``sendversion``; otherwise ``SETIError: Invalid login``.
- Form POST only (other methods: 405 ``SETIError``; a JSON body: ``SETIError``).
- ``sendversion`` -> ``SETIResponse: version=1.000``.
- ``getproductscount`` -> ``SETIResponse: itemcount=N``.
- ``downloadqoh`` / ``downloadprods`` (``startnum`` 1-based, ``batchsize`` 1..``max_batchsize``)
  -> XML ``<SETIProducts><Response><ResponseCode>1|2|3</ResponseCode>…`` with one
  ``<Product><Code>SKU</Code><WebID>id</WebID><QOH>n or NA</QOH></Product>`` per SKU;
  ResponseCode 2 when the range is empty, 3 (with ``ResponseDescription``) on a bad argument.
- ``qohreplace`` (absolute): ``count`` and ``update``, in pipe form ``sku~q|sku~q|`` (the
  trailing ``|`` of real SEOM traffic is accepted; ``strict_trailing_pipe=True`` makes it
  mandatory) or XML form ``<SETIProducts><Product><SKU>…</SKU><QOH>…</QOH></Product>…``.
  More than ``max_items`` entries -> ``SETIError: too many items``; ``count`` missing or
  different from the number of entries -> ``SETIError: count mismatch``; nothing applied in
  either case. Answer: ``SETIResponse``, then ``SKU=OK`` / ``SKU=NF`` (not found) /
  ``SKU=NA`` (not tracked, left unchanged) per entry, then ``SETIEndOfData``.
- ``invupdate`` (relative): **input field** ``update=sku~delta`` -- one SKU and a signed
  integer delta, in the same ``~`` notation as the pipe form (a trailing ``|`` is tolerated,
  a second entry is refused). Answers ``SETIResponse=OK;SKU=x;QOH=<new>;NOTE=``, or
  ``SETIResponse=False;SKU=x;QOH=NF;NOTE=NotFound`` / ``…;QOH=NA;NOTE=NotTracking``.
  The protocol has no idempotency key: a re-sent ``invupdate`` is applied twice, here too.
- ``ordercount`` (``lastorder`` = number or ``All``, ``lastdate`` = ``All`` or a date) ->
  ``SETIResponse: ordercount=N``, counting orders with a number above ``lastorder`` placed
  at or after ``lastdate``. ``downloadorders`` (same filters plus ``startnum``/``batchsize``)
  -> XML ``<SETIOrders>`` with ``<Order><OrderNumber>``, ``<OrderDate>`` and the line items
  as ``<Shipping><Product><SKU>…</SKU><Quantity>…</Quantity></Product></Shipping>``.
- ``updatestatus`` -> ``SETIResponse: update=OK;Notes=``.
- Throttled (``rate_limit_rps`` or the ``throttle`` fault): HTTP 429, ``Retry-After``, body
  ``SETIError: Too many requests``.

Answer variants real scripts give: ``xml_newlines=False`` strips newlines from the XML,
``crlf=True`` ends text lines with CRLF.

Not from the documentation but sandbox rules: ``max_batchsize`` (default 1000) caps the
download batch size, ``max_items`` (default 500) caps one ``qohreplace``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET

from .base import TEXT_TYPE, XML_TYPE, Request, Response, SandboxCart
from .catalog import Item, Order

WEBID_OFFSET = 10000
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%b/%d/%Y %H:%M:%S",
)


class SetiError(Exception):
    """A plain-text ``SETIError: message`` answer."""


class GenericCart(SandboxCart):
    """Stone Edge generic cart script sandbox (see the module docstring for the rules)."""

    platform = "generic"
    default_user = "seom"
    default_secret = "seom-sandbox"  # noqa: S105 (a public sandbox default)

    def __init__(
        self,
        *,
        script_path: str = "/seom.php",
        max_items: int = 500,
        max_batchsize: int = 1000,
        strict_trailing_pipe: bool = False,
        xml_newlines: bool = True,
        crlf: bool = False,
        **kwargs: Any,
    ) -> None:
        self.script_path = script_path
        self.max_items = max_items
        self.max_batchsize = max_batchsize
        self.strict_trailing_pipe = strict_trailing_pipe
        self.xml_newlines = xml_newlines
        self.eol = "\r\n" if crlf else "\n"
        super().__init__(**kwargs)

    def describe(self) -> list[str]:
        return [
            f"script URL: {self.url}{self.script_path} (form POST)",
            f"setiuser: {self.user}",
            f"password: {self.secret}",
        ]

    def throttle_response(self, retry_after: int) -> Response:
        return Response.text(
            "SETIError: Too many requests", 429, headers={"Retry-After": str(retry_after)}
        )

    # -- dispatch --------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.path != self.script_path:
            return Response.text("Not Found", 404)
        if request.method != "POST":
            return Response.text("SETIError: the script takes a form POST", 405)
        ctype = (request.header("Content-Type") or "").lower()
        if request.body and ctype and "application/x-www-form-urlencoded" not in ctype:
            return self._text("SETIError: expected an application/x-www-form-urlencoded body")
        raw = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        form = {k: v[0] for k, v in raw.items()}
        function = form.get("setifunction", "").strip().lower()
        self.stats.operation(function or "(none)")
        if function == "sendversion":
            return self._text("SETIResponse: version=1.000")
        if form.get("setiuser") != self.user or form.get("password") != self.secret:
            return self._text("SETIError: Invalid login")
        handler = {
            "getproductscount": self._getproductscount,
            "downloadqoh": self._downloadqoh,
            "downloadprods": self._downloadprods,
            "qohreplace": self._qohreplace,
            "invupdate": self._invupdate,
            "ordercount": self._ordercount,
            "downloadorders": self._downloadorders,
            "updatestatus": self._updatestatus,
        }.get(function)
        if handler is None:
            return self._text(f"SETIError: Unknown function {function!r}")
        try:
            return handler(form)
        except SetiError as exc:
            return self._text(f"SETIError: {exc}")

    def _text(self, text: str) -> Response:
        return Response.text(text, content_type=TEXT_TYPE)

    def _xml(self, root: str, code: int, description: str, body: list[str]) -> Response:
        sep = "\n" if self.xml_newlines else ""
        parts = [
            XML_HEAD,
            f"<{root}>",
            "<Response>"
            f"<ResponseCode>{code}</ResponseCode>"
            f"<ResponseDescription>{escape(description)}</ResponseDescription>"
            "</Response>",
            *body,
            f"</{root}>",
        ]
        return Response.text(sep.join(parts) + sep, content_type=XML_TYPE)

    # -- products --------------------------------------------------------------------------
    def _getproductscount(self, form: dict[str, str]) -> Response:
        return self._text(f"SETIResponse: itemcount={len(self.catalog)}")

    def _range(self, form: dict[str, str]) -> tuple[int, int] | str:
        """(offset, limit) from ``startnum``/``batchsize``, or an error description."""
        try:
            start = int(form.get("startnum", "1") or "1")
            size = int(form.get("batchsize", str(self.max_batchsize)) or self.max_batchsize)
        except ValueError:
            return "startnum and batchsize must be integers"
        if start < 1:
            return "startnum is 1-based"
        if size < 1 or size > self.max_batchsize:
            return f"batchsize must be between 1 and {self.max_batchsize}"
        return start - 1, size

    @staticmethod
    def _qoh_text(item: Item) -> str:
        return "NA" if item.qoh is None else str(item.qoh)

    def _downloadqoh(self, form: dict[str, str]) -> Response:
        rng = self._range(form)
        if isinstance(rng, str):
            return self._xml("SETIProducts", 3, rng, [])
        items = self.catalog.page(*rng)
        if not items:
            return self._xml("SETIProducts", 2, "No products", [])
        body = [
            f"<Product><Code>{escape(i.sku)}</Code><WebID>{WEBID_OFFSET + i.seq}</WebID>"
            f"<QOH>{self._qoh_text(i)}</QOH></Product>"
            for i in items
        ]
        return self._xml("SETIProducts", 1, "Success", body)

    def _downloadprods(self, form: dict[str, str]) -> Response:
        rng = self._range(form)
        if isinstance(rng, str):
            return self._xml("SETIProducts", 3, rng, [])
        items = self.catalog.page(*rng)
        if not items:
            return self._xml("SETIProducts", 2, "No products", [])
        body = [
            f"<Product><Code>{escape(i.sku)}</Code><WebID>{WEBID_OFFSET + i.seq}</WebID>"
            f"<Name>{escape(i.sku)}</Name><Price>0.00</Price><Discontinued>No</Discontinued>"
            f"<QOH>{self._qoh_text(i)}</QOH></Product>"
            for i in items
        ]
        return self._xml("SETIProducts", 1, "Success", body)

    # -- inventory updates -----------------------------------------------------------------
    def _parse_pipe(self, update: str) -> list[tuple[str, str]]:
        text = update.strip()
        if self.strict_trailing_pipe and not text.endswith("|"):
            raise SetiError("update must end with |")
        entries = text.split("|")
        if entries and entries[-1] == "":
            entries.pop()
        pairs: list[tuple[str, str]] = []
        for entry in entries:
            sku, sep, qty = entry.rpartition("~")
            if not sep or not sku:
                raise SetiError(f"malformed update entry {entry!r}")
            pairs.append((sku, qty.strip()))
        return pairs

    @staticmethod
    def _parse_xml(update: str) -> list[tuple[str, str]]:
        try:
            root = SafeET.fromstring(update.strip())
        except (SafeET.ParseError, ValueError) as exc:
            raise SetiError(f"malformed XML update ({exc})") from None
        if root.tag != "SETIProducts":
            raise SetiError("the XML update must be a <SETIProducts> document")
        pairs: list[tuple[str, str]] = []
        for product in root.findall("Product"):
            sku = (product.findtext("SKU") or "").strip()
            qoh = (product.findtext("QOH") or "").strip()
            if not sku:
                raise SetiError("a <Product> has no <SKU>")
            pairs.append((sku, qoh))
        return pairs

    def _qohreplace(self, form: dict[str, str]) -> Response:
        update = form.get("update", "")
        pairs = (
            self._parse_xml(update) if update.lstrip().startswith("<") else self._parse_pipe(update)
        )
        if len(pairs) > self.max_items:
            raise SetiError(f"too many items ({len(pairs)}; at most {self.max_items} per call)")
        count_raw = form.get("count")
        if count_raw is None or not count_raw.strip().isdigit() or int(count_raw) != len(pairs):
            raise SetiError(f"count mismatch (count={count_raw!r}, {len(pairs)} items in update)")
        quantities: list[tuple[str, int]] = []
        for sku, raw_qty in pairs:
            try:
                quantities.append((sku, int(raw_qty)))
            except ValueError:
                raise SetiError(f"quantity {raw_qty!r} of {sku!r} is not an integer") from None
        lines = ["SETIResponse"]
        applied = 0
        with self.catalog.lock:
            for sku, qty in quantities:
                item = self.catalog.get(sku)
                if item is None:
                    lines.append(f"{sku}=NF")
                elif item.qoh is None:
                    lines.append(f"{sku}=NA")
                else:
                    self.catalog.set_qoh(item, qty)
                    applied += 1
                    lines.append(f"{sku}=OK")
        self.stats.applied(applied)
        self.stats.add("changes_refused", len(quantities) - applied)
        lines.append("SETIEndOfData")
        return self._text(self.eol.join(lines) + self.eol)

    def _invupdate(self, form: dict[str, str]) -> Response:
        update = form.get("update", "").strip()
        if update.endswith("|"):
            update = update[:-1]
        if not update or "|" in update:
            raise SetiError("invupdate takes exactly one entry: update=sku~delta")
        sku, sep, raw = update.rpartition("~")
        if not sep or not sku:
            raise SetiError(f"malformed update {update!r} (expected sku~delta)")
        try:
            delta = int(raw.strip())
        except ValueError:
            raise SetiError(f"delta {raw!r} is not a signed integer") from None
        with self.catalog.lock:
            item = self.catalog.get(sku)
            if item is None:
                self.stats.add("changes_refused")
                return self._text(f"SETIResponse=False;SKU={sku};QOH=NF;NOTE=NotFound")
            if item.qoh is None:
                self.stats.add("changes_refused")
                return self._text(f"SETIResponse=False;SKU={sku};QOH=NA;NOTE=NotTracking")
            self.catalog.set_qoh(item, item.qoh + delta)
            new = item.qoh
        self.stats.applied(1)
        return self._text(f"SETIResponse=OK;SKU={sku};QOH={new};NOTE=")

    # -- orders ----------------------------------------------------------------------------
    @staticmethod
    def _parse_date(raw: str) -> dt.datetime:
        text = raw.strip()
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
            except ValueError:
                continue
        raise SetiError(f"lastdate {raw!r} is not a date")

    def _filtered_orders(self, form: dict[str, str]) -> list[Order]:
        last_order = (form.get("lastorder") or "All").strip()
        last_date = (form.get("lastdate") or "All").strip()
        min_number = 0
        if last_order.lower() != "all":
            if not last_order.lstrip("-").isdigit():
                raise SetiError(f"lastorder {last_order!r} is neither a number nor All")
            min_number = int(last_order)
        since = None if last_date.lower() == "all" else self._parse_date(last_date)
        with self.catalog.lock:
            return [
                o
                for o in self.catalog.orders
                if o.number > min_number and (since is None or o.created_at >= since)
            ]

    def _ordercount(self, form: dict[str, str]) -> Response:
        return self._text(f"SETIResponse: ordercount={len(self._filtered_orders(form))}")

    def _downloadorders(self, form: dict[str, str]) -> Response:
        rng = self._range(form)
        if isinstance(rng, str):
            return self._xml("SETIOrders", 3, rng, [])
        offset, limit = rng
        orders = self._filtered_orders(form)[offset : offset + limit]
        if not orders:
            return self._xml("SETIOrders", 2, "No orders", [])
        return self._xml("SETIOrders", 1, "Success", [self._order_xml(o) for o in orders])

    @staticmethod
    def _order_xml(order: Order) -> str:
        address = (
            "<Address><Street1>1 Sandbox Way</Street1><City>Loopback</City>"
            "<State>PA</State><Code>19422</Code><Country>US</Country></Address>"
        )
        person = "<FullName>Sandbox Customer</FullName><Email>customer@example.com</Email>"
        products = "".join(
            f"<Product><SKU>{escape(ln.sku)}</SKU><Name>{escape(ln.sku)}</Name>"
            f"<Quantity>{ln.qty}</Quantity><ItemPrice>0.00</ItemPrice>"
            f"<LineID>{order.number * 1000 + n}</LineID><Total>0.00</Total></Product>"
            for n, ln in enumerate(order.lines, start=1)
        )
        return (
            f"<Order><OrderNumber>{order.number}</OrderNumber>"
            f"<OrderDate>{order.created_at.strftime('%b/%d/%Y %H:%M:%S')}</OrderDate>"
            "<OrderStatus>Payment Received</OrderStatus>"
            f"<Billing>{person}{address}</Billing>"
            f"<Shipping>{person}{address}{products}</Shipping>"
            "<Totals><ProductTotal>0.00</ProductTotal><GrandTotal>0.00</GrandTotal></Totals>"
            "</Order>"
        )

    def _updatestatus(self, form: dict[str, str]) -> Response:
        return self._text("SETIResponse: update=OK;Notes=")

"""Hostile answers: every connector, driven through real HTTP on loopback, against answers that
are malformed, truncated, oversized, entity-laden, badly encoded or of the wrong JSON types.

A scripted loopback server answers each request of one example with the next answer that
hypothesis drew (status, headers, body), then with HTTP 503 once the script runs out, so every
loop in a connector ends. For every example the properties are:

* the call returns, or raises :class:`CartError` (per-item trouble is an :class:`ItemResult`);
  nothing else escapes (no ``AttributeError`` on a list where a dict was expected);
* it ends: each example runs under a watchdog, and no single wait of the rate limiter is longer
  than :data:`~seom_desktop.carts.http.MAX_WAIT` (the connectors sleep on a fake clock);
* every message (CartError, ItemResult) is non-empty where it explains a failure, one printable
  line and at most :data:`MAX_MESSAGE` characters;
* the cart's secret never appears in a message or code, not even in part, although the hostile
  answers often echo it.

The CI run is short (the ``seom-fuzz-ci`` hypothesis profile); ``bench/fuzz.py`` runs the same
harness for longer (``seom-fuzz-long``).
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seom_desktop.carts.base import (
    CartError,
    CartOrder,
    CartQoh,
    Connector,
    ItemResult,
    ItemStatus,
    QohDelta,
    QohSet,
)
from seom_desktop.carts.http import MAX_WAIT
from seom_desktop.carts.registry import connector_for

from .helpers import (
    BC_STORE_HASH,
    GENERIC_USER,
    MIVA_STORE,
    WOO_KEY,
    FakeClock,
    Scripted,
    Seen,
    cart_info,
    scripted_server,
)

SECRET = "FuzzSecret_q7Mx2Lw9Kp4Zr8Tn"
"""The cart's secret (password, token, consumer secret); the hostile answers echo it."""
SECRET_WINDOW = 10
"""No piece of the secret this long may appear in a message."""
MAX_MESSAGE = 1000
"""The longest message a clerk should have to read (the cart's own words are snippets)."""
MAX_BODY = 64 * 1024
"""The connectors' answer size limit in these tests (the real one is 32 MB)."""
WATCHDOG = 20.0
"""Seconds one example may run; the loopback answers come at once, so this means a hang."""
SKUS = ("FZ-1", "FZ-2", "FZ-3")
PLATFORMS = ("generic", "shopify", "woocommerce", "bigcommerce", "miva", "magento", "oscar")

settings.register_profile(
    "seom-fuzz-ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "seom-fuzz-long",
    max_examples=1000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- what the carts answer when they behave ---------------------------------------------------
Template = tuple[int, dict[str, str], Any]
"""(status, headers, body): a JSON-able body, or ``str`` for text answers (generic script)."""

_JSON = {"Content-Type": "application/json"}
_LEVEL = {"quantities": [{"name": "available", "quantity": 5}]}
_COST = {
    "requestedQueryCost": 12,
    "actualQueryCost": 12,
    "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 988.0, "restoreRate": 50},
}

TEMPLATES: dict[str, list[Template]] = {
    "generic": [
        (200, {}, "SETIResponse: version=6.000;"),
        (200, {}, "SETIResponse: itemcount=3"),
        (
            200,
            {"Content-Type": "text/xml"},
            '<?xml version="1.0" encoding="UTF-8"?><SETIProducts><Response><ResponseCode>1'
            "</ResponseCode></Response><Product><Code>FZ-1</Code><QOH>5</QOH></Product>"
            "<Product><Code>FZ-2</Code><QOH>NA</QOH></Product><Product><SKU>FZ-3</SKU>"
            "<QOH>2.0</QOH></Product></SETIProducts>",
        ),
        (200, {}, "SETIResponse\r\nFZ-1=OK\r\nFZ-2=NF\r\nFZ-3=NA\r\nSETIEndOfData"),
        (200, {}, "SETIResponse=OK;SKU=FZ-1;QOH=6;NOTE="),
        (200, {}, "SETIResponse=False;SKU=FZ-2;QOH=NF;NOTE=NotFound"),
        (200, {}, "SETIResponse=False;NOTE=The database is busy, will retry"),
        (200, {}, "SETIResponse: ordercount=1"),
        (
            200,
            {"Content-Type": "text/xml"},
            "<SETIOrders><Response><ResponseCode>1</ResponseCode></Response><Order>"
            "<OrderNumber>7</OrderNumber><Product><SKU>FZ-1</SKU><Quantity>2</Quantity>"
            "</Product></Order></SETIOrders>",
        ),
        (
            200,
            {},
            "<SETIProducts><Response><ResponseCode>3</ResponseCode><ResponseDescription>"
            "Try again later</ResponseDescription></Response></SETIProducts>",
        ),
        (200, {}, "SETIError: invalid password"),
    ],
    "shopify": [
        (200, _JSON, {"data": {"shop": {"name": "Fuzz", "myshopifyDomain": "fuzz.myshopify.com"}}}),
        (
            200,
            _JSON,
            {
                "data": {"locations": {"nodes": [{"id": "gid://shopify/Location/1", "name": "M"}]}},
                "extensions": {"cost": _COST},
            },
        ),
        (
            200,
            _JSON,
            {
                "data": {
                    "productVariants": {
                        "pageInfo": {"hasNextPage": False, "endCursor": "c1"},
                        "nodes": [
                            {
                                "sku": sku,
                                "inventoryItem": {
                                    "id": f"gid://shopify/InventoryItem/{n}",
                                    "tracked": True,
                                    "inventoryLevel": _LEVEL,
                                },
                            }
                            for n, sku in enumerate(SKUS, 1)
                        ],
                    }
                },
                "extensions": {"cost": _COST},
            },
        ),
        (
            200,
            _JSON,
            {
                "data": {
                    "inventorySetQuantities": {
                        "inventoryAdjustmentGroup": {"id": "gid://shopify/Group/1"},
                        "userErrors": [
                            {
                                "field": ["input", "quantities", "1"],
                                "message": "The quantity changed",
                                "code": "CHANGE_FROM_QUANTITY_STALE",
                            }
                        ],
                    }
                }
            },
        ),
        (
            200,
            _JSON,
            {
                "data": {
                    "inventoryAdjustQuantities": {
                        "inventoryAdjustmentGroup": {
                            "changes": [
                                {
                                    "name": "available",
                                    "delta": 1,
                                    "quantityAfterChange": 6,
                                    "item": {"id": "gid://shopify/InventoryItem/1"},
                                }
                            ]
                        },
                        "userErrors": [
                            {
                                "field": ["input", "changes", "2"],
                                "message": "not stocked",
                                "code": "ITEM_NOT_STOCKED_AT_LOCATION",
                            }
                        ],
                    }
                }
            },
        ),
        (
            200,
            _JSON,
            {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                "extensions": {"cost": {**_COST, "requestedQueryCost": 900}},
            },
        ),
        (
            200,
            _JSON,
            {
                "errors": [
                    {"message": "Query cost too high", "extensions": {"code": "MAX_COST_EXCEEDED"}}
                ]
            },
        ),
        (
            200,
            _JSON,
            {
                "data": {
                    "orders": {
                        "pageInfo": {"hasNextPage": False, "endCursor": None},
                        "nodes": [
                            {
                                "id": "gid://shopify/Order/1",
                                "legacyResourceId": "1",
                                "name": "#1001",
                                "lineItems": {
                                    "pageInfo": {"hasNextPage": True, "endCursor": "l1"},
                                    "nodes": [{"sku": "FZ-1", "quantity": 2}],
                                },
                            }
                        ],
                    },
                    "order": {"lineItems": {"pageInfo": {}, "nodes": [{"sku": "FZ-2"}]}},
                }
            },
        ),
    ],
    "woocommerce": [
        (
            200,
            {**_JSON, "X-WP-Total": "3", "X-WP-TotalPages": "1"},
            [
                {
                    "id": 11,
                    "sku": "FZ-1",
                    "type": "simple",
                    "manage_stock": True,
                    "stock_quantity": 5,
                },
                {"id": 12, "sku": "FZ-2", "type": "variable", "variations": [13]},
                {"id": 14, "sku": "FZ-3", "type": "simple", "manage_stock": False},
            ],
        ),
        (
            200,
            {**_JSON, "X-WP-Total": "1", "X-WP-TotalPages": "1"},
            [{"id": 13, "sku": "FZ-2", "manage_stock": True, "stock_quantity": 1}],
        ),
        (
            200,
            _JSON,
            {
                "update": [
                    {"id": 11, "sku": "FZ-1", "manage_stock": True, "stock_quantity": 5},
                    {
                        "id": 13,
                        "error": {
                            "code": "woocommerce_rest_product_invalid_id",
                            "message": "Invalid ID.",
                            "data": {"status": 400},
                        },
                    },
                ]
            },
        ),
        (200, _JSON, {"id": 5, "number": "5", "date_created_gmt": "2024-01-01T00:00:00"}),
        (
            200,
            {**_JSON, "X-WP-TotalPages": "1"},
            [{"id": 6, "number": "6", "line_items": [{"sku": "FZ-1", "quantity": 1}]}],
        ),
        (
            401,
            _JSON,
            {"code": "woocommerce_rest_cannot_view", "message": "Sorry", "data": {"status": 401}},
        ),
    ],
    "bigcommerce": [
        (
            200,
            {**_JSON, "X-Rate-Limit-Requests-Left": "100", "X-Rate-Limit-Time-Reset-Ms": "1000"},
            {
                "data": [
                    {
                        "identity": {"sku": sku, "variant_id": n},
                        "locations": [
                            {"location_id": 1, "total_inventory_onhand": 5, "available_to_sell": 5}
                        ],
                    }
                    for n, sku in enumerate(SKUS, 1)
                ],
                "meta": {"pagination": {"total": 3, "total_pages": 1}},
            },
        ),
        (200, _JSON, {"transaction_id": "f00"}),
        (
            422,
            _JSON,
            {
                "status": 422,
                "title": "Inventory items not found",
                "errors": {"items[0]": "SKU FZ-1 not found", "items[1]": "tracking disabled"},
            },
        ),
        (422, _JSON, {"status": 422, "title": "Location not found", "errors": {}}),
        (200, _JSON, [{"id": 100}, {"id": "101"}]),
        (200, _JSON, [{"sku": "FZ-1", "quantity": 2}]),
        (204, {}, ""),
    ],
    "miva": [
        (
            200,
            _JSON,
            {
                "success": 1,
                "data": {
                    "total_count": 3,
                    "start_offset": 0,
                    "data": [
                        {
                            "id": n,
                            "code": sku,
                            "product_inventory_active": n != 3,
                            "product_inventory": 5,
                        }
                        for n, sku in enumerate(SKUS, 1)
                    ],
                },
            },
        ),
        (
            206,
            {**_JSON, "Content-Range": "1/2"},
            [{"success": 1}],
        ),
        (
            200,
            _JSON,
            [
                {"success": 1},
                {"success": 0, "error_code": "invalid_product", "error_message": "Not found"},
            ],
        ),
        (200, _JSON, {"success": 0, "error_code": "invalid_token", "error_message": "Bad token"}),
        (
            200,
            _JSON,
            {
                "success": 1,
                "data": {
                    "total_count": 1,
                    "data": [{"id": 9, "items": [{"code": "FZ-1", "quantity": 2}]}],
                },
            },
        ),
    ],
    "magento": [
        (
            200,
            _JSON,
            {
                "items": [
                    {"sku": sku, "source_code": "default", "quantity": 5.0, "status": 1}
                    for sku in SKUS
                ],
                "total_count": 3,
            },
        ),
        (200, _JSON, []),
        (
            400,
            _JSON,
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "message": 'Product with SKU "%sku" does not exist.',
                        "parameters": {"sku": "FZ-2"},
                    }
                ],
            },
        ),
        (400, _JSON, {"message": "Maximum items of type %1 is %2", "parameters": ["x", 20]}),
        (
            200,
            _JSON,
            {
                "items": [
                    {
                        "entity_id": 7,
                        "items": [{"sku": "FZ-1", "qty_ordered": 2.0, "parent_item_id": None}],
                    }
                ],
                "total_count": 1,
            },
        ),
        (401, _JSON, {"message": "The consumer isn't authorized to access %resources."}),
    ],
    "oscar": [
        (200, _JSON, [{"name": "Book", "track_stock": True}]),
        (
            200,
            _JSON,
            [
                {
                    "upc": sku,
                    "stockrecords": [
                        {
                            "partner_sku": sku,
                            "num_in_stock": None if n == 3 else 5,
                            "num_allocated": 1,
                            "url": f"http://127.0.0.1/api/admin/stockrecords/{n}/",
                        }
                    ],
                }
                for n, sku in enumerate(SKUS, 1)
            ],
        ),
        (200, _JSON, {"count": 3, "next": "?page=2", "previous": None, "results": []}),
        (200, _JSON, {"num_in_stock": 6, "num_allocated": 1}),
        (400, _JSON, {"num_in_stock": ["Ensure this value is greater than or equal to 0."]}),
        (404, _JSON, {"detail": "Not found."}),
    ],
}


def _keys(value: Any, into: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            into.add(key)
            _keys(inner, into)
    elif isinstance(value, list):
        for inner in value:
            _keys(inner, into)
    return into


# -- hostile pieces ---------------------------------------------------------------------------
_LOL = "".join(
    f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10)
).replace("&lol0;", "lol")
HOSTILE_XML = [
    # billion laughs
    f'<?xml version="1.0"?><!DOCTYPE SETIProducts [{_LOL}]><SETIProducts>&lol9;</SETIProducts>',
    # quadratic blow-up
    '<?xml version="1.0"?><!DOCTYPE SETIProducts [<!ENTITY a "'
    + "x" * 5000
    + '">]><SETIProducts>'
    + "&a;" * 2000
    + "</SETIProducts>",
    # external entity
    '<?xml version="1.0"?><!DOCTYPE SETIProducts [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<SETIProducts><Product><Code>&xxe;</Code><QOH>1</QOH></Product></SETIProducts>",
    # external DTD and parameter entity
    '<?xml version="1.0"?><!DOCTYPE SETIOrders SYSTEM "http://127.0.0.1:9/evil.dtd"><SETIOrders/>',
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % pe SYSTEM "http://127.0.0.1:9/x"> %pe;]><r/>',
    # an internal entity that carries the secret
    f'<?xml version="1.0"?><!DOCTYPE SETIProducts [<!ENTITY s "{SECRET}">]>'
    "<SETIProducts><Product><Code>&s;</Code><QOH>1</QOH></Product></SETIProducts>",
    # deep nesting
    "<SETIProducts>" + "<a>" * 5000 + "</a>" * 5000 + "</SETIProducts>",
    # not XML at all / wrong root / unclosed
    "<SETIProducts><Product><Code>FZ-1</Code>",
    "<html><body>Error 500</body></html>",
]

WEIRD_STRINGS = [
    "",
    " ",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1",
    "-2.5",
    "3.7",
    "0x10",
    "9" * 30,
    "9" * 5000,
    "null",
    "true",
    "\x00",
    "\x1b[31mred\x1b[0m",
    "line\r\nbreak",
    "\u202eevil",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    SECRET,
    f"password={SECRET}",
    f"Authorization: Bearer {SECRET}",
    f"the token {SECRET} is wrong",
    "x" * 3000,
    SECRET * 40,
    *SKUS,
    "gid://shopify/InventoryItem/1",
    "available",
    "CHANGE_FROM_QUANTITY_STALE",
    "THROTTLED",
    "IDEMPOTENCY_CONCURRENT_REQUEST",
    "invalid_product",
    "Location not found",
    "items[0]",
    "items[99999999999999999999]",
    "https://evil.invalid/steal",
    "2024-01-01T00:00:00",
    "?page=2",
]

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, 10**20, -(10**20)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WEIRD_STRINGS),
    st.text(max_size=30),
)


def _hostile(keys: list[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        _scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(keys), inner, max_size=4),
        ),
        max_leaves=12,
    )


@st.composite
def _mutated(draw: st.DrawFn, value: Any, hostile: st.SearchStrategy[Any], depth: int = 0) -> Any:
    """The template with some nodes replaced, dropped or duplicated."""
    if draw(st.integers(0, 11)) == 0:
        return draw(hostile)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            if draw(st.integers(0, 15)) == 0:
                continue
            out[key] = draw(_mutated(inner, hostile, depth + 1))
        return out
    if isinstance(value, list):
        items = [draw(_mutated(inner, hostile, depth + 1)) for inner in value]
        if items and draw(st.integers(0, 7)) == 0:
            items.append(items[0])
        return items
    return value


def _cut(body: bytes, at: int) -> bytes:
    """``body`` cut at ``at`` (never inside the secret: a half secret is not an echo)."""
    secret = SECRET.encode()
    start = body.find(secret)
    while start != -1:
        if start < at < start + len(secret):
            at = start + len(secret)
        start = body.find(secret, start + 1)
    return body[:at]


@st.composite
def _text_body(draw: st.DrawFn, template: str) -> str:
    """A generic-script answer, line by line: values replaced, lines dropped or added."""
    lines = template.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    for line in lines:
        choice = draw(st.integers(0, 9))
        if choice == 0:
            continue
        if choice == 1 and "=" in line:
            out.append(f"{line.rpartition('=')[0]}={draw(st.sampled_from(WEIRD_STRINGS))}")
            continue
        if choice == 2:
            out.append(draw(st.sampled_from(WEIRD_STRINGS)))
        out.append(line)
    newline = draw(st.sampled_from(["\n", "\r\n", "\r", ""]))
    text = newline.join(out)
    if "<" in text and draw(st.integers(0, 3)) == 0:
        # an XML value replaced by something hostile
        value = draw(st.sampled_from(WEIRD_STRINGS))
        text = text.replace(">5<", f">{value}<", 1).replace(">FZ-1<", f">{value}<", 1)
    return text


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    routed: int | None = None
    """When set: answer with the template that fits the request, mutated by a random
    generator seeded with this number (at ``rate``), instead of ``body``."""
    rate: float = 0.0


ROUTES: dict[str, list[tuple[str, int]]] = {
    # (text found in "METHOD /path body", index of the template that answers it)
    "generic": [
        ("setifunction=sendversion", 0),
        ("setifunction=getproductscount", 1),
        ("setifunction=downloadqoh", 2),
        ("setifunction=qohreplace", 3),
        ("setifunction=invupdate", 4),
        ("setifunction=ordercount", 7),
        ("setifunction=downloadorders", 8),
    ],
    "shopify": [
        ("SeomShop", 0),
        ("SeomLocations", 1),
        ("SeomVariant", 2),
        ("SeomSet", 3),
        ("SeomAdjust", 4),
        ("SeomOrder", 7),
    ],
    "woocommerce": [
        ("/variations/batch", 2),
        ("/products/batch", 2),
        ("/variations", 1),
        ("GET /wp-json/wc/v3/products", 0),
        ("/orders/5", 3),
        ("/orders", 4),
    ],
    "bigcommerce": [
        ("/inventory/items", 0),
        ("/inventory/adjustments", 1),
        ("/products", 5),
        ("/v2/orders", 4),
    ],
    "miva": [
        ("ProductList_Load_Query", 0),
        ("Multicall", 2),
        ("OrderList_Load_Query", 4),
    ],
    "magento": [
        ("GET /rest/V1/inventory/source-items", 0),
        ("POST /rest/V1/inventory/source-items", 1),
        ("/orders", 4),
    ],
    "oscar": [
        ("productclasses", 0),
        ("admin/products", 1),
        ("stockrecords", 3),
    ],
}


def _route(platform: str, seen: Seen) -> int | None:
    text = f"{seen.method} {seen.path} {seen.body[:500].decode('utf-8', 'replace')}"
    for needle, index in ROUTES[platform]:
        if needle in text:
            return index
    return None


_RANDOM_VALUES: list[Any] = [None, True, False, 0, -1, 1.5, -2.5, 2**31, 2**63, 10**20]
_RANDOM_VALUES += [float("nan"), float("inf"), float("-inf"), [], {}, *WEIRD_STRINGS]


def _random_hostile(rnd: random.Random, keys: list[str], depth: int = 0) -> Any:
    kind = rnd.randrange(6)
    if depth > 2 or kind < 4:
        return rnd.choice(_RANDOM_VALUES)
    if kind == 4:
        return [_random_hostile(rnd, keys, depth + 1) for _ in range(rnd.randrange(4))]
    return {
        rnd.choice(keys): _random_hostile(rnd, keys, depth + 1) for _ in range(rnd.randrange(4))
    }


def _random_mutation(value: Any, rnd: random.Random, keys: list[str], rate: float) -> Any:
    if rnd.random() < rate:
        return _random_hostile(rnd, keys)
    if isinstance(value, dict):
        return {
            k: _random_mutation(v, rnd, keys, rate)
            for k, v in value.items()
            if rnd.random() >= rate / 2
        }
    if isinstance(value, list):
        items = [_random_mutation(v, rnd, keys, rate) for v in value]
        if items and rnd.random() < rate:
            items.append(items[0])
        return items
    if isinstance(value, str) and "\n" in value and rnd.random() < rate * 4:
        lines = value.split("\n")
        at = rnd.randrange(len(lines))
        key = lines[at].rpartition("=")[0]
        lines[at] = f"{key}={rnd.choice(WEIRD_STRINGS)}" if key else rnd.choice(WEIRD_STRINGS)
        return "\n".join(lines)
    if isinstance(value, str) and ">5<" in value and rnd.random() < rate * 4:
        return value.replace(">5<", f">{rnd.choice(WEIRD_STRINGS)}<")
    return value


def routed_answer(platform: str, seen: Seen, answer: Answer) -> Answer:
    """The template that fits this request, mutated as ``answer`` says."""
    index = _route(platform, seen)
    if index is None or answer.routed is None:
        return answer
    status, headers, body = TEMPLATES[platform][index]
    if platform == "miva" and index == 2 and answer.routed % 3 == 0:
        status, headers, body = TEMPLATES[platform][1]  # a 206 partial answer
    rnd = random.Random(answer.routed)
    keys = sorted(_keys(body, set()) | {"x"})
    body = _random_mutation(body, rnd, keys, answer.rate)
    headers = dict(headers)
    if answer.rate and rnd.random() < answer.rate:
        headers[rnd.choice(_HEADER_NAMES)] = rnd.choice(_HEADER_VALUES)
    if answer.rate and rnd.random() < answer.rate / 2:
        status = rnd.choice(_STATUSES)
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return Answer(status, headers, raw)


_STATUSES = [200, 201, 204, 206, 299, 301, 302, 400, 401, 403, 404, 408, 413, 422, 429, 500, 502]
_STATUSES += [503, 504]
_CONTENT_TYPES = [
    "application/json",
    "application/json; charset=iso-8859-1",
    "text/html",
    "text/xml",
    "text/plain; charset=utf-16",
    "application/octet-stream",
    "garbage/;;;",
]
_HEADER_VALUES = [
    "",
    "0",
    "-1",
    "1",
    "2.5",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "999999999999999999999999",
    "abc",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Mon, 99 Foo 2024 99:99:99 GMT",
    "1/2",
    "2/2",
    "3/2",
    "0/2",
    "-1/2",
    "x/y",
    "/",
    "5/1000000000000",
    "bytes 0-10/20",
    SECRET,
    f"https://evil.invalid/?token={SECRET}",
]
_HEADER_NAMES = [
    "Retry-After",
    "X-WP-Total",
    "X-WP-TotalPages",
    "X-Rate-Limit-Requests-Left",
    "X-Rate-Limit-Time-Reset-Ms",
    "Content-Range",
    "Location",
    "X-Shopify-Shop-Api-Call-Limit",
]


@st.composite
def answers(draw: st.DrawFn, platform: str) -> Answer:
    """One hostile answer for ``platform``."""
    templates = TEMPLATES[platform]
    status, headers, body = draw(st.sampled_from(templates))
    headers = dict(headers)
    keys = sorted(set().union(*(_keys(t[2], set()) for t in templates)) | {"x"})
    hostile = _hostile(keys)
    kind = draw(st.integers(0, 19))
    raw: bytes
    if isinstance(body, str):
        if kind < 12:
            raw = draw(_text_body(body)).encode()
        elif kind < 15:
            raw = draw(st.sampled_from(HOSTILE_XML)).encode()
        else:
            raw = body.encode()
    elif kind < 12:
        raw = json.dumps(draw(_mutated(body, hostile))).encode()  # NaN / Infinity allowed
    elif kind < 14:
        raw = json.dumps(draw(hostile)).encode()
    else:
        raw = json.dumps(body).encode()
    extra = draw(st.integers(0, 14))
    if extra == 0:
        raw = _cut(raw, draw(st.integers(0, len(raw))))
    elif extra == 1:  # not UTF-8
        at = len(_cut(raw, draw(st.integers(0, len(raw)))))
        raw = (
            raw[:at]
            + draw(st.sampled_from([b"\xff\xfe", b"\xc3\x28", b"\xe9", b"\x80"]))
            + raw[at:]
        )
    elif extra == 2:  # larger than the connector accepts
        raw = raw + b" " * (MAX_BODY + 1)
    elif extra == 3:  # the answer says it is larger than it is: cut off mid-answer
        headers["Content-Length"] = str(len(raw) + draw(st.integers(1, 10**6)))
        headers["Connection"] = "close"
    elif extra == 4:
        headers["Content-Length"] = str(10**12)
        headers["Connection"] = "close"
    elif extra == 5:
        raw = draw(
            st.sampled_from(
                [
                    b"",
                    b"[" * 100_000 + b"]" * 100_000,
                    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
                    b"1" * 5000,
                    b"\x00" * 64,
                    ("\ufeff" + json.dumps(body)).encode(),
                    json.dumps(body).encode("utf-16"),
                    f"<html><body>Bad gateway {SECRET}</body></html>".encode(),
                    *(x.encode() for x in HOSTILE_XML[:3]),
                ]
            )
        )
    elif extra == 6:
        raw = draw(st.binary(max_size=200))
    if draw(st.integers(0, 3)) == 0:
        status = draw(st.sampled_from(_STATUSES))
    if draw(st.integers(0, 4)) == 0:
        headers["Content-Type"] = draw(st.sampled_from(_CONTENT_TYPES))
    for _ in range(draw(st.integers(0, 2))):
        headers[draw(st.sampled_from(_HEADER_NAMES))] = draw(st.sampled_from(_HEADER_VALUES))
    if draw(st.integers(0, 9)) == 0:
        headers = {k: v for k, v in headers.items() if k in ("Content-Length", "Connection")}
    return Answer(status, headers, raw)


# -- what is asked of the connector -----------------------------------------------------------
def _operations(connector: Connector) -> dict[str, Callable[[], Any]]:
    batch = min(len(SKUS), connector.max_batch)
    sets = [QohSet("FZ-1", 5), QohSet("FZ-2", 0, key="k2"), QohSet("FZ-3", 7, expected=2, key="k3")]
    deltas = [QohDelta("FZ-1", 1, "k1"), QohDelta("FZ-2", -2, "k2"), QohDelta("FZ-3", 3, "k3")]
    ops: dict[str, Callable[[], Any]] = {
        "test_connection": connector.test_connection,
        "iter_qoh": lambda: list(connector.iter_qoh()),
        "read_qoh": lambda: connector.read_qoh(list(SKUS)),
        "set_qoh": lambda: connector.set_qoh(sets[:batch]),
    }
    if type(connector).adjust_qoh is not Connector.adjust_qoh:
        ops["adjust_qoh"] = lambda: connector.adjust_qoh(deltas[:batch])
    if type(connector).new_orders is not Connector.new_orders:
        ops["new_orders"] = lambda: connector.new_orders(None, 10)
        ops["new_orders_after"] = lambda: connector.new_orders("5", 10)
    return ops


OPERATIONS = ("test_connection", "iter_qoh", "read_qoh", "set_qoh", "adjust_qoh", "new_orders")
OPERATIONS += ("new_orders_after",)


@dataclass
class Case:
    operation: str
    answers: list[Answer]
    send_as_xml: bool


def cases(platform: str) -> st.SearchStrategy[Case]:
    routed = st.builds(
        Answer,
        st.just(200),
        st.just({}),
        st.just(b""),
        st.integers(0, 2**32),
        st.sampled_from([0.0, 0.0, 0.05, 0.1, 0.2, 0.4]),
    )
    return st.builds(
        Case,
        st.sampled_from(OPERATIONS),
        # three in four answers fit the request, so that the deep paths are reached too
        st.lists(st.one_of(routed, routed, routed, answers(platform)), min_size=1, max_size=8),
        st.booleans(),
    )


# -- the properties ---------------------------------------------------------------------------
_SECRET_PIECES = [SECRET[i : i + SECRET_WINDOW] for i in range(len(SECRET) - SECRET_WINDOW + 1)]


def check_text(text: str, what: str, *, required: bool = True) -> None:
    if required:
        assert text.strip(), f"{what}: empty message"
    assert len(text) <= MAX_MESSAGE, f"{what}: message of {len(text)} characters: {text[:200]!r}"
    assert text.isprintable(), f"{what}: not one printable line: {text[:300]!r}"
    for piece in _SECRET_PIECES:
        assert piece not in text, f"{what}: the secret is echoed: {text!r}"


def check_result(value: Any, operation: str, asked: int) -> None:
    if operation in ("set_qoh", "adjust_qoh"):
        assert isinstance(value, list) and len(value) == asked, value
        for result in value:
            assert isinstance(result, ItemResult)
            check_text(result.message, "ItemResult", required=result.status != ItemStatus.OK)
            check_text(result.code, "ItemResult.code", required=False)
            assert result.cart_qoh is None or isinstance(result.cart_qoh, int)
    elif operation == "iter_qoh":
        for page in value:
            for item in page:
                assert isinstance(item, CartQoh)
                assert item.qoh is None or isinstance(item.qoh, int)
    elif operation == "read_qoh":
        assert isinstance(value, dict)
        assert all(q is None or isinstance(q, int) for q in value.values())
    elif operation.startswith("new_orders"):
        assert all(isinstance(o, CartOrder) for o in value)
        assert all(isinstance(line.quantity, int) for o in value for line in o.lines)
    else:
        check_text(value, "test_connection")


@dataclass
class Stats:
    examples: int = 0
    requests: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class HostileCart:
    """One scripted loopback server; each example loads its answers."""

    server: Scripted

    def __init__(self) -> None:
        self.platform = ""
        self._lock = threading.Lock()
        self._queue: list[Answer] = []

    def load(self, platform: str, script: list[Answer]) -> None:
        with self._lock:
            self.platform = platform
            self._queue = list(script)
            self.server.requests.clear()

    def __call__(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            if not self._queue:
                return 503, {"Content-Type": "text/plain"}, b"fuzz: no more answers"
            answer = routed_answer(self.platform, seen, self._queue.pop(0))
        return answer.status, answer.headers, answer.body


@pytest.fixture(scope="module")
def hostile_cart() -> Iterator[HostileCart]:
    cart = HostileCart()
    with scripted_server(cart) as cart.server:
        yield cart


def _cart(platform: str, url: str, send_as_xml: bool) -> Any:
    user = {
        "generic": GENERIC_USER,
        "shopify": "fuzz-shop",
        "woocommerce": WOO_KEY,
        "bigcommerce": BC_STORE_HASH,
        "miva": MIVA_STORE,
        "magento": "",
        "oscar": "admin",
    }[platform]
    path = "/seom.php" if platform == "generic" else ""
    options = {"send_as_xml": "true"} if send_as_xml and platform == "generic" else {}
    return cart_info(platform, url + path, user, SECRET, name="Fuzz cart", **options)


def run_case(platform: str, cart: HostileCart, case: Case, stats: Stats) -> None:
    """One example: load the answers, call the operation, check the properties."""
    cart.load(platform, case.answers)
    clock = FakeClock()
    connector = connector_for(
        _cart(platform, cart.server.url, case.send_as_xml),
        timeout=5.0,
        clock=clock,
        sleep=clock.sleep,
        max_body=MAX_BODY,
    )
    ops = _operations(connector)
    operation = case.operation if case.operation in ops else "test_connection"
    asked = min(len(SKUS), connector.max_batch)
    box: dict[str, Any] = {}

    def call() -> None:
        try:
            box["value"] = ops[operation]()
        except CartError as exc:
            box["cart_error"] = exc
        except BaseException as exc:  # reported below, with its traceback
            box["crash"] = exc

    worker = threading.Thread(target=call, daemon=True)
    try:
        worker.start()
        worker.join(WATCHDOG)
        assert not worker.is_alive(), f"{platform} {operation}: still running after {WATCHDOG} s"
    finally:
        connector.close()
    stats.examples += 1
    stats.requests += len(cart.server.requests)
    if "crash" in box:
        raise AssertionError(f"{platform} {operation} crashed") from box["crash"]
    for seconds in clock.sleeps:
        assert seconds <= MAX_WAIT, f"{platform} {operation}: waited {seconds} s"
    if "cart_error" in box:
        outcome = "CartError"
        error = box["cart_error"]
        check_text(str(error), "CartError")
        retry = error.retry_after
        assert retry is None or 0 <= retry <= 86400, f"CartError.retry_after {retry!r}"
    else:
        outcome = "answered"
        check_result(box["value"], operation, asked)
    stats.outcomes[outcome] = stats.outcomes.get(outcome, 0) + 1


def fuzz_platform(
    platform: str, cart: HostileCart, config: settings, stats: Stats | None = None
) -> Stats:
    """Run the hypothesis search for one platform under ``config``; raises on a failure
    (``stats``, when given, counts what ran even then)."""
    stats = stats if stats is not None else Stats()

    @config
    @given(case=cases(platform))
    def example(case: Case) -> None:
        run_case(platform, cart, case, stats)

    example()
    return stats


@pytest.mark.parametrize("platform", PLATFORMS)
def test_hostile_answers(platform: str, hostile_cart: HostileCart) -> None:
    stats = fuzz_platform(platform, hostile_cart, settings.get_profile("seom-fuzz-ci"))
    assert stats.examples > 0

"""Builders for the connector tests: cart snapshots, a fake clock, a scripted loopback server.

The scripted server is a real HTTP server on 127.0.0.1 that answers what a test tells it to:
it stands in for cart scripts whose answer variants the sandboxes do not produce (an echoed
password, ``SETIResponse=False ... will retry``, BigCommerce quota headers, a redirect).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from seom_desktop.sandbox import SandboxCart
from seom_desktop.store.carts import CartInfo

GENERIC_USER, GENERIC_SECRET = "seom", "seom-sandbox"
SHOPIFY_TOKEN = "shpat_sandbox_0123456789abcdef"
WOO_KEY = "ck_sandbox0123456789abcdef0123456789abcdef"
WOO_SECRET = "cs_sandbox0123456789abcdef0123456789abcdef"
BC_STORE_HASH, BC_TOKEN = "sbx0store1", "bc_sandbox_token_0123456789abcdef"
MIVA_STORE, MIVA_TOKEN = "SBX", "miva_sandbox_token_0123456789abcdef"
MAGENTO_TOKEN = "magento_sandbox_integration_token_0123456789"


class FakeClock:
    """A monotonic clock moved by hand; ``sleep`` advances it (no real waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def cart_info(
    platform: str,
    url: str,
    user: str = "",
    secret: str = "",
    *,
    max_items: int = 50,
    cart_id: int = 1,
    name: str = "Test cart",
    **options: str,
) -> CartInfo:
    return CartInfo(
        id=cart_id,
        name=name,
        platform=platform,
        url=url,
        username=user,
        secret=secret,
        options=dict(options),
        sync_inventory=False,
        active=True,
        order_download_batch=50,
        max_items_per_send=max_items,
    )


def generic_info(cart: SandboxCart, **kwargs: Any) -> CartInfo:
    return cart_info("generic", cart.url + "/seom.php", GENERIC_USER, GENERIC_SECRET, **kwargs)


def shopify_info(cart: SandboxCart, **kwargs: Any) -> CartInfo:
    return cart_info("shopify", cart.url, "sandbox-shop", SHOPIFY_TOKEN, **kwargs)


def woo_info(cart: SandboxCart, **kwargs: Any) -> CartInfo:
    return cart_info("woocommerce", cart.url, WOO_KEY, WOO_SECRET, **kwargs)


def bigcommerce_info(cart: SandboxCart, **kwargs: Any) -> CartInfo:
    return cart_info("bigcommerce", cart.url, BC_STORE_HASH, BC_TOKEN, **kwargs)


def miva_info(cart: SandboxCart, **kwargs: Any) -> CartInfo:
    return cart_info("miva", cart.url, MIVA_STORE, MIVA_TOKEN, **kwargs)


def magento_info(cart: SandboxCart, **kwargs: Any) -> CartInfo:
    return cart_info("magento", cart.url, "", MAGENTO_TOKEN, **kwargs)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Scripted:
    """What the scripted server answers: ``answer(request) -> (status, headers, body)``;
    status 0 closes the connection without an answer."""

    url: str
    requests: list[Seen] = field(default_factory=list)


Answer = Callable[[Seen], tuple[int, dict[str, str], bytes]]


@contextmanager
def scripted_server(answer: Answer) -> Iterator[Scripted]:
    state: dict[str, Scripted] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                self.command,
                self.path,
                dict(self.headers.items()),
                self.rfile.read(length) if length else b"",
            )
            state["server"].requests.append(seen)
            status, headers, body = answer(seen)
            if status == 0:  # close without an answer (a lost answer)
                self.close_connection = True
                return
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["server"] = Scripted(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state["server"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""The common base of every sandbox cart: a real HTTP/1.1 server on loopback.

:class:`SandboxCart` owns the HTTP server (stdlib ``ThreadingHTTPServer``, keep-alive,
daemon threads), the catalogue, the statistics, fault injection and an optional
requests-per-second limit. A platform subclass only implements :meth:`SandboxCart.handle`
(one protocol request in, one :class:`Response` out) plus a few hooks.

Request pipeline (in :meth:`SandboxCart._serve`), the one place faults are injected:

1. ``/_sandbox/*`` control endpoints are answered directly: no auth, no faults, no limits.
2. Fault decision (:mod:`.faults`): latency; ``drop`` / ``error500`` / ``throttle`` answer
   (or don't) before anything is applied.
3. The requests-per-second limit (``rate_limit_rps``, off by default): past it, the
   platform's 429 answer with ``Retry-After``.
4. ``handle()``: auth, validation, application of the change, the answer.
5. ``lost`` closes the connection without the answer; ``malformed`` truncates the body;
   ``oversized`` replaces it with megabytes of junk.

Control endpoints (JSON):

- ``GET /_sandbox/inventory`` -> ``{sku: qoh}`` (untracked -> null);
  ``POST /_sandbox/inventory`` with ``{sku: qoh}`` sets QOH directly (a stock take).
- ``POST /_sandbox/order`` with ``{"lines": [{"sku": "A1", "qty": 2}]}`` -> a web sale that
  lowers the cart's own QOH and creates an order for import; answers ``{"order": "1001"}``.
- ``GET /_sandbox/orders`` -> the orders, ``GET /_sandbox/stats`` -> counters,
  ``GET|POST /_sandbox/faults`` -> read / replace the fault spec (body: the spec as text or
  ``{"faults": "..."}``), ``POST /_sandbox/reset`` -> initial catalogue, no orders, zero stats.

A platform may add control endpoints of its own (:meth:`SandboxCart.control`, e.g. Miva's
baskets) and a section of its own to the statistics (:meth:`SandboxCart.platform_stats`, shown
under the platform's name). Platforms without idempotency keys record every applied delta in a
:class:`DeltaLog`, so a test can see a finished delta that was sent (and applied) twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import math
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from .catalog import CatalogSource, Catalogue, catalog_rows
from .faults import FAULT_KINDS, FaultInjector, FaultSpec

CONTROL_PREFIX = "/_sandbox/"
JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"

Clock = Callable[[], float]


@dataclass
class Request:
    """One HTTP request as the platform handler sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first query-string value of ``name``."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self) -> Any:
        """The body parsed as JSON (ValueError when it is not JSON)."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    """One HTTP answer."""

    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Response:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return cls(status, body, JSON_TYPE, dict(headers or {}))

    @classmethod
    def text(
        cls,
        text: str,
        status: int = 200,
        content_type: str = TEXT_TYPE,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return cls(status, text.encode("utf-8"), content_type, dict(headers or {}))


class RateLimiter:
    """Token bucket: ``rate`` requests per second, bursts of up to ``burst`` requests."""

    def __init__(self, rate: float, burst: float | None = None, clock: Clock = time.monotonic):
        if rate <= 0:
            raise ValueError("rate limit must be positive")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, rate))
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token; return 0 when allowed, else the seconds until one is available."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate


def retry_after_seconds(wait: float) -> int:
    """``Retry-After`` is whole seconds: round up, at least 1."""
    return max(1, math.ceil(wait))


class Stats:
    """Thread-safe counters served at ``GET /_sandbox/stats``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.control_requests = 0
            self.faults: Counter[str] = Counter()
            self.rate_limited = 0
            self.changes_applied = 0
            self.changes_refused = 0
            self.orders_created = 0
            self.key_applications: Counter[str] = Counter()
            self.key_replays = 0
            self.reference_applications: Counter[str] = Counter()
            self.operations: Counter[str] = Counter()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def operation(self, name: str) -> None:
        with self._lock:
            self.operations[name] += 1

    def applied(
        self, changes: int, *, key: str | None = None, reference: str | None = None
    ) -> None:
        """Record a request that applied ``changes`` item changes (under ``key``)."""
        with self._lock:
            self.changes_applied += changes
            if key is not None:
                self.key_applications[key] += 1
            if reference:
                self.reference_applications[reference] += 1

    def replayed(self) -> None:
        with self._lock:
            self.key_replays += 1

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            duplicates = sorted(k for k, n in self.key_applications.items() if n > 1)
            dup_refs = sorted(r for r, n in self.reference_applications.items() if n > 1)
            return {
                "requests": self.requests,
                "control_requests": self.control_requests,
                "operations": dict(self.operations),
                "faults": {kind: self.faults.get(kind, 0) for kind in FAULT_KINDS},
                "faults_total": sum(self.faults.values()),
                "rate_limited": self.rate_limited,
                "changes_applied": self.changes_applied,
                "changes_refused": self.changes_refused,
                "orders_created": self.orders_created,
                "idempotency": {
                    "applications": dict(self.key_applications),
                    "keys_applied": len(self.key_applications),
                    "replays": self.key_replays,
                    "duplicates": duplicates,
                    "duplicate_count": len(duplicates),
                },
                "references": {
                    "applications": len(self.reference_applications),
                    "duplicates": dup_refs,
                    "duplicate_count": len(dup_refs),
                },
            }


def fingerprint(payload: Any) -> str:
    """A short, stable hash of a JSON-able payload (keys sorted), for :class:`DeltaLog`."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class DeltaLog:
    """Every relative change a platform without idempotency keys applied.

    Each application is recorded under ``(sku, fingerprint)``, the fingerprint being the hash
    of what the client sent (a whole request body, or one multicall operation). The same
    fingerprint applied twice to the same SKU is a *duplicate*: either a client re-sent a
    delta whose first attempt had in fact been applied (the bug this catches), or it sent two
    byte-identical deltas on purpose (make them differ, e.g. by a reason, to tell them apart).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._counts: Counter[tuple[str, str]] = Counter()
            self.applications = 0

    def record(self, sku: str, fp: str) -> None:
        with self._lock:
            self._counts[(sku, fp)] += 1
            self.applications += 1

    def count(self, sku: str, fp: str) -> int:
        with self._lock:
            return self._counts.get((sku, fp), 0)

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            dups = sorted((k for k, n in self._counts.items() if n > 1))
            return {
                "applications": self.applications,
                "distinct": len(self._counts),
                "duplicates": [
                    {"sku": sku, "fingerprint": fp, "count": self._counts[(sku, fp)]}
                    for sku, fp in dups
                ],
                "duplicate_count": len(dups),
                "duplicate_skus": sorted({sku for sku, _ in dups}),
            }


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that remembers its open connections so stop() can close them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], cart: SandboxCart) -> None:
        self.cart = cart
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.cart.log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SEOMSandbox/1.0"
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections end after two minutes
    server: _Server

    def _dispatch(self) -> None:
        self.server.cart._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        self.server.cart.log.debug("%s - %s", self.address_string(), format % args)


class SandboxCart:
    """A local cart server speaking one platform's protocol. Subclass per platform.

    ``start()`` returns once the socket listens; ``port=0`` picks a free port; ``url`` is the
    base URL; ``stop()`` closes the listening socket and every open connection. Also a
    context manager. With ``state_file`` the catalogue, orders and platform state (e.g.
    Shopify idempotency keys) are loaded from that JSON file when it exists and written back
    at most every ``save_interval`` seconds and on ``stop()``.
    """

    platform: ClassVar[str] = ""
    default_user: ClassVar[str] = ""
    default_secret: ClassVar[str] = ""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        catalog: CatalogSource = None,
        user: str | None = None,
        secret: str | None = None,
        faults: str | FaultSpec | None = None,
        state_file: str | Path | None = None,
        rate_limit_rps: float | None = None,
        rate_limit_burst: float | None = None,
        clock: Clock | None = None,
        wall_clock: Callable[[], dt.datetime] | None = None,
        save_interval: float = 1.0,
        oversized_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.log = logging.getLogger(f"seom_desktop.sandbox.{self.platform or 'base'}")
        self.host = host
        self.requested_port = port
        self.user = user if user is not None else self.default_user
        self.secret = secret if secret is not None else self.default_secret
        self.clock: Clock = clock or time.monotonic
        self.wall_clock = wall_clock or (lambda: dt.datetime.now(dt.UTC))
        self.faults = FaultInjector(faults)
        self.stats = Stats()
        self.rate_limiter = (
            RateLimiter(rate_limit_rps, rate_limit_burst, self.clock) if rate_limit_rps else None
        )
        self.state_file = Path(state_file) if state_file else None
        self.save_interval = save_interval
        self.oversized_bytes = oversized_bytes
        self._junk: bytes | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._saver: threading.Thread | None = None
        self._stopping = threading.Event()
        self._saved_version = -1
        self._save_lock = threading.Lock()

        extra: dict[str, Any] = {}
        if self.state_file and self.state_file.exists():
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
            if state.get("platform") not in (None, self.platform):
                raise ValueError(
                    f"{self.state_file} holds a {state.get('platform')!r} sandbox, "
                    f"not {self.platform!r}"
                )
            self.catalog = Catalogue.from_json(state.get("catalog", {}))
            extra = dict(state.get("extra") or {})
            self.log.info("loaded %d SKUs from %s", len(self.catalog), self.state_file)
        else:
            self.catalog = Catalogue(catalog_rows(catalog))
        self._initial = self.catalog.to_json()
        self.setup()
        if extra:
            self.load_extra_state(extra)

    # -- hooks for platforms ---------------------------------------------------------------
    def setup(self) -> None:
        """(Re)build platform indexes from the catalogue; called at start and on reset."""

    def handle(self, request: Request) -> Response:
        """Answer one protocol request (auth, validation, application)."""
        raise NotImplementedError

    def throttle_response(self, retry_after: int) -> Response:
        """The platform's 429 answer."""
        return Response.json({"error": "Too many requests"}, 429, {"Retry-After": str(retry_after)})

    def extra_state(self) -> dict[str, Any]:
        """Platform state to persist next to the catalogue."""
        return {}

    def load_extra_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`extra_state` saved."""

    def describe(self) -> list[str]:
        """Lines printed by ``run_sandbox``: endpoints and credentials."""
        return [f"user: {self.user}", f"secret: {self.secret}"]

    def control(self, name: str, request: Request) -> Response | None:
        """Hook: answer a platform control endpoint ``/_sandbox/<name>`` (None: not mine).
        A ValueError becomes a 400 answer."""
        return None

    def platform_stats(self) -> dict[str, Any]:
        """Hook: platform counters, served under the platform's name in ``/_sandbox/stats``."""
        return {}

    def stats_json(self) -> dict[str, Any]:
        """What ``GET /_sandbox/stats`` answers."""
        data = self.stats.to_json()
        extra = self.platform_stats()
        if extra:
            data[self.platform] = extra
        return data

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> SandboxCart:
        """Bind, listen and serve on a daemon thread; returns once the socket listens."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self.host, self.requested_port), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.platform}-{self.port}",
            daemon=True,
        )
        self._thread.start()
        if self.state_file is not None:
            self.save()
            self._saver = threading.Thread(
                target=self._save_loop, name=f"sandbox-{self.platform}-saver", daemon=True
            )
            self._saver.start()
        self.log.info("%s sandbox listening on %s", self.platform, self.url)
        return self

    def stop(self) -> None:
        """Stop serving, close every connection, save the state file."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._saver is not None:
            self._saver.join(timeout=5)
            self._saver = None
        if self.state_file is not None:
            self.save()
        self.log.info("%s sandbox stopped", self.platform)

    def __enter__(self) -> SandboxCart:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- persistence -----------------------------------------------------------------------
    def save(self) -> None:
        """Write the state file now (atomically: temp file + rename)."""
        if self.state_file is None:
            return
        with self._save_lock:
            with self.catalog.lock:
                version = self.catalog.version
                state = {
                    "platform": self.platform,
                    "catalog": self.catalog.to_json(),
                    "extra": self.extra_state(),
                }
            if version == self._saved_version and self.state_file.exists():
                return
            tmp = self.state_file.with_name(self.state_file.name + ".tmp")
            tmp.write_text(json.dumps(state, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, self.state_file)
            self._saved_version = version

    def _save_loop(self) -> None:
        while not self._stopping.wait(self.save_interval):
            try:
                self.save()
            except OSError:
                self.log.exception("could not save %s", self.state_file)

    # -- Python API mirroring the control endpoints ----------------------------------------
    def inventory(self) -> dict[str, int | None]:
        return self.catalog.snapshot()

    def set_faults(self, spec: str | FaultSpec | None) -> FaultSpec:
        return self.faults.set(spec)

    def place_order(self, lines: list[tuple[str, int]]) -> str:
        """A web sale: lower the cart's QOH and create an order; returns its number."""
        for sku, qty in lines:
            if not isinstance(sku, str) or isinstance(qty, bool) or not isinstance(qty, int):
                raise ValueError("each line needs a sku (string) and a qty (integer)")
            if qty <= 0:
                raise ValueError(f"qty of {sku!r} must be positive")
        if not lines:
            raise ValueError("an order needs at least one line")
        order = self.catalog.place_order(lines, self.wall_clock())
        self.stats.add("orders_created")
        self.on_order(order.number)
        return str(order.number)

    def on_order(self, number: int) -> None:
        """Hook: a web order was created."""

    def reset(self) -> None:
        """Back to the initial catalogue, no orders, zero statistics."""
        fresh = Catalogue.from_json(self._initial)
        with self.catalog.lock:
            cat = self.catalog
            cat._items, cat._by_seq, cat._seqs = fresh._items, fresh._by_seq, fresh._seqs
            cat._next_seq, cat.orders = fresh._next_seq, fresh.orders
            cat._next_order = fresh._next_order
            cat.version += 1
            self.reset_platform_state()
            self.setup()
        self.stats.reset()

    def reset_platform_state(self) -> None:
        """Hook: forget platform state (idempotency keys, rate-limit buckets)."""

    # -- HTTP plumbing ---------------------------------------------------------------------
    def _read_request(self, h: _Handler) -> Request | None:
        parts = urlsplit(h.path)
        length = h.headers.get("Content-Length")
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._write(h, Response.text("chunked bodies are not supported", 411))
            h.close_connection = True
            return None
        try:
            size = int(length) if length else 0
        except ValueError:
            self._write(h, Response.text("bad Content-Length", 400))
            h.close_connection = True
            return None
        body = h.rfile.read(size) if size > 0 else b""
        query = parse_qs(parts.query, keep_blank_values=True)
        return Request(h.command, parts.path, query, h.headers, body)

    def _write(self, h: _Handler, response: Response) -> None:
        body = response.body
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            f"Server: {h.server_version}",
            f"Date: {h.date_time_string()}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(body)}",
        ]
        lines.extend(f"{k}: {v}" for k, v in response.headers.items())
        if h.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        h.wfile.write(head if h.command == "HEAD" else head + body)
        h.log_request(response.status, len(body))

    def _junk_body(self) -> bytes:
        if self._junk is None:
            chunk = b"<!-- PHP Warning: junk output from a misbehaving script -->\n"
            self._junk = (chunk * (self.oversized_bytes // len(chunk) + 1))[: self.oversized_bytes]
        return self._junk

    def _serve(self, h: _Handler) -> None:
        request = self._read_request(h)
        if request is None:
            return
        if request.path.startswith(CONTROL_PREFIX):
            self.stats.add("control_requests")
            self._write(h, self._control(request))
            return
        self.stats.add("requests")
        decision = self.faults.decide()
        if decision.latency:
            time.sleep(decision.latency)
        if decision.kind is not None:
            self.stats.fault(decision.kind)
            self.log.debug("injecting %s on %s %s", decision.kind, request.method, request.path)
        if decision.kind == "drop":
            h.close_connection = True
            return
        if decision.kind == "error500":
            self._write(h, Response.text("Internal Server Error (injected)", 500))
            return
        if decision.kind == "throttle":
            self._write(h, self.throttle_response(1))
            return
        if self.rate_limiter is not None:
            wait = self.rate_limiter.acquire()
            if wait > 0:
                self.stats.add("rate_limited")
                self._write(h, self.throttle_response(retry_after_seconds(wait)))
                return
        try:
            response = self.handle(request)
        except Exception:
            self.log.exception("sandbox handler failed on %s %s", request.method, request.path)
            response = Response.text("Internal Server Error", 500)
        if decision.kind == "lost":
            h.close_connection = True
            return
        if decision.kind == "malformed" and response.body:
            response.body = response.body[: max(1, len(response.body) // 2)]
        elif decision.kind == "oversized":
            response.body = self._junk_body()
        self._write(h, response)

    # -- control endpoints -----------------------------------------------------------------
    def _control(self, request: Request) -> Response:
        name = request.path[len(CONTROL_PREFIX) :].strip("/")
        method = request.method
        try:
            if name == "inventory" and method == "GET":
                return Response.json(self.inventory())
            if name == "inventory" and method == "POST":
                return self._control_set_inventory(request)
            if name == "order" and method == "POST":
                return self._control_order(request)
            if name == "orders" and method == "GET":
                with self.catalog.lock:
                    orders = [o.to_json() for o in self.catalog.orders]
                return Response.json({"orders": orders})
            if name == "stats" and method == "GET":
                return Response.json(self.stats_json())
            if name == "faults" and method in ("GET", "POST"):
                if method == "POST":
                    self.set_faults(self._spec_from_body(request))
                return Response.json({"faults": self.faults.spec.to_string()})
            if name == "reset" and method == "POST":
                self.reset()
                return Response.json({"reset": True})
            extra = self.control(name, request)
            if extra is not None:
                return extra
        except ValueError as exc:
            return Response.json({"error": str(exc)}, 400)
        return Response.json({"error": f"no control endpoint {method} {request.path}"}, 404)

    @staticmethod
    def _spec_from_body(request: Request) -> str:
        text = request.body.decode("utf-8").strip()
        if text.startswith("{"):
            data = json.loads(text)
            spec = data.get("faults", "") if isinstance(data, dict) else None
            if not isinstance(spec, str):
                raise ValueError('expected {"faults": "<spec>"}')
            return spec
        return text

    def _control_order(self, request: Request) -> Response:
        try:
            data = request.json()
        except ValueError:
            return Response.json({"error": "the body must be JSON"}, 400)
        lines_in = data.get("lines") if isinstance(data, dict) else None
        if not isinstance(lines_in, list):
            return Response.json({"error": 'expected {"lines": [{"sku": ..., "qty": ...}]}'}, 400)
        lines: list[tuple[str, int]] = []
        for line in lines_in:
            if not isinstance(line, dict):
                return Response.json({"error": "each line must be an object"}, 400)
            lines.append((line.get("sku"), line.get("qty", 1)))  # type: ignore[arg-type]
        try:
            number = self.place_order(lines)
        except KeyError as exc:
            return Response.json({"error": f"unknown sku {exc.args[0]!r}"}, 400)
        return Response.json({"order": number})

    def _control_set_inventory(self, request: Request) -> Response:
        try:
            data = request.json()
        except ValueError:
            return Response.json({"error": "the body must be JSON"}, 400)
        if not isinstance(data, dict):
            return Response.json({"error": "expected {sku: qoh}"}, 400)
        with self.catalog.lock:
            for sku, qoh in data.items():
                if sku not in self.catalog:
                    return Response.json({"error": f"unknown sku {sku!r}"}, 400)
                if qoh is not None and (isinstance(qoh, bool) or not isinstance(qoh, int)):
                    return Response.json({"error": f"qoh of {sku!r} must be int or null"}, 400)
            for sku, qoh in data.items():
                item = self.catalog.get(sku)
                assert item is not None
                self.catalog.set_qoh(item, qoh)
        return Response.json(self.inventory())

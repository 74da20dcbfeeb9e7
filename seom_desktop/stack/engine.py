"""The stack controller engine: drains the web stack to the carts (no Qt here).

One pass (:meth:`StackController.tick`) heartbeats, makes sure this controller holds the lease
of its scope (shared, or this PC's local rows), and hands every cart with due rows to a worker
thread of its own, so a slow or failing cart never delays another. A cart's worker does one
*send* at a time:

1. **Claim** (one write transaction, fenced by the lease): pending rows of up to the cart's
   batch size of SKUs are coalesced per SKU into one change each and attached to a new
   ``stack_sends`` row that records the exact payload and its idempotency keys.
2. **Send** (no transaction open): delta carts get ``adjust_qoh``; absolute-only carts get
   ``set_qoh`` of the quantity just read plus the coalesced change.
3. **Record** (one write transaction): confirmed rows are marked sent (keeping which send
   carried them), NF/NA rows are bypassed at once, failed rows count an attempt, keep the Last
   Response and wait out an exponential backoff with jitter (or the cart's Retry-After), and
   are bypassed after ``StackMaxAttempts``.

Nothing lost, nothing applied twice: a send whose answer was lost (``applied_unknown``) is
*in doubt* and is never re-sent blindly. It is repeated with the same keys where the cart
honours idempotency keys (Shopify); otherwise the controller reads the cart's QOH and compares
it with what the cart had before the send: applied -> mark sent; not applied -> send again;
anything else (the cart's QOH moved for another reason meanwhile) -> the rows wait for the
clerk in the Stack Controller, with the numbers in their Last Response. See
docs/decisions.md, "Exactly once to the carts".
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from seom_desktop.carts.base import (
    CartError,
    Connector,
    ItemResult,
    ItemStatus,
    QohDelta,
    QohSet,
)
from seom_desktop.carts.platforms import PLATFORMS
from seom_desktop.carts.registry import connector_for, connector_settings
from seom_desktop.errors import SeomError
from seom_desktop.stack import lease
from seom_desktop.store import Store, params
from seom_desktop.store.carts import CartInfo, snapshot
from seom_desktop.store.models import (
    Cart,
    CartStock,
    SendState,
    StackRow,
    StackSend,
    StackStatus,
    Workstation,
    as_utc,
    utcnow,
)

log = logging.getLogger("seom_desktop.stack")

KEY_NAMESPACE = uuid.UUID("5e0a5e0a-0000-4000-8000-00000000000b")
REVIEW = "review"
"""A send whose outcome the controller could not establish: its rows wait for the clerk."""

ConnectorFactory = Callable[[CartInfo, dict[str, Any]], Connector]


def _default_factory(cart: CartInfo, settings: dict[str, Any]) -> Connector:
    return connector_for(cart, **settings)


@dataclass(frozen=True)
class Settings:
    synch: bool
    shared: bool
    designated: str
    failover: float
    max_attempts: int


@dataclass
class Event:
    """What the controller reports (to a log, the GUI's signals, a test)."""

    kind: str  # "sent", "failed", "in doubt", "review", "lease", "error"
    cart: str = ""
    rows: int = 0
    message: str = ""
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class _Item:
    sku: str
    delta: int
    key: str
    pre: int | None = None
    target: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "delta": self.delta,
            "key": self.key,
            "pre": self.pre,
            "target": self.target,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Item:
        return cls(data["sku"], data["delta"], data["key"], data.get("pre"), data.get("target"))


@dataclass(frozen=True)
class _Send:
    id: int
    kind: str  # "delta" or "set"
    items: tuple[_Item, ...]
    resend: bool
    """A send in doubt being resolved (not a fresh claim)."""


class StackController:
    """Drains the web stack for one workstation (see module docstring).

    ``run(stop)`` until ``stop`` is set; ``run_once(max_wait)`` for scripts; ``tick()`` for
    one pass. The engine is thread-safe in the sense that its own worker threads each use
    their own store sessions and connectors; call its public methods from one thread.
    """

    def __init__(
        self,
        store: Store,
        workstation: str,
        *,
        connector_factory: ConnectorFactory = _default_factory,
        on_event: Callable[[Event], None] | None = None,
        heartbeat_every: float = 2.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 120.0,
        require_shared: bool = False,
        max_workers: int = 8,
    ) -> None:
        self.store = store
        self.workstation = workstation
        self.token = uuid.uuid4().hex
        self.connector_factory = connector_factory
        self.on_event = on_event
        self.heartbeat_every = heartbeat_every
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.require_shared = require_shared
        self._pool = ThreadPoolExecutor(max_workers, thread_name_prefix="seom-cart")
        self._busy: dict[int, Future[int]] = {}
        self._connectors: dict[int, tuple[CartInfo, Connector]] = {}
        self._connector_lock = threading.Lock()
        self._last_heartbeat = 0.0
        self._registered = False
        self._claims = 0
        """Sends claimed so far (fresh or in doubt): run_once's measure of progress."""
        self.wake = threading.Event()
        """Set to make the run loop look at the stack now (new rows, a finished send)."""
        self.holding = False
        self.scope = ""
        self.settings: Settings | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        log.log(
            logging.WARNING if event.kind in ("failed", "error", "review") else logging.INFO,
            "%s %s %s %s",
            event.kind,
            event.cart,
            event.rows,
            event.message,
        )
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a broken listener must not stop the sending
                log.exception("stack event listener failed")

    def register(self) -> None:
        if not self._registered:
            with self.store.write() as session:
                lease.register(session, self.token, self.workstation)
            self._registered = True
            self._last_heartbeat = time.monotonic()

    def close(self) -> None:
        """Finish the sends in flight, release the lease and the connectors."""
        self._pool.shutdown(wait=True)
        with self._connector_lock:
            for _, connector in self._connectors.values():
                connector.close()
            self._connectors.clear()
        if self._registered:
            try:
                with self.store.write() as session:
                    lease.unregister(session, self.token)
            except SeomError as exc:
                log.warning("could not release the controller lease: %s", exc)
            self._registered = False

    def read_settings(self, session: Session) -> Settings:
        values = params.get_many(
            session,
            [
                "SynchQOH",
                "SharedStackController",
                "StackControllerWorkstation",
                "StackFailoverSeconds",
                "StackMaxAttempts",
            ],
        )
        return Settings(
            synch=values["SynchQOH"],
            shared=values["SharedStackController"],
            designated=values["StackControllerWorkstation"].strip(),
            failover=float(values["StackFailoverSeconds"]),
            max_attempts=values["StackMaxAttempts"],
        )

    # -- one pass --------------------------------------------------------------------------
    def tick(self) -> int:
        """Heartbeat, hold the lease, dispatch carts with due rows. Returns carts dispatched.

        A pass writes to the store only when a heartbeat is due or the lease looks free:
        every commit wakes every controller watching the store, so a pass that wrote each
        time would wake itself (and the others) in a loop and compete with the clerks for
        the write lock.
        """
        self.register()
        self._reap()
        with self.store.read() as session:
            settings = self.read_settings(session)
            scope = lease.SHARED if settings.shared else lease.local_scope(self.workstation)
            state = lease.lease_state(session, scope)
            paused = bool(
                session.scalar(
                    select(Workstation.paused).where(Workstation.name == self.workstation)
                )
            )
        self.settings = settings
        if self.require_shared and not settings.shared:
            raise SeomError(
                "SharedStackController is FALSE, so there is no shared stack to send; "
                "set it TRUE first (seom-desktop param set SharedStackController TRUE)"
            )
        designated = settings.designated if settings.shared else ""
        holding = state.holder_token == self.token
        heartbeat_due = time.monotonic() - self._last_heartbeat >= self.heartbeat_every
        may_take = not holding and (
            not state.fresh(utcnow(), settings.failover)
            or (
                designated.casefold() == self.workstation.casefold()
                and (state.holder_workstation or "").casefold() != designated.casefold()
            )
        )
        if heartbeat_due or may_take:
            with self.store.write() as session:
                if heartbeat_due:
                    lease.heartbeat(session, self.token)
                    self._last_heartbeat = time.monotonic()
                holding = lease.try_acquire(
                    session,
                    scope,
                    self.token,
                    self.workstation,
                    failover=settings.failover,
                    designated=designated,
                )
        due: list[int] = []
        if holding and not paused:
            with self.store.read() as session:
                due = self._due_carts(session, settings, scope)
        if holding != self.holding or scope != self.scope:
            self.holding, self.scope = holding, scope
            self._emit(Event("lease", message=f"{'holding' if holding else 'not holding'} {scope}"))
        dispatched = 0
        for cart_id in due:
            if cart_id in self._busy:
                continue
            self._busy[cart_id] = self._pool.submit(self._cart_job, cart_id)
            dispatched += 1
        return dispatched

    def _reap(self) -> None:
        for cart_id, future in list(self._busy.items()):
            if future.done():
                del self._busy[cart_id]
                exc = future.exception()
                if exc is not None:
                    self._emit(Event("error", message=f"{type(exc).__name__}: {exc}"))

    @property
    def busy(self) -> bool:
        return any(not f.done() for f in self._busy.values())

    def _scope_filter(self, scope: str) -> Any:
        if scope == lease.SHARED:
            return true()
        return StackRow.origin_workstation == self.workstation

    def _due_carts(self, session: Session, settings: Settings, scope: str) -> list[int]:
        if not settings.synch:
            return []
        now = utcnow()
        realtime = [k for k, p in PLATFORMS.items() if p.capabilities.realtime]
        pending_free = and_(
            StackRow.status == StackStatus.PENDING.value,
            StackRow.send_id.is_(None),
            or_(StackRow.next_attempt_at.is_(None), StackRow.next_attempt_at <= now),
            self._scope_filter(scope),
        )
        in_doubt = (
            select(StackSend.cart_id)
            .where(StackSend.state.in_([SendState.IN_DOUBT.value, SendState.SENDING.value]))
            .where(StackSend.controller != self.token)
        )
        rows = session.scalars(
            select(Cart.id)
            .where(
                Cart.active.is_(True),
                Cart.sync_inventory.is_(True),
                Cart.platform.in_(realtime),
                or_(
                    Cart.id.in_(select(StackRow.cart_id).where(pending_free)),
                    Cart.id.in_(in_doubt),
                    Cart.id.in_(
                        select(StackSend.cart_id).where(StackSend.state == SendState.IN_DOUBT.value)
                    ),
                ),
            )
            .order_by(Cart.id)
        )
        return list(rows)

    def next_due_in(self) -> float | None:
        """Seconds until the earliest backed-off row of this scope is due (None: none)."""
        if not self.scope:
            return None
        with self.store.read() as session:
            earliest = session.scalar(
                select(func.min(StackRow.next_attempt_at)).where(
                    StackRow.status == StackStatus.PENDING.value,
                    StackRow.next_attempt_at.is_not(None),
                    self._scope_filter(self.scope),
                )
            )
        if earliest is None:
            return None
        return max(0.0, (as_utc(earliest) - utcnow()).total_seconds())

    def pending_count(self) -> int:
        """Pending rows this controller is responsible for (in its current scope)."""
        with self.store.read() as session:
            settings = self.read_settings(session)
            scope = lease.SHARED if settings.shared else lease.local_scope(self.workstation)
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(StackRow)
                    .where(
                        StackRow.status == StackStatus.PENDING.value,
                        self._scope_filter(scope),
                    )
                )
                or 0
            )

    # -- running ---------------------------------------------------------------------------
    def run(self, stop: threading.Event, watcher: Any | None = None, idle: float = 1.0) -> None:
        """Send until ``stop`` is set; then finish the sends in flight and release the lease.

        ``watcher`` (see stack/wakeup.py) sets :attr:`wake` when the stack changes, so a new
        row is picked up at once instead of at the next ``idle`` timeout.
        """
        if watcher is not None:
            watcher.start(self.wake)
        try:
            while not stop.is_set():
                self.wake.clear()
                try:
                    self.tick()
                except SeomError as exc:
                    self._emit(Event("error", message=str(exc)))
                    if self.require_shared:
                        raise
                wait = min(idle, self.heartbeat_every)
                due_in = self.next_due_in() if not self.busy else None
                if due_in is not None:
                    wait = min(wait, due_in + 0.01)
                self.wake.wait(wait)
        finally:
            if watcher is not None:
                watcher.stop()
            self.close()

    def run_once(self, max_wait: float = 60.0) -> int:
        """Send what is due, wait out retries up to ``max_wait`` seconds; the rows left.

        Waits (within ``max_wait``) for the lease when another controller still holds it,
        e.g. one that was just stopped and whose heartbeat has not yet expired.
        """
        deadline = time.monotonic() + max_wait
        try:
            while True:
                claims_before = self._claims
                self.wake.clear()
                self.tick()
                while self.busy:
                    self.wake.wait(0.05)
                    self.wake.clear()
                self._reap()
                left = self.pending_count()
                remaining = deadline - time.monotonic()
                if left == 0 or remaining <= 0:
                    return left
                if not self.holding:
                    time.sleep(min(0.25, remaining))
                    continue
                if self._claims != claims_before:
                    continue  # progress: look again at once
                due_in = self.next_due_in()
                if due_in is None:
                    # Pending but nothing will become due by itself: a held cart, rows in
                    # review, a send another live controller is resolving.
                    return left
                time.sleep(max(0.0, min(due_in, remaining)) + 0.01)
        finally:
            self.close()

    # -- one cart --------------------------------------------------------------------------
    def _connector(self, session: Session, cart: Cart) -> tuple[CartInfo, Connector]:
        info = snapshot(cart)
        with self._connector_lock:
            cached = self._connectors.get(cart.id)
            if cached is not None and cached[0] == info:
                return cached
            if cached is not None:
                cached[1].close()
            connector = self.connector_factory(info, connector_settings(session, info))
            self._connectors[cart.id] = (info, connector)
            return info, connector

    def _cart_job(self, cart_id: int) -> int:
        """Sends for one cart until nothing of it is due. Runs on a worker thread."""
        sent_rows = 0
        try:
            while True:
                claimed = self._claim(cart_id)
                if claimed is None:
                    return sent_rows
                self._claims += 1
                info, connector, send = claimed
                sent_rows += self._deliver(info, connector, send)
        finally:
            self.wake.set()

    def _claim(self, cart_id: int) -> tuple[CartInfo, Connector, _Send] | None:
        with self.store.write() as session:
            settings = self.read_settings(session)
            if not settings.synch or not lease.holds(session, self.scope, self.token):
                return None
            cart = session.get(Cart, cart_id)
            if cart is None or not (cart.active and cart.sync_inventory):
                return None
            info, connector = self._connector(session, cart)
            resend = self._take_in_doubt(session, cart, settings)
            if resend is not None:
                return info, connector, resend
            fresh = self._claim_fresh(session, cart, connector)
            if fresh is None:
                return None
            return info, connector, fresh

    def _take_in_doubt(self, session: Session, cart: Cart, settings: Settings) -> _Send | None:
        """A send of this cart whose outcome is unknown: ours in doubt, or one left
        'sending' by a controller that died. Marked as ours again before it is resolved."""
        candidates = session.scalars(
            select(StackSend)
            .where(
                StackSend.cart_id == cart.id,
                StackSend.state.in_([SendState.IN_DOUBT.value, SendState.SENDING.value]),
            )
            .order_by(StackSend.id)
        )
        for send in candidates:
            if send.state == SendState.SENDING.value and (
                send.controller == self.token
                or lease.is_live(session, send.controller, settings.failover)
            ):
                continue  # in flight in a live controller
            if not self._owns_rows(session, send):
                continue
            waiting = session.execute(
                select(func.count(), func.max(StackRow.next_attempt_at)).where(
                    StackRow.send_id == send.id, StackRow.status == StackStatus.PENDING.value
                )
            ).one()
            if waiting[0] == 0:
                # Every row was bypassed meanwhile: nothing left to establish or send.
                send.state = SendState.FAILED.value
                send.finished_at = utcnow()
                continue
            if waiting[1] is not None and as_utc(waiting[1]) > utcnow():
                continue  # backing off after the lost answer
            send.controller = self.token
            send.state = SendState.SENDING.value
            send.attempts += 1
            items = tuple(_Item.from_json(i) for i in json.loads(send.payload))
            return _Send(send.id, send.kind, items, resend=True)
        return None

    def _owns_rows(self, session: Session, send: StackSend) -> bool:
        if self.scope == lease.SHARED:
            return True
        origin = session.scalar(
            select(StackRow.origin_workstation).where(StackRow.send_id == send.id).limit(1)
        )
        return origin is None or origin == self.workstation

    def _claim_fresh(self, session: Session, cart: Cart, connector: Connector) -> _Send | None:
        now = utcnow()
        blocked = select(StackRow.cart_sku).where(
            StackRow.cart_id == cart.id,
            StackRow.status == StackStatus.PENDING.value,
            StackRow.send_id.is_not(None),
        )
        free = and_(
            StackRow.cart_id == cart.id,
            StackRow.status == StackStatus.PENDING.value,
            StackRow.send_id.is_(None),
            or_(StackRow.next_attempt_at.is_(None), StackRow.next_attempt_at <= now),
            self._scope_filter(self.scope),
            StackRow.cart_sku.not_in(blocked),
        )
        # The SKUs first (oldest change first), then every free row of those SKUs, so one
        # send carries all of a SKU's pending changes: 50,000 rows over 5,000 SKUs go to
        # Shopify in 20 requests of 250.
        skus = list(
            session.scalars(
                select(StackRow.cart_sku)
                .where(free)
                .group_by(StackRow.cart_sku)
                .order_by(func.min(StackRow.id))
                .limit(connector.max_batch)
            )
        )
        if not skus:
            return None
        rows = session.execute(
            select(StackRow.id, StackRow.cart_sku, StackRow.delta).where(
                free, StackRow.cart_sku.in_(skus)
            )
        ).all()
        totals: dict[str, int] = dict.fromkeys(skus, 0)
        for _, sku, delta in rows:
            totals[sku] += delta
        caps = connector.capabilities
        kind = "delta" if caps.delta else "set"
        send = StackSend(
            cart_id=cart.id,
            controller=self.token,
            workstation=self.workstation,
            created_at=now,
            state=SendState.SENDING.value,
            kind=kind,
            payload="[]",
            attempts=1,
            last_response="",
        )
        session.add(send)
        session.flush()
        base = uuid.uuid4().hex
        known = self._known_stock(session, cart.id, skus) if kind == "delta" else {}
        items = tuple(
            _Item(
                sku,
                totals[sku],
                str(uuid.uuid5(KEY_NAMESPACE, f"{base}:{sku}")),
                pre=known.get(sku),
            )
            for sku in skus
        )
        send.payload = json.dumps([i.as_json() for i in items])
        session.execute(
            update(StackRow)
            .where(StackRow.id.in_([r[0] for r in rows]))
            .values(send_id=send.id)
            .execution_options(synchronize_session=False)
        )
        return _Send(send.id, kind, items, resend=False)

    @staticmethod
    def _known_stock(session: Session, cart_id: int, skus: Sequence[str]) -> dict[str, int]:
        rows = session.execute(
            select(CartStock.cart_sku, CartStock.qoh).where(
                CartStock.cart_id == cart_id, CartStock.cart_sku.in_(skus)
            )
        ).all()
        return {sku: qoh for sku, qoh in rows if qoh is not None}

    # -- delivering ------------------------------------------------------------------------
    def _deliver(self, info: CartInfo, connector: Connector, send: _Send) -> int:
        started = time.perf_counter()
        try:
            if send.resend and not connector.capabilities.idempotent:
                return self._resolve(info, connector, send)
            if send.kind == "delta":
                items = send.items
                if not send.resend and not connector.capabilities.idempotent:
                    items = self._with_pre_images(connector, send)
                results = connector.adjust_qoh(
                    [QohDelta(i.sku, i.delta, i.key) for i in items if i.delta != 0]
                )
            else:
                items = self._with_targets(connector, send)
                results = connector.set_qoh(
                    [
                        QohSet(
                            i.sku,
                            i.target,
                            expected=i.pre if connector.capabilities.compare_and_set else None,
                            key=i.key,
                        )
                        for i in items
                        if i.target is not None and i.delta != 0
                    ]
                )
        except CartError as exc:
            if send.resend:
                # Still unknown whether the first request was applied: stays in doubt.
                exc.applied_unknown = True
            return self._record_failure(info, send, exc)
        except NotImplementedError as exc:
            return self._record_failure(
                info, send, CartError(str(exc), transient=False, applied_unknown=False)
            )
        elapsed_ms = (time.perf_counter() - started) * 1000
        return self._record_results(info, send, items, results, elapsed_ms)

    def _with_pre_images(self, connector: Connector, send: _Send) -> tuple[_Item, ...]:
        """Delta carts without idempotency keys need the cart's QOH before the send, to tell
        later whether a send whose answer was lost was applied. Known values (from earlier
        answers and reads) are used; unknown ones are read once."""
        missing = [i.sku for i in send.items if i.pre is None]
        if not missing:
            return send.items
        found = connector.read_qoh(missing)
        items = tuple(
            _Item(i.sku, i.delta, i.key, found.get(i.sku)) if i.pre is None else i
            for i in send.items
        )
        self._save_payload(send.id, items)
        return items

    def _with_targets(self, connector: Connector, send: _Send) -> tuple[_Item, ...]:
        """Absolute-only carts: the quantity to set is what the cart has now plus the change
        (never the store's QOH, which would wipe out web sales not yet imported)."""
        found = connector.read_qoh([i.sku for i in send.items])
        items = tuple(
            _Item(
                i.sku,
                i.delta,
                i.key,
                found.get(i.sku),
                None if found.get(i.sku) is None else found[i.sku] + i.delta,  # type: ignore[operator]
            )
            for i in send.items
        )
        self._save_payload(send.id, items)
        return items

    def _save_payload(self, send_id: int, items: Sequence[_Item]) -> None:
        with self.store.write() as session:
            session.execute(
                update(StackSend)
                .where(StackSend.id == send_id)
                .values(payload=json.dumps([i.as_json() for i in items]))
            )

    def _resolve(self, info: CartInfo, connector: Connector, send: _Send) -> int:
        """Establish what happened to a send in doubt on a cart without idempotency keys."""
        now_qoh = connector.read_qoh([i.sku for i in send.items])
        applied: list[_Item] = []
        not_applied: list[_Item] = []
        unclear: list[tuple[_Item, str]] = []
        for item in send.items:
            current = now_qoh.get(item.sku)
            expected = (
                item.target
                if send.kind == "set"
                else (None if item.pre is None else item.pre + item.delta)
            )
            if item.delta == 0 or (expected is not None and current == expected):
                applied.append(item)
            elif item.pre is None or current == item.pre:
                # No pre-image means the request was never sent: the pre-image (and the
                # target) are saved before sending, and an item the cart does not list is
                # not sent (or is refused) - either way nothing was applied.
                not_applied.append(item)
            else:
                unclear.append(
                    (
                        item,
                        f"the answer of {info.name} was lost; it shows {current} for "
                        f"{item.sku}, before the change it had {item.pre} and the change was "
                        f"{item.delta:+d}. Check the cart, then Retry (send again) or Bypass "
                        "(it was applied)",
                    )
                )
        with self.store.write() as session:
            done = self._mark_sent(
                session,
                info,
                send.id,
                [(i, now_qoh.get(i.sku)) for i in applied],
                "confirmed by reading the cart after a lost answer",
            )
            self._release(session, send.id, [i.sku for i in not_applied])
            for item, message in unclear:
                self._rows_of(session, send.id, [item.sku]).values(
                    last_response=message, next_attempt_at=None
                )
            state = REVIEW if unclear else SendState.CONFIRMED.value
            session.execute(
                update(StackSend)
                .where(StackSend.id == send.id)
                .values(state=state, finished_at=utcnow())
            )
            self._remember_stock(session, info.id, {i.sku: now_qoh.get(i.sku) for i in send.items})
        if unclear:
            self._emit(Event("review", info.name, len(unclear), unclear[0][1]))
        return done

    # -- recording -------------------------------------------------------------------------
    @staticmethod
    def _rows_of(session: Session, send_id: int, skus: Sequence[str]) -> Any:
        class _Rows:
            def values(self, **values: Any) -> int:
                result = session.execute(
                    update(StackRow)
                    .where(
                        StackRow.send_id == send_id,
                        StackRow.status == StackStatus.PENDING.value,
                        StackRow.cart_sku.in_(list(skus)),
                    )
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                return int(getattr(result, "rowcount", 0) or 0)

        return _Rows()

    def _mark_sent(
        self,
        session: Session,
        info: CartInfo,
        send_id: int,
        items: Sequence[tuple[_Item, int | None]],
        note: str = "",
    ) -> int:
        count = 0
        now = utcnow()
        for item, cart_qoh in items:
            shown = f"; {info.name} now has {cart_qoh}" if cart_qoh is not None else ""
            count += self._rows_of(session, send_id, [item.sku]).values(
                status=StackStatus.SENT.value,
                sent_at=now,
                attempts=StackRow.attempts + 1,
                next_attempt_at=None,
                last_response=f"OK {item.delta:+d}{shown}{' (' + note + ')' if note else ''}",
            )
        return count

    def _release(self, session: Session, send_id: int, skus: Sequence[str]) -> None:
        """Rows whose change certainly did not reach the cart: free to be claimed again."""
        if skus:
            self._rows_of(session, send_id, skus).values(send_id=None, next_attempt_at=None)

    def _remember_stock(self, session: Session, cart_id: int, seen: dict[str, int | None]) -> None:
        """Record what the cart said it has (an observation of the cart, not a store QOH):
        one upsert for the batch."""
        now = utcnow()
        values = [
            {"cart_id": cart_id, "cart_sku": sku, "qoh": qoh, "seen_at": now}
            for sku, qoh in seen.items()
            if qoh is not None
        ]
        if not values:
            return
        dialect = sqlite_insert if self.store.is_sqlite else pg_insert
        stmt = dialect(CartStock).values(values)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[CartStock.cart_id, CartStock.cart_sku],
                set_={"qoh": stmt.excluded.qoh, "seen_at": stmt.excluded.seen_at},
            )
        )

    def _backoff(self, attempts: int, retry_after: float | None) -> datetime:
        delay = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempts - 1))
        delay *= random.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return utcnow() + timedelta(seconds=delay)

    def _fail_rows(
        self,
        session: Session,
        send_id: int,
        skus: Sequence[str],
        *,
        message: str,
        max_attempts: int,
        retry_after: float | None = None,
        keep_send: bool = False,
    ) -> None:
        """Count an attempt; bypass the rows that reached the maximum, back off the others."""
        rows = session.execute(
            select(StackRow.id, StackRow.attempts).where(
                StackRow.send_id == send_id,
                StackRow.status == StackStatus.PENDING.value,
                StackRow.cart_sku.in_(list(skus)),
            )
        ).all()
        for row_id, attempts in rows:
            tried = attempts + 1
            values: dict[str, Any] = {"attempts": tried, "last_response": message}
            if tried >= max_attempts:
                # Bypassed: stops blocking, stays visible, keeps the send that last carried it.
                values.update(status=StackStatus.BYPASSED.value, next_attempt_at=None)
                values["last_response"] = f"{message} (bypassed after {tried} attempts)"
            else:
                values["next_attempt_at"] = self._backoff(tried, retry_after)
                if not keep_send:
                    values["send_id"] = None  # free to be claimed again after the backoff
            session.execute(update(StackRow).where(StackRow.id == row_id).values(**values))

    def _record_failure(self, info: CartInfo, send: _Send, exc: CartError) -> int:
        message = str(exc)
        skus = [i.sku for i in send.items]
        with self.store.write() as session:
            settings = self.read_settings(session)
            if exc.applied_unknown:
                self._fail_rows(
                    session,
                    send.id,
                    skus,
                    message=f"answer lost: {message}",
                    max_attempts=settings.max_attempts,
                    retry_after=exc.retry_after,
                    keep_send=True,
                )
                state = SendState.IN_DOUBT.value
            else:
                self._fail_rows(
                    session,
                    send.id,
                    skus,
                    message=message,
                    max_attempts=settings.max_attempts,
                    retry_after=exc.retry_after,
                )
                state = SendState.FAILED.value
            session.execute(
                update(StackSend)
                .where(StackSend.id == send.id)
                .values(state=state, last_response=message, finished_at=utcnow())
            )
        self._emit(
            Event("in doubt" if exc.applied_unknown else "failed", info.name, len(skus), message)
        )
        return 0

    def _record_results(
        self,
        info: CartInfo,
        send: _Send,
        items: Sequence[_Item],
        results: Sequence[ItemResult],
        elapsed_ms: float,
    ) -> int:
        by_sku = {r.sku: r for r in results}
        ok: list[tuple[_Item, int | None]] = []
        gone: list[tuple[_Item, ItemResult]] = []
        failed: list[tuple[_Item, ItemResult]] = []
        doubt: list[tuple[_Item, ItemResult]] = []
        for item in items:
            result = by_sku.get(item.sku)
            if item.delta == 0:
                ok.append((item, item.pre))
            elif send.kind == "set" and item.pre is None:
                gone.append(
                    (
                        item,
                        ItemResult(
                            item.sku, ItemStatus.NOT_FOUND, "not listed or not tracked by the cart"
                        ),
                    )
                )
            elif result is None:
                failed.append(
                    (item, ItemResult(item.sku, ItemStatus.ERROR, "the cart did not answer"))
                )
            elif result.status is ItemStatus.OK:
                cart_qoh = result.cart_qoh if result.cart_qoh is not None else item.target
                if cart_qoh is None and item.pre is not None:
                    cart_qoh = item.pre + item.delta
                ok.append((item, cart_qoh))
            elif result.status in (ItemStatus.NOT_FOUND, ItemStatus.NOT_TRACKED):
                gone.append((item, result))
            elif result.applied_unknown:
                doubt.append((item, result))
            else:
                failed.append((item, result))
        with self.store.write() as session:
            settings = self.read_settings(session)
            sent = self._mark_sent(session, info, send.id, ok)
            self._remember_stock(session, info.id, {i.sku: q for i, q in ok})
            for item, result in gone:
                self._rows_of(session, send.id, [item.sku]).values(
                    status=StackStatus.BYPASSED.value,
                    attempts=StackRow.attempts + 1,
                    last_response=f"{result.status.value} on {info.name}: {result.message}".strip(
                        ": "
                    ),
                )
            for item, result in failed:
                self._fail_rows(
                    session,
                    send.id,
                    [item.sku],
                    message=result.message or result.status.value,
                    max_attempts=settings.max_attempts,
                )
            for item, result in doubt:
                self._fail_rows(
                    session,
                    send.id,
                    [item.sku],
                    message=f"answer lost: {result.message}",
                    max_attempts=settings.max_attempts,
                    keep_send=True,
                )
            state = SendState.IN_DOUBT.value if doubt else SendState.CONFIRMED.value
            if doubt:
                # Keep only the items in doubt in the payload: the others are settled.
                session.execute(
                    update(StackSend)
                    .where(StackSend.id == send.id)
                    .values(payload=json.dumps([i.as_json() for i, _ in doubt]))
                )
            session.execute(
                update(StackSend)
                .where(StackSend.id == send.id)
                .values(
                    state=state,
                    finished_at=utcnow(),
                    last_response=f"{len(ok)} ok, {len(gone)} not on the cart, "
                    f"{len(failed)} failed, {len(doubt)} in doubt in {elapsed_ms:.0f} ms",
                )
            )
        if sent:
            self._emit(Event("sent", info.name, sent, f"{len(ok)} SKUs in {elapsed_ms:.0f} ms"))
        if failed:
            self._emit(Event("failed", info.name, len(failed), failed[0][1].message))
        return sent

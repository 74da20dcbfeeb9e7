"""Property: whatever the changes and cart settings, the stack tells each cart exactly what it
needs to stay equal to the store, and the ledger always adds up to the QOH.

A rule-based state machine makes random changes from every source, with and without "send to
Web sites" - adjustments, manual, imported and POS orders (some selling a kit), cancellations,
purchase-order receipts - while carts are (de)activated, (un)ticked, SynchQOH is switched and
products are excluded per cart. A kit K made of 2 x A + 1 x B is defined at the start: its QOH
must always be the derived one, and the carts must hear of every move of it. An oracle kept
by the test, independent of the domain code, predicts the stack; after every step the store
must agree with it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select, update

from seom_desktop.inventory import kits, orders, purchasing
from seom_desktop.inventory.changes import QohChange, Source, apply_change, set_quantities
from seom_desktop.inventory.lines import Line
from seom_desktop.inventory.products import add_product, set_web_fields
from seom_desktop.store import carts as cart_records
from seom_desktop.store import open_store, params
from seom_desktop.store.models import Cart, LedgerEntry, OrderKind, Product, StackRow

WS = "PROP-PC"
SKUS = ("A", "B", "C")
KIT = "K"
KIT_PARTS = {"A": 2, "B": 1}
CARTS = ("Cart1", "Cart2", "Cart3")
REALTIME = {"shopify", "woocommerce", "generic"}
FROM_A_CART = (Source.IMPORTED_ORDER, Source.GET_QOH)

# Stores live in memory-backed /dev/shm where there is one: the property is about logic, and
# fsync on every one of thousands of commits would only measure the disk.
_SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None
_template_dir = tempfile.mkdtemp(prefix="seom-prop", dir=_SCRATCH)
_TEMPLATE = Path(_template_dir) / "template.seom"
open_store(str(_TEMPLATE), create=True).close()


class StackMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="seom-prop-case", dir=_SCRATCH))
        path = self.dir / "store.seom"
        shutil.copy(_TEMPLATE, path)
        self.store = open_store(str(path))
        self.qoh: dict[str, int] = {}
        self.start: dict[str, int] = {}
        self.cart_ids: dict[str, int] = {}
        self.platform: dict[str, str] = {}
        self.active: dict[str, bool] = {}
        self.ticked: dict[str, bool] = {}
        self.excluded: set[tuple[str, str]] = set()
        self.synch = False
        self.expected_stack: dict[tuple[str, str], int] = defaultdict(int)
        self.from_cart: dict[tuple[str, str], int] = defaultdict(int)
        self.not_sent: dict[tuple[str, str], int] = defaultdict(int)
        self.always_synced: set[tuple[str, str]] = set()
        self.orders: list[tuple[int, str | None, list[tuple[str, int]]]] = []
        self.cart_orders = 0

    def eligible(self, cart: str, sku: str) -> bool:
        return (
            self.synch
            and self.active[cart]
            and self.ticked[cart]
            and self.platform[cart] in REALTIME
            and (cart, sku) not in self.excluded
        )

    def note_eligibility(self) -> None:
        self.always_synced = {pair for pair in self.always_synced if self.eligible(*pair)}

    @initialize(
        start=st.tuples(*[st.integers(0, 50) for _ in SKUS]),
        platforms=st.tuples(
            *[st.sampled_from(["shopify", "woocommerce", "generic", "manual"]) for _ in CARTS]
        ),
        flags=st.tuples(*[st.tuples(st.booleans(), st.booleans()) for _ in CARTS]),
        synch=st.booleans(),
    )
    def setup(
        self,
        start: tuple[int, ...],
        platforms: tuple[str, ...],
        flags: tuple[tuple[bool, bool], ...],
        synch: bool,
    ) -> None:
        with self.store.write() as session:
            params.set_value(session, "SynchQOH", synch)
            for sku, qoh in zip(SKUS, start, strict=True):
                add_product(session, sku, WS, qoh=qoh)
                self.qoh[sku] = self.start[sku] = qoh
            add_product(session, KIT, WS)
            self.qoh[KIT] = self.start[KIT] = 0
            for name, platform, (active, tick) in zip(CARTS, platforms, flags, strict=True):
                info = cart_records.add_cart(session, name, platform, "https://x.test")
                ticked = tick and platform in REALTIME
                session.execute(
                    update(Cart)
                    .where(Cart.id == info.id)
                    .values(active=active, sync_inventory=ticked)
                )
                self.cart_ids[name] = info.id
                self.platform[name] = platform
                self.active[name] = active
                self.ticked[name] = ticked
        self.synch = synch
        self.always_synced = {(c, s) for c in CARTS for s in (*SKUS, KIT) if self.eligible(c, s)}
        with self.store.write() as session:
            kits.define_kit(session, KIT, [Line(k, q) for k, q in KIT_PARTS.items()], WS)
        self.follow_kit(None, send=True)

    # -- the oracle ------------------------------------------------------------------------
    def moved(self, sku: str, delta: int, origin: str | None, send: bool) -> None:
        """What a move of ``sku`` by ``delta`` must tell each cart."""
        self.qoh[sku] += delta
        if origin is not None:
            self.from_cart[(origin, sku)] += delta
        for cart in CARTS:
            if not send and cart != origin:
                self.not_sent[(cart, sku)] += delta
            if send and delta and cart != origin and self.eligible(cart, sku):
                self.expected_stack[(cart, sku)] += delta

    def follow_kit(self, origin: str | None, send: bool) -> None:
        """The kit's QOH follows its components (told to every cart but ``origin``)."""
        derived = max(0, min(max(0, self.qoh[s]) // q for s, q in KIT_PARTS.items()))
        self.moved(KIT, derived - self.qoh[KIT], origin, send)

    def sell(self, sku: str, delta: int, origin: str | None) -> None:
        if sku == KIT:
            for part, per_kit in KIT_PARTS.items():
                self.moved(part, delta * per_kit, None, True)
            self.follow_kit(origin, send=True)
        else:
            self.moved(sku, delta, origin, True)
            self.follow_kit(None, send=True)

    @rule(
        sku=st.sampled_from(SKUS),
        source=st.sampled_from(list(Source)),
        amount=st.integers(-20, 20),
        absolute=st.booleans(),
        origin=st.sampled_from(CARTS),
        send=st.booleans(),
    )
    def change(
        self, sku: str, source: Source, amount: int, absolute: bool, origin: str, send: bool
    ) -> None:
        origin_cart = origin if source in FROM_A_CART else None
        if absolute:
            target = abs(amount)
            delta = target - self.qoh[sku]
            change = QohChange(
                sku,
                source,
                set_to=target,
                send_to_web=send,
                origin_cart_id=self.cart_ids.get(origin_cart or ""),
            )
        else:
            delta = amount
            change = QohChange(
                sku,
                source,
                delta=amount,
                send_to_web=send,
                origin_cart_id=self.cart_ids.get(origin_cart or ""),
            )
        with self.store.write() as session:
            applied = apply_change(session, change, WS)
        assert applied.delta == delta
        self.moved(sku, delta, origin_cart, send)
        self.follow_kit(None, send)

    @rule(
        page=st.dictionaries(st.sampled_from(SKUS), st.integers(0, 60), min_size=1),
        origin=st.sampled_from(CARTS),
    )
    def get_qoh_page(self, page: dict[str, int], origin: str) -> None:
        """A Get QOH page from ``origin``, applied in bulk (changes.set_quantities)."""
        with self.store.write() as session:
            applied = set_quantities(
                session,
                page,
                source=Source.GET_QOH,
                workstation=WS,
                origin_cart_id=self.cart_ids[origin],
            )
        for sku, target in page.items():
            assert applied[sku].delta == target - self.qoh[sku]
            self.moved(sku, target - self.qoh[sku], origin, True)
        self.follow_kit(None, send=True)

    @rule(
        kind=st.sampled_from(list(OrderKind)),
        lines=st.dictionaries(st.sampled_from((*SKUS, KIT)), st.integers(1, 4), min_size=1),
        origin=st.sampled_from(CARTS),
    )
    def order(self, kind: OrderKind, lines: dict[str, int], origin: str) -> None:
        cart = origin if kind is OrderKind.IMPORTED else None
        with self.store.write() as session:
            if cart is None:
                placed = orders.add_order(
                    session, [Line(k, q) for k, q in lines.items()], WS, kind=kind
                )
            else:
                self.cart_orders += 1
                info = cart_records.snapshot(cart_records.get_cart(session, cart))
                found = orders.place_order(
                    session,
                    [Line(k, q) for k, q in lines.items()],
                    WS,
                    kind=kind,
                    cart=info,
                    cart_order_number=str(self.cart_orders),
                )
                assert found is not None
                placed = found
        for sku, quantity in lines.items():
            self.sell(sku, -quantity, cart)
        self.orders.append((placed.number, cart, list(lines.items())))

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        if not self.orders:
            return
        number, cart, lines = self.orders.pop(data.draw(st.integers(0, len(self.orders) - 1)))
        with self.store.write() as session:
            orders.cancel_order(session, number, WS)
        for sku, quantity in lines:
            self.sell(sku, quantity, cart)

    @rule(sku=st.sampled_from(SKUS), ordered=st.integers(1, 30), now=st.integers(0, 30))
    def receive(self, sku: str, ordered: int, now: int) -> None:
        now = min(now, ordered)
        with self.store.write() as session:
            number = purchasing.create_po(session, "Acme", [Line(sku, ordered)], WS)
            if now:
                purchasing.receive_po(session, number, [Line(sku, now)], WS)
        if now:
            self.moved(sku, now, None, True)
            self.follow_kit(None, send=True)

    @rule()
    def toggle_synchqoh(self) -> None:
        self.synch = not self.synch
        with self.store.write() as session:
            params.set_value(session, "SynchQOH", self.synch)
        self.note_eligibility()

    @rule(cart=st.sampled_from(CARTS))
    def toggle_active(self, cart: str) -> None:
        self.active[cart] = not self.active[cart]
        with self.store.write() as session:
            cart_records.set_cart_fields(session, cart, {"active": str(self.active[cart])})
        self.note_eligibility()

    @rule(cart=st.sampled_from(CARTS))
    def toggle_sync(self, cart: str) -> None:
        if self.platform[cart] not in REALTIME:
            return
        self.ticked[cart] = not self.ticked[cart]
        with self.store.write() as session:
            cart_records.set_sync(session, cart, self.ticked[cart])
        self.note_eligibility()

    @rule(cart=st.sampled_from(CARTS), sku=st.sampled_from((*SKUS, KIT)))
    def toggle_web_field(self, cart: str, sku: str) -> None:
        pair = (cart, sku)
        if pair in self.excluded:
            self.excluded.discard(pair)
        else:
            self.excluded.add(pair)
        with self.store.write() as session:
            set_web_fields(session, sku, cart, sync_qoh=pair not in self.excluded)
        self.note_eligibility()

    @invariant()
    def store_agrees_with_the_oracle(self) -> None:
        if not self.qoh:
            return
        with self.store.read() as session:
            qoh = dict(session.execute(select(Product.sku, Product.qoh)).all())
            ledger = dict(
                session.execute(
                    select(LedgerEntry.sku, func.sum(LedgerEntry.delta)).group_by(LedgerEntry.sku)
                ).all()
            )
            stack = {
                (cart, sku): int(total)
                for cart, sku, total in session.execute(
                    select(Cart.name, StackRow.cart_sku, func.sum(StackRow.delta))
                    .join(Cart, Cart.id == StackRow.cart_id)
                    .group_by(Cart.name, StackRow.cart_sku)
                )
            }
        assert qoh == self.qoh
        assert qoh[KIT] == max(0, min(max(0, qoh[s]) // q for s, q in KIT_PARTS.items()))
        # The ledger adds up to the QOH (products start at 0 and record their start).
        assert {sku: int(ledger.get(sku, 0)) for sku in qoh} == qoh
        assert stack == {k: v for k, v in self.expected_stack.items() if k in stack or v}
        for cart, sku in self.always_synced:
            # A cart synchronized throughout ends equal to the store: what it started with,
            # plus what the stack tells it, plus what it sold itself, plus what the clerk
            # deliberately kept from the web sites.
            total = (
                self.start[sku]
                + stack.get((cart, sku), 0)
                + self.from_cart[(cart, sku)]
                + self.not_sent[(cart, sku)]
            )
            assert total == qoh[sku], (cart, sku)

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)


StackMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_stack_tells_every_cart_exactly_what_it_needs = StackMachine.TestCase

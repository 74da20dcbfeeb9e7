"""Manual inventory updates: [Send QOH To Website] and [Get QOH From Website], headless.

From the SEOM knowledge-base article "Inventory Synchronization", section "Manual Inventory
Updates between SEOM and Shopping Carts":

* These buttons push or pull the QOH at one point in time, to initialise the counts before
  Real-Time Inventory Synchronization is turned on, and "should not be used once Real-Time
  Inventory Synchronization is activated": both refuse while SynchQOH is TRUE and the cart's
  Synchronize Inventory box is ticked, unless forced.
* Send QOH sends the store's QOH of every product synchronized with the cart (Web Fields: no
  row = same SKU and synchronized; a row may give another cart SKU or turn sync off) in groups
  of at most "Maximum number of items to send" (the cart's ``max_items_per_send``, default 50),
  capped by what the platform accepts in one request.
* Get QOH sets the store's QOH from the cart; with "Create Records for New Products" an item
  the store lacks is created, otherwise it is listed. Every change goes through
  :func:`~seom_desktop.inventory.changes.apply_change` (source "Get QOH", the cart as origin),
  which places it on the web stack of the *other* synchronized carts, never back on this one.
  Items the cart does not track are reported, not applied.

How it runs: products are streamed from the store in keyset pages (memory stays flat however
many SKUs), each page in its own short read transaction; no store transaction is open while a
connector waits on HTTP (on SQLite a reader blocks every other workstation's commit, and a
writer blocks everyone). Get QOH writes whole cart pages, about a thousand products, per
write transaction, a checkpoint (the next pages are fetched meanwhile, see read_ahead.py):
a failure or a cancel keeps the pages already done. ``progress(done, total)`` is called after
every batch or page (``total`` is None when the cart does not say), ``cancel()`` is checked
between them. The per-SKU report is spooled to a temporary file beyond a few thousand rows.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
import logging
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, NamedTuple

from sqlalchemy import Table, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from seom_desktop.carts.base import CartError, CartQoh, Connector, ItemResult, ItemStatus, QohSet
from seom_desktop.carts.platforms import platform
from seom_desktop.carts.registry import connector_for, connector_settings
from seom_desktop.errors import InputError, SeomError
from seom_desktop.inventory import products
from seom_desktop.inventory.changes import MAX_QUANTITY, Source, set_quantities
from seom_desktop.inventory.read_ahead import read_ahead
from seom_desktop.store import Store, bulk, params
from seom_desktop.store.carts import CartInfo, get_cart, snapshot
from seom_desktop.store.models import Product, WebField

log = logging.getLogger("seom_desktop.inventory.qoh_sync")

Progress = Callable[[int, int | None], None]
Cancel = Callable[[], bool]

STORE_PAGE = 1000
"""Products read from the store per read transaction."""
GET_CHUNK = 1000
"""Get QOH writes cart pages to the store in transactions of about this many products: one
transaction per 100-item page would spend most of its time committing (an fsync each)."""
_SKUS = bindparam("b_skus", type_=bulk.ValueList())
"""A list of SKUs as one parameter (see store/bulk.py)."""


class SyncStatus(enum.StrEnum):
    OK = "ok"
    NOT_FOUND = "not found"
    NOT_TRACKED = "not tracked"
    ERROR = "error"
    SKIPPED = "skipped"
    """Get QOH: the store's product is not synchronized with this cart (Web Fields)."""


class SyncItem(NamedTuple):
    """One SKU's outcome."""

    sku: str
    """The store's SKU ('' when the store has no such product)."""
    cart_sku: str
    store_qoh: int | None
    """Send: the quantity sent. Get: the store's QOH after the run."""
    status: SyncStatus
    message: str = ""
    cart_qoh: int | None = None

    def as_json(self) -> dict[str, Any]:
        data = self._asdict()
        data["status"] = self.status.value
        return data


_FIELDS = list(SyncItem._fields)
_STATUS_TEXT = {status: status.value for status in SyncStatus}


def _opt_int(text: str) -> int | None:
    return int(text) if text != "" else None


class SyncReport:
    """What a Send QOH or Get QOH run did: counts and one row per SKU (:meth:`items`)."""

    def __init__(self, direction: str, cart: str) -> None:
        self.direction = direction
        self.cart = cart
        self.total: int | None = None
        self.counts: dict[SyncStatus, int] = dict.fromkeys(SyncStatus, 0)
        self.created = 0
        """Get QOH: products created (Create Records for New Products)."""
        self.changed = 0
        """Get QOH: products whose store QOH changed."""
        self.cancelled = False
        self.aborted: str | None = None
        """Why the run stopped early (the cart failed as a whole), None when it finished."""
        self.warnings: list[str] = []
        """What the clerk must know about this cart's platform (``Platform.notes``, e.g. Miva's
        stock held in open baskets); the run itself is not changed by them."""
        self._spool: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - kept open
            max_size=2 * 1024 * 1024,
            mode="w+",
            buffering=1024 * 1024,
            newline="",
            encoding="utf-8",
        )

    # -- counts ----------------------------------------------------------------------------
    @property
    def sent(self) -> int:
        """Items the cart took (Send) or that were applied or already equal (Get)."""
        return self.counts[SyncStatus.OK]

    @property
    def not_found(self) -> int:
        return self.counts[SyncStatus.NOT_FOUND]

    @property
    def not_tracked(self) -> int:
        return self.counts[SyncStatus.NOT_TRACKED]

    @property
    def errors(self) -> int:
        return self.counts[SyncStatus.ERROR]

    @property
    def skipped(self) -> int:
        return self.counts[SyncStatus.SKIPPED]

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def complete(self) -> bool:
        return not self.cancelled and self.aborted is None

    # -- rows ------------------------------------------------------------------------------
    def add(self, item: SyncItem) -> None:
        self.add_many((item,))

    def add_many(self, items: Iterable[SyncItem]) -> None:
        """Several rows, in order: rendered in memory and written to the spool in one call
        (the spooled file checks its size at every write)."""
        counts = self.counts

        def rows() -> Iterator[tuple[Any, ...]]:
            for item in items:
                counts[item.status] += 1
                yield (
                    item.sku,
                    item.cart_sku,
                    "" if item.store_qoh is None else item.store_qoh,
                    _STATUS_TEXT[item.status],
                    item.message,
                    "" if item.cart_qoh is None else item.cart_qoh,
                )

        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows(rows())
        self._spool.write(buffer.getvalue())

    def _text(self) -> str:
        """The spool's CSV rows, read in one call, not line by line: a text file is read in
        8 KB pieces, each a system call that releases the GIL, and a thread that releases it
        that often starves the others (the waiting thread's 5 ms switch timer restarts at
        every release). Reading a 100,000-row report that way froze the GUI thread for 230 ms
        (bench.gui_lag); the text is about 35 bytes a row."""
        self._spool.flush()
        self._spool.seek(0)
        try:
            return self._spool.read()
        finally:
            self._spool.seek(0, 2)

    def items(self) -> Iterator[SyncItem]:
        """Every row, in the order the SKUs were handled."""
        for row in csv.reader(io.StringIO(self._text(), newline="")):
            sku, cart_sku, store_qoh, status, message, cart_qoh = row
            yield SyncItem(
                sku,
                cart_sku,
                _opt_int(store_qoh),
                SyncStatus(status),
                message,
                _opt_int(cart_qoh),
            )

    def to_csv(self, path: str | Path) -> Path:
        """Write the per-SKU report with a header line; returns the path. The spool already
        holds the rows in this very CSV form, so they are copied as they are."""
        target = Path(path)
        with target.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerow(_FIELDS)
            out.write(self._text())
        return target

    def summary(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "cart": self.cart,
            "total": self.total,
            "ok": self.sent,
            "not_found": self.not_found,
            "not_tracked": self.not_tracked,
            "errors": self.errors,
            "skipped": self.skipped,
            "created": self.created,
            "changed": self.changed,
            "cancelled": self.cancelled,
            "aborted": self.aborted,
            "warnings": list(self.warnings),
        }

    def close(self) -> None:
        self._spool.close()


# -- shared checks --------------------------------------------------------------------------
def _cart_for(
    store: Store, cart_name: str, *, push: bool, force: bool
) -> tuple[CartInfo, dict[str, Any]]:
    """The cart's snapshot and connector settings, after the manual-update rules."""
    with store.read() as session:
        cart = snapshot(get_cart(session, cart_name))
        synch = bool(params.get(session, "SynchQOH"))
        settings = connector_settings(session, cart)
    found = platform(cart.platform)
    button = "Send QOH To Website" if push else "Get QOH From Website"
    if not (found.capabilities.push if push else found.capabilities.pull):
        raise InputError(
            f"{cart.name} is a {found.label} cart, which has no [{button}]: the platform "
            f"cannot {'take quantities from' if push else 'list its quantities for'} SEOM Desktop"
        )
    if synch and cart.sync_inventory and not force:
        raise InputError(
            f"[{button}] is for the initial synchronization, before real-time inventory "
            f"synchronization is turned on, and {cart.name} is synchronized in real time "
            "(SynchQOH is TRUE and its Synchronize Inventory box is ticked). Clear the box "
            "first, or force the operation if you are sure"
        )
    return cart, settings


def _open(cart: CartInfo, settings: dict[str, Any], connector: Connector | None) -> Connector:
    return connector if connector is not None else connector_for(cart, **settings)


# -- Send QOH -------------------------------------------------------------------------------
class _Outgoing(NamedTuple):
    """One product to send (a tuple: one is made per product, and a frozen dataclass costs
    several times more to build)."""

    sku: str
    cart_sku: str
    qoh: int


def _sync_filter() -> Any:
    """Web Fields: no row, or a row with sync_qoh on."""
    return or_(WebField.id.is_(None), WebField.sync_qoh.is_(True))


def _web_join(cart_id: int) -> Any:
    return and_(WebField.product_id == Product.id, WebField.cart_id == cart_id)


def _count_synchronized(store: Store, cart_id: int) -> int:
    with store.read() as session:
        return int(
            session.scalar(
                select(func.count(Product.id))
                .outerjoin(WebField, _web_join(cart_id))
                .where(_sync_filter())
            )
            or 0
        )


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _synchronized_products(
    store: Store, cart_id: int, page: int = STORE_PAGE
) -> Iterator[_Outgoing]:
    """Every product synchronized with the cart, by keyset pages of product ids, each page in
    its own short read transaction."""
    products_t, web_t = _table(Product), _table(WebField)
    query = (
        select(products_t.c.id, products_t.c.sku, products_t.c.qoh, web_t.c.cart_sku)
        .select_from(
            products_t.outerjoin(
                web_t,
                and_(web_t.c.product_id == products_t.c.id, web_t.c.cart_id == cart_id),
            )
        )
        .where(
            products_t.c.id > bindparam("last_id"),
            or_(web_t.c.id.is_(None), web_t.c.sync_qoh.is_(True)),
        )
        .order_by(products_t.c.id)
        .limit(page)
    )
    last_id = 0
    while True:
        # A Core statement on the tables, built once: plain tuples, no ORM row processing.
        with store.read() as session:
            rows = session.connection().execute(query, {"last_id": last_id}).all()
        if not rows:
            return
        last_id = rows[-1][0]
        for _id, sku, qoh, cart_sku in rows:
            yield _Outgoing(sku, cart_sku or sku, qoh)


def _batches(items: Iterator[_Outgoing], size: int) -> Iterator[list[_Outgoing]]:
    batch: list[_Outgoing] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_STATUS = {
    ItemStatus.OK: SyncStatus.OK,
    ItemStatus.NOT_FOUND: SyncStatus.NOT_FOUND,
    ItemStatus.NOT_TRACKED: SyncStatus.NOT_TRACKED,
    ItemStatus.ERROR: SyncStatus.ERROR,
}


def send_qoh(
    store: Store,
    cart_name: str,
    workstation: str,
    *,
    max_items: int | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    force: bool = False,
    connector: Connector | None = None,
) -> SyncReport:
    """[Send QOH To Website]: push the store's QOH of every synchronized product to the cart.

    Nothing in the store changes (``workstation`` is recorded in the log only). A whole-batch
    failure is retried once when the cart calls it transient (absolute quantities are safe to
    send again); a second failure stops the run and is given in :attr:`SyncReport.aborted`.
    The platform's warning, if it has one (Miva: empty the open baskets first), is in
    :attr:`SyncReport.warnings`.
    """
    cart, settings = _cart_for(store, cart_name, push=True, force=force)
    if max_items is not None:
        if max_items < 1:
            raise InputError(
                f"the maximum number of items to send must be at least 1, not {max_items}"
            )
        cart = dataclasses.replace(cart, max_items_per_send=max_items)
    report = SyncReport("send", cart.name)
    notes = platform(cart.platform).notes
    if notes:
        report.warnings.append(notes)
    report.total = _count_synchronized(store, cart.id)
    log.info("%s: Send QOH to %s, %d products", workstation, cart.name, report.total)
    own = connector is None
    conn = _open(cart, settings, connector)
    size = max(1, min(conn.max_batch, cart.max_items_per_send))
    # The store's next batches are read while this one is on its way to the cart.
    batches = read_ahead(_batches(_synchronized_products(store, cart.id), size), depth=4)
    window: deque[tuple[list[_Outgoing], Future[list[ItemResult]]]] = deque()
    failed: list[CartError] = []

    def settle() -> None:
        """Report the oldest batch on its way (answers are reported in the order sent)."""
        batch, answer = window.popleft()
        try:
            results = answer.result()
        except CartError as exc:
            failed.append(exc)
            report.add_many(
                SyncItem(item.sku, item.cart_sku, item.qoh, SyncStatus.ERROR, str(exc))
                for item in batch
            )
        else:
            report.add_many(
                _sent_item(item, result) for item, result in zip(batch, results, strict=True)
            )
        if progress is not None:
            progress(report.done, report.total)

    try:
        # Up to conn.in_flight batches on their way at once; the first goes alone, as it
        # fills the connector's caches (location, ids) the others then read.
        with ThreadPoolExecutor(conn.in_flight, thread_name_prefix="seom-send") as pool:
            limit = 1
            for batch in batches:
                if cancel is not None and cancel():
                    report.cancelled = True
                    break
                sets = [QohSet(item.cart_sku, item.qoh) for item in batch]
                window.append((batch, pool.submit(_set_with_retry, conn, sets)))
                while len(window) >= limit:
                    settle()
                    limit = conn.in_flight
                if failed:
                    break
            while window:  # a cancel or a failure still reports what was sent
                settle()
    finally:
        batches.close()
        if own:
            conn.close()
    if failed:
        report.aborted = f"stopped after {report.done} of {report.total} products: {failed[0]}"
    log.info("%s: Send QOH to %s: %s", workstation, cart.name, report.summary())
    return report


def _set_with_retry(conn: Connector, sets: Sequence[QohSet]) -> list[ItemResult]:
    try:
        return conn.set_qoh(sets)
    except CartError as exc:
        if not exc.transient:
            raise
        log.info("%s: a batch failed (%s); sending it once more", conn.cart.name, exc)
        return conn.set_qoh(sets)


def _sent_item(item: _Outgoing, result: ItemResult) -> SyncItem:
    return SyncItem(
        item.sku,
        item.cart_sku,
        item.qoh,
        _STATUS[result.status],
        result.message,
        result.cart_qoh,
    )


# -- Get QOH --------------------------------------------------------------------------------
class _Known(NamedTuple):
    sku: str
    synchronized: bool
    qoh: int
    """The store's QOH when the page's write transaction read it."""
    is_kit: bool = False


def _map_cart_skus(session: Session, cart_id: int, cart_skus: Sequence[str]) -> dict[str, _Known]:
    """Cart SKU -> the store product it is (Web Fields: an explicit cart SKU first, else a
    product with the same SKU and no other cart SKU), with its QOH: two queries for the whole
    page rather than one per item."""
    found: dict[str, _Known] = {}
    unique = list(dict.fromkeys(cart_skus))
    # Core execution (plain rows, fetched at once): no ORM loading for a thousand rows.
    run = session.connection().execute
    explicit = run(
        select(WebField.cart_sku, Product.sku, WebField.sync_qoh, Product.qoh, Product.is_kit)
        .join(Product, Product.id == WebField.product_id)
        .where(WebField.cart_id == cart_id, bulk.one_of(WebField.cart_sku, _SKUS))
        .order_by(Product.id),
        {"b_skus": unique},
    ).all()
    for cart_sku, sku, sync, qoh, kit in explicit:
        if cart_sku:
            found.setdefault(cart_sku, _Known(sku, bool(sync), qoh, bool(kit)))
    same = run(
        select(Product.sku, WebField.cart_sku, WebField.sync_qoh, Product.qoh, Product.is_kit)
        .outerjoin(WebField, _web_join(cart_id))
        .where(bulk.one_of(Product.sku, _SKUS)),
        {"b_skus": unique},
    ).all()
    for sku, cart_sku, sync, qoh, kit in same:
        if not cart_sku:
            synchronized = True if sync is None else bool(sync)
            found.setdefault(sku, _Known(sku, synchronized, qoh, bool(kit)))
    return found


def get_qoh(
    store: Store,
    cart_name: str,
    workstation: str,
    *,
    create_new: bool = False,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    force: bool = False,
    connector: Connector | None = None,
) -> SyncReport:
    """[Get QOH From Website]: set the store's QOH from the cart, whole cart pages per write
    transaction (see the module docstring)."""
    cart, settings = _cart_for(store, cart_name, push=False, force=force)
    report = SyncReport("get", cart.name)
    log.info("%s: Get QOH from %s", workstation, cart.name)
    own = connector is None
    conn = _open(cart, settings, connector)
    # The next cart pages are fetched while these are written to the store.
    pages = read_ahead(_chunks(conn.iter_qoh(), GET_CHUNK), depth=2)
    try:
        while True:
            if cancel is not None and cancel():
                report.cancelled = True
                break
            try:
                page = next(pages)
            except StopIteration:
                break
            except CartError as exc:
                report.aborted = f"stopped after {report.done} products: {exc}"
                break
            report.add_many(
                _apply_page(store, cart, page, workstation, create_new=create_new, report=report)
            )
            if progress is not None:
                progress(report.done, report.total)
    finally:
        pages.close()  # the page reader stops before its connector closes
        if own:
            conn.close()
    log.info("%s: Get QOH from %s: %s", workstation, cart.name, report.summary())
    return report


def _chunks(pages: Iterator[list[CartQoh]], size: int) -> Iterator[list[CartQoh]]:
    """Cart pages joined into lists of at least ``size`` items (the last may be shorter). When
    the cart fails, the pages read before the failure are still handed over first."""
    chunk: list[CartQoh] = []
    try:
        for page in pages:
            chunk.extend(page)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    except CartError:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _apply_page(
    store: Store,
    cart: CartInfo,
    page: Sequence[CartQoh],
    workstation: str,
    *,
    create_new: bool,
    report: SyncReport,
) -> list[SyncItem]:
    """One cart page in one write transaction; the rows are reported once it commits."""
    items: list[SyncItem | None] = []
    created = changed = 0
    new: set[str] = set()
    pending: dict[str, tuple[int, str, int, str]] = {}
    """Store SKU -> (its place in ``items``, cart SKU, the cart's QOH, note prefix)."""

    def flush() -> int:
        """Apply the pending changes in a few statements (see changes.set_quantities)."""
        if not pending:
            return 0
        applied = set_quantities(
            session,
            {sku: qoh for sku, (_, _, qoh, _) in pending.items()},
            source=Source.GET_QOH,
            workstation=workstation,
            origin_cart_id=cart.id,
        )
        for sku, (slot, cart_sku, qoh, prefix) in pending.items():
            done = applied[sku]
            items[slot] = SyncItem(
                sku,
                cart_sku,
                done.qoh_after,
                SyncStatus.OK,
                f"{prefix}{done.qoh_before} -> {done.qoh_after}",
                qoh,
            )
        count = len(pending)
        pending.clear()
        return count

    with store.write() as session:
        known = _map_cart_skus(session, cart.id, [q.sku for q in page])
        # The store's QOH as this transaction changes it (a page may name a product twice).
        qoh_now = {k.sku: k.qoh for k in known.values()}
        for entry in page:
            product = known.get(entry.sku)
            if product is None:
                if not create_new:
                    items.append(
                        SyncItem(
                            "",
                            entry.sku,
                            None,
                            SyncStatus.NOT_FOUND,
                            "not in the store (Create Records for New Products is off)",
                            entry.qoh,
                        )
                    )
                    continue
                try:
                    info = products.add_product(session, entry.sku, workstation, name=entry.sku)
                except SeomError as exc:
                    items.append(
                        SyncItem("", entry.sku, None, SyncStatus.ERROR, str(exc), entry.qoh)
                    )
                    continue
                created += 1
                new.add(info.sku)
                product = _Known(info.sku, True, info.qoh)
                known[entry.sku] = product
                qoh_now[info.sku] = info.qoh
            if not product.synchronized:
                items.append(
                    SyncItem(
                        product.sku,
                        entry.sku,
                        None,
                        SyncStatus.SKIPPED,
                        "not synchronized with this cart (Web Fields)",
                        entry.qoh,
                    )
                )
                continue
            current = qoh_now[product.sku]
            if product.is_kit:
                items.append(
                    SyncItem(
                        product.sku,
                        entry.sku,
                        current,
                        SyncStatus.SKIPPED,
                        "a kit: its QOH is derived from its components; left unchanged",
                        entry.qoh,
                    )
                )
                continue
            if entry.qoh is None:
                items.append(
                    SyncItem(
                        product.sku,
                        entry.sku,
                        current,
                        SyncStatus.NOT_TRACKED,
                        ("new product; " if product.sku in new else "")
                        + "the cart does not track this item's stock; QOH left unchanged",
                    )
                )
                continue
            if entry.qoh < 0 or entry.qoh > MAX_QUANTITY:
                items.append(
                    SyncItem(
                        product.sku,
                        entry.sku,
                        current,
                        SyncStatus.ERROR,
                        f"the cart has {entry.qoh}, which cannot be a quantity on hand; "
                        "not applied",
                        entry.qoh,
                    )
                )
                continue
            prefix = "new product; " if product.sku in new else ""
            if current == entry.qoh:
                items.append(
                    SyncItem(
                        product.sku,
                        entry.sku,
                        current,
                        SyncStatus.OK,
                        prefix + "unchanged",
                        entry.qoh,
                    )
                )
                continue
            if product.sku in pending:  # the page names a product twice: in order
                changed += flush()
            pending[product.sku] = (len(items), entry.sku, entry.qoh, prefix)
            items.append(None)
            qoh_now[product.sku] = entry.qoh
        changed += flush()
    report.created += created
    report.changed += changed
    return [item for item in items if item is not None]

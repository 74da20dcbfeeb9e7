"""The headless commands: ``seom-desktop [--store S] [--workstation NAME] COMMAND``.

No Qt is imported here; without a command the desktop application is started instead.
Errors meant for the user print one line on stderr and exit with status 1 (2 for a
command line that does not parse); nothing is half-written because every command runs in
one store transaction.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from seom_desktop import __version__, config
from seom_desktop.errors import InputError, SeomError
from seom_desktop.inventory import kits, orders, products, purchasing
from seom_desktop.inventory.adjustments import check_reason
from seom_desktop.inventory.changes import AppliedChange, QohChange, Source, apply_change
from seom_desktop.inventory.lines import components_text, lines_text, parse_lines
from seom_desktop.inventory.quantities import parse_quantity
from seom_desktop.stack import actions as stack_actions
from seom_desktop.stack.rows import STATUS_CHOICES, list_stack
from seom_desktop.store import Store, open_store, params
from seom_desktop.store import carts as cart_records
from seom_desktop.store.models import Cart, local_time

log = logging.getLogger("seom_desktop.cli")

Handler = Callable[[argparse.Namespace, Store, str], int]


# -- output -----------------------------------------------------------------------------
def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def emit_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


# -- commands ---------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace, store: Store, workstation: str) -> int:
    if args.demo:
        from seom_desktop.demo import populate_demo

        populate_demo(store, workstation)
    revision = store.current_revision()
    if args.json:
        emit_json({"store": store.display_name, "schema": revision, "workstation": workstation})
    else:
        print(f"store ready: {store.display_name} (schema {revision}, workstation {workstation})")
    return 0


def cmd_product_add(args: argparse.Namespace, store: Store, workstation: str) -> int:
    qoh = parse_quantity(args.qoh, "--qoh")
    with store.write() as session:
        info = products.add_product(session, args.sku, workstation, name=args.name, qoh=qoh)
    if args.json:
        emit_json(vars(info))
    else:
        print(f"added {info.sku} ({info.name or 'no name'}), QOH {info.qoh}")
    return 0


def cmd_product_import(args: argparse.Namespace, store: Store, workstation: str) -> int:
    rows = products.read_product_csv(Path(args.file))
    with store.write() as session:
        summary = products.import_products(session, rows, workstation)
    if args.json:
        emit_json(vars(summary))
    else:
        print(
            f"imported {len(rows)} rows: {summary.created} new products, "
            f"{summary.updated} renamed, {summary.qoh_changed} QOH changes"
        )
    return 0


def cmd_product_list(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.read() as session:
        found = list(products.list_products(session, args.search))
    if args.json:
        emit_json([vars(p) for p in found])
    else:
        emit_table(["SKU", "Name", "QOH"], [(p.sku, p.name, p.qoh) for p in found])
    return 0


def cmd_product_show(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.read() as session:
        info = products.product_info(session, args.sku)
        fields = products.web_fields(session, args.sku)
    if args.json:
        emit_json({**vars(info), "web_fields": [vars(f) for f in fields]})
    else:
        print(f"SKU   {info.sku}\nName  {info.name}\nQOH   {info.qoh}")
        if fields:
            print("Web fields:")
            emit_table(
                ["Cart", "Cart SKU", "Sync QOH"],
                [(f.cart, f.cart_sku, "yes" if f.sync_qoh else "no") for f in fields],
            )
    return 0


def cmd_product_web_fields(args: argparse.Namespace, store: Store, workstation: str) -> int:
    sync = None if args.sync is None else args.sync == "on"
    with store.write() as session:
        info = products.set_web_fields(
            session, args.sku, args.cart, cart_sku=args.cart_sku, sync_qoh=sync
        )
    if args.json:
        emit_json(vars(info))
    else:
        state = "synchronized" if info.sync_qoh else "NOT synchronized"
        print(f"{args.sku} is known to {info.cart} as {info.cart_sku!r}, QOH {state}")
    return 0


def cmd_param_list(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.read() as session:
        values = params.get_many(session, [p.name for p in params.PARAMETERS])
    if args.json:
        emit_json(
            [
                {
                    "name": p.name,
                    "group": p.group,
                    "type": p.type.value,
                    "value": values[p.name],
                    "default": p.default,
                    "description": p.description,
                }
                for p in params.PARAMETERS
            ]
        )
    else:
        emit_table(
            ["Group", "Name", "Value"],
            [(p.group, p.name, p.display(values[p.name])) for p in params.PARAMETERS],
        )
    return 0


def cmd_param_get(args: argparse.Namespace, store: Store, workstation: str) -> int:
    param = params.declaration(args.name)
    with store.read() as session:
        value = params.get(session, param.name)
    if args.json:
        emit_json({"name": param.name, "value": value})
    else:
        print(param.display(value))
    return 0


def cmd_param_set(args: argparse.Namespace, store: Store, workstation: str) -> int:
    param = params.declaration(args.name)
    with store.write() as session:
        value = params.set_value(session, param.name, args.value)
    if args.json:
        emit_json({"name": param.name, "value": value})
    else:
        print(f"{param.name} = {param.display(value)}")
    return 0


def _parse_pairs(pairs: Sequence[str], what: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{what} {pair!r} is not of the form key=value")
        result[key.strip()] = value
    return result


def cmd_cart_add(args: argparse.Namespace, store: Store, workstation: str) -> int:
    options = _parse_pairs(args.option or [], "--option")
    with store.write() as session:
        info = cart_records.add_cart(
            session,
            args.name,
            args.platform,
            args.url,
            username=args.user or "",
            secret=args.secret or "",
            options=options,
        )
    if args.json:
        emit_json(info.public())
    else:
        print(f"added cart {info.name} ({info.platform}, {info.url})")
    return 0


def cmd_cart_list(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.read() as session:
        found = cart_records.list_carts(session)
    if args.json:
        emit_json([c.public() for c in found])
    else:
        emit_table(
            ["Name", "Platform", "URL", "User", "Secret", "Active", "Sync"],
            [
                (
                    c.name,
                    c.platform,
                    c.url,
                    c.username,
                    c.public()["secret"],
                    "yes" if c.active else "no",
                    "yes" if c.sync_inventory else "no",
                )
                for c in found
            ],
        )
    return 0


def cmd_cart_sync(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.write() as session:
        info = cart_records.set_sync(session, args.name, args.state == "on")
        synch = params.get(session, "SynchQOH")
    if args.json:
        emit_json(info.public())
    else:
        print(f"{info.name}: Synchronize Inventory {'on' if info.sync_inventory else 'off'}")
    if info.sync_inventory and not synch:
        print(
            "note: SynchQOH is FALSE, so no changes are queued until it is TRUE "
            "(seom-desktop param set SynchQOH TRUE)",
            file=sys.stderr,
        )
    return 0


def cmd_cart_set(args: argparse.Namespace, store: Store, workstation: str) -> int:
    assignments = _parse_pairs(args.assignments, "field")
    with store.write() as session:
        info = cart_records.set_cart_fields(session, args.name, assignments)
    if args.json:
        emit_json(info.public())
    else:
        print(f"updated cart {info.name}")
    return 0


def cmd_adjust(args: argparse.Namespace, store: Store, workstation: str) -> int:
    sku = products.clean_sku(args.sku)
    delta: int | None = None
    set_to: int | None = None
    if args.add is not None:
        delta = parse_quantity(args.add, "--add")
    elif args.subtract is not None:
        delta = -parse_quantity(args.subtract, "--subtract")
    else:
        set_to = parse_quantity(args.set, "--set")
    with store.write() as session:
        change = QohChange(
            sku=sku,
            source=Source.MANUAL_ADJUSTMENT,
            delta=delta,
            set_to=set_to,
            reason=check_reason(session, args.reason),
            send_to_web=not args.no_send,
        )
        applied = apply_change(session, change, workstation)
        carts_hit = select(Cart.id, Cart.name).where(Cart.id.in_(applied.stack_cart_ids))
        names = {cart_id: name for cart_id, name in session.execute(carts_hit)}
    queued = [names[cart_id] for cart_id in applied.stack_cart_ids]
    if args.json:
        emit_json(
            {
                "sku": applied.sku,
                "qoh_before": applied.qoh_before,
                "delta": applied.delta,
                "qoh_after": applied.qoh_after,
                "ledger_id": applied.ledger_id,
                "stack_rows": list(applied.stack_row_ids),
                "carts": queued,
            }
        )
    else:
        where = f"; queued for {', '.join(queued)}" if queued else "; not sent to any cart"
        print(
            f"{applied.sku}: {applied.qoh_before} -> {applied.qoh_after} "
            f"({applied.delta:+d}){where}"
        )
    return 0


def cmd_stack_list(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.read() as session:
        entries = list_stack(session, status=args.status, cart=args.cart)
    if args.json:
        emit_json([e.as_json() for e in entries])
    else:
        emit_table(
            [
                "ID",
                "Cart",
                "SKU",
                "Change",
                "Created",
                "Origin",
                "Attempts",
                "Status",
                "Last Response",
            ],
            [
                (
                    e.id,
                    e.cart,
                    e.sku,
                    f"{e.delta:+d}",
                    local_time(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    e.origin_workstation,
                    e.attempts,
                    e.status,
                    e.last_response,
                )
                for e in entries
            ],
        )
    return 0


def _show_report(args: argparse.Namespace, report: Any) -> int:
    """Summary (and the problem SKUs) on stdout, or everything as JSON; exit 1 when the run
    stopped early or an item failed."""
    if getattr(args, "csv", None):
        report.to_csv(args.csv)
    if args.json:
        emit_json({"summary": report.summary(), "items": [i.as_json() for i in report.items()]})
    else:
        verb = "Send QOH to" if report.direction == "send" else "Get QOH from"
        parts = [
            f"{report.sent} ok",
            f"{report.not_found} not found",
            f"{report.not_tracked} not tracked",
            f"{report.errors} errors",
        ]
        if report.skipped:
            parts.append(f"{report.skipped} not synchronized")
        if report.direction == "get":
            parts.append(f"{report.changed} changed")
            parts.append(f"{report.created} created")
        print(f"{verb} {report.cart}: {report.done} products: {', '.join(parts)}")
        problems = [i for i in report.items() if i.status.value != "ok"]
        if problems:
            shown = problems[:30]
            emit_table(
                ["SKU", "Cart SKU", "Status", "Message"],
                [(i.sku or "-", i.cart_sku, i.status.value, i.message) for i in shown],
            )
            if len(problems) > len(shown):
                print(f"... and {len(problems) - len(shown)} more (--json or --csv for all)")
        if report.cancelled:
            print("cancelled before the end")
        if report.aborted:
            print(f"stopped early: {report.aborted}")
    return 0 if report.complete and report.errors == 0 else 1


def _progress(args: argparse.Namespace, what: str) -> Callable[[int, int | None], None] | None:
    if args.json:
        return None

    def show(done: int, total: int | None) -> None:
        of = f"/{total}" if total is not None else ""
        print(f"{what}: {done}{of} products", file=sys.stderr, flush=True)

    return show


def cmd_qoh_send(args: argparse.Namespace, store: Store, workstation: str) -> int:
    from seom_desktop.inventory import qoh_sync

    report = qoh_sync.send_qoh(
        store,
        args.cart,
        workstation,
        max_items=args.max_items,
        progress=_progress(args, f"Send QOH to {args.cart}"),
        force=args.force,
    )
    try:
        return _show_report(args, report)
    finally:
        report.close()


def cmd_qoh_get(args: argparse.Namespace, store: Store, workstation: str) -> int:
    from seom_desktop.inventory import qoh_sync

    report = qoh_sync.get_qoh(
        store,
        args.cart,
        workstation,
        create_new=args.create_new,
        progress=_progress(args, f"Get QOH from {args.cart}"),
        force=args.force,
    )
    try:
        return _show_report(args, report)
    finally:
        report.close()


# -- orders, POS, purchase orders, kits ---------------------------------------------------
def _change_json(change: AppliedChange) -> dict[str, Any]:
    return {
        "sku": change.sku,
        "qoh_before": change.qoh_before,
        "delta": change.delta,
        "qoh_after": change.qoh_after,
        "stack_rows": len(change.stack_row_ids),
        "related": [_change_json(r) for r in change.related],
    }


def _change_lines(changes: Sequence[AppliedChange], indent: str = "  ") -> None:
    for change in changes:
        print(
            f"{indent}{change.sku}: {change.qoh_before} -> {change.qoh_after} "
            f"({change.delta:+d}), {len(change.stack_row_ids)} stack row(s)"
        )
        _change_lines(change.related, indent + "  ")


def _placed(args: argparse.Namespace, placed: orders.PlacedOrder, what: str) -> int:
    if args.json:
        emit_json(
            {
                "number": placed.number,
                "kind": placed.kind.value,
                "cart": placed.cart or None,
                "changes": [_change_json(c) for c in placed.changes],
                "stack_rows": placed.queued_rows,
            }
        )
    else:
        print(f"{what} {placed.number}: {placed.queued_rows} change(s) queued for the carts")
        _change_lines(placed.changes)
    return 0


def cmd_order_add(args: argparse.Namespace, store: Store, workstation: str) -> int:
    lines = parse_lines(args.lines, "an order")
    with store.write() as session:
        placed = orders.add_order(session, lines, workstation, cart_name=args.cart)
    return _placed(args, placed, "order")


def cmd_pos_sale(args: argparse.Namespace, store: Store, workstation: str) -> int:
    lines = parse_lines(args.lines, "a sale")
    with store.write() as session:
        placed = orders.pos_sale(session, lines, workstation)
    return _placed(args, placed, "sale")


def cmd_order_cancel(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.write() as session:
        cancelled = orders.cancel_order(session, args.number, workstation)
    if args.json:
        emit_json(
            {"number": cancelled.number, "changes": [_change_json(c) for c in cancelled.changes]}
        )
    else:
        print(f"order {cancelled.number} cancelled; its stock is back")
        _change_lines(cancelled.changes)
    return 0


def _order_json(order: orders.OrderSummary) -> dict[str, Any]:
    return {
        "number": order.number,
        "kind": order.kind,
        "cart": order.cart or None,
        "cart_order_number": order.cart_order_number,
        "status": order.status,
        "created_at": local_time(order.created_at).isoformat(timespec="seconds"),
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in order.lines],
    }


def cmd_order_list(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.read() as session:
        found = (
            [orders.get_order(session, args.number)]
            if args.number is not None
            else orders.recent_orders(session, args.limit)
        )
    if args.json:
        emit_json([_order_json(o) for o in found])
        return 0
    emit_table(
        ["Order", "Kind", "Cart", "Cart order", "Status", "Lines"],
        [
            (
                o.number,
                o.kind,
                o.cart,
                o.cart_order_number or "",
                o.status,
                lines_text(o.lines),
            )
            for o in found
        ],
    )
    return 0


def cmd_orders_import(args: argparse.Namespace, store: Store, workstation: str) -> int:
    report = orders.import_orders(store, args.cart, workstation)
    if args.json:
        emit_json(
            {
                "cart": report.cart,
                "imported": [
                    {"number": o.number, "cart_order_number": o.cart_order_number}
                    for o in report.imported
                ],
                "already_imported": report.already_imported,
                "warnings": report.warnings,
                "stack_rows": sum(o.queued_rows for o in report.imported),
            }
        )
    else:
        print(report.summary)
    return 0


def cmd_po_create(args: argparse.Namespace, store: Store, workstation: str) -> int:
    lines = parse_lines(args.lines, "a purchase order")
    with store.write() as session:
        number = purchasing.create_po(session, args.supplier, lines, workstation)
        po = purchasing.get_po(session, number)
    if args.json:
        emit_json(_po_json(po))
    else:
        print(f"purchase order {number} for {po.supplier}: {po.outstanding} unit(s) ordered")
    return 0


def _po_json(po: purchasing.PoSummary) -> dict[str, Any]:
    return {
        "number": po.number,
        "supplier": po.supplier,
        "status": po.status,
        "lines": [
            {"sku": line.sku, "ordered": line.ordered, "received": line.received}
            for line in po.lines
        ],
    }


def cmd_po_receive(args: argparse.Namespace, store: Store, workstation: str) -> int:
    lines = parse_lines(args.lines, "a receipt") if args.lines else None
    with store.write() as session:
        changes = purchasing.receive_po(session, args.number, lines, workstation)
        po = purchasing.get_po(session, args.number)
    if args.json:
        emit_json({**_po_json(po), "changes": [_change_json(c) for c in changes]})
    else:
        print(f"purchase order {po.number}: {po.status}, {po.outstanding} unit(s) outstanding")
        _change_lines(changes)
    return 0


def cmd_po_list(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.read() as session:
        found = (
            [purchasing.get_po(session, args.number)]
            if args.number is not None
            else purchasing.list_pos(session, open_only=args.open)
        )
    if args.json:
        emit_json([_po_json(po) for po in found])
        return 0
    emit_table(
        ["PO", "Supplier", "Status", "Lines (received/ordered)"],
        [
            (
                po.number,
                po.supplier,
                po.status,
                ", ".join(f"{line.sku} {line.received}/{line.ordered}" for line in po.lines),
            )
            for po in found
        ],
    )
    return 0


def cmd_kit_define(args: argparse.Namespace, store: Store, workstation: str) -> int:
    components = parse_lines(args.components, f"kit {args.kit}")
    with store.write() as session:
        change = kits.define_kit(session, products.clean_sku(args.kit), components, workstation)
        info = kits.kit_info(session, products.clean_sku(args.kit))
    if args.json:
        emit_json(
            {
                **_kit_json(info),
                "change": _change_json(change) if change else None,
            }
        )
    else:
        parts = components_text(info.components)
        print(f"kit {info.sku} = {parts}; QOH {info.qoh} (derived from its components)")
        if change:
            _change_lines([change])
    return 0


def _kit_json(info: kits.KitInfo) -> dict[str, Any]:
    return {
        "kit": info.sku,
        "qoh": info.qoh,
        "components": [{"sku": line.sku, "quantity": line.quantity} for line in info.components],
    }


def cmd_kit_list(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.read() as session:
        found = kits.list_kits(session)
    if args.json:
        emit_json([_kit_json(k) for k in found])
        return 0
    emit_table(
        ["Kit", "QOH", "Components"],
        [(k.sku, k.qoh, components_text(k.components)) for k in found],
    )
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Serve a sandbox cart in the foreground; needs no store."""
    from seom_desktop.sandbox import run_sandbox

    try:
        return run_sandbox(
            args.platform,
            port=args.port,
            catalog=args.catalog,
            user=args.user,
            secret=args.secret,
            faults=args.faults,
        )
    except (ValueError, OSError) as exc:
        print(f"seom-desktop: {exc}", file=sys.stderr)
        return 1


def cmd_stack_retry(args: argparse.Namespace, store: Store, workstation: str) -> int:
    if args.all_bypassed == (args.id is not None):
        raise InputError("give a row ID or --all-bypassed")
    with store.write() as session:
        if args.all_bypassed:
            count = stack_actions.retry_all_bypassed(session)
        else:
            stack_actions.retry(session, args.id)
            count = 1
    if args.json:
        emit_json({"retried": count})
    else:
        print(f"{count} row(s) will be sent again")
    return 0


def cmd_stack_bypass(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.write() as session:
        stack_actions.bypass(session, args.id)
    if args.json:
        emit_json({"bypassed": args.id})
    else:
        print(f"row {args.id} bypassed")
    return 0


def cmd_stack_delete(args: argparse.Namespace, store: Store, workstation: str) -> int:
    if not args.yes:
        raise InputError(
            f"deleting row {args.id} loses that change for its cart; add --yes to delete it"
        )
    with store.write() as session:
        stack_actions.delete(session, args.id)
    if args.json:
        emit_json({"deleted": args.id})
    else:
        print(f"row {args.id} deleted")
    return 0


def cmd_stack_adopt(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.write() as session:
        count = stack_actions.adopt(session, args.workstation_gone, workstation)
    if args.json:
        emit_json({"adopted": count, "from": args.workstation_gone, "to": workstation})
    else:
        print(f"{count} pending row(s) of {args.workstation_gone} will be sent by {workstation}")
    return 0


def cmd_stack_pause(args: argparse.Namespace, store: Store, workstation: str) -> int:
    paused = args.subcommand == "pause"
    with store.write() as session:
        stack_actions.set_paused(session, workstation, paused)
    print(f"sending on {workstation} {'paused' if paused else 'resumed'}")
    return 0


def cmd_stack_status(args: argparse.Namespace, store: Store, workstation: str) -> int:
    with store.read() as session:
        state = stack_actions.status(session)
    if args.json:
        emit_json(state)
        return 0
    who = state["controller_workstation"] or "none running"
    print(f"mode: {state['mode']} (SynchQOH {'TRUE' if state['synch_qoh'] else 'FALSE'})")
    if state["mode"] == "shared":
        print(f"shared stack controller: {who}, last heartbeat {state['last_heartbeat']}")
    print(f"running controllers: {', '.join(state['running_controllers']) or 'none'}")
    print(
        f"pending {state['pending']}, bypassed {state['bypassed']}, "
        f"sent in the last minute {state['sent_last_minute']}, oldest pending "
        f"{state['oldest_pending_seconds']} s"
    )
    emit_table(
        ["Cart", "Pending", "Held", "In review"],
        [
            (b["cart"], b["pending"], "yes" if b["held"] else "", b["in_review"])
            for b in state["backlog"]
        ],
    )
    if state["warning"]:
        print(f"warning: {state['warning']}", file=sys.stderr)
    return 0


def cmd_controller(args: argparse.Namespace, store: Store, workstation: str) -> int:
    from seom_desktop.stack.service import run_controller

    if args.log:
        handler = logging.FileHandler(args.log, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logging.getLogger().addHandler(handler)
    logging.getLogger("seom_desktop").setLevel(logging.INFO)
    return run_controller(
        store, workstation, shared=args.shared, once=args.once, max_wait=args.max_wait
    )


# -- the parser -------------------------------------------------------------------------
def _with_json(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seom-desktop",
        description="Keep the quantity on hand of your products in step across your carts. "
        "Without a command, the desktop application opens.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--store",
        metavar="PATH_OR_URL",
        help="store data file or postgresql:// URL (default: $SEOM_STORE, then this PC's "
        "saved store, then a store file in the user data folder)",
    )
    parser.add_argument(
        "--workstation",
        metavar="NAME",
        help="this PC's name (default: $SEOM_WORKSTATION, then the saved name, then hostname)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(
        group: Any, name: str, handler: Handler, help_text: str, *, json_out: bool = True
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = group.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return _with_json(p) if json_out else p

    p = command(sub, "init", cmd_init, "create the store (or upgrade it) and register this PC")
    p.add_argument("--demo", action="store_true", help="fill it with the demo catalogue and carts")

    product = sub.add_parser("product", help="products").add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", required=True
    )
    p = command(product, "add", cmd_product_add, "add a product")
    p.add_argument("sku")
    p.add_argument("--name", default="")
    p.add_argument("--qoh", default="0", help="starting quantity on hand")
    p = command(product, "import", cmd_product_import, "import products from a sku,name,qoh CSV")
    p.add_argument("file")
    p = command(product, "list", cmd_product_list, "list products")
    p.add_argument("--search", help="only SKUs or names containing this text")
    p = command(product, "show", cmd_product_show, "show one product and its web fields")
    p.add_argument("sku")
    p = command(
        product, "web-fields", cmd_product_web_fields, "how a cart knows a product (Web Fields)"
    )
    p.add_argument("sku")
    p.add_argument("cart")
    p.add_argument("--cart-sku", help="the SKU or code the cart uses ('' = same as ours)")
    p.add_argument("--sync", choices=["on", "off"], help="synchronize this product's QOH")

    param = sub.add_parser("param", help="system parameters").add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", required=True
    )
    command(param, "list", cmd_param_list, "list the system parameters")
    p = command(param, "get", cmd_param_get, "print one system parameter")
    p.add_argument("name")
    p = command(param, "set", cmd_param_set, "set a system parameter (lists: a;b;c)")
    p.add_argument("name")
    p.add_argument("value")

    cart = sub.add_parser("cart", help="shopping carts").add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", required=True
    )
    p = command(cart, "add", cmd_cart_add, "define a cart")
    p.add_argument("name")
    p.add_argument("--platform", required=True, help="generic, shopify, woocommerce, oscar, ...")
    p.add_argument("--url", required=True)
    p.add_argument("--user")
    p.add_argument("--secret")
    p.add_argument("--option", action="append", metavar="KEY=VALUE")
    command(cart, "list", cmd_cart_list, "list the carts (secrets redacted)")
    p = command(cart, "sync", cmd_cart_sync, "tick or clear Synchronize Inventory")
    p.add_argument("name")
    p.add_argument("state", choices=["on", "off"])
    p = command(cart, "set", cmd_cart_set, "change cart fields: url=... user=... active=off ...")
    p.add_argument("name")
    p.add_argument("assignments", nargs="+", metavar="KEY=VALUE")

    p = command(sub, "adjust", cmd_adjust, "adjust a product's quantity on hand")
    p.add_argument("sku")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--add", metavar="N")
    how.add_argument("--subtract", metavar="N")
    how.add_argument("--set", metavar="N", help="the new quantity on hand")
    p.add_argument("--reason", help="one of the QOHReason parameter's reasons")
    p.add_argument("--no-send", action="store_true", help="do not send this change to the carts")

    orders_p = sub.add_parser("orders", help="import orders from a cart").add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", required=True
    )
    p = command(orders_p, "import", cmd_orders_import, "download a cart's new orders")
    p.add_argument("cart")
    order = sub.add_parser("order", help="manual orders").add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", required=True
    )
    p = command(order, "add", cmd_order_add, "enter a phone or counter order")
    p.add_argument("lines", nargs="+", metavar="SKU:QTY")
    p.add_argument("--cart", help="the channel the order came through (it is not told)")
    p = command(order, "cancel", cmd_order_cancel, "cancel an order: its stock goes back")
    p.add_argument("number", type=int)
    p = command(order, "list", cmd_order_list, "list recent orders (or one)")
    p.add_argument("number", type=int, nargs="?")
    p.add_argument("--limit", type=int, default=50)
    pos = sub.add_parser("pos", help="point of sale").add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", required=True
    )
    p = command(pos, "sale", cmd_pos_sale, "ring up a sale")
    p.add_argument("lines", nargs="+", metavar="SKU:QTY")
    po = sub.add_parser("po", help="purchase orders").add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", required=True
    )
    p = command(po, "create", cmd_po_create, "create a purchase order")
    p.add_argument("supplier")
    p.add_argument("lines", nargs="+", metavar="SKU:QTY")
    p = command(po, "receive", cmd_po_receive, "receive a PO (all outstanding without lines)")
    p.add_argument("number", type=int)
    p.add_argument("lines", nargs="*", metavar="SKU:QTY")
    p = command(po, "list", cmd_po_list, "list purchase orders (or one)")
    p.add_argument("number", type=int, nargs="?")
    p.add_argument("--open", action="store_true", help="only those not fully received")
    kit = sub.add_parser("kit", help="kits").add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", required=True
    )
    p = command(kit, "define", cmd_kit_define, "make a product a kit of these components")
    p.add_argument("kit")
    p.add_argument("components", nargs="+", metavar="COMPONENT:QTY")
    command(kit, "list", cmd_kit_list, "list the kits and their components")

    stack = sub.add_parser("stack", help="the web stack").add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", required=True
    )
    p = command(stack, "list", cmd_stack_list, "list web-stack rows")
    p.add_argument("--status", choices=STATUS_CHOICES, default="pending")
    p.add_argument("--cart")
    p = command(stack, "retry", cmd_stack_retry, "send a row again (attempts start from 0)")
    p.add_argument("id", type=int, nargs="?")
    p.add_argument("--all-bypassed", action="store_true", help="every bypassed row")
    p = command(stack, "bypass", cmd_stack_bypass, "stop sending a row (it stays visible)")
    p.add_argument("id", type=int)
    p = command(stack, "delete", cmd_stack_delete, "delete a row (asks for --yes)")
    p.add_argument("id", type=int)
    p.add_argument("--yes", action="store_true", help="yes, lose this change for its cart")
    p = command(
        stack, "adopt", cmd_stack_adopt, "send the pending rows of a workstation that is gone"
    )
    p.add_argument("workstation_gone", metavar="WORKSTATION")
    command(stack, "pause", cmd_stack_pause, "pause sending on this PC", json_out=False)
    command(stack, "resume", cmd_stack_pause, "resume sending on this PC", json_out=False)
    command(stack, "status", cmd_stack_status, "the controller and the backlog per cart")

    p = command(
        sub,
        "controller",
        cmd_controller,
        "run the stack controller until SIGTERM / Ctrl+C",
        json_out=False,
    )
    p.add_argument(
        "--shared",
        action="store_true",
        help="run as the shared stack controller (SharedStackController must be TRUE)",
    )
    p.add_argument(
        "--once", action="store_true", help="send what is due, wait out retries, then exit"
    )
    p.add_argument(
        "--max-wait", type=float, default=60.0, metavar="S", help="with --once: at most S seconds"
    )
    p.add_argument("--log", metavar="FILE", help="also log to this file")

    qoh = sub.add_parser("qoh", help="manual inventory updates with a cart").add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", required=True
    )
    p = command(qoh, "send", cmd_qoh_send, "Send QOH To Website: push the store's QOH to a cart")
    p.add_argument("cart")
    p.add_argument(
        "--max-items", type=int, metavar="N", help="items per request (default: the cart's own)"
    )
    p.add_argument("--force", action="store_true", help="even with real-time sync on")
    p.add_argument("--csv", metavar="FILE", help="also write the per-SKU report to FILE")
    p = command(qoh, "get", cmd_qoh_get, "Get QOH From Website: set the store's QOH from a cart")
    p.add_argument("cart")
    p.add_argument(
        "--create-new", action="store_true", help="create products the store does not have"
    )
    p.add_argument("--force", action="store_true", help="even with real-time sync on")
    p.add_argument("--csv", metavar="FILE", help="also write the per-SKU report to FILE")

    p = sub.add_parser(
        "sandbox",
        help="serve a local sandbox cart (no store needed)",
        description="Serve a sandbox cart on 127.0.0.1 until Ctrl+C.",
    )
    p.set_defaults(standalone=cmd_sandbox)
    from seom_desktop.sandbox import PLATFORMS as SANDBOX_PLATFORMS

    p.add_argument("platform", choices=sorted(SANDBOX_PLATFORMS))
    p.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    p.add_argument("--catalog", metavar="FILE.csv", help="catalogue with the columns sku,qoh")
    p.add_argument("--user", help="user / consumer key (default: the sandbox's own)")
    p.add_argument("--secret", help="password / token / consumer secret")
    p.add_argument("--faults", metavar="SPEC", help="e.g. latency=20ms,error500=0.1,lost=0.05")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    standalone: Callable[[argparse.Namespace], int] | None = getattr(args, "standalone", None)
    if standalone is not None:  # commands that need no store (the sandbox carts)
        return standalone(args)
    if args.command is None:
        from seom_desktop.app import main as app_main

        return app_main(store=args.store, workstation=args.workstation)
    try:
        workstation = config.resolve_workstation(args.workstation)
        location = config.resolve_store(args.store)
        with open_store(location, create=args.command == "init") as store:
            store.register_workstation(workstation)
            handler: Handler = args.handler
            return handler(args, store, workstation)
    except SeomError as exc:
        print(f"seom-desktop: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("seom-desktop: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (``| head``) went away: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1

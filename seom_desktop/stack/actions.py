"""What a clerk or an operator does to web-stack rows, and the controller's state.

Retry, Bypass and Delete act on rows that are not being sent this moment (a row attached to a
send in flight is refused with a clear message); every action is one write transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from seom_desktop.errors import InputError, NotFoundError
from seom_desktop.stack import lease
from seom_desktop.stack.engine import REVIEW
from seom_desktop.store import params
from seom_desktop.store.models import (
    Cart,
    SendState,
    StackRow,
    StackSend,
    StackStatus,
    Workstation,
    as_utc,
    utcnow,
)


def _row(session: Session, row_id: int) -> StackRow:
    row = session.get(StackRow, row_id)
    if row is None:
        raise NotFoundError(f"there is no web-stack row {row_id}")
    return row


def _check_not_in_flight(session: Session, row: StackRow) -> None:
    if row.send_id is None or row.status != StackStatus.PENDING.value:
        return
    send = session.get(StackSend, row.send_id)
    if send is not None and send.state == SendState.SENDING.value:
        raise InputError(f"row {row.id} is being sent to the cart right now; try again in a moment")
    if send is not None and send.state == SendState.IN_DOUBT.value:
        raise InputError(
            f"row {row.id} was sent and its answer was lost; the stack controller is "
            "establishing whether the cart applied it. Wait for it to finish"
        )


def retry(session: Session, row_id: int) -> StackRow:
    """Send a bypassed (or waiting, or under-review) row again, from zero attempts."""
    row = _row(session, row_id)
    if row.status == StackStatus.SENT.value:
        raise InputError(f"row {row_id} was already sent to the cart")
    _check_not_in_flight(session, row)
    row.status = StackStatus.PENDING.value
    row.attempts = 0
    row.next_attempt_at = None
    row.send_id = None
    row.last_response = "retry requested"
    session.flush()
    return row


def retry_all_bypassed(session: Session) -> int:
    result = session.execute(
        update(StackRow)
        .where(StackRow.status == StackStatus.BYPASSED.value)
        .values(
            status=StackStatus.PENDING.value,
            attempts=0,
            next_attempt_at=None,
            send_id=None,
            last_response="retry requested",
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def bypass(session: Session, row_id: int) -> StackRow:
    """Stop trying to send a row; it stays visible as bypassed."""
    row = _row(session, row_id)
    if row.status != StackStatus.PENDING.value:
        raise InputError(f"row {row_id} is {row.status}, not pending")
    _check_not_in_flight(session, row)
    row.status = StackStatus.BYPASSED.value
    row.next_attempt_at = None
    row.last_response = (row.last_response + "; " if row.last_response else "") + (
        "bypassed by the clerk"
    )
    session.flush()
    return row


def delete(session: Session, row_id: int) -> None:
    row = _row(session, row_id)
    _check_not_in_flight(session, row)
    session.delete(row)
    session.flush()


def adopt(session: Session, from_workstation: str, to_workstation: str) -> int:
    """Local mode: take over the pending rows of a workstation that is gone."""
    if from_workstation.casefold() == to_workstation.casefold():
        raise InputError("a workstation cannot adopt its own rows")
    failover = float(params.get(session, "StackFailoverSeconds"))
    for controller in lease.live_controllers(session, failover):
        if controller.workstation.casefold() == from_workstation.casefold():
            raise InputError(
                f"{controller.workstation} is running and sending its rows; adopt the rows "
                "of a workstation that is gone"
            )
    result = session.execute(
        update(StackRow)
        .where(
            func.lower(StackRow.origin_workstation) == from_workstation.lower(),
            StackRow.status == StackStatus.PENDING.value,
            StackRow.send_id.is_(None),
        )
        .values(origin_workstation=to_workstation)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_paused(session: Session, workstation: str, paused: bool) -> None:
    session.execute(
        update(Workstation).where(Workstation.name == workstation).values(paused=paused)
    )


@dataclass(frozen=True)
class CartBacklog:
    cart: str
    pending: int
    held: bool
    """Pending rows are not being sent: the cart is inactive, unticked, or SynchQOH is off."""
    in_review: int


def status(session: Session) -> dict[str, Any]:
    """What `stack status` and the Stack Controller screen show."""
    settings = params.get_many(
        session,
        [
            "SynchQOH",
            "SharedStackController",
            "StackControllerWorkstation",
            "StackFailoverSeconds",
        ],
    )
    failover = float(settings["StackFailoverSeconds"])
    now = utcnow()
    shared = lease.lease_state(session, lease.SHARED)
    live = lease.live_controllers(session, failover)
    carts = session.execute(select(Cart.id, Cart.name, Cart.active, Cart.sync_inventory)).all()
    pending = dict(
        session.execute(
            select(StackRow.cart_id, func.count())
            .where(StackRow.status == StackStatus.PENDING.value)
            .group_by(StackRow.cart_id)
        ).all()
    )
    review = dict(
        session.execute(
            select(StackRow.cart_id, func.count())
            .join(StackSend, StackSend.id == StackRow.send_id)
            .where(StackRow.status == StackStatus.PENDING.value, StackSend.state == REVIEW)
            .group_by(StackRow.cart_id)
        ).all()
    )
    oldest = session.scalar(
        select(func.min(StackRow.created_at)).where(StackRow.status == StackStatus.PENDING.value)
    )
    sent_last_minute = session.scalar(
        select(func.count())
        .select_from(StackRow)
        .where(StackRow.sent_at >= now - timedelta(minutes=1))
    )
    bypassed = session.scalar(
        select(func.count())
        .select_from(StackRow)
        .where(StackRow.status == StackStatus.BYPASSED.value)
    )
    mode = "shared" if settings["SharedStackController"] else "local"
    designated = settings["StackControllerWorkstation"].strip()
    controller_ws = shared.holder_workstation if shared.fresh(now, failover) else None
    warning = ""
    if mode == "shared" and controller_ws is None:
        who = designated or "any workstation"
        warning = (
            f"no shared stack controller is running (waiting for {who}); "
            f"{sum(pending.values())} changes are waiting to be sent"
        )
    backlog = [
        CartBacklog(
            cart=name,
            pending=int(pending.get(cart_id, 0)),
            held=not (settings["SynchQOH"] and active and sync),
            in_review=int(review.get(cart_id, 0)),
        )
        for cart_id, name, active, sync in carts
    ]
    return {
        "mode": mode,
        "synch_qoh": settings["SynchQOH"],
        "designated": designated or None,
        "controller_workstation": controller_ws,
        "last_heartbeat": as_utc(shared.heartbeat_at).isoformat() if shared.heartbeat_at else None,
        "running_controllers": sorted({c.workstation for c in live}),
        "backlog": [vars(b) for b in backlog],
        "pending": sum(pending.values()),
        "bypassed": int(bypassed or 0),
        "oldest_pending_seconds": (
            round((now - as_utc(oldest)).total_seconds(), 1) if oldest is not None else None
        ),
        "sent_last_minute": int(sent_last_minute or 0),
        "warning": warning,
    }

"""Who may send: registered controllers with heartbeats, and one lease per sending scope.

A scope is ``"shared"`` (shared mode: one controller sends every workstation's rows) or
``"local:<workstation>"`` (local mode: the rows that originated on that PC; the lease stops a
GUI and a headless controller on the same PC from both sending). A lease is held while its
holder's heartbeat is fresh; an elected shared lease whose holder has been silent for
``StackFailoverSeconds`` is taken over by another running controller, and its epoch grows by
one. With ``StackControllerWorkstation`` set, only that workstation may hold the shared lease.

Times are each PC's UTC clock; clock skew between PCs shifts failover by the skew, which is
why the failover bound is tens of seconds, not milliseconds.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from seom_desktop.store.models import (
    ControllerLease,
    StackControllerProcess,
    as_utc,
    utcnow,
)

SHARED = "shared"


def local_scope(workstation: str) -> str:
    return f"local:{workstation}"


@dataclass(frozen=True)
class LeaseState:
    scope: str
    holder_workstation: str | None
    holder_token: str | None
    heartbeat_at: datetime | None
    epoch: int

    def fresh(self, now: datetime, failover: float) -> bool:
        return (
            self.holder_token is not None
            and self.heartbeat_at is not None
            and now - as_utc(self.heartbeat_at) < timedelta(seconds=failover)
        )


def register(session: Session, token: str, workstation: str) -> None:
    now = utcnow()
    session.add(
        StackControllerProcess(
            token=token,
            workstation=workstation,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            started_at=now,
            heartbeat_at=now,
        )
    )


def heartbeat(session: Session, token: str) -> None:
    now = utcnow()
    session.execute(
        update(StackControllerProcess)
        .where(StackControllerProcess.token == token)
        .values(heartbeat_at=now)
    )
    session.execute(
        update(ControllerLease)
        .where(ControllerLease.holder_token == token)
        .values(heartbeat_at=now)
    )


def unregister(session: Session, token: str) -> None:
    session.execute(
        update(StackControllerProcess)
        .where(StackControllerProcess.token == token)
        .values(stopped_at=utcnow())
    )
    # Let another controller take over at once instead of after the failover bound.
    session.execute(
        update(ControllerLease)
        .where(ControllerLease.holder_token == token)
        .values(holder_token=None)
    )


def lease_state(session: Session, scope: str) -> LeaseState:
    row = session.get(ControllerLease, scope)
    if row is None:
        return LeaseState(scope, None, None, None, 0)
    return LeaseState(
        scope,
        row.holder_workstation or None,
        row.holder_token,
        row.heartbeat_at,
        row.epoch,
    )


def try_acquire(
    session: Session,
    scope: str,
    token: str,
    workstation: str,
    *,
    failover: float,
    designated: str = "",
) -> bool:
    """Hold (or keep) the lease of ``scope``; True when this controller holds it now.

    Runs in the caller's write transaction, so two controllers deciding at once are
    serialised by the store (SQLite write lock; the lease row lock on PostgreSQL).
    """
    now = utcnow()
    row = session.execute(
        select(ControllerLease).where(ControllerLease.scope == scope).with_for_update()
    ).scalar_one_or_none()
    if designated and designated.casefold() != workstation.casefold():
        return False
    if row is None:
        session.add(
            ControllerLease(
                scope=scope,
                holder_token=token,
                holder_workstation=workstation,
                epoch=1,
                acquired_at=now,
                heartbeat_at=now,
            )
        )
        session.flush()
        return True
    if row.holder_token == token:
        row.heartbeat_at = now
        return True
    state = lease_state(session, scope)
    if state.fresh(now, failover):
        # A live holder keeps its lease: an elected controller is never robbed by a PC that
        # launched later, and two controllers of one PC do not take turns. Only the designated
        # PC takes the shared lease from a live controller of another PC.
        holder_ws = (state.holder_workstation or "").casefold()
        if not designated or holder_ws == workstation.casefold():
            return False
    row.holder_token = token
    row.holder_workstation = workstation
    row.epoch += 1
    row.acquired_at = now
    row.heartbeat_at = now
    return True


def holds(session: Session, scope: str, token: str) -> bool:
    row = session.get(ControllerLease, scope)
    return row is not None and row.holder_token == token


def live_controllers(session: Session, failover: float) -> list[StackControllerProcess]:
    since = utcnow() - timedelta(seconds=failover)
    return list(
        session.scalars(
            select(StackControllerProcess).where(
                StackControllerProcess.stopped_at.is_(None),
                StackControllerProcess.heartbeat_at >= since,
            )
        )
    )


def is_live(session: Session, token: str, failover: float) -> bool:
    row = session.get(StackControllerProcess, token)
    if row is None or row.stopped_at is not None:
        return False
    return utcnow() - as_utc(row.heartbeat_at) < timedelta(seconds=failover)

"""Overlap waiting on a cart with work in the store: fetch the next pages while this one is
applied.

:func:`read_ahead` runs an iterator on a thread of its own, at most ``depth`` items ahead of
the consumer. Get QOH uses it so the next cart page is on its way over HTTP while the current
one is written to the store; the cart still sees one request at a time.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def read_ahead(
    source: Iterator[T], depth: int = 2, *, join_timeout: float = 60.0
) -> Generator[T, None, None]:
    """The items of ``source``, produced on a background thread. An exception raised by
    ``source`` is raised here, at the same place in the sequence. Closing this generator
    (a ``break``, a cancel) stops the producer after the item it is working on."""
    buffer: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put(item):
                    return
        except Exception as exc:  # noqa: BLE001 - re-raised in the consumer
            put(_Failure(exc))
            return
        put(_DONE)

    worker = threading.Thread(target=produce, name="seom-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(join_timeout)


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

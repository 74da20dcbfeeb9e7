"""read_ahead: the same items in the same order, the producer's error at its place, and a
consumer that stops early stops the producer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from seom_desktop.inventory.read_ahead import read_ahead


def test_items_come_in_order_from_another_thread() -> None:
    threads: set[str] = set()

    def source() -> Iterator[int]:
        for n in range(50):
            threads.add(threading.current_thread().name)
            yield n

    assert list(read_ahead(source(), depth=3)) == list(range(50))
    assert threads == {"seom-read-ahead"}


def test_the_producers_error_is_raised_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 is malformed")

    got: list[int] = []
    with pytest.raises(ValueError, match="page 3"):
        for item in read_ahead(source()):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_stops_the_producer() -> None:
    produced: list[int] = []

    def source() -> Iterator[int]:
        for n in range(1000):
            produced.append(n)
            yield n

    pages = read_ahead(source(), depth=2)
    assert next(pages) == 0
    pages.close()
    time.sleep(0.3)
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count <= 5  # at most the buffer, and no more after close

"""The per-SKU report of a Send QOH / Get QOH run keeps every row as it was added."""

from __future__ import annotations

import csv
from pathlib import Path

from seom_desktop.inventory.qoh_sync import SyncItem, SyncReport, SyncStatus

AWKWARD = [
    "",
    "a, comma",
    'a "quoted" word',
    "two\nlines",
    "cr\r\nlf",
    "ünïcode ✓",
]


def _items(n: int) -> list[SyncItem]:
    statuses = list(SyncStatus)
    return [
        SyncItem(
            f"SKU{i:06d}",
            f"WEB-{i}" if i % 3 else f"SKU{i:06d}",
            None if i % 7 == 0 else i % 50,
            statuses[i % len(statuses)],
            AWKWARD[i % len(AWKWARD)],
            None if i % 5 == 0 else -(i % 9),
        )
        for i in range(n)
    ]


def test_rows_come_back_identical_in_memory_and_once_spooled_to_disk(tmp_path: Path) -> None:
    for n in (10, 80_000):  # 80,000 rows pass the 2 MB kept in memory
        items = _items(n)
        report = SyncReport("send", "Web")
        report.add_many(items[: n // 2])
        for item in items[n // 2 :]:
            report.add(item)
        try:
            assert list(report.items()) == items
            assert list(report.items()) == items  # readable more than once
            report.add(items[0])  # and still writable after a read
            assert list(report.items())[-1] == items[0]
            assert report.done == n + 1
            assert report.counts[SyncStatus.OK] == sum(
                1 for i in [*items, items[0]] if i.status is SyncStatus.OK
            )
            path = report.to_csv(tmp_path / f"report-{n}.csv")
            with path.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            assert len(rows) == n + 1
            assert rows[3]["message"] == "two\nlines"
            assert rows[4]["message"] == "cr\r\nlf"
        finally:
            report.close()

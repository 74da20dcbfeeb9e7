"""Small charts drawn with QPainter (no extra dependency): a line of values over time."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


class MiniChart(QWidget):
    """One or more series of numbers drawn as lines (or bars) in a small box, with the
    largest value and a caption. ``set_series(name, values)`` replaces a series."""

    COLORS = ("#1f6fb2", "#d9822b", "#3a9b4b", "#b23a48")

    def __init__(self, caption: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = caption
        self._series: dict[str, list[float]] = {}
        self._bars: set[str] = set()
        self.setMinimumSize(160, 80)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:
        return QSize(320, 110)

    def set_series(self, name: str, values: Sequence[float], *, bars: bool = False) -> None:
        self._series[name] = [float(v) for v in values]
        if bars:
            self._bars.add(name)
        else:
            self._bars.discard(name)
        self.update()

    def series(self, name: str) -> list[float]:
        return list(self._series.get(name, []))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.base())
        metrics = painter.fontMetrics()
        top = metrics.height() + 4
        plot = QRectF(6, top, self.width() - 12, self.height() - top - 6)
        painter.setPen(QPen(palette.mid().color()))
        painter.drawRect(plot)
        legend = [self.caption] if self.caption else []
        peak = max((max(v) for v in self._series.values() if v), default=0.0)
        for index, (name, values) in enumerate(self._series.items()):
            color = QColor(self.COLORS[index % len(self.COLORS)])
            legend.append(f"{name}: max {max(values, default=0):g}")
            if not values:
                continue
            self._draw(painter, plot, values, max(peak, 1.0), color, bars=name in self._bars)
        painter.setPen(palette.text().color())
        painter.drawText(6, metrics.ascent() + 2, "   ".join(legend))
        painter.end()

    @staticmethod
    def _draw(
        painter: QPainter,
        plot: QRectF,
        values: list[float],
        peak: float,
        color: QColor,
        *,
        bars: bool,
    ) -> None:
        low = min(0.0, *values)
        span = max(peak - low, 1.0)
        n = len(values)

        def y(value: float) -> float:
            return plot.bottom() - (value - low) / span * (plot.height() - 4) - 2

        if bars:
            width = plot.width() / max(n, 1)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            for i, value in enumerate(values):
                x = plot.left() + i * width
                painter.drawRect(
                    QRectF(x + 1, y(value), max(width - 2, 1), plot.bottom() - y(value))
                )
            return
        step = plot.width() / max(n - 1, 1)
        path = QPainterPath()
        for i, value in enumerate(values):
            point = QPointF(plot.left() + i * step, y(value))
            if i == 0:
                path.moveTo(point)
            else:
                path.lineTo(point)
        painter.setPen(QPen(color, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        if n == 1:
            painter.drawEllipse(path.currentPosition(), 2, 2)

"""The Figures tab: today's plays and visitors per hour."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.admin.widgets import (
    RowsModel,
    message,
    table,
)

log = logging.getLogger("cxkiosk.admin")


# --- figures -------------------------------------------------------------------------------------


def today_start(now: datetime | None = None) -> datetime:
    return (now or datetime.now()).replace(hour=0, minute=0, second=0, microsecond=0)


class FiguresPage(QWidget):
    """Today's plays and visitors per hour, and plays/taps per item; rebuilt when shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.totals = QLabel()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.chart = QChart()
        self.chart.setTitle("Today, per hour")
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(240)
        self.model = RowsModel(("Item", "Plays", "Taps", "Completed"), right_from=1)
        self.table = table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        top = QHBoxLayout()
        top.addWidget(self.totals, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.chart_view, 3)
        layout.addWidget(self.table, 2)
        self.report: dict[str, Any] = {}

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        from cxkiosk.report import build_report

        try:
            self.report = build_report(since=today_start())
        except Exception as exc:  # figures are a view; a database problem must not close the panel
            log.exception("figures unavailable")
            message(self.totals, f"Figures unavailable: {exc}", False)
            return
        t = self.report["totals"]
        dwell = f", average dwell {t['dwell_avg']:g} s" if t["dwell_avg"] is not None else ""
        self.totals.setText(f"Today: <b>{t['plays']}</b> plays, <b>{t['taps']}</b> taps, "
                            f"<b>{t['visitors']}</b> visitors{dwell}")
        self._fill_chart(self.report["hours"])
        self._fill_table(self.report["items"])

    def _fill_chart(self, hours: list[dict[str, Any]]) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        plays, visitors = QBarSet("Plays"), QBarSet("Visitors")
        plays.append([float(h["plays"]) for h in hours])
        visitors.append([float(h["visitors"]) for h in hours])
        series = QBarSeries()
        series.append(plays)
        series.append(visitors)
        self.chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([f"{h['hour']:02d}" for h in hours])
        y = QValueAxis()
        top = max([1.0, *(float(h["plays"]) for h in hours), *(float(h["visitors"]) for h in hours)])
        y.setRange(0, top)
        y.setLabelFormat("%d")
        y.applyNiceNumbers()
        self.chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)

    def _fill_table(self, items: list[dict[str, Any]]) -> None:
        self.model.set_rows([(row["title"], str(row["plays"]), str(row["taps"]),
                              "—" if row["completion_rate"] is None else f"{row['completion_rate']:.0%}")
                             for row in items], [row["item_id"] for row in items])

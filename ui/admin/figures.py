"""The Figures tab: plays, visitors and what targeting is worth, per period."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cxkiosk.runtime.figures import PERIODS, FiguresWorker, period_start
from cxkiosk.runtime.threads import WorkerThread
from ui.admin import widgets
from ui.admin.widgets import (
    RowsModel,
    message,
    table,
)

log = logging.getLogger("cxkiosk.admin")


# --- figures -------------------------------------------------------------------------------------


def today_start(now: datetime | None = None) -> datetime:
    return period_start("today", now)


class FiguresPage(QWidget):
    """Plays, visitors, watchers and what targeting is worth, for today / 7 / 30 days; built on
    a worker thread when shown or asked, and exportable as CSV exactly as drawn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.period = QComboBox()
        self.period.addItems(list(PERIODS))
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export)
        self.chart = QChart()
        self.chart.setTitle("Per hour of the day")
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(220)
        self.dwell_chart = QChart()
        self.dwell_chart.setTitle("How long visits lasted (s)")
        self.dwell_chart.legend().hide()
        self.dwell_view = QChartView(self.dwell_chart)
        self.segment_chart = QChart()
        self.segment_chart.setTitle("Who was there")
        self.segment_chart.legend().hide()
        self.segment_view = QChartView(self.segment_chart)
        self.uplift_chart = QChart()
        self.uplift_chart.setTitle("Taps per 100 watchers")
        self.uplift_chart.legend().hide()
        self.uplift_view = QChartView(self.uplift_chart)
        self.uplift_view.setMinimumHeight(160)
        self.model = RowsModel(("Item", "Plays", "Targeted", "Holdout", "Watchers", "Taps", "Completed"),
                               right_from=1)
        self.table = table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        top = QHBoxLayout()
        top.addWidget(self.totals, 1)
        top.addWidget(self.period)
        top.addWidget(self.refresh_button)
        top.addWidget(self.export_button)
        # The hours get most of the width: 24 labels in 3/5 of it had 23 px each and QtCharts drew
        # every one as "…" (they need 7/10, measured); the two bars beside them need the rest.
        charts = QHBoxLayout()
        charts.addWidget(self.chart_view, 7)
        charts.addWidget(self.uplift_view, 3)
        more = QHBoxLayout()
        more.addWidget(self.dwell_view)
        more.addWidget(self.segment_view)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.verdict)
        layout.addLayout(charts, 3)
        layout.addLayout(more, 2)
        layout.addWidget(self.table, 2)
        self.report: dict[str, Any] = {}
        self._thread: WorkerThread | None = None

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.stop()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop(2.0)
            self._thread = None

    def refresh(self) -> None:
        """Ask for the chosen period's figures; they arrive in `show_report`."""
        if self._thread is not None and self._thread.running:
            return
        worker = FiguresWorker(self.period.currentText())
        worker.done.connect(self.show_report)
        worker.failed.connect(self._figures_failed)  # a method, queued here: a lambda would run on the worker
        self._thread = WorkerThread(worker, "admin-figures")
        self.totals.setText("Adding up…")
        self._thread.start()

    def _figures_failed(self, reason: str) -> None:
        message(self.totals, f"Figures unavailable: {reason}", False)

    def show_report(self, report: dict[str, Any]) -> None:
        self.report = report
        t = report["totals"]
        dwell = f", average dwell {t['dwell_avg']:g} s" if t["dwell_avg"] is not None else ""
        self.totals.setText(f"{self.period.currentText().capitalize()}: <b>{t['plays']}</b> plays "
                            f"({t['targeted']} targeted, {t['holdout']} holdout), <b>{t['taps']}</b> taps, "
                            f"<b>{t['visitors']}</b> visitors, <b>{t['play_watchers']}</b> watchers{dwell}")
        overall = (report.get("uplift") or {}).get("overall") or {}
        self.verdict.setText(overall.get("verdict", ""))
        self._fill_chart(report["hours"])
        self._fill_uplift(overall)
        dwell = report.get("dwell", [])
        # Short labels: these charts have 60-80 px per bar in the panel, and QtCharts draws a label
        # that does not fit as "…" ("female 25-34" and "60 and more" did not).
        _bars(self.dwell_chart, [d["seconds"].replace(" and more", "+") for d in dwell],
              {"Visits": [float(d["visits"]) for d in dwell]}, ticks=3)
        segments = report["segments"][:5]
        _bars(self.segment_chart, [segment_label(s["gender"], s["age_band"]) for s in segments],
              {"People": [float(s["people"]) for s in segments]}, ticks=3)
        self.segment_chart.setTitle("Who was there (F women, M men)" if segments else "Who was there")
        self._fill_table(report["items"])

    def export(self, path: str | None = None) -> bool:
        """What is drawn, as the report's CSV (a spreadsheet opens it safely)."""
        from cxkiosk.report import render_csv

        if not self.report:
            message(self.totals, "Nothing to export yet.", False)
            return False
        path = path or widgets.pick_file(self, "Export figures", "CSV (*.csv)", save=True)
        if not path:
            return False
        try:
            Path(path).write_text(render_csv(self.report), encoding="utf-8", newline="")
        except OSError as exc:
            message(self.totals, f"Not exported: {exc.strerror or exc}", False)
            return False
        message(self.totals, f"Exported to {path}.", True)
        return True

    def _fill_chart(self, hours: list[dict[str, Any]]) -> None:
        _bars(self.chart, [f"{h['hour']:02d}" for h in hours],
              {key.capitalize(): [float(h.get(key, 0)) for h in hours]
               for key in ("plays", "visitors", "watchers")})

    def _fill_uplift(self, overall: dict[str, Any]) -> None:
        if not overall:
            _bars(self.uplift_chart, [], {})
            return
        _bars(self.uplift_chart, ["Targeted", "Holdout"],
              {"Taps per 100 watchers": [float(overall[side]["rate"] or 0.0)
                                         for side in ("targeted", "holdout")]},
              whole_numbers=False)

    def _fill_table(self, items: list[dict[str, Any]]) -> None:
        self.model.set_rows([(row["title"], str(row["plays"]), str(row["targeted"]), str(row["holdout"]),
                              str(row["watchers"]), str(row["taps"]),
                              "—" if row["completion_rate"] is None else f"{row['completion_rate']:.0%}")
                             for row in items], [row["item_id"] for row in items])


def segment_label(gender: str, band: str) -> str:
    """'F 25-34' for women 25-34; '?' where the gender or the age was not told."""
    sex = {"female": "F", "male": "M"}.get(gender, "?")
    return f"{sex} {'?' if band == 'unknown' else band}"


def _bars(chart: QChart, labels: list[str], sets: dict[str, list[float]], whole_numbers: bool = True,
          ticks: int = 5) -> None:
    """Bar sets (name -> one value per label) on fresh axes; nothing when there is nothing.
    `ticks`: value-axis lines (a short chart has room for 3 labels; QtCharts cuts crowded ones)."""
    chart.removeAllSeries()
    for axis in chart.axes():
        chart.removeAxis(axis)
    if not labels:
        return
    series = QBarSeries()
    for name, values in sets.items():
        bars = QBarSet(name)
        bars.append(values)
        series.append(bars)
    chart.addSeries(series)
    x = QBarCategoryAxis()
    x.append(labels)
    y = QValueAxis()
    y.setRange(0, max([1.0, *(v for values in sets.values() for v in values)]))
    if whole_numbers:
        y.setLabelFormat("%d")
    y.setTickCount(ticks)
    y.applyNiceNumbers()
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x)
    series.attachAxis(y)

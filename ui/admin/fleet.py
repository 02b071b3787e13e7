"""The Fleet tab: this kiosk's link to the fleet's server and the fleet list, the kiosks that need
a visit (down, then degraded) first and coloured, as a signage CMS lists its displays.

It shows values only (`set_status(FleetStatus)`, sent by the fleet worker): the GUI thread never
waits for the server.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QVBoxLayout, QWidget

from cxkiosk.config import Settings
from cxkiosk.content.database import SERVER_SCHEMES
from cxkiosk.fleet.heartbeat import in_fleet_order
from cxkiosk.fleet.status import STATES, FleetStatus, KioskState
from ui.admin.widgets import ERROR_STYLE, OK_STYLE, Index, RowsModel, note, table

HEADERS = ("Kiosk", "Name", "State", "Last seen", "Version", "Playable", "Queued", "Problems")
# Row colours by state: red needs a visit, amber needs a look, green is fine.
COLOURS = {"down": "#f8d7da", "degraded": "#fff3cd", "ok": "#e3f1e5"}
NOT_IN_FLEET = ("This kiosk is not in a fleet: it plays and records on its own. To join one, set its "
                "database to the fleet's PostgreSQL URL (see FLEET.md in the documentation).")
WAITING = "Fleet database: not reached yet; the fleet list appears once the server answers."
NO_KIOSKS = "No kiosk of the fleet has reported yet."


def in_a_fleet(settings: Settings) -> bool:
    """A kiosk is in a fleet when its database is a server's URL (postgresql://...)."""
    return settings.db.strip().partition("://")[0].lower() in SERVER_SCHEMES


def seen_text(seen: datetime, now: datetime | None = None) -> str:
    today = (now or datetime.now()).date()
    return f"{seen:%H:%M}" if seen.date() == today else f"{seen:%Y-%m-%d %H:%M}"


class FleetModel(RowsModel):
    """The fleet list, each row coloured by its kiosk's state."""

    def __init__(self) -> None:
        super().__init__(HEADERS, right_from=None)
        self.states: list[str] = []

    def set_kiosks(self, kiosks: list[KioskState], now: datetime | None = None) -> None:
        self.states = [k.state for k in kiosks]
        self.set_rows([(k.kiosk, k.name, k.state, seen_text(k.seen, now), k.version, str(k.playable),
                        str(k.queued), "; ".join(k.problems) or "–") for k in kiosks],
                      keys=[k.kiosk for k in kiosks])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(COLOURS.get(self.states[index.row()], "#ffffff")))
        if index.isValid() and role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor("#1d2430"))  # dark on the light colours, whatever the theme
        if index.isValid() and role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (5, 6):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return super().data(index, role)


class FleetPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = QLabel(NOT_IN_FLEET)
        self.line.setWordWrap(True)
        self.detail = note("")
        self.summary = QLabel()
        self.model = FleetModel()
        self.table = table(self.model)
        header = self.table.horizontalHeader()
        for column in range(len(HEADERS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        for label in (self.line, self.detail, self.summary):
            label.setTextFormat(Qt.TextFormat.PlainText)  # a server's error text is no markup
        layout = QVBoxLayout(self)
        layout.addWidget(self.line)
        layout.addWidget(self.detail)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.in_fleet = False
        self.status: FleetStatus | None = None
        self._show()

    def load(self, settings: Settings) -> None:
        self.in_fleet = in_a_fleet(settings)
        self._show()

    @Slot(object)
    def set_status(self, status: FleetStatus) -> None:
        """The fleet worker's latest word: the link's line and the fleet list as last read."""
        self.status = status
        self.in_fleet = True
        self._show()

    def _show(self, now: datetime | None = None) -> None:
        status = self.status
        visible = self.in_fleet
        for widget in (self.detail, self.summary, self.table):
            widget.setVisible(visible)
        if not visible:
            self.line.setText(NOT_IN_FLEET)
            self.line.setStyleSheet("")
            return
        if status is None:
            self.line.setText(WAITING)
            self.line.setStyleSheet("")
            self.detail.setText("")
            self.model.set_kiosks([])
            self.summary.setText("")
            return
        self.line.setText(status.line()[:1].upper() + status.line()[1:])
        self.line.setStyleSheet(OK_STYLE if status.connected else ERROR_STYLE)
        details = []
        if status.problem:
            details.append(status.problem)
        if status.synced is not None:
            details.append(f"content and prompts copied {seen_text(status.synced, now)}")
        self.detail.setText("; ".join(details))
        self.detail.setVisible(bool(details))
        kiosks = in_fleet_order(status.kiosks)
        self.model.set_kiosks(kiosks, now)
        counts = Counter(k.state for k in kiosks)
        plural = "s" if len(kiosks) != 1 else ""
        self.summary.setText(f"{len(kiosks)} kiosk{plural}: " + ", ".join(f"{counts[s]} {s}" for s in STATES)
                             if kiosks else NO_KIOSKS)

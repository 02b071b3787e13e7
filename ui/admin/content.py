"""The Content tab: the items and how each fares on screen (health, "Retry now"), whether
YouTube accepts this kiosk, an editor that validates links, import and export."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cxkiosk.content import library
from cxkiosk.content.database import Content
from cxkiosk.content.library import ContentError
from cxkiosk.content.playlist import ItemHealth
from cxkiosk.content.targeting import parse_description
from cxkiosk.content.transfer import (
    ContentFileError,
    format_days,
)
from cxkiosk.content.youtube import youtube_status
from cxkiosk.links import HTTPS_ONLY, LinkError, LinkPolicy
from cxkiosk.values import KINDS
from ui.admin import widgets
from ui.admin.widgets import (
    ERROR_STYLE,
    Index,
    RowsModel,
    message,
    pair,
    table,
)

log = logging.getLogger("cxkiosk.admin")


# --- content -------------------------------------------------------------------------------------

GENDER_CHOICES = (("", "Anyone"), ("female", "Women"), ("male", "Men"), ("female,male", "Women and men"))


class _OptionalInt(QSpinBox):
    """A spin box whose lowest value reads 'any' and means None."""

    def __init__(self, lo: int, hi: int) -> None:
        super().__init__()
        self.setRange(lo - 1, hi)
        self.setSpecialValueText("any")
        self.setValue(lo - 1)

    def get(self) -> int | None:
        return None if self.value() == self.minimum() else self.value()

    def put(self, value: int | None) -> None:
        self.setValue(self.minimum() if value is None else value)


class ContentEditor(QDialog):
    """Add or edit one Content row. A bad value shows its reason here and nothing is written."""

    saved = Signal(int)  # the row id

    def __init__(self, parent: QWidget | None, row: Content | None = None,
                 policy: LinkPolicy = HTTPS_ONLY) -> None:
        super().__init__(parent)
        self.policy = policy
        self.row_id = row.id if row is not None else None
        self.setWindowTitle("Edit item" if row is not None else "Add item")
        self.setMinimumWidth(560)
        form = QFormLayout()
        self.title = QLineEdit()
        self.kind = QComboBox()
        self.kind.addItems(KINDS)
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://www.youtube.com/watch?v=… or https://example.com/page")
        self.url_check = QLabel()
        self.path = QLineEdit()
        self.path.setPlaceholderText("local video or slide file (video/slide items)")
        self.description = QPlainTextEdit()
        self.description.setFixedHeight(60)
        self.read_targeting = QLabel()  # what the description says to the selector
        self.read_targeting.setWordWrap(True)
        self.use_read = QPushButton("Use this targeting")
        self.use_read.clicked.connect(self._use_read_targeting)
        self.tagline = QLineEdit()
        self.duration = QDoubleSpinBox()
        self.duration.setRange(1, 24 * 3600)
        self.duration.setSuffix(" s")
        self.genders = QComboBox()
        for value, label in GENDER_CHOICES:
            self.genders.addItem(label, value)
        self.age_min, self.age_max = _OptionalInt(0, 120), _OptionalInt(0, 120)
        self.group_min, self.group_max = _OptionalInt(1, 50), _OptionalInt(1, 50)
        self.keywords = QLineEdit()
        self.keywords.setPlaceholderText("suit, glasses, long hair")
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0, 1000)
        self.enabled = QCheckBox("Enabled")
        self.idle = QCheckBox("In the idle playlist")
        self.captions = QCheckBox("Generated caption (else the tagline)")
        self.date_from, self.date_to = QLineEdit(), QLineEdit()
        for w in (self.date_from, self.date_to):
            w.setPlaceholderText("YYYY-MM-DD (empty: no limit)")
        self.days = QLineEdit()
        self.days.setPlaceholderText("mon,tue or weekend/weekdays (empty: every day)")
        self.hour_from, self.hour_to = _OptionalInt(0, 23), _OptionalInt(0, 24)

        form.addRow("Title", self.title)
        form.addRow("Kind", self.kind)
        form.addRow("Link", self.url)
        form.addRow("", self.url_check)
        form.addRow("File", self.path)
        form.addRow("Description", self.description)
        form.addRow("", pair(self.read_targeting, self.use_read))
        form.addRow("Tagline", self.tagline)
        form.addRow("Duration", self.duration)
        form.addRow("Gender", self.genders)
        form.addRow("Age from / to", pair(self.age_min, self.age_max))
        form.addRow("Group size from / to", pair(self.group_min, self.group_max))
        form.addRow("Keywords", self.keywords)
        form.addRow("Weight", self.weight)
        form.addRow("", pair(self.enabled, self.idle))
        form.addRow("", self.captions)
        form.addRow("Dates from / to", pair(self.date_from, self.date_to))
        form.addRow("Days", self.days)
        form.addRow("Hours from / to", pair(self.hour_from, self.hour_to))

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        std = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(std.Save | std.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.url.textChanged.connect(self._check_url)
        self.description.textChanged.connect(self._show_read_targeting)
        self._fill(row)
        self._show_read_targeting()

    def _fill(self, row: Content | None) -> None:
        self.duration.setValue(10.0)
        self.weight.setValue(1.0)
        self.enabled.setChecked(True)
        self.idle.setChecked(True)
        self.captions.setChecked(True)
        if row is None:
            return
        self.title.setText(row.title)
        self.kind.setCurrentText(row.kind)
        self.url.setText(row.url)
        self.path.setText(row.path)
        self.description.setPlainText(row.description)
        self.tagline.setText(row.tagline)
        self.duration.setValue(row.duration)
        self.genders.setCurrentIndex(max(0, self.genders.findData(row.genders)))
        self.age_min.put(row.age_min)
        self.age_max.put(row.age_max)
        self.group_min.put(row.group_min)
        self.group_max.put(row.group_max)
        self.keywords.setText(", ".join(row.keyword_list))
        self.weight.setValue(row.weight)
        self.enabled.setChecked(bool(row.enabled))
        self.idle.setChecked(bool(row.idle))
        self.captions.setChecked(bool(row.captions))
        self.date_from.setText(row.date_from.isoformat() if row.date_from else "")
        self.date_to.setText(row.date_to.isoformat() if row.date_to else "")
        self.days.setText(format_days(row.days or ""))
        self.hour_from.put(row.hour_from)
        self.hour_to.put(row.hour_to)

    def _show_read_targeting(self) -> None:
        """What the description says (as an imported seed row would target), for the operator to
        check and, with one click, put into the fields."""
        read = parse_description(self.description.toPlainText())
        parts = [_who_text(read.genders, read.age_min, read.age_max, read.group_min, read.group_max)]
        if read.keywords:
            parts.append(read.keywords.replace(",", ", "))
        text = "; ".join(p for p in parts if p)
        self.read_targeting.setText(f"The description reads as: {text}" if text else
                                    "The description names no audience.")
        self.use_read.setEnabled(bool(text))

    def _use_read_targeting(self) -> None:
        read = parse_description(self.description.toPlainText())
        self.genders.setCurrentIndex(max(0, self.genders.findData(read.genders)))
        self.age_min.put(read.age_min)
        self.age_max.put(read.age_max)
        self.group_min.put(read.group_min)
        self.group_max.put(read.group_max)
        self.keywords.setText(read.keywords.replace(",", ", "))

    def _check_url(self, text: str) -> None:
        if not text.strip():
            message(self.url_check, "")
            return
        try:
            self.policy.stored(text)
            link = self.policy.resolve(text) or f"nothing yet: {text.strip()} needs the showroom_page setting"
            message(self.url_check, f"plays/pushes {link}", True)
        except LinkError as exc:
            message(self.url_check, f"not a usable link: {exc}", False)

    def values(self) -> dict[str, Any]:
        """The form as raw item fields, for content_io.clean_row."""
        return {
            "title": self.title.text(), "kind": self.kind.currentText(), "url": self.url.text(),
            "path": self.path.text(), "description": self.description.toPlainText(),
            "tagline": self.tagline.text(), "duration": self.duration.value(),
            "genders": self.genders.currentData(), "age_min": self.age_min.get(),
            "age_max": self.age_max.get(), "group_min": self.group_min.get(),
            "group_max": self.group_max.get(),
            "keywords": self.keywords.text(), "weight": self.weight.value(),
            "enabled": self.enabled.isChecked(), "idle": self.idle.isChecked(),
            "captions": self.captions.isChecked(),
            "date_from": self.date_from.text(), "date_to": self.date_to.text(), "days": self.days.text(),
            "hour_from": self.hour_from.get(), "hour_to": self.hour_to.get(),
        }

    def save(self) -> bool:
        """Validate and write; on a problem the dialog stays open with the reason and every value."""
        try:
            self.row_id = library.save(self.values(), self.row_id, self.policy)
        except ContentError as exc:
            message(self.error, f"Not saved: {exc}", False)
            return False
        self.saved.emit(self.row_id)
        self.accept()
        return True


def _who(row: Content) -> str:
    parts = [dict(GENDER_CHOICES).get(row.genders, row.genders)]
    if row.age_min is not None or row.age_max is not None:
        parts.append(f"{row.age_min if row.age_min is not None else ''}–"
                     f"{row.age_max if row.age_max is not None else ''}")
    if row.group_min or row.group_max:
        parts.append(f"groups {row.group_min or 1}–{row.group_max or ''}")
    return ", ".join(parts)


def _who_text(genders: str, age_min: int | None, age_max: int | None, group_min: int | None,
              group_max: int | None) -> str:
    parts = [dict(GENDER_CHOICES).get(genders, genders)] if genders else []
    if age_min is not None or age_max is not None:
        parts.append(f"age {age_min if age_min is not None else ''}–{age_max if age_max is not None else ''}")
    if group_min or group_max:
        parts.append(f"groups {group_min or 1}–{group_max or ''}")
    return ", ".join(parts)


def _when(row: Content) -> str:
    parts = []
    if row.date_from or row.date_to:
        parts.append(f"{row.date_from or '…'} to {row.date_to or '…'}")
    if row.days:
        parts.append(format_days(row.days))
    if row.hour_from is not None or row.hour_to is not None:
        parts.append(f"{row.hour_from or 0:02d}–{row.hour_to if row.hour_to is not None else 24:02d} h")
    return "; ".join(parts) or "always"


def _clock(at: datetime, now: datetime) -> str:
    return f"{at:%H:%M}" if at.date() == now.date() else f"{at:%d %b %H:%M}"


def health_text(health: ItemHealth | None, now: datetime | None = None) -> str:
    """The operator's sentence for an item's health: "playing fine", or since when it fails,
    why, and when it is tried again."""
    if health is None or health.failing_since is None:
        return "playing fine"
    now = now or datetime.now()
    parts = [f"failing since {_clock(health.failing_since, now)}", health.reason or "no reason given"]
    if health.failures > 1:
        parts.append(f"failed {health.failures} times")
    retry = health.next_retry
    parts.append(f"next try {_clock(retry, now)}" if retry is not None and retry > now
                 else "tried again on its next turn")
    return " — ".join(parts)


class ContentModel(RowsModel):
    """Content rows; the 'On' column is a check box the operator can flip; 'Health' follows the
    billboard (`set_health`) without a reload."""

    toggled = Signal(int, bool)  # row id, enabled
    ON_COLUMN = 3
    HEALTH_COLUMN = 4

    def __init__(self) -> None:
        super().__init__(("Title", "Kind", "Link / file", "On", "Health", "Idle", "Who", "Keywords", "Weight",
                          "When"))
        self.enabled: list[bool] = []
        self.health: dict[int, ItemHealth] = {}  # failing items only

    def set_content(self, rows: list[Content]) -> None:
        self.enabled = [bool(r.enabled) for r in rows]
        self.set_rows([(r.title, r.kind, r.url or r.path, "", "", "yes" if r.idle else "no", _who(r),
                        ", ".join(r.keyword_list), f"{r.weight:g}", _when(r)) for r in rows],
                      [r.id for r in rows])

    def set_health(self, health: ItemHealth) -> None:
        if health.failing:
            self.health[health.item_id] = health
        else:
            self.health.pop(health.item_id, None)
        if health.item_id in self.keys:
            cell = self.index(self.keys.index(health.item_id), self.HEALTH_COLUMN)
            self.dataChanged.emit(cell, cell)

    def health_cell(self, row: int) -> str:
        health = self.health.get(self.keys[row])
        if health is not None:
            return f"failing since {_clock(health.failing_since or datetime.now(), datetime.now())}"
        return "playing fine" if self.enabled[row] else "off"

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == self.ON_COLUMN:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and index.column() == self.ON_COLUMN and role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if self.enabled[index.row()] else Qt.CheckState.Unchecked
        if index.isValid() and index.column() == self.HEALTH_COLUMN:
            failing = self.keys[index.row()] in self.health
            if role == Qt.ItemDataRole.DisplayRole:
                return self.health_cell(index.row())
            if role == Qt.ItemDataRole.ToolTipRole:
                return health_text(self.health.get(self.keys[index.row()]))
            if role == Qt.ItemDataRole.ForegroundRole and failing:  # only what needs the operator stands out
                return QColor("#b00020")
        return super().data(index, role)

    def setData(self, index: Index, value: Any,  # noqa: N802 - Qt override
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != self.ON_COLUMN or role != Qt.ItemDataRole.CheckStateRole:
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked if isinstance(value, int) \
            else value == Qt.CheckState.Checked
        self.toggled.emit(self.keys[index.row()], on)  # the page writes it and reloads
        return True


class ContentPage(QWidget):
    changed = Signal()
    retry_requested = Signal(int)  # item id: the operator pressed "Retry now"
    ON_COLUMN = ContentModel.ON_COLUMN
    HEALTH_COLUMN = ContentModel.HEALTH_COLUMN

    def __init__(self, parent: QWidget | None = None, policy: LinkPolicy = HTTPS_ONLY) -> None:
        super().__init__(parent)
        self.policy = policy  # the settings' link policy, for edits and imports
        self.model = ContentModel()
        self.model.toggled.connect(self._on_toggled)
        self.table = table(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.add_button = QPushButton("Add…")
        self.edit_button = QPushButton("Edit…")
        self.delete_button = QPushButton("Delete")
        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.import_button.clicked.connect(self.import_dialog)
        self.export_button.clicked.connect(self.export_dialog)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.export_button)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.errors = QPlainTextEdit()
        self.errors.setReadOnly(True)
        self.errors.setMaximumHeight(110)
        self.errors.hide()
        # The selected item's health in full, and the one thing to do about it.
        self.health_line = QLabel()
        self.health_line.setWordWrap(True)
        self.health_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Retry now")
        self.retry_button.setToolTip("Play this item again next, instead of waiting for its next try")
        self.retry_button.clicked.connect(self.retry_selected)
        health = QHBoxLayout()
        health.addWidget(self.health_line, 1)
        health.addWidget(self.retry_button)
        self.youtube = QLabel()  # whether YouTube accepts this kiosk, as `check` says it
        self.youtube.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addLayout(health)
        layout.addWidget(self.youtube)
        layout.addWidget(self.status)
        layout.addWidget(self.errors)
        self.editor: ContentEditor | None = None
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected_health())
        self.reload()

    # -- health: shown as the programme reports it, never polled ---------------------------------

    def set_health(self, healths: Iterable[ItemHealth]) -> None:
        """Every failing item's health at once (when the panel opens)."""
        for health in list(self.model.health.values()):
            self.model.set_health(ItemHealth(health.item_id))
        for health in healths:
            self.model.set_health(health)
        self._show_selected_health()

    def show_health(self, health: ItemHealth) -> None:
        """One item started failing, failed again, was retried or plays again."""
        self.model.set_health(health)
        self._show_selected_health()
        self._show_youtube()

    def health_of(self, row_id: int) -> str:
        """The health sentence the panel shows for this item."""
        return health_text(self.model.health.get(row_id))

    def _show_selected_health(self) -> None:
        row_id = self.selected_id()
        failing = len(self.model.health)
        if row_id is None:
            items = f"{failing} item{'s' if failing != 1 else ''}"
            message(self.health_line, f"{items} failing on screen: select one to see why and retry it."
                    if failing else "Every item plays fine on screen.", None if failing else True)
            self.retry_button.setEnabled(False)
            return
        title = self.model.rows[self.model.keys.index(row_id)][0]
        health = self.model.health.get(row_id)
        message(self.health_line, f"“{title}”: {health_text(health)}", health is None)
        self.retry_button.setEnabled(health is not None)

    def retry_selected(self) -> None:
        row_id = self.selected_id()
        if row_id is not None and row_id in self.model.health:
            self.retry_requested.emit(row_id)

    def _show_youtube(self) -> None:
        try:
            ok, line = youtube_status()
        except Exception as exc:  # the database went away: say so, keep the panel up
            ok, line = False, f"proof of play cannot be read ({exc})"
        message(self.youtube, f"YouTube: {line}", True if ok else False)

    def reload(self) -> None:
        try:
            self.model.set_content(library.items())
            readonly = library.is_readonly()
        except Exception as exc:  # no database bound, or it went away: say so, keep the panel up
            log.exception("content list unavailable")
            self.model.set_content([])
            readonly = True
            message(self.status, f"The content database cannot be read: {exc}", False)
        for b in (self.add_button, self.edit_button, self.delete_button, self.import_button):
            b.setEnabled(not readonly)
        if readonly:
            message(self.status, "The database is open read-only (see the Devices tab's database status); "
                                  "content cannot be changed until that is fixed.", False)
        self._show_youtube()
        self._show_selected_health()

    def row_ids(self) -> list[int]:
        return list(self.model.keys)

    def select_id(self, row_id: int) -> None:
        if row_id in self.model.keys:
            self.table.selectRow(self.model.keys.index(row_id))

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.keys[rows[0].row()] if rows else None

    def _open_editor(self, row: Content | None) -> ContentEditor:
        self.editor = ContentEditor(self, row, self.policy)
        self.editor.saved.connect(self._on_saved)
        self.editor.open()  # window-modal, does not block the event loop
        return self.editor

    def add(self) -> ContentEditor:
        return self._open_editor(None)

    def edit_selected(self) -> ContentEditor | None:
        row_id = self.selected_id()
        if row_id is None:
            message(self.status, "Select an item to edit first.", False)
            return None
        row = library.get(row_id)
        if row is None:
            self.reload()
            message(self.status, "That item no longer exists; the list is reloaded.", False)
            return None
        return self._open_editor(row)

    def _on_saved(self, row_id: int) -> None:
        self.reload()
        self.select_id(row_id)
        message(self.status, "Saved.", True)
        self.changed.emit()

    def delete_selected(self) -> None:
        row_id = self.selected_id()
        if row_id is None:
            message(self.status, "Select an item to delete first.", False)
            return
        row = library.get(row_id)
        if row is None or not widgets.ask(self, "Delete item", f"Delete “{row.title}”? Its play figures "
                                          "stay, listed as a deleted item."):
            return
        try:
            library.delete(row_id)
        except ContentError as exc:
            message(self.status, f"Not deleted: {exc}", False)
            return
        self.reload()
        message(self.status, f"Deleted “{row.title}”.", True)
        self.changed.emit()

    def _on_toggled(self, row_id: int, on: bool) -> None:
        try:
            library.set_enabled(row_id, on)
        except ContentError as exc:
            message(self.status, f"Not changed: {exc}", False)
            return
        self.reload()
        self.select_id(row_id)
        message(self.status, "Item enabled." if on else "Item disabled: it will not play.", True)
        self.changed.emit()

    def import_dialog(self) -> None:
        path = widgets.pick_file(self, "Import content", "Content (*.csv *.json *.db *.sqlite *.sqlite3)",
                                 False)
        if path:
            self.import_path(path)

    def import_path(self, path: str) -> None:
        try:
            result = library.import_file(path, self.policy)
        except (ContentFileError, ContentError, OSError) as exc:
            message(self.status, f"Nothing imported: {exc}", False)
            self.errors.hide()
            return
        self.reload()
        message(self.status, f"Imported {path}: {result.summary()}.", not result.errors)
        self.errors.setPlainText("\n".join(result.errors))
        self.errors.setVisible(bool(result.errors))
        if result.added or result.updated:
            self.changed.emit()

    def export_dialog(self) -> None:
        path = widgets.pick_file(self, "Export content", "CSV (*.csv);;JSON (*.json);;Seed database (*.db)",
                                 True)
        if path:
            self.export_path(path)

    def export_path(self, path: str) -> None:
        try:
            count = library.export_file(path)
        except (ContentFileError, ContentError, OSError) as exc:
            message(self.status, f"Not exported: {exc}", False)
            return
        message(self.status, f"Exported {count} items to {path}.", True)

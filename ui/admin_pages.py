"""The admin panel's tabs, one class each. They show and forward; the core does the work.

Content and prompts are written to the database when the operator presses their buttons (small
queries on the GUI thread). Devices, provider and privacy edit a Settings copy that the panel's
Save button writes. Dialogs that need an answer go through `ask` and `pick_file` so tests can
answer them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np
import peewee
from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cxkiosk.config import Settings
from cxkiosk.content import database
from cxkiosk.content.database import Content
from cxkiosk.content.transfer import (
    ContentFileError,
    RowError,
    clean_row,
    export_file,
    format_days,
    import_file,
)
from cxkiosk.items import KINDS, LinkError, normalize_url
from cxkiosk.profiling.providers import PRESETS
from cxkiosk.runtime.threads import Worker

log = logging.getLogger("cxkiosk.admin")

ERROR_STYLE = "color: #b00020;"
OK_STYLE = "color: #1b6e20;"
MUTED_STYLE = "color: #555;"


# --- answers from the operator (replaced in tests) ----------------------------------------------


def ask(parent: QWidget, title: str, text: str) -> bool:
    """Yes/No question; No is the default so a stray Enter changes nothing."""
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes
                                  | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def pick_file(parent: QWidget, title: str, filters: str, save: bool) -> str:
    """A path chosen in a file dialog, or "" when cancelled."""
    if save:
        path, _ = QFileDialog.getSaveFileName(parent, title, "content.csv", filters)
    else:
        path, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    return path


def _message(label: QLabel, text: str, ok: bool | None = None) -> None:
    label.setText(text)
    label.setStyleSheet(MUTED_STYLE if ok is None else OK_STYLE if ok else ERROR_STYLE)


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(MUTED_STYLE)
    return label


# --- tables --------------------------------------------------------------------------------------

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """Read-only rows of text for a QTableView.

    A model rather than a QTableWidget: filling a widget costs a few Qt calls per cell, and every
    void call in PySide6 6.12 on Python 3.11 drops a reference to None, so a large table would
    bring the interpreter down; a model costs one reset per reload.
    """

    def __init__(self, headers: tuple[str, ...], right_from: int | None = None) -> None:
        super().__init__()
        self.headers = headers
        self.right_from = right_from  # columns from here on are numbers, aligned right
        self.rows: list[tuple[str, ...]] = []
        self.keys: list[Any] = []

    def set_rows(self, rows: list[tuple[str, ...]], keys: list[Any] | None = None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.keys = keys if keys is not None else list(range(len(rows)))
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):  # tooltip: cut-off links
            return self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and self.right_from is not None \
                and index.column() >= self.right_from:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt override
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None


def _table(model: RowsModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    return view


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

    def __init__(self, parent: QWidget | None, row: Content | None = None) -> None:
        super().__init__(parent)
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
        form.addRow("Tagline", self.tagline)
        form.addRow("Duration", self.duration)
        form.addRow("Gender", self.genders)
        form.addRow("Age from / to", _pair(self.age_min, self.age_max))
        form.addRow("Group size from / to", _pair(self.group_min, self.group_max))
        form.addRow("Keywords", self.keywords)
        form.addRow("Weight", self.weight)
        form.addRow("", _pair(self.enabled, self.idle))
        form.addRow("Dates from / to", _pair(self.date_from, self.date_to))
        form.addRow("Days", self.days)
        form.addRow("Hours from / to", _pair(self.hour_from, self.hour_to))

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
        self._fill(row)

    def _fill(self, row: Content | None) -> None:
        self.duration.setValue(10.0)
        self.weight.setValue(1.0)
        self.enabled.setChecked(True)
        self.idle.setChecked(True)
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
        self.date_from.setText(row.date_from.isoformat() if row.date_from else "")
        self.date_to.setText(row.date_to.isoformat() if row.date_to else "")
        self.days.setText(format_days(row.days or ""))
        self.hour_from.put(row.hour_from)
        self.hour_to.put(row.hour_to)

    def _check_url(self, text: str) -> None:
        if not text.strip():
            _message(self.url_check, "")
            return
        try:
            _message(self.url_check, f"plays/pushes {normalize_url(text)}", True)
        except LinkError as exc:
            _message(self.url_check, f"not a usable link: {exc}", False)

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
            "date_from": self.date_from.text(), "date_to": self.date_to.text(), "days": self.days.text(),
            "hour_from": self.hour_from.get(), "hour_to": self.hour_to.get(),
        }

    def save(self) -> bool:
        """Validate and write; on a problem the dialog stays open with the reason and every value."""
        try:
            row = clean_row(self.values())
        except RowError as exc:
            _message(self.error, f"Not saved: {exc}", False)
            return False
        try:
            with database.database.atomic():
                if self.row_id is None:
                    self.row_id = Content.create(**row).id
                else:
                    Content.update(**row, updated=database.now()).where(Content.id == self.row_id).execute()
        except peewee.IntegrityError:
            _message(self.error, "Not saved: another item already has this link and file", False)
            return False
        except LinkError as exc:
            _message(self.error, f"Not saved: url: {exc}", False)
            return False
        except peewee.PeeweeException as exc:
            _message(self.error, f"Not saved: the database refused the change ({exc})", False)
            return False
        self.saved.emit(self.row_id)
        self.accept()
        return True


def _pair(a: QWidget, b: QWidget) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(a)
    lay.addWidget(b)
    return box


def _who(row: Content) -> str:
    parts = [dict(GENDER_CHOICES).get(row.genders, row.genders)]
    if row.age_min is not None or row.age_max is not None:
        parts.append(f"{row.age_min if row.age_min is not None else ''}–"
                     f"{row.age_max if row.age_max is not None else ''}")
    if row.group_min or row.group_max:
        parts.append(f"groups {row.group_min or 1}–{row.group_max or ''}")
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


class ContentModel(RowsModel):
    """Content rows; the 'On' column is a check box the operator can flip."""

    toggled = Signal(int, bool)  # row id, enabled
    ON_COLUMN = 3

    def __init__(self) -> None:
        super().__init__(("Title", "Kind", "Link / file", "On", "Idle", "Who", "Keywords", "Weight", "When"))
        self.enabled: list[bool] = []

    def set_content(self, rows: list[Content]) -> None:
        self.enabled = [bool(r.enabled) for r in rows]
        self.set_rows([(r.title, r.kind, r.url or r.path, "", "yes" if r.idle else "no", _who(r),
                        ", ".join(r.keyword_list), f"{r.weight:g}", _when(r)) for r in rows],
                      [r.id for r in rows])

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == self.ON_COLUMN:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and index.column() == self.ON_COLUMN and role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if self.enabled[index.row()] else Qt.CheckState.Unchecked
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
    ON_COLUMN = ContentModel.ON_COLUMN

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ContentModel()
        self.model.toggled.connect(self._on_toggled)
        self.table = _table(self.model)
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
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.errors)
        self.editor: ContentEditor | None = None
        self.reload()

    def reload(self) -> None:
        try:
            self.model.set_content(list(Content.select().order_by(Content.id)))
            readonly = database.is_readonly()
        except Exception as exc:  # no database bound, or it went away: say so, keep the panel up
            log.exception("content list unavailable")
            self.model.set_content([])
            readonly = True
            _message(self.status, f"The content database cannot be read: {exc}", False)
        for b in (self.add_button, self.edit_button, self.delete_button, self.import_button):
            b.setEnabled(not readonly)
        if readonly:
            _message(self.status, "The database is open read-only (see the Devices tab's database status); "
                                  "content cannot be changed until that is fixed.", False)

    def row_ids(self) -> list[int]:
        return list(self.model.keys)

    def select_id(self, row_id: int) -> None:
        if row_id in self.model.keys:
            self.table.selectRow(self.model.keys.index(row_id))

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.keys[rows[0].row()] if rows else None

    def _open_editor(self, row: Content | None) -> ContentEditor:
        self.editor = ContentEditor(self, row)
        self.editor.saved.connect(self._on_saved)
        self.editor.open()  # window-modal, does not block the event loop
        return self.editor

    def add(self) -> ContentEditor:
        return self._open_editor(None)

    def edit_selected(self) -> ContentEditor | None:
        row_id = self.selected_id()
        if row_id is None:
            _message(self.status, "Select an item to edit first.", False)
            return None
        row = Content.get_or_none(Content.id == row_id)
        if row is None:
            self.reload()
            _message(self.status, "That item no longer exists; the list is reloaded.", False)
            return None
        return self._open_editor(row)

    def _on_saved(self, row_id: int) -> None:
        self.reload()
        self.select_id(row_id)
        _message(self.status, "Saved.", True)
        self.changed.emit()

    def delete_selected(self) -> None:
        row_id = self.selected_id()
        if row_id is None:
            _message(self.status, "Select an item to delete first.", False)
            return
        row = Content.get_or_none(Content.id == row_id)
        if row is None or not ask(self, "Delete item", f"Delete “{row.title}”? Its play figures stay, "
                                                       "listed as a deleted item."):
            return
        Content.delete().where(Content.id == row_id).execute()
        self.reload()
        _message(self.status, f"Deleted “{row.title}”.", True)
        self.changed.emit()

    def _on_toggled(self, row_id: int, on: bool) -> None:
        try:
            Content.update(enabled=on, updated=database.now()).where(Content.id == row_id).execute()
        except peewee.PeeweeException as exc:
            _message(self.status, f"Not changed: the database refused ({exc})", False)
            return
        self.reload()
        self.select_id(row_id)
        _message(self.status, "Item enabled." if on else "Item disabled: it will not play.", True)
        self.changed.emit()

    def import_dialog(self) -> None:
        path = pick_file(self, "Import content", "Content (*.csv *.json *.db *.sqlite *.sqlite3)", False)
        if path:
            self.import_path(path)

    def import_path(self, path: str) -> None:
        try:
            result = import_file(path)
        except (ContentFileError, OSError, peewee.PeeweeException) as exc:
            _message(self.status, f"Nothing imported: {exc}", False)
            self.errors.hide()
            return
        self.reload()
        _message(self.status, f"Imported {path}: {result.summary()}.", not result.errors)
        self.errors.setPlainText("\n".join(result.errors))
        self.errors.setVisible(bool(result.errors))
        if result.added or result.updated:
            self.changed.emit()

    def export_dialog(self) -> None:
        path = pick_file(self, "Export content", "CSV (*.csv);;JSON (*.json);;Seed database (*.db)", True)
        if path:
            self.export_path(path)

    def export_path(self, path: str) -> None:
        try:
            count = export_file(path)
        except (ContentFileError, OSError, peewee.PeeweeException) as exc:
            _message(self.status, f"Not exported: {exc}", False)
            return
        _message(self.status, f"Exported {count} items to {path}.", True)


# --- prompts -------------------------------------------------------------------------------------


class PromptsPage(QWidget):
    """Active prompt per source, edits saved as new versions, earlier versions re-activated."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = QComboBox()
        self.source.addItems(database.PROMPT_SOURCES)
        self.active = QLabel()
        self.names = QListWidget()
        self.versions = QListWidget()
        self.name = QLineEdit()
        self.text = QPlainTextEdit()
        self.save_button = QPushButton("Save as new version (and use it)")
        self.activate_button = QPushButton("Use selected version")
        self.status = QLabel()
        self.status.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Prompts for"))
        top.addWidget(self.source)
        top.addWidget(self.active, 1)
        lists = QVBoxLayout()
        lists.addWidget(QLabel("Prompts"))
        lists.addWidget(self.names, 1)
        lists.addWidget(QLabel("Versions (newest first)"))
        lists.addWidget(self.versions, 1)
        lists.addWidget(self.activate_button)
        edit = QVBoxLayout()
        form = QFormLayout()
        form.addRow("Name", self.name)
        edit.addLayout(form)
        edit.addWidget(self.text, 1)
        edit.addWidget(self.save_button)
        body = QHBoxLayout()
        body.addLayout(lists, 1)
        body.addLayout(edit, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        layout.addWidget(_note("The model reads the active prompt at every call, so a change applies to "
                               "the next visitor. Saving keeps every earlier version."))
        layout.addWidget(self.status)

        self.source.currentTextChanged.connect(lambda _s: self.reload())
        self.names.currentTextChanged.connect(self._show_versions)
        self.versions.currentItemChanged.connect(self._show_version)
        self.save_button.clicked.connect(self.save)
        self.activate_button.clicked.connect(self.activate_selected)
        self.reload()

    def _rows(self) -> list[database.Prompt]:
        return list(database.Prompt.select().where(database.Prompt.source == self.source.currentText())
                    .order_by(database.Prompt.name, database.Prompt.version.desc()))

    def reload(self, select: str | None = None) -> None:
        try:
            rows = self._rows()
        except Exception as exc:  # no database bound, or it went away: say so, keep the panel up
            log.exception("prompts unavailable")
            _message(self.status, f"The prompts cannot be read: {exc}", False)
            return
        active = next((r for r in rows if r.active), None)
        self.active.setText(f"active: <b>{active.name}</b> v{active.version}" if active
                            else "active: the built-in default")
        names = list(dict.fromkeys(r.name for r in rows))
        self.names.blockSignals(True)
        self.names.clear()
        self.names.addItems(names)
        self.names.blockSignals(False)
        wanted = select or (active.name if active else (names[0] if names else None))
        if wanted in names:
            self.names.setCurrentRow(names.index(wanted))
        self._show_versions(wanted or "")

    def _show_versions(self, name: str) -> None:
        self.versions.clear()
        if not name:
            return
        for row in database.prompt_versions(name):
            label = f"v{row.version} · {row.created:%Y-%m-%d %H:%M}" + (" · in use" if row.active else "")
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, (row.name, row.version, row.text))
            self.versions.addItem(item)
        if self.versions.count():
            self.versions.setCurrentRow(0)

    def _show_version(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        name, _version, text = item.data(Qt.ItemDataRole.UserRole)
        self.name.setText(name)
        self.text.setPlainText(text)

    def save(self) -> None:
        name, text, source = self.name.text().strip(), self.text.toPlainText(), self.source.currentText()
        try:
            database.save_prompt(name, text, source)
        except (ValueError, peewee.PeeweeException) as exc:
            _message(self.status, f"Not saved: {exc}", False)
            return
        self.reload(select=name)
        _message(self.status, f"Saved {name} as a new version; it is now used for the {source}.", True)

    def activate_selected(self) -> None:
        item = self.versions.currentItem()
        if item is None:
            _message(self.status, "Select a version first.", False)
            return
        name, version, _text = item.data(Qt.ItemDataRole.UserRole)
        try:
            database.activate_prompt(name, version)
        except (ValueError, peewee.PeeweeException) as exc:
            _message(self.status, f"Not changed: {exc}", False)
            return
        self.reload(select=name)
        _message(self.status, f"Now using {name} v{version}.", True)


# --- devices -------------------------------------------------------------------------------------

STATUS_PARTS = ("camera", "nfc", "model", "database")
STATUS_TITLES = {"camera": "Camera", "nfc": "NFC", "model": "Model", "database": "Database"}

def camera_entries() -> list[tuple[str, str]]:
    """(spec, label) for each camera Qt sees; [] without QtMultimedia or a camera."""
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:  # missing system audio/video libraries: the spec can still be typed
        return []
    return [(f"camera:{i}", f"camera:{i} — {dev.description()}")
            for i, dev in enumerate(QMediaDevices.videoInputs())]


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """A deep copy (the frame's buffer may be reused by the capture thread)."""
    frame = np.ascontiguousarray(image)
    if frame.ndim == 2:
        h, w = frame.shape
        return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_Grayscale8).copy()
    h, w = frame.shape[:2]
    return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_BGR888).copy()


class DevicesPage(QWidget):
    preview_wanted = Signal(bool)
    nfc_test_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = QComboBox()
        self.source.setEditable(True)
        for spec, label in camera_entries():
            self.source.addItem(label, spec)
        for spec, label in (("auto", "auto — the first camera"), ("file:", "file:PATH — a video file"),
                            ("images:", "images:DIR — a folder of photos"),
                            ("thermal:", "thermal:PORT[@BAUD] — 8x8 infrared array"),
                            ("none", "none — no sensing, plain playlist")):
            self.source.addItem(label, spec)
        self.source.activated.connect(self._source_picked)
        self.width_box, self.height_box = QSpinBox(), QSpinBox()
        self.width_box.setRange(160, 7680)
        self.height_box.setRange(120, 4320)
        # Sensing limits, the same bounds as Settings.validate.
        self.min_face = QSpinBox()
        self.min_face.setRange(12, 400)
        self.min_face.setSuffix(" px")
        self.min_face.setToolTip("Smaller finds people further away and costs more CPU "
                                 "(40 px: about 4 m from a 720p webcam)")
        self.face_threshold = QDoubleSpinBox()
        self.face_threshold.setRange(0.3, 0.95)
        self.face_threshold.setSingleStep(0.05)
        self.face_threshold.setToolTip("Higher: fewer false faces, more missed visitors (default 0.6)")
        self.facing = QSpinBox()
        self.facing.setRange(5, 80)
        self.facing.setSuffix(" °")
        self.facing.setToolTip("A head turned at most this far from the camera counts as watching")
        self.preview = QLabel("Preview appears while this tab is open and a camera is running.")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(320, 180)
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.preview.setStyleSheet("background: #222; color: #ccc;")
        self.preview.setWordWrap(True)
        self.nfc_device = QLineEdit()
        self.nfc_device.setPlaceholderText("usb, usb:054c:06c3, tty:USB0:pn532, udp:HOST:PORT, none")
        self.nfc_mode = QComboBox()
        self.nfc_mode.addItem("write — write the link to a sticker/tag on the reader", "write")
        self.nfc_mode.addItem("emulate — the reader acts as a tag phones read", "emulate")
        self.nfc_test = QPushButton("Test NFC")
        self.nfc_test.clicked.connect(self._test_nfc)
        self.status_labels = {part: QLabel("—") for part in STATUS_PARTS}
        for label in self.status_labels.values():
            label.setWordWrap(True)

        sensing = QGroupBox("Camera / sensor")
        sform = QFormLayout(sensing)
        sform.addRow("Source", self.source)
        sform.addRow("Resolution", _pair(self.width_box, self.height_box))
        sform.addRow("Smallest face", self.min_face)
        sform.addRow("Face detection threshold", self.face_threshold)
        sform.addRow("Watching within", self.facing)
        sform.addRow(self.preview)
        sform.addRow(_note("The preview is only on this screen; frames are never saved."))
        nfc = QGroupBox("NFC reader")
        nform = QFormLayout(nfc)
        nform.addRow("Device", self.nfc_device)
        nform.addRow("Mode", self.nfc_mode)
        nform.addRow("", self.nfc_test)
        status = QGroupBox("Status")
        grid = QGridLayout(status)
        for r, part in enumerate(STATUS_PARTS):
            grid.addWidget(QLabel(f"<b>{STATUS_TITLES[part]}</b>"), r, 0)
            grid.addWidget(self.status_labels[part], r, 1)
        grid.setColumnStretch(1, 1)
        right = QVBoxLayout()
        right.addWidget(nfc)
        right.addWidget(status)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(sensing, 3)
        layout.addLayout(right, 2)
        self._preview_on = False

    def load(self, s: Settings) -> None:
        self.source.setEditText(s.source)
        self.width_box.setValue(s.camera_width)
        self.height_box.setValue(s.camera_height)
        self.min_face.setValue(s.face_min_px)
        self.face_threshold.setValue(s.face_threshold)
        self.facing.setValue(round(s.facing_degrees))
        self.nfc_device.setText(s.nfc_device)
        self.nfc_mode.setCurrentIndex(max(0, self.nfc_mode.findData(s.nfc_mode)))

    def apply(self, s: Settings) -> None:
        s.source = self.source.currentText().strip()
        s.camera_width, s.camera_height = self.width_box.value(), self.height_box.value()
        s.face_min_px, s.face_threshold = self.min_face.value(), round(self.face_threshold.value(), 2)
        s.facing_degrees = float(self.facing.value())
        s.nfc_device = self.nfc_device.text().strip()
        s.nfc_mode = self.nfc_mode.currentData()

    def _source_picked(self, index: int) -> None:
        # The list shows labels; the field keeps the spec (and a prefix to complete, e.g. "file:").
        self.source.setEditText(self.source.itemData(index) or self.source.itemText(index))

    def _test_nfc(self) -> None:
        device = self.nfc_device.text().strip()
        self.set_status("nfc", f"testing {device}…")
        self.nfc_test_requested.emit(device)

    def set_status(self, part: str, text: str) -> None:
        label = self.status_labels.get(part)
        if label is None:
            log.warning("unknown status part %r", part)
            return
        label.setText(text)

    def show_preview(self, image: np.ndarray) -> None:
        if not self._preview_on or image is None or getattr(image, "size", 0) == 0:
            return
        pixmap = QPixmap.fromImage(bgr_to_qimage(image))
        self.preview.setPixmap(pixmap.scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation))

    def set_preview_wanted(self, on: bool) -> None:
        if on != self._preview_on:
            self._preview_on = on
            self.preview_wanted.emit(on)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.set_preview_wanted(True)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.set_preview_wanted(False)


# --- provider ------------------------------------------------------------------------------------


def sample_image() -> np.ndarray:
    """A small drawn figure (head and shoulders): enough for a server to answer, no real person."""
    import cv2

    img = np.full((240, 320, 3), 235, np.uint8)
    cv2.rectangle(img, (110, 150), (210, 240), (90, 60, 40), -1)
    cv2.circle(img, (160, 100), 42, (150, 180, 220), -1)
    cv2.circle(img, (145, 92), 5, (40, 40, 40), -1)
    cv2.circle(img, (175, 92), 5, (40, 40, 40), -1)
    cv2.ellipse(img, (160, 118), (14, 6), 0, 0, 180, (60, 60, 160), 2)
    return img


class ProviderTestWorker(Worker):
    """One classify of the test image on a worker thread; `done(text, ok)` carries the outcome."""

    done = Signal(str, bool)

    def __init__(self, settings: Settings, data_dir: Any, api_key: str | None) -> None:
        super().__init__()
        self._settings = settings
        self._data_dir = data_dir
        self._api_key = api_key
        self._classifier: Any = None

    def request_stop(self) -> None:
        super().request_stop()
        if self._classifier is not None:
            self._classifier.abort()  # thread-safe: ends an in-flight call now

    def work(self) -> None:
        from cxkiosk.profiling.client import Classifier

        classifier = Classifier(self._settings, self._data_dir, api_key=self._api_key)
        self._classifier = classifier
        try:
            if classifier.problem:
                self.done.emit(classifier.problem, False)
                return
            if self.stopping:
                return
            result = classifier.classify(sample_image(), source="camera")
        finally:
            classifier.close()
        if result.error:
            self.done.emit(f"Failed after {result.latency_ms:.0f} ms: {result.error}", False)
        else:
            self.done.emit(f"OK in {result.latency_ms:.0f} ms ({result.provider}, {result.model}): "
                           f"{result.audience.summary()}", True)


class ProviderPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset = QComboBox()
        for preset in PRESETS.values():
            self.preset.addItem(preset.label, preset.name)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.base_url = QLineEdit()
        self.model = QLineEdit()
        self.structured = QCheckBox("Ask for structured output (JSON schema); "
                                    "turn off for servers that refuse it")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(1, 120)
        self.timeout.setSuffix(" s")
        self.per_hour, self.per_day = QSpinBox(), QSpinBox()
        self.per_hour.setRange(0, 100000)
        self.per_day.setRange(0, 1000000)
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("paste a new key to store it in the OS keyring")
        self.key_state = QLabel()
        self.store_button = QPushButton("Store key")
        self.store_button.clicked.connect(self.store_key)
        self.key_status = QLabel()
        self.key_status.setWordWrap(True)
        self.test_button = QPushButton("Test with a sample image")
        self.test_status = QLabel()
        self.test_status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Provider", self.preset)
        form.addRow("Base URL", self.base_url)
        form.addRow("Model", self.model)
        form.addRow("", self.structured)
        form.addRow("Timeout", self.timeout)
        form.addRow("Calls per hour / day", _pair(self.per_hour, self.per_day))
        key_row = QHBoxLayout()
        key_row.addWidget(self.api_key, 1)
        key_row.addWidget(self.store_button)
        form.addRow("API key", key_row)
        form.addRow("", self.key_state)
        form.addRow("", self.key_status)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(test_row)
        layout.addWidget(_note("The key is kept in the operating system's keyring, never in the settings "
                               "file. Images are sent to the model only in the 'full' privacy mode; "
                               "the test sends a drawn sample image, not a camera frame."))
        layout.addStretch(1)

    @property
    def provider_name(self) -> str:
        return self.preset.currentData()

    def _preset_changed(self, _index: int) -> None:
        preset = PRESETS[self.provider_name]
        self.base_url.setPlaceholderText(preset.base_url or "http://host:port/v1")
        self.model.setPlaceholderText(preset.model or "model name")
        self._show_key_state()

    def _show_key_state(self) -> None:
        from cxkiosk.profiling.secrets import get_api_key, mask

        preset = PRESETS[self.provider_name]
        key = get_api_key(self.provider_name)
        if key:
            self.key_state.setText(f"key in use: {mask(key)}")
        else:
            self.key_state.setText("no key stored" + ("" if not preset.needs_key
                                                      else " — this provider needs one"))

    def load(self, s: Settings) -> None:
        index = self.preset.findData(s.provider)
        self.preset.setCurrentIndex(max(0, index))
        self._preset_changed(self.preset.currentIndex())
        self.base_url.setText(s.base_url)
        self.model.setText(s.model)
        self.structured.setChecked(s.structured_output)
        self.timeout.setValue(s.model_timeout)
        self.per_hour.setValue(s.calls_per_hour)
        self.per_day.setValue(s.calls_per_day)

    def apply(self, s: Settings) -> None:
        s.provider = self.provider_name
        s.base_url = self.base_url.text().strip()
        s.model = self.model.text().strip()
        s.structured_output = self.structured.isChecked()
        s.model_timeout = self.timeout.value()
        s.calls_per_hour, s.calls_per_day = self.per_hour.value(), self.per_day.value()

    def store_key(self) -> bool:
        """Keyring only; the field is cleared once stored. False (with the reason shown) otherwise."""
        from cxkiosk.profiling.secrets import SecretStoreError, store_api_key

        key = self.api_key.text().strip()
        if not key:
            _message(self.key_status, "Type or paste a key first.", False)
            return False
        try:
            store_api_key(key, self.provider_name)
        except SecretStoreError as exc:
            _message(self.key_status, f"Key not stored: {exc}", False)
            return False
        self.api_key.clear()
        _message(self.key_status, "Key stored in the OS keyring.", True)
        self._show_key_state()
        return True

    def test_settings(self, base: Settings) -> Settings:
        """What the test call uses: the fields as shown, with images allowed out for this one call."""
        s = replace(base)
        self.apply(s)
        s.privacy = "full"
        return s


# --- privacy -------------------------------------------------------------------------------------

PRIVACY_TEXT = {
    "full": "Camera on; a cropped frame of the visitors goes to the model provider to guess their profile.",
    "local": "Camera on; faces are counted and age/gender guessed on this PC only. "
             "Nothing leaves the machine.",
    "thermal": "Only the 8x8 infrared sensor: counts people, no image of anyone; "
               "the heatmap may go to the model.",
    "off": "No sensing at all: the billboard plays its idle playlist.",
}

SENSITIVE_WARNING = (
    "Inferring race or ethnicity from a camera image is biometric categorisation that the EU AI Act "
    "(Art. 5(1)(g)) prohibits, and the Act bans emotion recognition in workplaces and schools "
    "(Art. 5(1)(f)); data protection law (GDPR Art. 9) treats such data as special category data. "
    "Turn this on only where a lawyer has confirmed it is lawful. It is off by default."
)


class PrivacyPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.modes = QButtonGroup(self)
        modes_box = QGroupBox("Privacy mode")
        grid = QGridLayout(modes_box)
        self.radios: dict[str, QRadioButton] = {}
        for r, mode in enumerate(PRIVACY_TEXT):
            radio = QRadioButton(mode)
            self.radios[mode] = radio
            self.modes.addButton(radio)
            grid.addWidget(radio, r, 0)
            grid.addWidget(_note(PRIVACY_TEXT[mode]), r, 1)
        grid.setColumnStretch(1, 1)
        self.sensitive = QCheckBox("Ask the model for sensitive attributes (ethnicity, emotion)")
        self.sensitive.toggled.connect(self._sensitive_toggled)
        warning = QLabel(SENSITIVE_WARNING)
        warning.setWordWrap(True)
        warning.setStyleSheet("color: #8a4b00;")
        sens_box = QGroupBox("Sensitive attributes")
        sl = QVBoxLayout(sens_box)
        sl.addWidget(self.sensitive)
        sl.addWidget(warning)
        self.consent = QPlainTextEdit()
        self.consent.setFixedHeight(70)
        consent_box = QGroupBox("Consent notice (shown on the billboard whenever the camera is on)")
        QVBoxLayout(consent_box).addWidget(self.consent)
        layout = QVBoxLayout(self)
        layout.addWidget(modes_box)
        layout.addWidget(sens_box)
        layout.addWidget(consent_box)
        layout.addStretch(1)

    @property
    def mode(self) -> str:
        return next((m for m, r in self.radios.items() if r.isChecked()), "local")

    def _sensitive_toggled(self, on: bool) -> None:
        if on and not ask(self, "Turn on sensitive attributes?", SENSITIVE_WARNING
                          + "\n\nDo you confirm that it is lawful here?"):
            self.sensitive.blockSignals(True)
            self.sensitive.setChecked(False)
            self.sensitive.blockSignals(False)

    def load(self, s: Settings) -> None:
        self.radios.get(s.privacy, self.radios["local"]).setChecked(True)
        self.sensitive.blockSignals(True)  # a stored choice was confirmed when it was made
        self.sensitive.setChecked(s.sensitive_attributes)
        self.sensitive.blockSignals(False)
        self.consent.setPlainText(s.consent_text)

    def apply(self, s: Settings) -> None:
        s.privacy = self.mode
        s.sensitive_attributes = self.sensitive.isChecked()
        s.consent_text = self.consent.toPlainText().strip()


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
        self.table = _table(self.model)
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
            _message(self.totals, f"Figures unavailable: {exc}", False)
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

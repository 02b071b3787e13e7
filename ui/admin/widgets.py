"""What the admin pages share: colours, the operator's answers (`ask`, `pick_file`: tests replace
them), status lines, read-only tables on models, frames as images."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QTableView,
    QWidget,
)

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


def message(label: QLabel, text: str, ok: bool | None = None) -> None:
    label.setText(text)
    label.setStyleSheet(MUTED_STYLE if ok is None else OK_STYLE if ok else ERROR_STYLE)


def note(text: str) -> QLabel:
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


def table(model: RowsModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    return view



def pair(a: QWidget, b: QWidget) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(a)
    lay.addWidget(b)
    return box


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """A deep copy (the frame's buffer may be reused by the capture thread)."""
    frame = np.ascontiguousarray(image)
    if frame.ndim == 2:
        h, w = frame.shape
        return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_Grayscale8).copy()
    h, w = frame.shape[:2]
    return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_BGR888).copy()

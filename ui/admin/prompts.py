"""The Prompts tab: versions of the profiling prompts, edit and roll back."""

from __future__ import annotations

import logging
from typing import Any

import peewee
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cxkiosk.content import database, prompt_store
from ui.admin.widgets import (
    message,
    note,
)

log = logging.getLogger("cxkiosk.admin")


# --- prompts -------------------------------------------------------------------------------------


class PromptsPage(QWidget):
    """Active prompt per source, edits saved as new versions, earlier versions re-activated."""

    def __init__(self, parent: QWidget | None = None, captions: Any = None) -> None:
        super().__init__(parent)
        self.captions = captions  # the running kiosk's CaptionWriter, when captions are written
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
        layout.addWidget(note("The model reads the active prompt at every call, so a change applies to "
                               "the next visitor. Saving keeps every earlier version."))
        layout.addWidget(self.status)
        self.recent = QListWidget()  # the latest captions shown: when, item, segment, text
        self.block_button = QPushButton("Never show the selected caption again")
        self.block_button.clicked.connect(self.block_selected)
        if captions is not None:
            layout.addWidget(QLabel("Recent captions (newest first)"))
            layout.addWidget(self.recent, 1)
            layout.addWidget(self.block_button)
            self.refresh_captions()

        self.source.currentTextChanged.connect(lambda _s: self.reload())
        self.names.currentTextChanged.connect(self._show_versions)
        self.versions.currentItemChanged.connect(self._show_version)
        self.save_button.clicked.connect(self.save)
        self.activate_button.clicked.connect(self.activate_selected)
        self.reload()

    def _rows(self) -> list[database.Prompt]:
        return prompt_store.prompts_for(self.source.currentText())

    def reload(self, select: str | None = None) -> None:
        try:
            rows = self._rows()
        except Exception as exc:  # no database bound, or it went away: say so, keep the panel up
            log.exception("prompts unavailable")
            message(self.status, f"The prompts cannot be read: {exc}", False)
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
        for row in prompt_store.prompt_versions(name):
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
            prompt_store.save_prompt(name, text, source)
        except (ValueError, peewee.PeeweeException) as exc:
            message(self.status, f"Not saved: {exc}", False)
            return
        self.reload(select=name)
        message(self.status, f"Saved {name} as a new version; it is now used for the {source}.", True)

    def activate_selected(self) -> None:
        item = self.versions.currentItem()
        if item is None:
            message(self.status, "Select a version first.", False)
            return
        name, version, _text = item.data(Qt.ItemDataRole.UserRole)
        try:
            prompt_store.activate_prompt(name, version)
        except (ValueError, peewee.PeeweeException) as exc:
            message(self.status, f"Not changed: {exc}", False)
            return
        self.reload(select=name)
        message(self.status, f"Now using {name} v{version}.", True)

    def refresh_captions(self) -> None:
        self.recent.clear()
        if self.captions is None:
            return
        for written in self.captions.recent():
            label = f"{written.at:%H:%M}  {written.item} · {written.segment}:  {written.text}"
            entry = QListWidgetItem(label)
            entry.setData(Qt.ItemDataRole.UserRole, written.text)
            self.recent.addItem(entry)

    def block_selected(self) -> None:
        entry = self.recent.currentItem()
        if entry is None or self.captions is None:
            message(self.status, "Select a caption first.", False)
            return
        text = entry.data(Qt.ItemDataRole.UserRole)
        self.captions.block(text)
        message(self.status, f"Blocked: {text}", True)
        self.refresh_captions()

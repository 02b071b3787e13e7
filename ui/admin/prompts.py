"""The Prompts tab: versions of the profiling prompts, edit and roll back, and a bench that tries
the prompt in the editor (saved or not) on the live camera frame or a photo."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import peewee
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from cxkiosk.config import Privacy, Settings
from cxkiosk.content import database, prompt_store
from cxkiosk.profiling.trial import Trial
from cxkiosk.runtime.threads import WorkerThread
from cxkiosk.runtime.trial import TrialWorker
from cxkiosk.values import Audience, Person
from ui.admin import widgets
from ui.admin.widgets import (
    message,
    note,
)

log = logging.getLogger("cxkiosk.admin")


# --- prompts -------------------------------------------------------------------------------------


class PromptsPage(QWidget):
    """Active prompt per source, edits saved as new versions, earlier versions re-activated, and
    the bench (`still_wanted` asks the camera for one frame; `take_still` receives it)."""

    still_wanted = Signal()

    def __init__(self, parent: QWidget | None = None, captions: Any = None, *,
                 settings: Settings | None = None, data_dir: Path | None = None, budget: Any = None,
                 live_frames: bool = False) -> None:
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
        self.bench = PromptBench(self, settings or Settings(), data_dir, budget, live_frames)
        body = QHBoxLayout()
        body.addLayout(lists, 2)
        body.addLayout(edit, 4)
        body.addWidget(self.bench, 5)
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
        self.source.currentTextChanged.connect(self.bench.set_source)
        self.bench.set_source(self.source.currentText())
        self.names.currentTextChanged.connect(self._show_versions)
        self.versions.currentItemChanged.connect(self._show_version)
        self.save_button.clicked.connect(self.save)
        self.activate_button.clicked.connect(self.activate_selected)
        self.reload()

    def take_still(self, image: np.ndarray) -> None:
        """A frame from the camera, asked for by the bench (memory only)."""
        self.bench.take_still(image)

    def stop(self) -> None:
        """End a try in flight (the panel locks or closes)."""
        self.bench.stop()

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
        except (ValueError, peewee.PeeweeException, database.DatabaseError) as exc:
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
        except (ValueError, peewee.PeeweeException, database.DatabaseError) as exc:
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


# --- the bench -----------------------------------------------------------------------------------

STILL_WAIT_MS = 3000  # a running camera delivers a frame within a few hundred ms
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff)"


class PromptBench(QGroupBox):
    """Tries the prompt in the editor as the kiosk would use it, on a worker thread; shows the crop
    sent, the raw reply, what it was read as, what would be chosen and why, latency and tokens.
    Nothing plays, nothing is recorded and no link is pushed."""

    def __init__(self, page: PromptsPage, settings: Settings, data_dir: Path | None, budget: Any,
                 live_frames: bool) -> None:
        super().__init__("Try the prompt in the editor (saved or not)")
        self.page = page
        self.settings = settings  # the running kiosk's: its privacy mode, provider and call caps
        self.data_dir = data_dir
        self.budget = budget  # the running kiosk's CallBudget, so a try counts as its calls do
        self.live_frames = live_frames
        self._source = "camera"
        self._thread: WorkerThread | None = None
        self._waiting = QTimer(self, singleShot=True, interval=STILL_WAIT_MS)
        self._waiting.timeout.connect(self._no_still)
        self.live_button = QPushButton("Try on the live camera frame")
        self.live_button.clicked.connect(self.try_live)
        self.file_button = QPushButton("Choose image…")
        self.file_button.clicked.connect(self.try_file)
        self.cost = note("")
        self.crop = QLabel("The crop sent to the model shows here.")
        self.crop.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.crop.setFixedSize(200, 200)
        self.crop.setWordWrap(True)
        self.crop.setStyleSheet("background: #222; color: #ccc;")
        self.crop_caption = note("")
        self.sees, self.read, self.choice, self.reasons, self.timing, self.prompt_used = (
            QLabel("—") for _ in range(6))
        for label in (self.sees, self.read, self.choice, self.reasons, self.timing, self.prompt_used):
            # A reply is untrusted text: never read as HTML (only the title line is, escaped).
            label.setTextFormat(Qt.TextFormat.RichText if label is self.choice else Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.reply = QPlainTextEdit()
        self.reply.setReadOnly(True)
        self.reply.setPlaceholderText("The model's reply, exactly as it came.")
        self.status = QLabel()
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.live_button)
        buttons.addWidget(self.file_button)
        buttons.addStretch(1)
        picture = QVBoxLayout()
        picture.addWidget(self.crop)
        picture.addWidget(self.crop_caption)
        picture.addStretch(1)
        facts = QFormLayout()
        facts.addRow("Prompt", self.prompt_used)
        facts.addRow("Sees", self.sees)
        facts.addRow("Model read", self.read)
        facts.addRow("Would play", self.choice)
        facts.addRow("Why", self.reasons)
        facts.addRow("Took", self.timing)
        top = QHBoxLayout()
        top.addLayout(picture)
        top.addLayout(facts, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.cost)
        layout.addWidget(self.status)
        layout.addLayout(top)
        layout.addWidget(QLabel("Raw reply"))
        layout.addWidget(self.reply, 1)
        self._show_cost()

    # -- what a try costs and where its picture comes from -----------------------------------------

    @property
    def sends(self) -> bool:
        return Privacy.of(self.settings).may_send("thermal" if self._source == "thermal" else "camera")

    def set_source(self, source: str) -> None:
        self._source = source
        usable = source in ("camera", "thermal")
        for button in (self.live_button, self.file_button):
            button.setEnabled(usable and self._thread is None)
        if not self.live_frames:
            self.live_button.setEnabled(False)
            self.live_button.setToolTip("No camera is running in the kiosk: choose an image instead")
        self._show_cost()
        if not usable:
            message(self.status, "Caption prompts are tried on the billboard: the bench tries the camera "
                                 "and thermal prompts.")
        elif not self.live_frames and self._thread is None:
            message(self.status, "No live frame: no camera is running in the kiosk (privacy mode "
                                 f"{self.settings.privacy}, or no camera). Choose an image instead.")
        elif self._thread is None:
            self.status.clear()

    def _show_cost(self) -> None:
        s = self.settings
        if self.sends:
            text = (f"Privacy mode {s.privacy}: each try is a real call to {self._model_name()} and counts "
                    f"against the call caps ({s.calls_per_hour} an hour, {s.calls_per_day} a day), like a "
                    "visitor's. Nothing plays, nothing is recorded, no link is pushed; the picture is never "
                    "saved.")
        else:
            text = (f"Privacy mode {s.privacy}: no model is called, nothing leaves this PC; a try shows what "
                    "the kiosk sees by itself and what it would choose. Nothing plays or is recorded.")
        self.cost.setText(text)

    def _model_name(self) -> str:
        from cxkiosk.profiling.providers import ProviderError, resolve_provider

        s = self.settings
        try:
            provider = resolve_provider(s.provider, s.base_url, s.model)
        except ProviderError:
            return s.provider
        return f"{provider.model} ({provider.name})"

    def _prompt_label(self, text: str) -> str:
        """Which prompt a try sent: the version shown in the list, or the editor's unsaved text."""
        item = self.page.versions.currentItem()
        if item is not None:
            name, version, saved = item.data(Qt.ItemDataRole.UserRole)
            if saved == text:
                return f"{name} v{version}, as saved"
        return "the editor's text, not saved"

    # -- starting a try --------------------------------------------------------------------------

    def try_live(self) -> None:
        if self._thread is not None or not self.live_frames:
            return
        self._set_busy(True)
        message(self.status, "Waiting for a frame from the camera…")
        self._waiting.start()
        self.page.still_wanted.emit()

    def take_still(self, image: np.ndarray) -> None:
        if not self._waiting.isActive():
            return  # a frame nobody asked for (a try was cancelled): dropped
        self._waiting.stop()
        self._start(image)

    def _no_still(self) -> None:
        self._set_busy(False)
        message(self.status, f"No frame came from the camera within {STILL_WAIT_MS // 1000} s (unplugged, "
                             "or still starting; see the Devices tab). Choose an image instead.", False)

    def try_file(self, path: str | None = None) -> None:
        if self._thread is not None:
            return
        chosen = path if path is not None else widgets.pick_file(self, "Choose a photo to try", IMAGE_FILTER,
                                                                 save=False)
        if not chosen:
            return
        self._set_busy(True)
        self._start(Path(chosen))  # read on the worker thread, kept in memory only

    def _start(self, image: np.ndarray | Path) -> None:
        prompt = self.page.text.toPlainText()
        worker = TrialWorker(image, prompt, replace(self.settings), self._source, self.data_dir, self.budget)
        worker.done.connect(self.show_trial)
        worker.failed.connect(self._trial_failed)  # a method, queued here: a lambda would run on the worker
        worker.finished.connect(self._finished)
        self._thread = WorkerThread(worker, "admin-prompt-bench")
        if self.sends:
            s = self.settings
            message(self.status, f"Asking {s.provider} (it has up to {s.model_timeout:g} s)…")
        else:
            message(self.status, "Looking at the picture…")
        self._thread.start()

    def _set_busy(self, busy: bool) -> None:
        self.live_button.setEnabled(not busy and self.live_frames and self._source in ("camera", "thermal"))
        self.file_button.setEnabled(not busy and self._source in ("camera", "thermal"))

    def _finished(self) -> None:
        self.stop()
        self._set_busy(False)

    def _trial_failed(self, reason: str) -> None:
        message(self.status, _sentence(reason), False)

    def stop(self) -> None:
        self._waiting.stop()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.stop(timeout=5.0)

    # -- the outcome -----------------------------------------------------------------------------

    def show_trial(self, trial: Trial) -> None:
        self._show_crop(trial)
        self.prompt_used.setText(self._prompt_label(trial.prompt))
        faces = trial.local.count
        self.sees.setText("a heat map (no faces are looked for)" if trial.source == "thermal" else
                          f"{faces} face{'s' if faces != 1 else ''}" + (f": {people_text(trial.local)}"
                                                                       if faces else ""))
        if trial.audience is not None:
            self.read.setText(people_text(trial.audience) or "nobody")
        elif trial.sent:
            self.read.setText(trial.error)
        else:
            self.read.setText("nothing was sent" if not trial.error else "—")
        if trial.choice is not None:
            c = trial.choice
            self.choice.setText(f"<b>{_escape(c.item.title)}</b> (score {c.score:g}, for "
                                f"{_escape(trial.targeted.summary())})")
            self.reasons.setText("; ".join(c.reasons) or "—")
        else:
            self.choice.setText(f"nothing targets {_escape(trial.targeted.summary())}: the idle playlist "
                                "would go on")
            self.reasons.setText("—")
        self.timing.setText(timing_text(trial, self.settings))
        self.reply.setPlainText(trial.reply if trial.reply is not None else "")
        if not trial.reply and trial.sent:
            self.reply.setPlaceholderText("No reply came.")
        if trial.error:
            message(self.status, f"{_sentence(trial.error)} {trial.note}".strip(), False)
        else:
            message(self.status, trial.note or "The model's answer was read; the kiosk would target it.",
                    True if trial.sent else None)

    def _show_crop(self, trial: Trial) -> None:
        pixmap = QPixmap()
        if trial.crop and pixmap.loadFromData(trial.crop, "JPG"):
            self.crop.setPixmap(pixmap.scaled(self.crop.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                              Qt.TransformationMode.SmoothTransformation))
        else:
            self.crop.clear()
            self.crop.setText("no picture")
        w, h = trial.crop_size
        where = "sent to the model" if trial.sent else "what full mode would send; not sent"
        size = f"{w}x{h} px, {len(trial.crop) / 1024:.1f} kB"
        self.crop_caption.setText(f"{size}, {where}" if trial.crop else "")


def people_text(audience: Audience) -> str:
    """Each person with every attribute known: 'female 34, glasses, short hair, jacket, facing'."""
    parts = [_person_text(p) for p in audience.people]
    text = "; ".join(p for p in parts if p)
    if audience.count > len(audience.people):
        text += f" ({audience.count} counted)" if text else f"{audience.count} counted"
    return text


def _person_text(p: Person) -> str:
    words = [" ".join(x for x in (p.gender or "?", str(p.age) if p.age is not None else "") if x)]
    if p.glasses is not None:
        words.append("glasses" if p.glasses else "no glasses")
    words += [w for w in (p.hair and f"{p.hair} hair", p.clothing) if w]
    if p.facing is not None:
        words.append("facing" if p.facing else "turned away")
    return ", ".join(words)


def timing_text(trial: Trial, settings: Settings) -> str:
    parts = []
    if trial.sent:
        parts.append(f"model {trial.latency_ms:.0f} ms")
    parts.append(f"local {trial.local_ms:.0f} ms")
    u = trial.usage
    if u is not None:
        tokens = f"{u.total if u.total is not None else '?'} tokens"
        if u.prompt is not None or u.completion is not None:
            tokens += f" ({u.prompt if u.prompt is not None else '?'} in, "
            tokens += f"{u.completion if u.completion is not None else '?'} out)"
        parts.append(tokens)
    elif trial.sent and trial.reply is not None:
        parts.append("the server reported no token count")
    if trial.calls is not None:
        hour, day = trial.calls
        parts.append(f"calls {hour}/{settings.calls_per_hour} this hour, "
                     f"{day}/{settings.calls_per_day} today")
    return " · ".join(parts)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

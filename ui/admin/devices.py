"""The Devices tab: camera source and live preview, face detection limits, NFC device and a test,
unattended running (start at login, daily restart, web page renewal), the status of each part."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cxkiosk import autostart
from cxkiosk.config import Settings, bounds
from cxkiosk.runtime.status import PARTS as STATUS_PARTS
from ui.admin.widgets import (
    bgr_to_qimage,
    message,
    note,
    pair,
)

log = logging.getLogger("cxkiosk.admin")


# --- devices -------------------------------------------------------------------------------------

STATUS_TITLES = {"camera": "Camera", "nfc": "NFC", "model": "Model", "database": "Database",
                 "fleet": "Fleet database", "screen": "Screen saver", "supervisor": "Supervisor"}

def camera_entries() -> list[tuple[str, str]]:
    """(spec, label) for each camera Qt sees; [] without QtMultimedia or a camera."""
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:  # missing system audio/video libraries: the spec can still be typed
        return []
    return [(f"camera:{i}", f"camera:{i} — {dev.description()}")
            for i, dev in enumerate(QMediaDevices.videoInputs())]


class SourcePicker(QComboBox):
    """The camera/sensor source: the cameras Qt sees, then the other kinds of source. Editable:
    the list shows labels, the field keeps the spec (or a prefix to complete, e.g. "file:")."""

    OTHERS = (("auto", "auto — the first camera"), ("file:", "file:PATH — a video file"),
              ("images:", "images:DIR — a folder of photos"),
              ("thermal:", "thermal:PORT[@BAUD] — 8x8 infrared array"),
              ("none", "none — no sensing, plain playlist"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.cameras = camera_entries()
        for spec, label in (*self.cameras, *self.OTHERS):
            self.addItem(label, spec)
        self.activated.connect(self._picked)

    @property
    def spec(self) -> str:
        return self.currentText().strip()

    def _picked(self, index: int) -> None:
        self.setEditText(self.itemData(index) or self.itemText(index))


class CameraPreview(QLabel):
    """Downscaled frames from the capture thread, on this screen only (never saved)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.setStyleSheet("background: #222; color: #ccc;")
        self.setWordWrap(True)

    def show_image(self, image: np.ndarray) -> None:
        if image is None or getattr(image, "size", 0) == 0:
            return
        pixmap = QPixmap.fromImage(bgr_to_qimage(image))
        self.setPixmap(pixmap.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation))


def nfc_device_field() -> QLineEdit:
    field = QLineEdit()
    field.setPlaceholderText("usb, usb:054c:06c3, tty:USB0:pn532, udp:HOST:PORT, none")
    return field


def nfc_mode_box() -> QComboBox:
    box = QComboBox()
    box.addItem("write — write the link to a sticker/tag on the reader", "write")
    box.addItem("emulate — the reader acts as a tag phones read", "emulate")
    return box


def daily_restart_box() -> QComboBox:
    box = QComboBox()
    low, high = bounds("daily_restart_hour")
    for hour in range(int(low), int(high) + 1):
        box.addItem("Off" if hour < 0 else f"{hour:02d}:00", hour)
    return box


class DevicesPage(QWidget):
    preview_wanted = Signal(bool)
    nfc_test_requested = Signal(str)

    def __init__(self, data_dir: Path | None = None, parent: QWidget | None = None) -> None:
        """`data_dir`: the folder the start-at-login entry runs supervise on (None: not shown)."""
        super().__init__(parent)
        self.data_dir = data_dir
        self.source = SourcePicker()
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
        self.preview = CameraPreview("Preview appears while this tab is open and a camera is running.")
        self.nfc_device = nfc_device_field()
        self.nfc_mode = nfc_mode_box()
        self.nfc_test = QPushButton("Test NFC")
        self.nfc_test.clicked.connect(self._test_nfc)
        self.start_at_login = QCheckBox(f"Start cxkiosk when {autostart.login_user()} logs in")
        self.start_at_login.setToolTip("Under supervise on this data folder, which restarts it after a crash")
        self.login_entry = note("")  # what the OS entry is now, in autostart.describe's words
        self.daily_restart = daily_restart_box()
        self.web_reload = QDoubleSpinBox()
        self.web_reload.setRange(*bounds("web_reload_hours"))
        self.web_reload.setSuffix(" h")
        self.web_reload.setToolTip("A web page running this long is replaced by a fresh one between items, "
                                   "so its memory does not grow for days")
        self.status_labels = {part: QLabel("—") for part in STATUS_PARTS}
        for label in self.status_labels.values():
            label.setWordWrap(True)

        sensing = QGroupBox("Camera / sensor")
        sform = QFormLayout(sensing)
        sform.addRow("Source", self.source)
        sform.addRow("Resolution", pair(self.width_box, self.height_box))
        sform.addRow("Smallest face", self.min_face)
        sform.addRow("Face detection threshold", self.face_threshold)
        sform.addRow("Watching within", self.facing)
        sform.addRow(self.preview)
        sform.addRow(note("The preview is only on this screen; frames are never saved."))
        nfc = QGroupBox("NFC reader")
        nform = QFormLayout(nfc)
        nform.addRow("Device", self.nfc_device)
        nform.addRow("Mode", self.nfc_mode)
        nform.addRow("", self.nfc_test)
        unattended = QGroupBox("Unattended")
        uform = QFormLayout(unattended)
        uform.addRow(self.start_at_login)
        uform.addRow(self.login_entry)
        uform.addRow("Restart every day at", self.daily_restart)
        uform.addRow(note("The kiosk quits at that hour and supervise starts it afresh; start at login "
                          "runs it under supervise."))
        uform.addRow("Renew web pages every", self.web_reload)
        status = QGroupBox("Status")
        grid = QGridLayout(status)
        for r, part in enumerate(STATUS_PARTS):
            grid.addWidget(QLabel(f"<b>{STATUS_TITLES[part]}</b>"), r, 0)
            grid.addWidget(self.status_labels[part], r, 1)
        grid.setColumnStretch(1, 1)
        right = QVBoxLayout()
        right.addWidget(nfc)
        right.addWidget(unattended)
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
        self.daily_restart.setCurrentIndex(max(0, self.daily_restart.findData(s.daily_restart_hour)))
        self.web_reload.setValue(s.web_reload_hours)
        self.show_start_at_login(s.start_at_login)

    def apply(self, s: Settings) -> None:
        s.source = self.source.spec
        s.camera_width, s.camera_height = self.width_box.value(), self.height_box.value()
        s.face_min_px, s.face_threshold = self.min_face.value(), round(self.face_threshold.value(), 2)
        s.facing_degrees = float(self.facing.value())
        s.nfc_device = self.nfc_device.text().strip()
        s.nfc_mode = self.nfc_mode.currentData()
        s.start_at_login = self.start_at_login.isChecked()
        s.daily_restart_hour = self.daily_restart.currentData()
        s.web_reload_hours = round(self.web_reload.value(), 2)

    def show_start_at_login(self, on: bool) -> None:
        """The box as the setting is, and what the OS entry is now (red when they disagree)."""
        self.start_at_login.setChecked(on)
        if self.data_dir is not None:
            ok, line = autostart.describe(self.data_dir, on)
            message(self.login_entry, f"Now: {line}", None if ok else False)

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
        if self._preview_on:
            self.preview.show_image(image)

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

"""Opens the PIN-protected admin panel over the running billboard and applies what it saves.

Glue between the panel (ui/admin/panel.py) and the live kiosk: statuses in, content reloads and
settings out. It only forwards; the decisions stay in the core.
"""

from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication

from cxkiosk.config import needs_restart
from cxkiosk.consent import consent_notice
from cxkiosk.content import database
from ui.admin.panel import AdminPanel

log = logging.getLogger("cxkiosk.admin")


class AdminOpener:
    """Built once by main.py; `open()` is connected to the billboard's hidden hotkey."""

    def __init__(self, paths, settings, billboard, playlist, status, runtime, programme=None,
                 fleet=None) -> None:
        """`runtime`: the kiosk's Runtime (capture, nfc, selector; any may be None); `programme`:
        where item health comes from and "Retry now" goes (None: health as the playlist has it);
        `fleet`: a fleet kiosk's FleetView (its status and the fleet list for the Fleet tab)."""
        self.paths, self.settings, self.billboard = paths, settings, billboard
        self.playlist, self.status, self.runtime = playlist, status, runtime
        self.programme = programme
        self.fleet = fleet
        self.panel = None

    def open(self) -> None:
        if self.panel is not None:
            self.panel.showNormal()
            self.panel.raise_()
            self.panel.activateWindow()
            return
        panel = AdminPanel(self.paths, self.settings)
        # Over a fullscreen billboard a window manager may keep the billboard above a new window.
        panel.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)
        if getattr(self.runtime, "captions", None) is not None:
            panel.captions = self.runtime.captions.writer
        panel.running_settings = self.settings  # the prompt bench tries prompts as the kiosk runs
        classifier = getattr(self.runtime, "classifier", None)
        if classifier is not None:
            panel.model_budget = classifier.classifier.budget  # a try counts against the same caps
        panel.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        panel.destroyed.connect(self._closed)
        panel.content_changed.connect(self._reload_content)
        panel.setting_changed.connect(self._apply)
        capture = self.runtime.capture
        if capture is not None:
            # set_preview is thread-safe and the capture thread runs no event loop: call it directly.
            panel.preview_wanted.connect(lambda on: capture.set_preview(on))
            capture.preview.connect(panel.show_preview)
            panel.live_frames = True
            panel.still_wanted.connect(lambda: capture.request_still())  # thread-safe, as set_preview
            capture.still.connect(panel.take_still)
        for part, text in self.status.latest.items():
            panel.set_status(part, text)
        self.status.changed.connect(panel.set_status)
        if self.fleet is not None:
            if self.fleet.latest is not None:
                panel.set_fleet_status(self.fleet.latest)
            self.fleet.changed.connect(panel.set_fleet_status)
        panel.set_health(self.playlist.health().values())
        if self.programme is not None:
            self.programme.health_changed.connect(panel.show_health)
            panel.retry_requested.connect(self.programme.retry)
        panel.nfc_test_requested.connect(self._nfc_test)
        if QApplication.overrideCursor() is not None:
            QApplication.restoreOverrideCursor()  # the operator needs a pointer in the panel
        self.panel = panel
        self._centre(panel)
        panel.show()
        panel.raise_()
        panel.activateWindow()
        log.info("admin panel opened")

    def _centre(self, panel) -> None:
        """Centred over the billboard (its screen, when fullscreen), never larger than it."""
        board = self.billboard
        if shiboken6.isValid(board) and board.isVisible():
            area = board.geometry()
        else:
            area = QApplication.primaryScreen().availableGeometry()
        rect = QRect(area.topLeft(), panel.size().boundedTo(area.size() * 0.95))
        rect.moveCenter(area.center())
        panel.setGeometry(rect)  # the client area: its centre is the billboard's, frame or not

    def _closed(self) -> None:
        # At shutdown the billboard may be gone before the panel's last signal arrives.
        if shiboken6.isValid(self.billboard) and self.billboard.isFullScreen():
            QApplication.setOverrideCursor(Qt.CursorShape.BlankCursor)
        capture = self.runtime.capture
        if capture is not None:
            capture.set_preview(False)
        self.panel = None

    def _reload_content(self) -> None:
        self.playlist.replace(database.playlist())

    def _apply(self, name: str, value) -> None:
        """Apply live a setting that can change live; the panel tells the operator what needs a
        restart (those stay as the kiosk started)."""
        if needs_restart(name):
            return
        setattr(self.settings, name, value)
        board = self.billboard
        board.qr_enabled = self.settings.qr_enabled
        board.set_call_to_action(self.settings.qr_call_to_action, self.settings.qr_call_to_action_nfc)
        board.set_reasons_visible(self.settings.show_reasons)
        if not board.notice.isHidden():
            board.set_notice(consent_notice(self.settings))
        selector = self.runtime.selector
        if selector is not None:
            selector.max_per_hour = self.settings.item_cap_per_hour

    def _nfc_test(self, device: str) -> None:
        if self.runtime.nfc is None:
            self.status.set("nfc", "NFC is off: set a device, save and restart to test it")
        else:
            self.status.set("nfc", f"{self.status.latest.get('nfc', '')} | test: hold a tag on the reader; "
                            "the current link is written and read back")

"""The first-run set-up wizard: name, camera, privacy, PIN, NFC, model provider; then the kiosk.

Shown by ui/app.py before the billboard when this install has not had it (cxkiosk/first_run.py
decides), or with --setup. It edits a copy of the settings; Finish writes what changed through
the admin panel's own save (`save_settings`) and marks the set-up done; "Skip, use defaults"
marks it done and changes nothing. Closing the window asks whether to skip: a kiosk restarted
at night must not wait at a half-answered wizard in front of the visitors.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFormLayout, QLabel, QWidget, QWizard

from cxkiosk import first_run
from cxkiosk.config import Paths, Settings, save_settings
from cxkiosk.pin import STATE_FILE, PinGuard, is_pin_hash
from cxkiosk.resources import command_line
from ui.admin import widgets
from ui.setup.camera import CameraPage
from ui.setup.nfc import NfcPage
from ui.setup.pages import NamePage, PinPage, PrivacyStep, SetupPage
from ui.setup.provider import ProviderStep

log = logging.getLogger("cxkiosk.setup")

__all__ = ["SetupWizard", "run_setup"]

# Touch-screen sizes: a finger needs about 9 mm, some 40 px at a kiosk's usual density.
TOUCH_STYLE = """
QWizard, QWizard QWidget { font-size: 16px; }
QLineEdit, QComboBox, QSpinBox, QDoubleSpinBox { min-height: 40px; padding: 0 8px; }
QPushButton { min-height: 44px; min-width: 110px; padding: 0 18px; }
QRadioButton, QCheckBox { min-height: 36px; spacing: 10px; }
QRadioButton::indicator, QCheckBox::indicator { width: 22px; height: 22px; }
QGroupBox { font-weight: bold; margin-top: 14px; padding-top: 8px; }
QGroupBox QLabel, QGroupBox QRadioButton, QGroupBox QCheckBox,
QGroupBox QPlainTextEdit { font-weight: normal; }
"""

def skip_question(again: bool) -> str:
    """What skipping means: on a first run the defaults; run again (--setup), the settings the
    kiosk already has."""
    keeps = ("Start the kiosk with the settings it already has? Nothing answered here is kept."
             if again else "Start the kiosk with the default settings? Nothing answered here is kept.")
    return (f"{keeps} The set-up does not come back by itself: run {command_line('--setup')}, or use "
            "the admin panel (Ctrl+Shift+A), to set the kiosk up later.")


class SetupWizard(QWizard):
    """`outcome` after it closes: first_run.FINISHED, first_run.SKIPPED, or "" (stopped, e.g. by
    SIGTERM, with nothing recorded); `settings` is what the kiosk should run with."""

    def __init__(self, paths: Paths, settings: Settings, guard: PinGuard | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("cxkiosk — first-run set-up")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoCancelButton)
        self.setOption(QWizard.WizardOption.HaveCustomButton1)
        self.again = first_run.is_done(paths, settings)  # --setup on a kiosk that has been set up
        self.setButtonText(QWizard.WizardButton.CustomButton1,
                           "Skip, keep current settings" if self.again else "Skip, use defaults")
        self.setButtonLayout([QWizard.WizardButton.CustomButton1, QWizard.WizardButton.Stretch,
                              QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
                              QWizard.WizardButton.FinishButton])
        self.customButtonClicked.connect(lambda _which: self.skip())
        self.setStyleSheet(TOUCH_STYLE)
        self.paths = paths
        self.loaded = replace(settings)
        self.settings = replace(settings)
        self.outcome = ""
        self.guard = guard or PinGuard(paths.data / STATE_FILE)
        self.name = NamePage()
        self.camera = CameraPage()
        self.privacy = PrivacyStep()
        self.pin = PinPage(self.guard, has_pin=is_pin_hash(settings.admin_pin_hash))
        self.nfc = NfcPage()
        self.provider = ProviderStep(paths.data, self.edited_settings)
        self.steps: tuple[SetupPage, ...] = (self.name, self.camera, self.privacy, self.pin, self.nfc,
                                             self.provider)
        for page in self.steps:
            page.load(self.loaded)
            self.addPage(page)
        _level_form_labels(self)

    def edited_settings(self) -> Settings:
        """The settings as the pages show them now (not saved)."""
        s = replace(self.loaded)
        for page in self.steps:
            page.apply(s)
        return s

    # -- the ways out ---------------------------------------------------------------------------

    def accept(self) -> None:
        """Finish: save what changed, as the admin panel saves; the API key went to the keyring
        on the provider page."""
        if not self.validateCurrentPage():  # QWizard checks it only after accept() is called
            return
        new = self.edited_settings()
        page = self.currentPage()
        line = page.message if isinstance(page, SetupPage) else None
        if problems := new.validate():
            if line is not None:
                line.setText("Not saved: " + "; ".join(problems))
            return
        try:
            changed = save_settings(self.paths, new, old=self.loaded)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            if line is not None:
                line.setText(f"Not saved: cannot write {self.paths.settings_file} ({reason}).")
            return
        if new.admin_pin_hash != self.loaded.admin_pin_hash:
            self.guard.note_pin()
            self.guard.reset()
        log.info("first-run set-up saved: %s", ", ".join(changed) or "no changes")
        self.settings = new
        self._end(first_run.FINISHED)
        super().accept()

    def skip(self) -> bool:
        if not widgets.ask(self, "Skip the set-up?", skip_question(self.again)):
            return False
        self.settings = replace(self.loaded)
        self._end(first_run.SKIPPED)
        # QDialog's done, not QWizard's: QWizard validates the current page on accept, and an
        # empty name on the first page kept the set-up open after the skip was recorded.
        QDialog.done(self, QDialog.DialogCode.Accepted)
        return True

    def reject(self) -> None:
        """Escape or the window's close button: the same as Skip, after asking."""
        self.skip()

    def interrupt(self) -> None:
        """Stopped from outside (SIGTERM, Ctrl+C): nothing saved, nothing recorded."""
        self._end("")
        super().reject()

    def _end(self, outcome: str) -> None:
        self.outcome = outcome
        self.camera.feed.close()  # the camera is free again before the kiosk opens it
        self.nfc.trial.stop()
        self.provider.trial.stop()
        if outcome:
            first_run.mark_done(self.paths, outcome)


def _level_form_labels(root: QWidget) -> None:
    """Form labels sit level with their fields, which the touch style makes taller than a line."""
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel):
                label.setMinimumHeight(40)
                label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def run_setup(paths: Paths, settings: Settings) -> Settings | None:
    """Show the set-up until it is finished or skipped; the settings to run with, or None when
    the kiosk was asked to stop meanwhile (SIGTERM, Ctrl+C)."""
    wizard = SetupWizard(paths, settings)
    screen = QApplication.primaryScreen()
    area = screen.availableGeometry() if screen is not None else None
    if area is not None:
        wizard.resize(min(1280, area.width()), min(720, area.height()))
        wizard.move(area.center() - wizard.rect().center())
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: QTimer.singleShot(0, wizard.interrupt))
    wake = QTimer(wizard)  # Python runs signal handlers only between bytecodes: wake it up
    wake.timeout.connect(lambda: None)
    wake.start(500)
    log.info("first-run set-up shown")
    try:
        wizard.exec()
    finally:
        wake.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    settings_out: Any = wizard.settings if wizard.outcome else None
    wizard.deleteLater()
    return settings_out

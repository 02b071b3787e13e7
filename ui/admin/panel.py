"""The hidden admin panel: a PIN first, then tabs for content, prompts, devices, provider,
privacy and today's figures.

Public API (main.py wires it):
- `AdminPanel(paths, settings, parent=None, guard=None)`: a top-level window. Nothing but the PIN
  page exists until the PIN is right (or, on first run, a new PIN is set); closing it locks it.
- signals: `content_changed()`, `settings_saved(Settings)`, `setting_changed(name, value)`,
  `preview_wanted(bool)`,
  `nfc_test_requested(str device)`, `retry_requested(int item id)`, `still_wanted()` (the
  prompt bench wants one camera frame);
- slots: `show_preview(numpy BGR image)`, `take_still(numpy BGR image)`, `set_status(part, text)`
  with part in camera | nfc | model | database, `set_health(ItemHealths)`, `show_health(ItemHealth)`,
  `set_fleet_status(FleetStatus)` (the Fleet tab).
It edits a copy of the settings; only Save writes settings.json (never the API key).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cxkiosk import autostart
from cxkiosk.config import Paths, Settings, needs_restart, save_settings
from cxkiosk.content.playlist import ItemHealth
from cxkiosk.links import LinkPolicy
from cxkiosk.pin import PIN_MAX, PIN_MIN, STATE_FILE, PinError, PinGuard, check_new_pin, hash_pin, is_pin_hash
from cxkiosk.runtime.provider_test import ProviderTestWorker
from cxkiosk.runtime.threads import WorkerThread
from ui.admin import widgets
from ui.admin.content import ContentPage
from ui.admin.devices import DevicesPage
from ui.admin.figures import FiguresPage
from ui.admin.fleet import FleetPage
from ui.admin.privacy import PrivacyPage
from ui.admin.prompts import PromptsPage
from ui.admin.provider import ProviderPage
from ui.admin.widgets import ERROR_STYLE, message

log = logging.getLogger("cxkiosk.admin")



class PinDialog(QDialog):
    """Enter the PIN; set one (typed twice) on first run or when `new`; or, when the stored PIN is
    missing or damaged on a kiosk that had one, say how to set it at the machine and take nothing.

    Emits `unlocked()` on a right PIN and `pin_set(hash)` when a new PIN was chosen; the panel
    stores the hash. Wrong tries count in a PinGuard that outlives the dialog (and the process).
    """

    unlocked = Signal()
    pin_set = Signal(str)

    def __init__(self, stored_hash: str, guard: PinGuard, parent: QWidget | None = None, *,
                 new: bool = False) -> None:
        super().__init__(parent)
        self.stored_hash = stored_hash
        self.guard = guard
        if is_pin_hash(stored_hash):
            guard.note_pin()
        # Offered at the screen only to a kiosk that never had a PIN: anyone can stand there.
        self.setting = new or (not is_pin_hash(stored_hash) and not guard.had_pin)
        self.missing = not self.setting and not is_pin_hash(stored_hash)
        self.setWindowTitle("Set an admin PIN" if self.setting else "Admin PIN")
        digits = QRegularExpressionValidator(rf"[0-9]{{0,{PIN_MAX}}}")
        self.pin = QLineEdit()
        self.confirm = QLineEdit()
        for field in (self.pin, self.confirm):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setValidator(digits)
            field.setMaxLength(PIN_MAX)
            # Enter reaches the dialog's default button (Unlock / Set PIN); connecting
            # returnPressed as well would count one Enter as two tries.
        heading = QLabel("<h2>Set an admin PIN</h2>" if self.setting else "<h2>Admin panel</h2>")
        if self.setting:
            intro = QLabel(f"No PIN is set yet. Choose {PIN_MIN} to {PIN_MAX} digits; the settings keep "
                           "only a salted hash of it.")
        elif self.missing:
            intro = QLabel("The admin PIN of this kiosk is missing or damaged, so the panel stays locked. "
                           "On this computer, run <b>cxkiosk pin</b> to set a new one.")
        else:
            intro = QLabel("Enter the admin PIN.")
        intro.setWordWrap(True)
        self.heading, self.intro = heading, intro  # the set-up wizard shows its own instead
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.ok = QPushButton("Set PIN" if self.setting else "Unlock")
        self.ok.setDefault(True)
        self.ok.clicked.connect(self.submit)
        form = QFormLayout()
        form.addRow("New PIN" if self.setting else "PIN", self.pin)
        if self.setting:
            form.addRow("Repeat PIN", self.confirm)
        else:
            self.confirm.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.ok)
        if self.missing:
            for widget in (self.pin, self.ok):
                widget.setEnabled(False)
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._show_lock)
        self._show_lock()

    def _show_lock(self) -> None:
        if self.missing:
            return
        left = self.guard.locked_for() if not self.setting else 0.0
        locked = left > 0
        self.pin.setEnabled(not locked)
        self.ok.setEnabled(not locked)
        if locked:
            self.message.setText(f"Too many wrong PINs. Try again in {left:.0f} s.")
            if not self._tick.isActive():
                self._tick.start()
        elif self._tick.isActive():
            self._tick.stop()
            self.message.clear()
            self.pin.setFocus()

    def submit(self) -> None:
        pin = self.pin.text()
        if self.missing:
            return
        if self.setting:
            try:
                check_new_pin(pin)
            except PinError as exc:
                self.message.setText(str(exc)[:1].upper() + str(exc)[1:] + ".")  # keeps "PIN" as it is
                return
            if self.confirm.text() != pin:
                self.message.setText("The two PINs differ; type the same PIN twice.")
                self.confirm.clear()
                return
            self.pin.clear()
            self.confirm.clear()
            self.pin_set.emit(hash_pin(pin))
            return
        if self.guard.locked_for() > 0:
            self._show_lock()
            return
        self.pin.clear()
        if self.guard.attempt(pin, self.stored_hash):
            self.message.clear()
            self.unlocked.emit()
            self.accept()
            return
        if self.guard.locked_for() > 0:
            self._show_lock()
        else:
            left = self.guard.tries_left
            self.message.setText(f"Wrong PIN. {left} {'try' if left == 1 else 'tries'} left before a "
                                 f"{self.guard.lockout:.0f} s lockout.")


class AdminPanel(QWidget):
    content_changed = Signal()
    settings_saved = Signal(object)  # Settings (a copy)
    setting_changed = Signal(str, object)  # name, new value: one per setting a save changed
    preview_wanted = Signal(bool)
    nfc_test_requested = Signal(str)
    retry_requested = Signal(int)  # item id: "Retry now" on the Content tab
    still_wanted = Signal()

    def __init__(self, paths: Paths, settings: Settings, parent: QWidget | None = None,
                 guard: PinGuard | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("cxkiosk — admin")
        self.resize(1100, 740)
        self.paths = paths
        self.settings = replace(settings)  # the panel's copy; Save writes it
        self.guard = guard or PinGuard(paths.data / STATE_FILE)
        self.captions: Any = None  # the kiosk's CaptionWriter, set by the opener when captions run
        # The prompt bench tries prompts as the running kiosk would (set by the opener): its
        # settings as they run, its call budget, and whether a camera is delivering frames.
        self.running_settings: Settings | None = None
        self.model_budget: Any = None
        self.live_frames = False
        self.stack = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        self.pin_dialog: PinDialog | None = None
        self.tabs: QTabWidget | None = None
        self.body: QWidget | None = None
        self._statuses: dict[str, str] = {}
        self._health: dict[int, ItemHealth] = {}  # failing items, kept while the panel is locked
        self._fleet: Any = None  # the fleet worker's last FleetStatus, kept while the panel is locked
        self._test: WorkerThread | None = None
        self._show_pin()

    # -- lock and unlock ----------------------------------------------------------------------------

    @property
    def unlocked(self) -> bool:
        return self.body is not None

    def _show_pin(self) -> None:
        dialog = PinDialog(self.settings.admin_pin_hash, self.guard)
        dialog.setWindowFlags(Qt.WindowType.Widget)  # a page of this window, not a second window
        dialog.unlocked.connect(self._unlock)
        dialog.pin_set.connect(lambda pin_hash: self._store_pin(pin_hash, dialog))
        holder = QWidget()
        QHBoxLayout(holder).addWidget(dialog, 0, Qt.AlignmentFlag.AlignCenter)
        dialog.setFixedWidth(420)
        self.stack.addWidget(holder)
        self.stack.setCurrentWidget(holder)
        if self.pin_dialog is not None:
            self.pin_dialog.parentWidget().deleteLater()
        self.pin_dialog = dialog
        dialog.pin.setFocus()

    def _store_pin(self, pin_hash: str, dialog: PinDialog) -> bool:
        """Write only the new hash (over the last saved settings, not unsaved edits in the tabs)."""
        updated = replace(self.settings, admin_pin_hash=pin_hash)
        try:
            save_settings(self.paths, updated, old=self.settings)
        except OSError as exc:
            dialog.message.setText(f"The PIN could not be saved ({exc}); the old state is kept.")
            return False
        self.settings = updated
        self.guard.note_pin()
        log.info("admin PIN set")
        self.settings_saved.emit(replace(updated))
        self._unlock()
        return True

    def change_pin(self) -> PinDialog:
        """A separate small window asking for the new PIN twice (the panel is already unlocked)."""
        dialog = PinDialog("", self.guard, self, new=True)
        dialog.setWindowTitle("Change the admin PIN")

        def store(pin_hash: str) -> None:
            if self._store_pin(pin_hash, dialog):
                dialog.accept()
                if self.body is not None:
                    message(self.save_status, "Admin PIN changed.", True)

        dialog.pin_set.connect(store)
        self.pin_change = dialog
        dialog.open()
        return dialog

    def _unlock(self) -> None:
        if self.body is not None:
            return
        self.body = self._build_body()
        self.stack.addWidget(self.body)
        self.stack.setCurrentWidget(self.body)
        for part, text in self._statuses.items():
            self.devices.set_status(part, text)
        self.content.set_health(self._health.values())
        if self._fleet is not None:
            self.fleet.set_status(self._fleet)

    def set_fleet_status(self, status: Any) -> None:
        """The fleet worker's FleetStatus: kept, and shown on the Fleet tab when unlocked."""
        self._fleet = status
        if self.body is not None:
            self.fleet.set_status(status)

    def lock(self) -> None:
        """Back to the PIN page; the tabs (and any preview or test) end."""
        self._stop_test()
        if self.body is None:
            return
        self.devices.set_preview_wanted(False)
        self.figures.stop()
        self.prompts.stop()
        body, self.body, self.tabs = self.body, None, None
        self._show_pin()
        self.stack.removeWidget(body)
        body.deleteLater()

    # -- the tabs -----------------------------------------------------------------------------------

    def _build_body(self) -> QWidget:
        self.content = ContentPage(policy=LinkPolicy.allowing(self.settings.http_hosts,
                                                                self.settings.showroom_page))
        self.prompts = PromptsPage(captions=self.captions, settings=self.running_settings or self.settings,
                                   data_dir=self.paths.data, budget=self.model_budget,
                                   live_frames=self.live_frames)
        self.prompts.still_wanted.connect(self.still_wanted)
        self.devices = DevicesPage(self.paths.data.resolve())
        self.provider = ProviderPage()
        self.privacy = PrivacyPage()
        self.figures = FiguresPage()
        self.fleet = FleetPage()
        self.fleet.load(self.settings)
        for page in (self.devices, self.provider, self.privacy):
            page.load(self.settings)
        self.content.changed.connect(self.content_changed)
        self.content.retry_requested.connect(self.retry_requested)
        self.devices.preview_wanted.connect(self.preview_wanted)
        self.devices.nfc_test_requested.connect(self.nfc_test_requested)
        self.provider.test_button.clicked.connect(self.test_provider)
        tabs = QTabWidget()
        for page, title in ((self.content, "Content"), (self.prompts, "Prompts"), (self.devices, "Devices"),
                            (self.provider, "Model provider"), (self.privacy, "Privacy"),
                            (self.figures, "Figures"), (self.fleet, "Fleet")):
            tabs.addTab(page, title)
        self.tabs = tabs
        self.save_button = QPushButton("Save settings")
        self.save_button.clicked.connect(self.save)
        self.pin_button = QPushButton("Change PIN…")
        self.pin_button.clicked.connect(self.change_pin)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        self.save_status = QLabel("Devices, model provider and privacy are saved with “Save settings”; "
                                  "content and prompts are saved by their own buttons.")
        self.save_status.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.save_status, 1)
        bar.addWidget(self.pin_button)
        bar.addWidget(self.save_button)
        bar.addWidget(self.close_button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(tabs, 1)
        layout.addLayout(bar)
        return body

    def edited_settings(self) -> Settings:
        """The settings as the tabs show them now (not yet saved)."""
        s = replace(self.settings)
        if self.body is not None:
            for page in (self.devices, self.provider, self.privacy):
                page.apply(s)
        return s

    def _problems(self, s: Settings) -> list[str]:
        from cxkiosk.profiling.providers import ProviderError, resolve_provider
        from cxkiosk.push.nfc import check_device
        from cxkiosk.sensing.sources import SourceError, parse_spec

        problems = s.validate()
        from cxkiosk.consent import privacy_link

        problems += [refused for refused in privacy_link(s)[1:] if refused]
        if s.source.strip().lower() != "auto":
            try:
                parse_spec(s.source)
            except SourceError as exc:
                problems.append(str(exc))
        try:
            check_device(s.nfc_device)
        except ValueError as exc:
            problems.append(str(exc))
        if s.privacy in ("full", "thermal"):  # the model is only called in these modes
            try:
                resolve_provider(s.provider, s.base_url, s.model)
            except ProviderError as exc:
                problems.append(str(exc))
        return problems

    def save(self) -> bool:
        """Write settings.json from the tabs; emits settings_saved. The key goes to the keyring only."""
        if self.body is None:
            return False
        new = self.edited_settings()
        problems = self._problems(new)
        if problems:
            message(self.save_status, "Not saved: " + "; ".join(problems), False)
            return False
        key_note = ""
        if self.provider.api_key.text().strip():
            key_note = " API key stored in the OS keyring." if self.provider.store_key() \
                else " The API key was NOT stored (see the Model provider tab)."
        login, login_note = self.settings.start_at_login, ""
        if new.start_at_login != login:  # the OS entry first: the setting never claims a missing one
            done, login_note = autostart.follow(new.start_at_login, self.paths.data.resolve())
            new.start_at_login = new.start_at_login if done else login
        try:
            changed = save_settings(self.paths, new, old=self.settings)
        except (OSError, ValueError) as exc:
            if new.start_at_login != login:
                autostart.follow(login, self.paths.data.resolve())  # back as the file still says
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            message(self.save_status, f"Not saved: cannot write {self.paths.settings_file} ({reason})", False)
            return False
        self.settings = new
        if login_note:
            self.devices.show_start_at_login(new.start_at_login)
        restart = sorted({needs_restart(n) for n in changed} - {""})
        if not changed:
            text = "Saved (nothing had changed)."
        elif restart:
            text = f"Saved. Restart the kiosk to apply: {', '.join(restart)}."
        else:
            text = "Saved and applied."
        message(self.save_status, text + key_note + f" {login_note}".rstrip(),
                "NOT" not in key_note + login_note)
        log.info("settings saved from the admin panel: %s", ", ".join(changed) or "no changes")
        self.settings_saved.emit(replace(new))
        for name in changed:
            self.setting_changed.emit(name, getattr(new, name))
        return True

    # -- provider test on a worker thread ---------------------------------------------------------

    def test_provider(self) -> None:
        if self._test is not None or self.body is None:
            return
        settings = self.provider.test_settings(self.edited_settings())
        key = self.provider.api_key.text().strip() or None
        worker = ProviderTestWorker(settings, self.paths.data, key)
        self._test = WorkerThread(worker, "admin-provider-test")
        worker.done.connect(self._test_done)
        worker.finished.connect(self._test_finished)
        self.provider.test_button.setEnabled(False)
        message(self.provider.test_status, f"Calling {settings.provider}…")
        self._test.start()

    def _test_done(self, text: str, ok: bool) -> None:
        if self.body is not None:
            message(self.provider.test_status, text, ok)

    def _test_finished(self) -> None:
        self._stop_test()
        if self.body is not None:
            self.provider.test_button.setEnabled(True)

    def _stop_test(self) -> None:
        test, self._test = self._test, None
        if test is not None:
            test.stop(timeout=5.0)

    # -- slots the lead connects --------------------------------------------------------------------

    def show_preview(self, image: np.ndarray) -> None:
        if self.body is not None:
            self.devices.show_preview(image)

    def take_still(self, image: np.ndarray) -> None:
        if self.body is not None:
            self.prompts.take_still(image)

    def set_status(self, part: str, text: str) -> None:
        self._statuses[part] = text
        if self.body is not None:
            self.devices.set_status(part, text)

    def set_health(self, healths: Iterable[ItemHealth]) -> None:
        self._health = {h.item_id: h for h in healths if h.failing}
        if self.body is not None:
            self.content.set_health(self._health.values())

    def show_health(self, health: ItemHealth) -> None:
        if health.failing:
            self._health[health.item_id] = health
        else:
            self._health.pop(health.item_id, None)
        if self.body is not None:
            self.content.show_health(health)

    # -- closing ------------------------------------------------------------------------------------

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self.body is not None and self._unsaved() and not widgets.ask(
                self, "Unsaved settings", "Settings were changed but not saved. Close and discard them?"):
            event.ignore()
            return
        self.lock()
        super().closeEvent(event)

    def _unsaved(self) -> bool:
        return self.edited_settings() != self.settings or bool(self.provider.api_key.text().strip())

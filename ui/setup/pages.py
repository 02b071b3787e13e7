"""The set-up's simple pages: the kiosk's name, privacy (the admin panel's Privacy tab) and the
admin PIN (the admin panel's own PIN dialog, so there is one way to choose a PIN)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWizardPage

from cxkiosk.config import Settings, problem
from cxkiosk.pin import PIN_MAX, PIN_MIN, PinGuard
from cxkiosk.resources import command_line
from ui.admin.panel import PinDialog
from ui.admin.privacy import PrivacyPage
from ui.admin.widgets import ERROR_STYLE, note

NAME_MAX = 60  # Settings.kiosk_name's max_len


class SetupPage(QWizardPage):
    """A page that shows settings (`load`) and writes what it shows into a copy (`apply`), with
    one line at the bottom for what is wrong with the answer."""

    def __init__(self, title: str, subtitle: str) -> None:
        super().__init__()
        self.setTitle(f"<span style='font-size: 24px; font-weight: 600;'>{title}</span>")
        self.setSubTitle(subtitle)
        self.body = QVBoxLayout(self)
        self.body.setSpacing(14)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)

    def finish_layout(self) -> None:
        self.body.addStretch(1)
        self.body.addWidget(self.message)

    def refuse(self, text: str) -> bool:
        self.message.setText(text)
        return False

    def load(self, s: Settings) -> None:
        pass

    def apply(self, s: Settings) -> None:
        pass


class NamePage(SetupPage):
    def __init__(self) -> None:
        super().__init__("Name this kiosk",
                         "A few questions and the kiosk starts. Every answer can be changed later: in the "
                         f"admin panel (Ctrl+Shift+A on the billboard), or here again with "
                         f"{command_line('--setup')}. “Skip” starts it now.")
        self.name = QLineEdit()
        self.name.setMaxLength(NAME_MAX)
        self.name.setPlaceholderText("e.g. Ginza showroom, entrance")
        form = QFormLayout()
        form.addRow("Kiosk name", self.name)
        self.body.addLayout(form)
        self.body.addWidget(note(f"Up to {NAME_MAX} characters, shown in the window title and the log so "
                                 "screens can be told apart. Campaign links carry the kiosk id instead."))
        self.finish_layout()

    def load(self, s: Settings) -> None:
        self.name.setText(s.kiosk_name)

    def apply(self, s: Settings) -> None:
        s.kiosk_name = self.name.text().strip()

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        name = self.name.text().strip()
        if not name:
            return self.refuse(f"Give the kiosk a name (1 to {NAME_MAX} characters).")
        if reason := problem("kiosk_name", name):
            return self.refuse(f"Not a usable name: {reason.replace('kiosk_name ', 'it ')}.")
        self.message.clear()
        return True


class PrivacyStep(SetupPage):
    def __init__(self) -> None:
        super().__init__("Privacy", "What the camera may do, and the notice visitors read on the "
                         "billboard whenever it is on.")
        self.page = PrivacyPage()
        self.page.layout().setContentsMargins(0, 0, 0, 0)
        # The whole page height for the (scrolling) privacy fields: with finish_layout's stretch
        # beside them they kept half the free height and left an empty band above the buttons.
        self.body.addWidget(self.page, 1)
        self.body.addWidget(self.message)

    def load(self, s: Settings) -> None:
        self.page.load(s)

    def apply(self, s: Settings) -> None:
        self.page.apply(s)

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        if reason := problem("consent_text", self.page.consent.toPlainText().strip()):
            return self.refuse("The consent notice cannot be used: "
                               f"{reason.replace('consent_text ', 'it ')}.")
        self.message.clear()
        return True


class _PinKeys(QObject):
    """Enter in the PIN fields means Next (the embedded dialog would swallow it), and Escape must
    not close the embedded dialog (it would hide itself and leave an empty page)."""

    def __init__(self, wizard_next: Any, parent: QObject) -> None:
        super().__init__(parent)
        self._next = wizard_next

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._next()
                return True
            if key == Qt.Key.Key_Escape:
                return True
        return False


class PinPage(SetupPage):
    """The PIN typed twice and checked by the admin panel's PinDialog (cxkiosk/pin.py's rules and
    hash). A kiosk with no PIN must choose one here; one that has a PIN (the set-up run again with
    --setup) may keep it by leaving the fields empty."""

    def __init__(self, guard: PinGuard, has_pin: bool) -> None:
        super().__init__("Admin PIN", "The PIN opens the admin panel (Ctrl+Shift+A on the billboard).")
        self.has_pin = has_pin
        self.pin_hash = ""  # chosen on this page, saved when the set-up finishes
        self.dialog = PinDialog("", guard, new=True)
        self.dialog.setWindowFlags(Qt.WindowType.Widget)  # a part of this page, not a window
        for part in (self.dialog.heading, self.dialog.intro, self.dialog.ok):
            part.hide()
        self.dialog.layout().setContentsMargins(0, 0, 0, 0)
        self.dialog.setMaximumWidth(560)  # a PIN is short: fields across the screen look broken
        self.dialog.pin_set.connect(self._chosen)
        self.dialog.installEventFilter(_PinKeys(self._next, self))
        self.intro = note("")
        self.body.addWidget(self.intro)
        self.body.addWidget(self.dialog)
        self.finish_layout()
        self._show_intro()

    def _next(self) -> None:
        wizard = self.wizard()
        if wizard is not None:
            wizard.next()

    def _show_intro(self) -> None:
        rule = f"{PIN_MIN} to {PIN_MAX} digits, typed twice; the settings keep only a salted hash of it."
        if self.pin_hash:
            self.intro.setText("PIN chosen. Type another one twice to change it. " + rule)
        elif self.has_pin:
            self.intro.setText("This kiosk has a PIN. Type a new one twice to change it, or leave both "
                               "fields empty to keep it. " + rule)
        else:
            self.intro.setText("Choose the PIN now: " + rule)

    def _chosen(self, pin_hash: str) -> None:
        self.pin_hash = pin_hash
        self._show_intro()

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.dialog.pin.setFocus()

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        if not self.dialog.pin.text() and not self.dialog.confirm.text() and (self.pin_hash or self.has_pin):
            return True
        self.dialog.message.clear()
        before = self.pin_hash
        self.dialog.submit()  # emits pin_set (and clears the fields) only for a valid, repeated PIN
        return self.pin_hash != before and bool(self.pin_hash)

    def apply(self, s: Settings) -> None:
        if self.pin_hash:
            s.admin_pin_hash = self.pin_hash

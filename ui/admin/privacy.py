"""The Privacy tab: the mode, sensitive attributes with the legal warning, the consent text, how
long the logs are kept."""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cxkiosk import consent
from cxkiosk.config import Settings
from ui.admin import widgets
from ui.admin.widgets import (
    message,
    note,
)
from ui.overlays import ConsentStrip

log = logging.getLogger("cxkiosk.admin")


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
            grid.addWidget(note(PRIVACY_TEXT[mode]), r, 1)
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
        self.retention = QSpinBox()
        self.retention.setRange(0, 3650)  # the bounds of Settings.retention_days
        self.retention.setSuffix(" days")
        self.retention.setSpecialValueText("forever")  # 0
        keep_box = QGroupBox("Keep the logs")
        keep = QGridLayout(keep_box)
        self.retention_note = note("Proof of play, visits and taps older than this are deleted when the "
                                   "kiosk starts and once a day (a change applies from the next purge); "
                                   "0 keeps them forever.")
        keep.addWidget(self.retention, 0, 0)
        keep.addWidget(self.retention_note, 0, 1)
        keep.setColumnStretch(1, 1)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(modes_box)
        layout.addWidget(sens_box)
        layout.addWidget(self._notice_box())
        layout.addWidget(keep_box)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        QVBoxLayout(self).addWidget(scroll)
        self._base = Settings()
        for radio in self.radios.values():
            radio.toggled.connect(self._update_preview)

    @property
    def mode(self) -> str:
        return next((m for m, r in self.radios.items() if r.isChecked()), "local")

    def _sensitive_toggled(self, on: bool) -> None:
        if on and not widgets.ask(self, "Turn on sensitive attributes?", SENSITIVE_WARNING
                                  + "\n\nDo you confirm that it is lawful here?"):
            self.sensitive.blockSignals(True)
            self.sensitive.setChecked(False)
            self.sensitive.blockSignals(False)

    def load(self, s: Settings) -> None:
        self.radios.get(s.privacy, self.radios["local"]).setChecked(True)
        self.sensitive.blockSignals(True)  # a stored choice was confirmed when it was made
        self.sensitive.setChecked(s.sensitive_attributes)
        self.sensitive.blockSignals(False)
        self.retention.setValue(s.retention_days)
        self._load_notice(s)

    def apply(self, s: Settings) -> None:
        s.privacy = self.mode
        s.sensitive_attributes = self.sensitive.isChecked()
        s.retention_days = self.retention.value()
        self._apply_notice(s)

    # --- what the billboard tells visitors (consent notice, QR card; issue #15) -----------------

    def _notice_box(self) -> QGroupBox:
        box = QGroupBox("What the billboard tells visitors")
        form = QFormLayout(box)
        self.controller = QLineEdit()
        self.controller.setPlaceholderText("who is responsible (the data controller): Example Motors Ltd")
        self.privacy_link = QLineEdit()
        self.privacy_link.setPlaceholderText("https://… your full privacy notice (shown as a small QR code)")
        self.link_check = QLabel()
        self.consent = QPlainTextEdit()
        self.consent.setFixedHeight(90)
        self.scan_text = QLineEdit()
        self.tap_text = QLineEdit()
        self.preview = ConsentStrip(self)
        form.addRow("Controller", self.controller)
        form.addRow("Privacy link", self.privacy_link)
        form.addRow("", self.link_check)
        form.addRow("Notice text", self.consent)
        form.addRow("", note("Fields: " + ", ".join("{" + f + "}" for f in consent.FIELDS)
                             + ". They are filled in for the privacy mode; a fact the text leaves "
                               "out (what leaves the machine, what is stored, the link) is added "
                               "after it, so the notice always tells the truth."))
        form.addRow("Preview", self.preview)
        form.addRow("QR card text", self.scan_text)
        form.addRow("… with an NFC reader", self.tap_text)
        for edit in (self.controller, self.privacy_link):
            edit.textChanged.connect(self._update_preview)
        self.consent.textChanged.connect(self._update_preview)
        return box

    def _load_notice(self, s: Settings) -> None:
        self._base = s
        self.controller.setText(s.consent_controller)
        self.privacy_link.setText(s.privacy_link)
        self.consent.setPlainText(s.consent_text or consent.DEFAULT_TEMPLATE)
        self.scan_text.setText(s.qr_call_to_action)
        self.tap_text.setText(s.qr_call_to_action_nfc)
        self._update_preview()

    def _apply_notice(self, s: Settings) -> None:
        s.consent_controller = self.controller.text().strip()
        s.privacy_link = self.privacy_link.text().strip()
        text = self.consent.toPlainText().strip()
        s.consent_text = "" if text == consent.DEFAULT_TEMPLATE else text  # "" follows the built-in one
        s.qr_call_to_action = self.scan_text.text().strip() or Settings().qr_call_to_action
        s.qr_call_to_action_nfc = self.tap_text.text().strip() or Settings().qr_call_to_action_nfc

    def _update_preview(self) -> None:
        if not hasattr(self, "preview"):
            return
        s = replace(self._base, privacy=self.mode)
        self._apply_notice(s)
        link, refused = consent.privacy_link(s)
        if refused:
            message(self.link_check, refused, False)
        else:
            message(self.link_check, f"the QR code opens {link}" if link else
                    "no link yet: the notice tells visitors to ask the staff", bool(link) or None)
        notice = consent.consent_notice(s)
        self.preview.set_notice(notice or consent.ConsentNotice("Privacy mode off", "No notice shows."))
        self.preview.fit(760, 720)  # as the strip reads on a 720p screen, a little narrower

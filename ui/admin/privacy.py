"""The Privacy tab: the mode, sensitive attributes with the legal warning, the consent text, how
long the logs are kept."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cxkiosk.config import Settings
from ui.admin import widgets
from ui.admin.widgets import (
    note,
)

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
        self.consent = QPlainTextEdit()
        self.consent.setFixedHeight(70)
        consent_box = QGroupBox("Consent notice (shown on the billboard whenever the camera is on)")
        QVBoxLayout(consent_box).addWidget(self.consent)
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
        layout = QVBoxLayout(self)
        layout.addWidget(modes_box)
        layout.addWidget(sens_box)
        layout.addWidget(consent_box)
        layout.addWidget(keep_box)
        layout.addStretch(1)

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
        self.consent.setPlainText(s.consent_text)
        self.retention.setValue(s.retention_days)

    def apply(self, s: Settings) -> None:
        s.privacy = self.mode
        s.sensitive_attributes = self.sensitive.isChecked()
        s.consent_text = self.consent.toPlainText().strip()
        s.retention_days = self.retention.value()

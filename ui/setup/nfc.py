"""The set-up's NFC page: the reader's device path and mode (the admin panel's fields) and a test
that writes a test link to a tag and reads it back (cxkiosk/runtime/nfc_test.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton

from cxkiosk.config import Settings
from cxkiosk.push.nfc import check_device
from cxkiosk.runtime.nfc_test import TEST_LINK, NfcTestWorker
from ui.admin.devices import nfc_device_field, nfc_mode_box
from ui.admin.widgets import note
from ui.setup.pages import SetupPage
from ui.setup.trial import Trial


class NfcPage(SetupPage):
    tag_seconds = 15.0  # how long the test waits for a tag

    def __init__(self) -> None:
        super().__init__("NFC reader", "The reader pushes the link of what is playing to visitors' phones. "
                         "Test it with the tag or sticker it will use.")
        self.device = nfc_device_field()
        self.mode = nfc_mode_box()
        self.test_button = QPushButton("Test the reader")
        self.test_button.clicked.connect(self.test)
        self.test_status = QLabel()
        self.test_status.setWordWrap(True)
        self.trial = Trial(self.test_button, self.test_status, "setup-nfc-test")
        form = QFormLayout()
        form.addRow("Device", self.device)
        form.addRow("Mode", self.mode)
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addWidget(self.test_status, 1)
        self.body.addLayout(form)
        self.body.addLayout(row)
        self.body.addWidget(note(f"The test writes {TEST_LINK} to the tag held on the reader and reads it "
                                 "back; the kiosk writes its own links over it later. No reader? Type none: "
                                 "the QR code on the billboard carries the same link."))
        self.finish_layout()

    def load(self, s: Settings) -> None:
        self.device.setText(s.nfc_device)
        self.mode.setCurrentIndex(max(0, self.mode.findData(s.nfc_mode)))

    def apply(self, s: Settings) -> None:
        s.nfc_device = self.device.text().strip()
        s.nfc_mode = self.mode.currentData()

    def test(self) -> None:
        device = self.device.text().strip()
        try:
            check_device(device)
        except ValueError as exc:
            self.refuse(str(exc))
            return
        self.message.clear()
        self.trial.start(NfcTestWorker(device, self.mode.currentData(), self.tag_seconds),
                         f"Opening the reader on {device}…")

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        try:
            check_device(self.device.text())
        except ValueError as exc:
            return self.refuse(str(exc))
        self.trial.stop()  # the reader is the kiosk's from now on
        self.message.clear()
        return True

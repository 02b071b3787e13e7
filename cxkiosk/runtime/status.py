"""The latest word from each part of the kiosk (camera, NFC, model, database), kept on the GUI
thread so a panel opened later still sees it. Workers' status signals connect to these slots
(queued across threads); the admin panel listens to `changed`."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger("cxkiosk.status")

PARTS = ("camera", "nfc", "model", "database", "fleet", "screen", "supervisor")


class StatusBoard(QObject):
    changed = Signal(str, str)  # part, text

    def __init__(self) -> None:
        super().__init__()
        self.latest: dict[str, str] = {}

    def set(self, part: str, text: str) -> None:
        if self.latest.get(part) == text:
            return
        self.latest[part] = text
        log.info("%s: %s", part, text)
        self.changed.emit(part, text)

    @Slot(str)
    def camera(self, text: str) -> None:
        self.set("camera", text)

    @Slot(str)
    def nfc(self, text: str) -> None:
        self.set("nfc", text)

    @Slot(str)
    def model(self, text: str) -> None:
        self.set("model", text)

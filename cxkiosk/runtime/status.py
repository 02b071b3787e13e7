"""The latest word from each part of the kiosk (camera, NFC, model, database), kept on the GUI
thread so a panel opened later still sees it. Workers' status signals connect to these slots
(queued across threads); the admin panel listens to `changed`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from PySide6.QtCore import QObject, Signal, Slot

from cxkiosk.fleet.heartbeat import Beat, program_version

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


# Words by which a camera or NFC line says the part is not doing its job. The lines are the
# workers' own (capture, sources, NfcService): "camera 0 unplugged, retrying in 4 s", "no reader",
# "face detection off: ...", "video x.mp4 ended". A tag's outcome ("tag is read-only") is the
# visitor's tag, not the kiosk's fault, and a part switched off on purpose ("NFC off", "privacy
# mode off") is fine.
TROUBLE = ("unplugged", "not found", "no reader", "cannot", "closed", "stopped", "ended", "unreadable",
           "error", "failed", "refused", "detection off")
NFC_FINE = ("ready", "emulating", "nfc off", "nfc is off")


def trouble(part: str, text: str) -> str:
    """What is wrong with `part` by its latest status line: "" when it works (or is off on
    purpose), else the line itself."""
    low = text.lower().strip()
    if not low:
        return ""
    if part == "model":  # "openai: ready", "privacy mode local: no model is called"; else an error
        return "" if low.endswith(": ready") or low.startswith("privacy mode") else text
    if part == "nfc" and low.startswith(NFC_FINE):
        return ""
    return text if any(word in low for word in TROUBLE) else ""


def beat(latest: Mapping[str, str], *, kiosk: str, name: str, started: datetime | None, playable: int,
         queued: int, interval: float) -> Beat:
    """This kiosk's heartbeat from the status board's latest lines (`StatusBoard.latest`,
    copied on the GUI thread) and what the fleet worker knows."""
    return Beat(kiosk=kiosk, name=name, version=program_version(), started=started,
                camera=trouble("camera", latest.get("camera", "")),
                model=trouble("model", latest.get("model", "")),
                nfc=trouble("nfc", latest.get("nfc", "")),
                playable=playable, queued=queued, interval=interval)

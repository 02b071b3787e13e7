"""The NFC worker: nfcpy's blocking loop on its own QThread, talking only through signals."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot

from cxkiosk.config import Settings
from cxkiosk.links import HTTPS_ONLY, LinkPolicy
from cxkiosk.push.links import link_policy
from cxkiosk.push.nfc import Link, NfcService, PushResult
from cxkiosk.runtime.threads import Worker

__all__ = ["NfcWorker", "PushResult", "Link"]


class NfcWorker(Worker):
    """Pushes the current item's link to phones: writes tags or emulates one (Settings.nfc_mode).

    `set_link()` is safe to call from any thread (a lock guards the link). Call it directly or
    connect to it with Qt.DirectConnection: the worker's thread sits in nfcpy's loop, not in an
    event loop, so a queued call would never be delivered. `status` tells the admin panel what the
    reader is doing; `pushed` carries a PushResult for each tag written or emulated tag read.
    """

    status = Signal(str)
    pushed = Signal(object)
    reader = Signal(bool)  # a reader works (True) or not (False), on each change

    def __init__(self, device: str, mode: str = "write", policy: LinkPolicy = HTTPS_ONLY) -> None:
        super().__init__()
        self.service = NfcService(device, mode, policy)  # ValueError for a malformed device or mode

    @classmethod
    def from_settings(cls, settings: Settings) -> NfcWorker:
        return cls(settings.nfc_device, settings.nfc_mode, link_policy(settings))

    @Slot(str, object)
    def set_link(self, url: str | None, item_id: int | None = None, title: str = "") -> None:
        reason = self.service.set_link(url, title, item_id)
        if reason:
            self.status.emit(reason)

    def request_stop(self) -> None:
        super().request_stop()
        self.service.stop()  # wakes nfcpy's terminate callback and any backoff wait

    def work(self) -> None:
        self.service.run(self.status.emit, self.pushed.emit, self.reader.emit)

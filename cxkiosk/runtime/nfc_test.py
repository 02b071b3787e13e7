"""The set-up's NFC test: open the reader, write a test link to a tag held on it and read it
back, on its own thread; the outcome comes back as one line of text."""

from __future__ import annotations

from PySide6.QtCore import Signal

from cxkiosk.push.nfc import ReaderMissing, check_device, is_off, open_frontend, write_next_tag
from cxkiosk.runtime.threads import Worker

# A reserved documentation domain (RFC 2606): a phone that reads the test tag opens nobody's page.
TEST_LINK = "https://example.com/cxkiosk-nfc-test"


class NfcTestWorker(Worker):
    """`progress(text)` while it waits for a tag, then `done(text, ok)` once."""

    progress = Signal(str)
    done = Signal(str, bool)

    def __init__(self, device: str, mode: str = "write", seconds: float = 15.0) -> None:
        super().__init__()
        self._device, self._mode, self._seconds = device, mode, seconds

    def work(self) -> None:
        try:
            path = check_device(self._device)
        except ValueError as exc:
            self.done.emit(str(exc), False)
            return
        if is_off(path):
            self.done.emit("NFC is off (device none); the QR code alone carries the links.", True)
            return
        try:
            reader = open_frontend(path)
        except ReaderMissing as exc:
            self.done.emit(f"{exc}.", False)
            return
        name = str(reader)
        reader.close()  # write_next_tag opens it again; the emulate test needs a phone, not us
        if self._mode == "emulate":
            self.done.emit(f"Reader found: {name}. Once the kiosk runs it acts as a tag: tap a phone "
                           "on it to check.", True)
            return
        self.progress.emit(f"Reader found: {name}. Hold a tag on it now ({self._seconds:g} s)…")
        try:
            result = write_next_tag(path, TEST_LINK, timeout=self._seconds, terminate=lambda: self.stopping)
        except ReaderMissing as exc:  # unplugged between the two opens
            self.done.emit(f"{exc}.", False)
            return
        if not self.stopping:
            self.done.emit(result.message[:1].upper() + result.message[1:] + ".", result.ok)

"""Captions off the GUI thread: a targeted item shows its tagline at once, and its caption when
the model has written it (never waited for). An event worker: `request` is queued to its thread,
`written(code, text, source)` comes back for the play with that code."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from PySide6.QtCore import Signal, Slot

from cxkiosk.captions.writer import CaptionWriter
from cxkiosk.runtime.threads import Worker
from cxkiosk.values import Audience, Choice

log = logging.getLogger("cxkiosk.captions")


class CaptionWorker(Worker):
    written = Signal(str, str, str)  # play code, text, source ("generated" | "cached" | "tagline")

    def __init__(self, writer: CaptionWriter, abort: Any = None) -> None:
        super().__init__()
        self.writer = writer
        self._abort = abort  # ends an in-flight call when the kiosk stops

    def request_stop(self) -> None:
        super().request_stop()
        if self._abort is not None:
            self._abort()

    @Slot(object, object)
    def request(self, choice: Choice, audience: Audience) -> None:
        if self.stopping:
            return
        try:
            caption = self.writer.caption(choice.item, audience, choice.segment, datetime.now())
        except Exception:  # a caption is optional; the tagline stays
            log.exception("caption failed")
            return
        if caption.source != "tagline" and not self.stopping:
            self.written.emit(choice.code, caption.text, caption.source)

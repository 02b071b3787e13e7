"""The admin panel's provider test: one real model call on its own thread, reported back as text."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6.QtCore import Signal

from cxkiosk.config import Settings
from cxkiosk.runtime.threads import Worker

log = logging.getLogger("cxkiosk.admin")


def sample_image() -> np.ndarray:
    """A small drawn figure (head and shoulders): enough for a server to answer, no real person."""
    import cv2

    img = np.full((240, 320, 3), 235, np.uint8)
    cv2.rectangle(img, (110, 150), (210, 240), (90, 60, 40), -1)
    cv2.circle(img, (160, 100), 42, (150, 180, 220), -1)
    cv2.circle(img, (145, 92), 5, (40, 40, 40), -1)
    cv2.circle(img, (175, 92), 5, (40, 40, 40), -1)
    cv2.ellipse(img, (160, 118), (14, 6), 0, 0, 180, (60, 60, 160), 2)
    return img


class ProviderTestWorker(Worker):
    """One classify of the test image on a worker thread; `done(text, ok)` carries the outcome."""

    done = Signal(str, bool)

    def __init__(self, settings: Settings, data_dir: Any, api_key: str | None) -> None:
        super().__init__()
        self._settings = settings
        self._data_dir = data_dir
        self._api_key = api_key
        self._classifier: Any = None

    def request_stop(self) -> None:
        super().request_stop()
        if self._classifier is not None:
            self._classifier.abort()  # thread-safe: ends an in-flight call now

    def work(self) -> None:
        from cxkiosk.profiling.client import Classifier

        classifier = Classifier(self._settings, self._data_dir, api_key=self._api_key)
        self._classifier = classifier
        try:
            if classifier.problem:
                self.done.emit(classifier.problem, False)
                return
            if self.stopping:
                return
            result = classifier.classify(sample_image(), source="camera")
        finally:
            classifier.close()
        if result.error:
            self.done.emit(f"Failed after {result.latency_ms:.0f} ms: {result.error}", False)
        else:
            self.done.emit(f"OK in {result.latency_ms:.0f} ms ({result.provider}, {result.model}): "
                           f"{result.audience.summary()}", True)

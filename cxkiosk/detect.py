"""Local face detection (OpenCV Haar cascades) and the local-only audience profile.

Frontal faces mean "facing the screen"; profile faces (searched on the image and its mirror,
since the cascade only knows one side) are people present but looking away. The cascades run on
a downscaled, equalised grayscale copy: a kiosk camera sees faces from about a metre to a few
metres; at 320 px wide a face of about 45 px in a 640 px frame (2-3 m from a typical webcam) still
fills the cascade's 20 px window, and it is ~4x cheaper than full VGA.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from .audience import Audience, Person

if TYPE_CHECKING:
    from .agegender import AgeGenderEstimator

log = logging.getLogger("cxkiosk.detect")

WORK_WIDTH = 320


@dataclass(frozen=True)
class Face:
    x: int  # left, pixels of the full image
    y: int  # top
    w: int
    h: int
    frontal: bool  # True: facing the screen
    score: float  # cascade neighbours that agreed; higher is surer

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


def _iou(a: Face, b: Face) -> float:
    ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    inter = ix * iy
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union else 0.0


def _cascade(name: str) -> cv2.CascadeClassifier:
    path = Path(cv2.data.haarcascades) / name
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise RuntimeError(f"OpenCV cascade {name} missing: install opencv-python-headless 4.x "
                           "(the 5.x wheels ship no Haar cascades)")
    return cascade


class FaceDetector:
    """`detect(image)` -> faces, largest first. One instance per thread (cascades are not shared)."""

    def __init__(self, work_width: int = WORK_WIDTH, min_face: int = 20, neighbours: int = 4,
                 profiles: bool = True) -> None:
        self.work_width = work_width
        self.min_face = min_face
        self.neighbours = neighbours
        self._frontal = _cascade("haarcascade_frontalface_alt2.xml")  # fewer misses on small faces
        self._profile = _cascade("haarcascade_profileface.xml") if profiles else None

    def _run(self, cascade: cv2.CascadeClassifier, gray: np.ndarray,
             step: float = 1.1) -> list[tuple[int, int, int, int, int]]:
        boxes, counts = cascade.detectMultiScale2(
            gray, scaleFactor=step, minNeighbors=self.neighbours,
            minSize=(self.min_face, self.min_face))
        return [(int(x), int(y), int(w), int(h), int(n))
                for (x, y, w, h), n in zip(boxes, counts, strict=True)]

    def detect(self, image: np.ndarray) -> list[Face]:
        if image is None or image.ndim < 2 or image.size == 0:
            return []
        height, width = image.shape[:2]
        scale = min(1.0, self.work_width / width)
        small = cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                           interpolation=cv2.INTER_AREA) if scale < 1.0 else image
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        gray = cv2.equalizeHist(gray)  # showroom light varies; the cascades want contrast
        inv = 1.0 / scale

        def to_face(x: int, y: int, w: int, h: int, n: int, frontal: bool) -> Face:
            return Face(round(x * inv), round(y * inv), round(w * inv), round(h * inv), frontal, float(n))

        faces = [to_face(*b, frontal=True) for b in self._run(self._frontal, gray)]
        if self._profile is not None:
            sw = gray.shape[1]
            # Coarser scale steps for profiles: they only say "present, looking away", and the
            # two passes (image and mirror) would otherwise cost twice the frontal one.
            profiles = self._run(self._profile, gray, 1.2)
            mirrored = self._run(self._profile, np.ascontiguousarray(gray[:, ::-1]), 1.2)
            profiles += [(sw - x - w, y, w, h, n) for x, y, w, h, n in mirrored]
            for box in profiles:
                face = to_face(*box, frontal=False)
                # A face seen by both cascades is a frontal face; keep one box per person.
                if all(_iou(face, other) < 0.3 for other in faces):
                    faces.append(face)
        return sorted(faces, key=lambda f: f.w * f.h, reverse=True)


def profile_locally(image: np.ndarray, detector: FaceDetector | None = None,
                    estimator: AgeGenderEstimator | None = None) -> Audience:
    """Audience from local detection and the local age/gender model alone (privacy mode `local`).

    Pass `estimator=None` to get a fresh default estimator; pass one you keep to reuse its loaded
    model. Age and gender stay None where the model is unavailable or the face is in profile.
    """
    if estimator is None:
        from .agegender import AgeGenderEstimator

        estimator = AgeGenderEstimator()
    faces = (detector or FaceDetector()).detect(image)
    height, width = image.shape[:2]
    people = []
    for face in faces:
        gender, age = estimator.estimate(image, face)
        people.append(Person(gender=gender, age=age, facing=face.frontal,
                             x=(face.x + face.w / 2) / width, size=face.h / height))
    return Audience(count=len(people), people=tuple(people), source="local")

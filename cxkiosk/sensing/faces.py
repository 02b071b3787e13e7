"""Faces in a frame: OpenCV's YuNet CNN detector, five landmarks each, and where each face looks.

YuNet (`cv2.FaceDetectorYN`, MIT, resources/models/, see resources/NOTICES-yunet.txt) finds faces
down to about 24 px tall at its input reliably (15 px sometimes). So the frame is shrunk only
as far as keeps the smallest face worth seeing (`min_face`, camera pixels) at that size: the
working resolution follows the camera and the setting, not a constant. With the default 40 px,
a 1280x720 frame is searched at 768x432 and a 640x480 one at 384x288.

Attention comes from the landmarks: `yaw_degrees` estimates how far the head is turned from the
nose's offset against the eye-mouth midline; `frontal` means within `facing_degrees` of the
camera (the screen is beside it). Someone seen only from behind shows no face and is not counted:
they are not an audience.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cxkiosk.resources import resource

log = logging.getLogger("cxkiosk.detect")

MODEL = resource("models", "face_detection_yunet_2026may.onnx")
MODEL_SHA256 = "ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0"
NET_MIN_FACE = 24.0  # px at YuNet's input found reliably (bench_sensing.py: 40 px at 0.6 scale)
MIN_FACE = 40  # default smallest face worth seeing, camera px (about 4.5 m from a 720p webcam)
THRESHOLD = 0.6  # YuNet score; the real evaluation set has no false face at this level
FACING_DEGREES = 30.0
# The nose tip's offset from the eye-mouth midline, over the eye distance, is NOSE_DEPTH *
# tan(yaw). Textbook face proportions give about 0.45, but that read heads turned ~25 degrees as
# 35-45 on the real set (tests/data/faces: 26 of 31 faces agreed with the labels); 0.6 agrees on
# 29 of 31 (the two left are children turned about 30 degrees).
NOSE_DEPTH = 0.6

Point = tuple[float, float]


@dataclass(frozen=True)
class Face:
    x: int  # left, pixels of the full image
    y: int  # top
    w: int
    h: int
    frontal: bool  # turned towards the screen within the detector's facing angle
    score: float  # detector confidence 0..1
    # Five landmarks in image pixels: right eye, left eye (the person's), nose tip, mouth right,
    # mouth left. Empty for a face made by hand (tests, old callers).
    landmarks: tuple[Point, ...] = ()
    yaw: float | None = None  # degrees, + = turned towards the image's left; None = unknown

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


def yaw_degrees(landmarks: tuple[Point, ...] | np.ndarray) -> float | None:
    """Head yaw from YuNet's five landmarks; roll-invariant (measured along the eye line)."""
    pts = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
    if pts.shape[0] != 5 or not np.isfinite(pts).all():
        return None
    right_eye, left_eye, nose, mouth_r, mouth_l = pts
    across = left_eye - right_eye
    eye_dist = float(np.hypot(*across))
    if eye_dist < 1e-6:
        return None
    u = across / eye_dist
    v = np.array([-u[1], u[0]])  # down the face
    eye_mid, mouth_mid = (right_eye + left_eye) / 2, (mouth_r + mouth_l) / 2
    mouth_u, mouth_v = float((mouth_mid - eye_mid) @ u), float((mouth_mid - eye_mid) @ v)
    nose_u, nose_v = float((nose - eye_mid) @ u), float((nose - eye_mid) @ v)
    # Where the face's midline passes at the nose's height (the mouth shifts with yaw too).
    t = min(1.0, max(0.0, nose_v / mouth_v)) if abs(mouth_v) > 1e-6 else 0.5
    offset = (nose_u - t * mouth_u) / eye_dist
    return math.degrees(math.atan2(offset, NOSE_DEPTH))


def working_scale(frame_size: tuple[int, int], min_face: float) -> float:
    """How far a frame can be shrunk so that a `min_face` face is still NET_MIN_FACE at the net."""
    scale = NET_MIN_FACE / max(1.0, float(min_face))
    # Never upscale; never search below 160 px wide (the net's coarsest anchors need room).
    return min(1.0, max(scale, 160.0 / max(1, frame_size[0])))


class FaceDetector:
    """`detect(image)` -> faces, largest first. One instance per thread (the net is not shared)."""

    def __init__(self, min_face: float = MIN_FACE, threshold: float = THRESHOLD,
                 facing_degrees: float = FACING_DEGREES, model: Path = MODEL) -> None:
        self.min_face = min(400.0, max(12.0, float(min_face)))
        self.threshold = min(0.95, max(0.3, float(threshold)))
        self.facing_degrees = min(80.0, max(5.0, float(facing_degrees)))
        if not Path(model).is_file():
            raise RuntimeError(f"face detector model missing: {model} (reinstall cxkiosk)")
        self._net = cv2.FaceDetectorYN.create(str(model), "", (320, 320), self.threshold, 0.3, 200)
        self._input: tuple[int, int] | None = None

    def detect(self, image: np.ndarray | None) -> list[Face]:
        if image is None or not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
            return []
        if image.ndim == 2 or image.shape[2] == 1:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        elif image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        if image.dtype != np.uint8:
            image = np.clip(image, 0, 255).astype(np.uint8)
        height, width = image.shape[:2]
        if width < 16 or height < 16:
            return []
        scale = working_scale((width, height), self.min_face)
        size = (max(16, round(width * scale)), max(16, round(height * scale)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if size != (width, height) else image
        if self._input != size:
            self._net.setInputSize(size)
            self._input = size
        _, rows = self._net.detect(small)
        if rows is None:
            return []
        sx, sy = width / size[0], height / size[1]
        faces = []
        for row in rows:
            x, y, w, h = row[0] * sx, row[1] * sy, row[2] * sx, row[3] * sy
            if w <= 1 or h <= 1 or not np.isfinite(row).all():
                continue
            # Clip to the frame: a face partly out of frame keeps the part that is in it.
            x0, y0 = max(0.0, x), max(0.0, y)
            x1, y1 = min(float(width), x + w), min(float(height), y + h)
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            marks = tuple((float(row[4 + 2 * i] * sx), float(row[5 + 2 * i] * sy)) for i in range(5))
            yaw = yaw_degrees(marks)
            faces.append(Face(round(x0), round(y0), round(x1 - x0), round(y1 - y0),
                              frontal=yaw is not None and abs(yaw) <= self.facing_degrees,
                              score=float(row[14]), landmarks=marks,
                              yaw=None if yaw is None else round(yaw, 1)))
        return sorted(faces, key=lambda f: f.w * f.h, reverse=True)

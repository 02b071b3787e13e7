"""The capture thread: read -> keep the latest frame -> detect -> track -> emit visit values.

One worker owns the one open device. Frames are never queued: the newest frame replaces the
previous one in a single slot that the classifier may read (`latest()`), and a slow step simply
means frames are skipped. Age and gender run only for the faces of a new or changed visit
(cached per tracked person), never every frame. Nothing here writes a frame anywhere but memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import Signal

from ..audience import Audience
from ..sources import Frame, FrameSource, SourceError, open_source
from ..tracking import (
    AudienceChanged,
    VisitEnded,
    VisitEvent,
    VisitorTracker,
    VisitStarted,
    boxes_from_points,
)
from .threads import Worker

log = logging.getLogger("cxkiosk.capture")

SourceFactory = Callable[[], FrameSource]

class CaptureWorker(Worker):
    visit_event = Signal(object)  # VisitStarted | AudienceChanged | VisitEnded
    status = Signal(str)  # "camera 0 open 1280x720", "camera 0 unplugged, retrying in 4 s"...
    preview = Signal(object)  # small BGR numpy image with boxes, only while set_preview(True)

    def __init__(self, source: str | SourceFactory, *, width: int = 1280, height: int = 720,
                 attributes: bool = True, max_fps: float = 15.0, preview_width: int = 320,
                 tracker: VisitorTracker | None = None, detector_factory: Callable[[], Any] | None = None,
                 estimator: Any = None) -> None:
        """`source`: a spec for `open_source` or a factory returning a FrameSource; it is opened
        on the capture thread so the device belongs to that thread. `attributes=False` skips the
        local age/gender model (e.g. privacy mode `full`, where the VLM profiles instead)."""
        super().__init__()
        self._source_arg = source
        self._size = (width, height)
        self._attributes = attributes
        self._min_gap = 1.0 / max_fps if max_fps > 0 else 0.0
        self._preview_width = preview_width
        self._tracker = tracker or VisitorTracker()
        self._detector_factory = detector_factory
        self._estimator = estimator
        self._preview_on = threading.Event()
        self._lock = threading.Lock()
        self._latest: tuple[Frame, list[Any]] | None = None
        self._attrs: dict[int, tuple[str | None, int | None]] = {}  # track id -> (gender, age)
        self.frames_processed = 0
        self._kind = "none"
        self._last_frame: tuple[float, float] | None = None  # (frame timestamp, wall time read)
        self._tracker_size = (1, 1)

    # --- called from other threads -------------------------------------------------------
    def set_preview(self, on: bool) -> None:
        """Thread-safe: the admin panel asks for downscaled frames only while it shows them."""
        if on:
            self._preview_on.set()
        else:
            self._preview_on.clear()

    def latest(self) -> tuple[Frame, list[Any]] | None:
        """The newest frame and its detections (thread-safe), e.g. for the classifier's crop."""
        with self._lock:
            return self._latest

    # --- the capture thread -----------------------------------------------------------------
    def _open(self) -> FrameSource | None:
        try:
            if callable(self._source_arg):
                return self._source_arg()
            return open_source(self._source_arg, width=self._size[0], height=self._size[1])
        except SourceError as exc:
            log.error("%s", exc)
            self.status.emit(str(exc))
            self.failed.emit(str(exc))
            return None

    def work(self) -> None:
        source = self._open()
        if source is None:
            return
        self._kind = source.kind
        detector = None
        if source.kind not in ("thermal", "none"):
            if self._detector_factory is not None:
                detector = self._detector_factory()
            else:
                from ..detect import FaceDetector

                detector = FaceDetector()
        if self._attributes and detector is not None and self._estimator is None:
            from ..agegender import AgeGenderEstimator

            # Load the model now, not when the first visitor arrives: that would delay the
            # visit's first event (and its VLM call) by the model's load time.
            self._estimator = AgeGenderEstimator()
            _ = self._estimator.available
        last_status = ""
        last_detect = -1e9
        errors = 0
        try:
            while not self.stopping:
                text = source.status
                if text != last_status:
                    last_status = text
                    self.status.emit(text)
                frame = source.read()
                now = time.monotonic()
                if frame is None:
                    self._end_if_gone(now)
                    self.wait_stop(getattr(source, "poll_interval", 0.02))
                    continue
                self._last_frame = (frame.timestamp, now)
                # A 30 fps camera is read at its pace, analysed at max_fps (by frame time, so a clip
                # replayed faster than real time is still analysed frame by frame).
                if frame.timestamp - last_detect < self._min_gap * 0.9:
                    continue
                last_detect = frame.timestamp
                try:
                    self._process(frame, source.kind, detector)
                except (cv2.error, ValueError) as exc:  # one odd frame must not end sensing for days
                    errors += 1
                    if errors in (1, 10, 100) or errors % 1000 == 0:
                        log.warning("frame skipped (%d so far): %s", errors, exc)
        finally:
            for event in self._tracker.finish(time.monotonic()):
                self.visit_event.emit(self._with_attributes(event))
            source.close()
            self.status.emit(f"{source.status} (capture stopped)")

    def _end_if_gone(self, now: float) -> None:
        """No frames for longer than the grace time (device gone, clip over): nobody is seen, so
        the visit ends as if the frames had been empty; a short outage keeps the visit."""
        if self._last_frame is None or not self._tracker.in_visit:
            return
        stamp, wall = self._last_frame
        if now - wall > self._tracker.grace:
            for event in self._tracker.update([], stamp + (now - wall), self._tracker_size):
                self.visit_event.emit(self._with_attributes(event))

    def _process(self, frame: Frame, kind: str, detector: Any) -> None:
        self._tracker_size = frame.size
        if kind == "thermal" and frame.temperatures is not None:
            from ..sources.thermal import count_people

            faces: Sequence[Any] = boxes_from_points(count_people(frame.temperatures), frame.size)
        else:
            faces = detector.detect(frame.image) if detector is not None else []
        with self._lock:  # the one slot: the newest analysed frame replaces the previous one
            self._latest = (frame, list(faces))
        self.frames_processed += 1
        for event in self._tracker.update(faces, frame.timestamp, frame.size):
            if isinstance(event, (VisitStarted, AudienceChanged)) and kind != "thermal":
                self._estimate_new(event, frame, faces)
            self.visit_event.emit(self._with_attributes(event))
        if self._preview_on.is_set():
            self.preview.emit(self._preview_image(frame.image, faces))

    def _estimate_new(self, event: VisitEvent, frame: Frame, faces: Sequence[Any]) -> None:
        """Age/gender for present visitors not estimated yet: the faces of a new or changed visit."""
        if not self._attributes:
            return
        if self._estimator is None:
            from ..agegender import AgeGenderEstimator

            self._estimator = AgeGenderEstimator()
        by_box = {(float(f.x), float(f.y), float(f.w), float(f.h)): f for f in faces}
        for visitor in event.visitors:
            if not visitor.present or self._attrs.get(visitor.track_id, (None, None)) != (None, None):
                continue
            face = by_box.get(visitor.box)
            if face is not None:
                self._attrs[visitor.track_id] = self._estimator.estimate(frame.image, face)

    def _with_attributes(self, event: VisitEvent) -> VisitEvent:
        people = []
        present = sorted((v for v in event.visitors if v.present),
                         key=lambda v: v.box[2] * v.box[3], reverse=True)
        for person, visitor in zip(event.audience.people, present, strict=False):
            gender, age = self._attrs.get(visitor.track_id, (None, None))
            people.append(replace(person, gender=gender, age=age))
        if isinstance(event, VisitEnded):
            self._attrs.clear()  # attributes live for one visit only
        source = "thermal" if self._kind == "thermal" else "local"
        return replace(event, audience=Audience(count=len(people), people=tuple(people), source=source))

    def _preview_image(self, image: np.ndarray, faces: Sequence[Any]) -> np.ndarray:
        scale = min(1.0, self._preview_width / image.shape[1])
        small = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA)
        for f in faces:
            colour = (0, 200, 0) if getattr(f, "frontal", None) else (0, 200, 255)
            cv2.rectangle(small, (round(f.x * scale), round(f.y * scale)),
                          (round((f.x + f.w) * scale), round((f.y + f.h) * scale)), colour, 2)
        return small


"""The capture thread: read -> detect -> track -> emit visit values (and, for the model, crops).

One worker owns the one open device. Frames are never queued: a slow step simply means frames
are skipped. Detection runs on a frame only when the picture changed since the last detection
(or that is half a second old): an empty, still room costs a thumbnail comparison per frame;
while everyone present is known, every second frame is enough to follow them.
Age and gender run once per visitor, on a good sighting (the tracker asks). When the model
profiles visitors (`profile_crops`), each visit start or change sends a `ProfileRequest` with
its own copy of the frame straight to the classifier thread: no frame crosses the GUI thread.
Nothing here writes a frame anywhere but memory.
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

from cxkiosk.runtime.threads import Worker
from cxkiosk.sensing.faces import FACING_DEGREES, MIN_FACE, THRESHOLD, FaceDetector
from cxkiosk.sensing.sources import Frame, FrameSource, SourceError, open_source
from cxkiosk.sensing.tracking import ProfileRequest, VisitorTracker, boxes_from_points
from cxkiosk.values import Audience, AudienceChanged, VisitEvent, VisitStarted

log = logging.getLogger("cxkiosk.capture")

SourceFactory = Callable[[], FrameSource]
REDETECT_SECONDS = 0.5  # an unchanged picture is searched again this often all the same
STEADY_STRIDE = 2  # analyse every 2nd frame while the visitors present are all confirmed


class ChangeGate:
    """Has the picture changed since the last detection? A 64x36 grey thumbnail, compared cell
    by cell, so a small far visitor entering counts while sensor noise and flicker do not."""

    def __init__(self, level: int = 10, share: float = 0.004) -> None:
        self.level = level  # grey levels a thumbnail pixel must change by
        self.share = share  # of the thumbnail's pixels (0.4%: about 9 of 2304)
        self._last: np.ndarray | None = None  # the thumbnail of the last frame searched
        self._now: np.ndarray | None = None  # the thumbnail of the frame just looked at

    def changed(self, image: np.ndarray) -> bool:
        grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        self._now = cv2.resize(grey, (64, 36), interpolation=cv2.INTER_AREA)
        if self._last is None:
            return True
        moved = int(np.count_nonzero(cv2.absdiff(self._now, self._last) > self.level))
        return moved > self.share * self._now.size

    def searched(self) -> None:
        """The frame just looked at was searched: later frames are compared with it."""
        self._last = self._now


class CaptureWorker(Worker):
    visit_event = Signal(object)  # VisitStarted | AudienceChanged | VisitEnded
    profile_request = Signal(object)  # ProfileRequest, only with profile_crops=True
    status = Signal(str)  # "camera 0 open 1280x720", "camera 0 unplugged, retrying in 4 s"...
    preview = Signal(object)  # small BGR numpy image with boxes, only while set_preview(True)
    still = Signal(object)  # one full read-only BGR frame, once per request_still() (prompt bench)

    def __init__(self, source: str | SourceFactory, *, width: int = 1280, height: int = 720,
                 attributes: bool = True, profile_crops: bool = False, max_fps: float = 15.0,
                 preview_width: int = 320, tracker: VisitorTracker | None = None,
                 detector_factory: Callable[[], Any] | None = None, estimator: Any = None,
                 min_face: float = MIN_FACE, threshold: float = THRESHOLD,
                 facing_degrees: float = FACING_DEGREES) -> None:
        """`source`: a spec for `open_source` or a factory returning a FrameSource; it is opened
        on the capture thread so the device belongs to that thread. `attributes=False` skips the
        local age/gender model; `profile_crops=True` sends each visit's frame to the model."""
        super().__init__()
        self._source_arg = source
        self._size = (width, height)
        self._attributes = attributes
        self._crops = profile_crops
        self._min_gap = 1.0 / max_fps if max_fps > 0 else 0.0
        self._preview_width = preview_width
        self._tracker = tracker or VisitorTracker()
        self._detector_factory = detector_factory
        self._detector_args = (min_face, threshold, facing_degrees)
        self._estimator = estimator
        self._preview_on = threading.Event()
        self._still_wanted = threading.Event()
        self._gate = ChangeGate()
        self._faces: list[Any] = []
        self._detected_at = -1e9
        self.frames_processed = 0
        self.detections = 0  # frames the detector actually ran on
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

    def request_still(self) -> None:
        """Thread-safe: the next frame looked at goes out once, whole, on `still` (memory only)."""
        self._still_wanted.set()

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

    def _make_detector(self) -> Any:
        if self._detector_factory is not None:
            return self._detector_factory()
        try:
            return FaceDetector(*self._detector_args)
        except (RuntimeError, cv2.error) as exc:
            log.error("face detection off: %s", exc)
            self.status.emit(f"face detection off: {exc}")
            return None

    def work(self) -> None:
        source = self._open()
        if source is None:
            return
        # One core for sensing: the other stays with the billboard's video and web view.
        cv2.setNumThreads(1)
        self._kind = source.kind
        detector = self._make_detector() if source.kind not in ("thermal", "none") else None
        if self._attributes and detector is not None and self._estimator is None:
            from cxkiosk.sensing.agegender import AgeGenderEstimator

            # Load the model now, not when the first visitor arrives: that would delay the
            # visit's first event (and its model call) by the load time.
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
                # replayed faster than real time is still analysed frame by frame), and at half
                # that while everyone present is confirmed: a newcomer is looked for at once, a
                # visitor standing there only needs following.
                gap = self._min_gap * (STEADY_STRIDE if self._tracker.steady else 1)
                if frame.timestamp - last_detect < gap * 0.9:
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
                self.visit_event.emit(self._sourced(event))
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
                self.visit_event.emit(self._sourced(event))

    def _detect(self, frame: Frame, detector: Any) -> list[Any]:
        """This frame's faces; the last ones again while the picture has not changed."""
        image = frame.image
        if detector is None or image is None:
            return []
        changed = self._gate.changed(image)
        if not changed and frame.timestamp - self._detected_at < REDETECT_SECONDS:
            return self._faces
        self._faces = list(detector.detect(image))
        self._detected_at = frame.timestamp
        self._gate.searched()
        self.detections += 1
        return self._faces

    def _process(self, frame: Frame, kind: str, detector: Any) -> None:
        self._tracker_size = frame.size
        if kind == "thermal" and frame.temperatures is not None:
            from cxkiosk.sensing.sources.thermal import count_people

            faces: Sequence[Any] = boxes_from_points(count_people(frame.temperatures), frame.size)
        else:
            faces = self._detect(frame, detector)
        self.frames_processed += 1
        describe = self._describer(frame.image) if kind != "thermal" else None
        for event in self._tracker.update(faces, frame.timestamp, frame.size, describe):
            event = self._sourced(event)
            self.visit_event.emit(event)
            if self._crops and isinstance(event, (VisitStarted, AudienceChanged)):
                self.profile_request.emit(self._profile_request(event, frame))
        if self._preview_on.is_set():
            self.preview.emit(self._preview_image(frame.image, faces))
        if self._still_wanted.is_set() and frame.image is not None:
            self._still_wanted.clear()
            still = frame.image.copy()
            still.setflags(write=False)
            self.still.emit(still)

    def _describer(self, image: np.ndarray) -> Callable[[Any], tuple[str | None, int | None] | None] | None:
        estimator = self._estimator
        if not self._attributes or estimator is None:
            return None

        def describe(face: Any) -> tuple[str | None, int | None] | None:
            if not estimator.suitable(face):
                return None  # too small or turned: wait for a better sighting
            return estimator.estimate(image, face)

        return describe

    def _profile_request(self, event: VisitEvent, frame: Frame) -> ProfileRequest:
        image = frame.image.copy()
        image.setflags(write=False)
        boxes = tuple((round(v.box[0]), round(v.box[1]), round(v.box[2]), round(v.box[3]))
                      for v in event.visitors if v.present)
        return ProfileRequest(event.visit_id, image, boxes, event.audience)

    def _sourced(self, event: VisitEvent) -> VisitEvent:
        source = "thermal" if self._kind == "thermal" else "local"
        if event.audience.source == source:
            return event
        return replace(event, audience=Audience(event.audience.count, event.audience.people, source))

    def _preview_image(self, image: np.ndarray, faces: Sequence[Any]) -> np.ndarray:
        scale = min(1.0, self._preview_width / image.shape[1])
        small = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA)
        for f in faces:
            colour = (0, 200, 0) if getattr(f, "frontal", None) else (0, 200, 255)
            cv2.rectangle(small, (round(f.x * scale), round(f.y * scale)),
                          (round((f.x + f.w) * scale), round((f.y + f.h) * scale)), colour, 2)
        return small

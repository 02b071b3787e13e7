"""`camera:N` / `camera:NAME`: one persistent OpenCV capture that survives being unplugged.

The capture is opened once with the backend that works best on each OS, asked for the
configured resolution, and given a few warm-up reads (auto-exposure settles; the first frames
of many webcams are black). When reads fail the device is released and reopened with
exponential backoff; while it is gone `read()` returns None at once, so the caller's own
sleep is the only thing that runs: no CPU spin, no blocking open every frame.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2

from cxkiosk.sensing.sources import Frame

# OpenCV prints a warning to stderr on every failed open; our own log already says "retrying",
# once per backoff step, so keep only OpenCV's errors.
if hasattr(cv2, "utils") and hasattr(cv2.utils, "logging"):
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

log = logging.getLogger("cxkiosk.camera")

WARMUP_FRAMES = 3
FAILS_BEFORE_UNPLUG = 3  # one dropped frame is noise, three in a row is a gone device

# (device, api_preference) -> an object with the cv2.VideoCapture methods we use.
CaptureFactory = Callable[[Any, int], Any]


class Backoff:
    """Retry delays 1, 2, 4 ... capped; `reset()` after a success."""

    def __init__(self, first: float = 1.0, cap: float = 30.0) -> None:
        self.first, self.cap = first, cap
        self.delay = first

    def next(self) -> float:
        delay = self.delay
        self.delay = min(self.cap, self.delay * 2)
        return delay

    def reset(self) -> None:
        self.delay = self.first


def backends_for(platform: str = sys.platform) -> list[int]:
    """The capture APIs to try, best first, for this OS."""
    if platform.startswith("win"):
        return [cv2.CAP_MSMF, cv2.CAP_DSHOW]  # MSMF opens HD modes; DSHOW where MSMF fails
    if platform == "darwin":
        return [cv2.CAP_AVFOUNDATION]
    if platform.startswith("linux"):
        return [cv2.CAP_V4L2]
    return [cv2.CAP_ANY]


def resolve_device(arg: str, platform: str = sys.platform) -> tuple[Any, list[int]]:
    """'0' -> (0, backends); a name -> what OpenCV can open on this OS, with its backends."""
    if arg.isdigit():
        return int(arg), backends_for(platform)
    if platform.startswith("win"):
        return f"video={arg}", [cv2.CAP_DSHOW]  # DirectShow opens a camera by friendly name
    if platform.startswith("linux"):
        if arg.startswith("/dev/"):
            return arg, [cv2.CAP_V4L2]
        for node in sorted(Path("/sys/class/video4linux").glob("video*")):
            try:
                name = (node / "name").read_text(encoding="utf-8").strip()
            except OSError:
                continue
            if name.lower() == arg.lower():
                return f"/dev/{node.name}", [cv2.CAP_V4L2]
    # macOS (AVFoundation) and an unknown Linux name: OpenCV cannot open by name; try it as given
    # so the status line names the camera the operator asked for.
    return arg, backends_for(platform)


def _default_factory(device: Any, api: int) -> Any:
    return cv2.VideoCapture(device, api)


class CameraSource:
    kind = "camera"
    poll_interval = 0.05  # read() blocks until the next frame; this is only the sleep while gone

    def __init__(self, device: str, *, width: int = 1280, height: int = 720,
                 factory: CaptureFactory | None = None, clock: Callable[[], float] = time.monotonic,
                 backoff: Backoff | None = None, platform: str = sys.platform) -> None:
        self.name = device
        self._device, self._backends = resolve_device(device, platform)
        self._width, self._height = width, height
        self._factory = factory or _default_factory
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._cap: Any = None
        self._fails = 0
        self._retry_at = 0.0
        self._status = f"camera {device} opening"
        self._was_open = False
        self._closed = False
        self._open()

    @property
    def status(self) -> str:
        if self._closed:
            return f"camera {self.name} closed"
        if self._cap is None:
            wait = max(0.0, self._retry_at - self._clock())
            state = "unplugged" if self._was_open else "not found"
            return f"camera {self.name} {state}, retrying in {wait:.0f} s"
        return self._status

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    def _open(self) -> None:
        for api in self._backends:
            try:
                cap = self._factory(self._device, api)
                if cap is None or not cap.isOpened():
                    if cap is not None:
                        cap.release()
                    continue
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, self._width)
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self._height)
                for _ in range(WARMUP_FRAMES):
                    cap.read()
            except cv2.error as exc:  # some backends raise instead of reporting "not opened"
                log.debug("camera %s backend %s: %s", self.name, api, exc)
                continue
            w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            self._cap, self._fails, self._was_open = cap, 0, True
            self._backoff.reset()
            self._status = f"camera {self.name} open {w}x{h}"
            log.info("%s", self._status)
            return
        self._schedule_retry()

    def _schedule_retry(self) -> None:
        delay = self._backoff.next()
        self._retry_at = self._clock() + delay
        log.warning("%s", self.status)

    def read(self) -> Frame | None:
        if self._cap is None:
            if self._clock() < self._retry_at:
                return None
            self._open()
            if self._cap is None:
                return None
        try:
            ok, image = self._cap.read()
        except cv2.error:
            ok, image = False, None
        if ok and image is not None and image.size:
            self._fails = 0
            return Frame(image=image, timestamp=self._clock())
        self._fails += 1
        if self._fails >= FAILS_BEFORE_UNPLUG:
            self._release()
            self._schedule_retry()
        return None

    def _release(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            try:
                cap.release()
            except cv2.error:
                pass

    def close(self) -> None:
        self._closed = True
        self._release()
        self._retry_at = float("inf")

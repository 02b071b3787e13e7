"""`file:PATH`: a video file played as if it were a camera (demo mode, tests).

In real time (the default) `read()` hands out the frame that is due by the wall clock, skipping
frames a slow consumer missed, exactly as a webcam would; at the end it loops. With
`realtime=False` every frame is returned in order, stamped with media time, so a test or a
benchmark can run a clip faster than real time and still get true dwell times.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2

from cxkiosk.sensing.sources import Frame, SourceError

DEFAULT_FPS = 15.0


class VideoFileSource:
    kind = "file"
    poll_interval = 0.01  # how long the capture loop may sleep when no frame is due yet

    def __init__(self, path: str | Path, *, realtime: bool = True, loop: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}")
        self._cap: cv2.VideoCapture | None = cv2.VideoCapture(str(self.path))
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok or first is None:
            self._cap.release()
            raise SourceError(f"cannot read video {self.path}: not a video OpenCV can decode")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if 1.0 <= fps <= 240.0 else DEFAULT_FPS  # some files report 0 or 1000
        self._pending = first  # the first frame, already decoded by the check above
        self._realtime, self._loop, self._clock = realtime, loop, clock
        self._start = clock()
        self._index = -1  # index (since start, counting loops) of the last frame handed out
        self._pos = 0  # index of the next frame the decoder will give
        self._ended = False
        self.width, self.height = first.shape[1], first.shape[0]

    @property
    def status(self) -> str:
        if self._ended:
            return f"video {self.path.name} ended"
        return f"video {self.path.name} playing {self.width}x{self.height} at {self.fps:.0f} fps"

    def _decode(self):
        if self._pending is not None:
            image, self._pending = self._pending, None
            self._pos += 1
            return image
        ok, image = self._cap.read()
        if not ok or image is None:
            if not self._loop or self._pos == 0:
                self._ended = True
                return None
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._cap.read()
            if not ok or image is None:
                self._ended = True
                return None
        self._pos += 1
        return image

    def read(self) -> Frame | None:
        if self._ended or self._cap is None:
            return None
        if not self._realtime:
            image = self._decode()
            if image is None:
                return None
            self._index += 1
            return Frame(image=image, timestamp=self._start + self._index / self.fps)
        due = int((self._clock() - self._start) * self.fps + 1e-6)  # 0.1 s * 10 fps is 0.999...
        if due <= self._index:
            return None
        image = None
        while self._index < due:  # drop what a slow consumer missed, like a live camera
            image = self._decode()
            if image is None:
                return None
            self._index += 1
        return Frame(image=image, timestamp=self._clock())

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

"""Frame sources, chosen by a string like nfcpy's device paths.

    camera:N | camera:NAME | file:PATH | images:DIR | thermal:PORT[@BAUD] | none   ("auto" = camera:0)

Every source is a small class behind `FrameSource`: `read()` returns the newest `Frame` or None
(nothing new yet, or the device is gone: a source never raises for an unplugged device, it says
so in `status`), `close()` releases the device. Frames live in memory only: nothing here writes
an image to disk or a log.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Frame", "FrameSource", "NoSource", "SourceError", "open_source", "parse_spec"]

KINDS = ("camera", "file", "images", "thermal", "none")


class SourceError(Exception):
    """A source spec that cannot be understood or opened; the message is shown to the operator."""


@dataclass(frozen=True, eq=False)
class Frame:
    image: np.ndarray  # BGR uint8, H x W x 3
    timestamp: float  # time.monotonic() when it was read
    temperatures: np.ndarray | None = None  # thermal only: 8x8 degrees Celsius

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


@runtime_checkable
class FrameSource(Protocol):
    kind: str

    @property
    def status(self) -> str: ...

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


class NoSource:
    """`none`: sensing off; the kiosk plays its idle playlist."""

    kind = "none"

    @property
    def status(self) -> str:
        return "no source (sensing off)"

    def read(self) -> Frame | None:
        return None

    def close(self) -> None:
        pass


def parse_spec(spec: str) -> tuple[str, str]:
    """'camera:0' -> ('camera', '0'); raises SourceError with the accepted forms."""
    text = (spec or "").strip()
    if text.lower() in ("", "none", "off"):
        return "none", ""
    if text.lower() == "auto":
        return "camera", "0"
    kind, sep, rest = text.partition(":")
    kind = kind.lower()
    if not sep or kind not in KINDS or kind == "none" or not rest.strip():
        raise SourceError(f"unknown source {spec!r}: use camera:N, camera:NAME, file:PATH, "
                          "images:DIR, thermal:PORT[@BAUD] or none")
    return kind, rest.strip()


def open_source(spec: str, *, width: int = 1280, height: int = 720) -> FrameSource:
    """Open the source a spec names. Raises SourceError (one clear line) if it cannot be used.

    `width`/`height` are the camera resolution to ask for (Settings.camera_width/height).
    A camera that is merely absent right now is not an error: it opens in the "retrying"
    state, so a kiosk started before its webcam was plugged in picks it up later.
    """
    kind, arg = parse_spec(spec)
    if kind == "none":
        return NoSource()
    if kind == "camera":
        from cxkiosk.sensing.sources.camera import CameraSource

        return CameraSource(arg, width=width, height=height)
    if kind == "file":
        from cxkiosk.sensing.sources.video import VideoFileSource

        return VideoFileSource(arg)
    if kind == "images":
        from cxkiosk.sensing.sources.images import ImageFolderSource

        return ImageFolderSource(arg)
    from cxkiosk.sensing.sources.thermal import ThermalSource

    return ThermalSource.from_spec(arg)


def now() -> float:
    return time.monotonic()

"""`images:DIR`: still images in turn, each held for a few seconds (prompt testing, tests).

The folder is listed once at open (sorted by name); an image that cannot be decoded is skipped
and named in the status line, the others keep playing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from cxkiosk.sensing.sources import Frame, SourceError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


class ImageFolderSource:
    kind = "images"
    poll_interval = 0.05

    def __init__(self, folder: str | Path, *, seconds: float = 3.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.folder = Path(folder).expanduser()
        if not self.folder.is_dir():
            raise SourceError(f"image folder not found: {self.folder}")
        self.files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise SourceError(f"no images (.jpg, .png, ...) in {self.folder}")
        self.seconds = max(0.0, seconds)
        self._clock = clock
        self._next = 0
        self._due = clock()
        self._bad: list[str] = []
        self._current = ""

    @property
    def status(self) -> str:
        text = f"images {self.folder.name}: {self._current or 'starting'} ({len(self.files)} images)"
        if self._bad:
            text += f", unreadable: {', '.join(self._bad[-3:])}"
        return text

    def read(self) -> Frame | None:
        now = self._clock()
        if now < self._due:
            return None
        for _ in range(len(self.files)):
            path = self.files[self._next]
            self._next = (self._next + 1) % len(self.files)
            image = read_picture(path)
            if image is None:
                if path.name not in self._bad:
                    self._bad.append(path.name)
                continue
            self._current = path.name
            self._due = now + self.seconds
            return Frame(image=image, timestamp=now)
        self._due = now + self.seconds  # every file unreadable: try again later, quietly
        return None

    def close(self) -> None:
        pass


def read_picture(path: Path) -> np.ndarray | None:
    """A picture file as BGR, or None when it is not one OpenCV reads (or claims more pixels than
    OPENCV_IO_MAX_IMAGE_PIXELS, see cxkiosk/__init__.py)."""
    try:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    except cv2.error:
        return None
    return image if image is not None and image.size else None

"""Real media files for tests, written with OpenCV into a test's tmp_path."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def write_video(path: Path, seconds: float = 1.0, fps: int = 25, size: tuple[int, int] = (320, 240),
                color: tuple[int, int, int] = (0, 160, 255)) -> Path:
    """A short mp4v video of a coloured frame with a moving bar (never uniform)."""
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for i in range(max(1, int(seconds * fps))):
        frame = np.full((h, w, 3), color, np.uint8)
        x = int((i * 7) % w)
        frame[:, x:x + 20] = (255, 255, 255)
        writer.write(frame)
    writer.release()
    return path


def write_image(path: Path, size: tuple[int, int] = (320, 240), color=(40, 200, 40)) -> Path:
    img = np.full((size[1], size[0], 3), color, np.uint8)
    cv2.putText(img, "slide", (20, size[1] // 2), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 3)
    cv2.imwrite(str(path), img)
    return path

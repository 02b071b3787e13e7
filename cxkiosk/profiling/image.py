"""The picture a model gets: a crop around the people (room for hair and clothing), downscaled,
JPEG-encoded in memory. Nothing here writes a file."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h in pixels
MAX_SIDE = 512  # OpenAI's `detail: low` looks at 512x512; more pixels cost bytes, not accuracy
JPEG_QUALITY = 80


@dataclass(frozen=True)
class PreparedImage:
    data_url: str  # data:image/jpeg;base64,... (Ollama refuses http image URLs)
    jpeg_bytes: int
    width: int
    height: int

    @property
    def jpeg(self) -> bytes:
        """The JPEG itself, as it went out (for the admin panel's prompt bench)."""
        return base64.b64decode(self.data_url.partition(",")[2])


def crop_box(shape: tuple[int, ...], boxes: Sequence[Box]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) around all boxes with room for hair and clothing, inside the frame."""
    height, width = shape[:2]
    valid = [(int(x), int(y), int(w), int(h)) for x, y, w, h in boxes if w > 0 and h > 0]
    if not valid:
        return 0, 0, width, height
    x0 = min(x for x, _, _, _ in valid)
    y0 = min(y for _, y, _, _ in valid)
    x1 = max(x + w for x, _, w, _ in valid)
    y1 = max(y + h for _, y, _, h in valid)
    bw, bh = x1 - x0, y1 - y0
    # Boxes are often faces: clothing is below them, so the crop reaches further down than up.
    x0, x1 = x0 - bw // 2, x1 + bw // 2
    y0, y1 = y0 - bh // 2, y1 + bh * 2
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(width, x1), min(height, y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 0, 0, width, height
    return x0, y0, x1, y1


def prepare_image(image: np.ndarray, boxes: Sequence[Box] = (), max_side: int = MAX_SIDE,
                  quality: int = JPEG_QUALITY) -> PreparedImage:
    """Crop around the people, downscale, JPEG-encode in memory. ValueError on an unusable image."""
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        raise ValueError("not an image (expected a non-empty BGR or grey numpy array)")
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    x0, y0, x1, y1 = crop_box(image.shape, boxes)
    crop = image[y0:y1, x0:x1]
    scale = max_side / max(crop.shape[:2])
    if scale < 1:
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("the image could not be encoded as JPEG")
    data = encoded.tobytes()
    return PreparedImage("data:image/jpeg;base64," + base64.b64encode(data).decode("ascii"),
                         len(data), crop.shape[1], crop.shape[0])

"""Generate resources/demo/visitor.mp4 from face.png: a visitor walks up, watches ~6 s, leaves.

Deterministic (no randomness, fixed geometry), so the clip can be rebuilt bit-for-bit on one
OpenCV version and tests can build the same kind of clip in tmp_path with `write_clip()`.

    .venv/bin/python resources/demo/make_demo.py [OUT.mp4]
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT, FPS = 640, 360, 15


def background(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """A plain showroom wall: a soft vertical gradient, a floor line and two panels, no faces."""
    ramp = np.linspace(200, 150, height, dtype=np.float32)[:, None]
    img = np.repeat(np.repeat(ramp, width, axis=1)[:, :, None], 3, axis=2)
    img[:, :, 0] += 10  # a slightly cool wall
    img = img.clip(0, 255).astype(np.uint8)
    floor = int(height * 0.82)
    img[floor:] = (95, 105, 115)
    cv2.rectangle(img, (40, 60), (150, 250), (170, 140, 120), -1)
    cv2.rectangle(img, (width - 150, 80), (width - 50, 230), (120, 150, 170), -1)
    return img


def _paste(frame: np.ndarray, face: np.ndarray, cx: float, top: int, height: int) -> None:
    """Blend the face photo into the frame through a feathered ellipse (no hard photo edges)."""
    scale = height / face.shape[0]
    patch = cv2.resize(face, (max(2, int(face.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)
    ph, pw = patch.shape[:2]
    mask = np.zeros((ph, pw), np.float32)
    cv2.ellipse(mask, (pw // 2, ph // 2), (int(pw * 0.48), int(ph * 0.49)), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, pw / 30))[:, :, None]
    x0 = int(round(cx - pw / 2))
    fx0, fy0 = max(0, x0), max(0, top)
    fx1, fy1 = min(frame.shape[1], x0 + pw), min(frame.shape[0], top + ph)
    if fx1 <= fx0 or fy1 <= fy0:
        return
    sub = patch[fy0 - top:fy1 - top, fx0 - x0:fx1 - x0].astype(np.float32)
    m = mask[fy0 - top:fy1 - top, fx0 - x0:fx1 - x0]
    region = frame[fy0:fy1, fx0:fx1].astype(np.float32)
    frame[fy0:fy1, fx0:fx1] = (sub * m + region * (1 - m)).astype(np.uint8)


def frames(face: np.ndarray, width: int = WIDTH, height: int = HEIGHT, fps: int = FPS,
           empty_s: float = 2.0, walk_s: float = 1.5, stay_s: float = 6.0, tail_s: float = 1.5):
    """Yield BGR frames: empty room, walk in (growing: coming nearer), stay, walk out, empty."""
    bg = background(width, height)
    plan = [("empty", empty_s), ("in", walk_s), ("stay", stay_s), ("out", walk_s), ("empty", tail_s)]
    near = int(height * 0.62)
    for phase, seconds in plan:
        n = int(round(seconds * fps))
        for i in range(n):
            frame = bg.copy()
            f = i / max(1, n - 1)
            if phase == "in":
                _paste(frame, face, -width * 0.15 + f * width * 0.65, int(height * 0.12),
                       int(near * (0.7 + 0.3 * f)))
            elif phase == "stay":
                sway = np.sin(i / fps * 1.3) * width * 0.02  # a standing person is never still
                _paste(frame, face, width * 0.5 + sway, int(height * 0.12), near)
            elif phase == "out":
                _paste(frame, face, width * 0.5 + f * width * 0.65, int(height * 0.12), near)
            yield frame


def write_clip(path: str | Path, face: np.ndarray | None = None, fps: int = FPS, **timing: float) -> int:
    """Write the clip (mp4v .mp4, or MJPG for .avi); returns the number of frames."""
    if face is None:
        face = cv2.imread(str(HERE / "face.png"))
    path = Path(path)
    fourcc = cv2.VideoWriter_fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))
    writer = cv2.VideoWriter(str(path), fourcc, fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {path}")
    count = 0
    try:
        for frame in frames(face, fps=fps, **timing):
            writer.write(frame)
            count += 1
    finally:
        writer.release()
    return count


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "visitor.mp4"
    n = write_clip(out)
    print(f"wrote {out} ({n} frames, {n / FPS:.1f} s, {out.stat().st_size / 1e6:.2f} MB)")

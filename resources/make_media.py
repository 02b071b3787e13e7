"""Generates the shipped sample media (deterministic): two short local videos and a slide.

    python resources/make_media.py

The files are original, made here with OpenCV drawing calls: no third-party material.
mp4v is used because OpenCV cannot write H.264 here; QtMultimedia plays both.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
W, H, FPS = 640, 360, 25


def _text(img: np.ndarray, text: str, y: int, scale: float, color=(255, 255, 255), thick: int = 2) -> None:
    size = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, thick)[0]
    cv2.putText(img, text, ((img.shape[1] - size[0]) // 2, y), cv2.FONT_HERSHEY_DUPLEX, scale, color, thick,
                cv2.LINE_AA)


def make_video(path: Path, title: str, subtitle: str, base: tuple[int, int, int], seconds: float) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    frames = int(seconds * FPS)
    xs = np.linspace(0, 1, W, dtype=np.float32)
    for i in range(frames):
        t = i / frames
        wave = (0.5 + 0.5 * np.sin(2 * np.pi * (xs * 1.5 + t))).astype(np.float32)
        img = np.empty((H, W, 3), np.uint8)
        for c in range(3):
            img[:, :, c] = (base[c] * (0.55 + 0.45 * wave))[None, :].astype(np.uint8)
        cx = int(W * (0.15 + 0.7 * t))
        cv2.circle(img, (cx, H - 60), 22, (255, 255, 255), -1, cv2.LINE_AA)
        _text(img, title, H // 2 - 10, 1.4, thick=3)
        _text(img, subtitle, H // 2 + 40, 0.7)
        writer.write(img)
    writer.release()


def make_slide(path: Path) -> None:
    img = np.zeros((720, 1280, 3), np.uint8)
    img[:] = (69, 37, 11)
    cv2.rectangle(img, (60, 60), (1220, 660), (116, 64, 19), -1)
    _text(img, "Welcome to our showroom", 320, 2.2, thick=4)
    _text(img, "Ask us for a test drive of anything you see", 420, 1.1)
    cv2.imwrite(str(path), img)


if __name__ == "__main__":
    (HERE / "media").mkdir(exist_ok=True)
    (HERE / "slides").mkdir(exist_ok=True)
    make_video(HERE / "media" / "welcome.mp4", "Welcome", "New season, new colours", (200, 120, 40), 6)
    make_video(HERE / "media" / "offers.mp4", "This week's offers", "Scan the code for details",
               (40, 140, 200), 6)
    # Targeted items (not in the idle loop): what the demo switches to when a visitor walks up.
    make_video(HERE / "media" / "style.mp4", "The Style Edition", "Colours picked for you", (150, 60, 170), 8)
    make_video(HERE / "media" / "executive.mp4", "Executive Line", "Comfort for the long drive",
               (90, 90, 90), 8)
    make_video(HERE / "media" / "family.mp4", "Room for everyone", "Seven seats, one price", (60, 150, 60), 8)
    make_video(HERE / "media" / "city.mp4", "City Runabout", "Park anywhere", (30, 170, 230), 8)
    make_slide(HERE / "slides" / "welcome.png")
    print("written:", *sorted(str(p.relative_to(HERE)) for p in HERE.glob("*/*.mp4")), "slides/welcome.png")

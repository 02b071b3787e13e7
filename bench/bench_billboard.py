"""Switching between items: how long the screen waits, and whether it ever goes black.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_billboard.py [--switches 20]

Cycles short local videos and image slides through the real billboard (offscreen). For each
switch it prints the time from the end of one item to the first frame of the next, and grabs
the screen every 10 ms in between: a grab that is (almost) all black is a visible gap.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402


def write_clip(path: Path, colour: tuple[int, int, int], seconds: float = 1.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (640, 360))
    for i in range(int(seconds * 25)):
        frame = np.full((360, 640, 3), colour, np.uint8)
        cv2.putText(frame, str(i), (280, 200), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 5)
        writer.write(frame)
    writer.release()
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=20)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from cxkiosk.content.playlist import Playlist
    from cxkiosk.runtime.programme import Programme
    from cxkiosk.values import Item
    from ui.billboard import Billboard

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        slide = folder / "slide.png"
        cv2.imwrite(str(slide), np.full((360, 640, 3), (30, 160, 30), np.uint8))
        red, blue = write_clip(folder / "a.mp4", (0, 0, 200)), write_clip(folder / "b.mp4", (200, 0, 0))
        items = [
            Item(1, "red", "https://example.com/1", kind="video", path=str(red)),
            Item(2, "blue", "https://example.com/2", kind="video", path=str(blue)),
            Item(3, "slide", "https://example.com/3", kind="slide", path=str(slide), duration=1.0),
        ]
        board = Billboard(slide_seconds=1.0)
        board.resize(1280, 720)
        board.show()
        programme = Programme(Playlist(items))
        programme.play.connect(board.play)
        board.started.connect(programme.on_started)
        board.finished.connect(programme.on_finished)
        board.failed.connect(programme.on_failed)

        ended_at: list[float] = []
        waits: list[float] = []
        black_grabs = 0
        grabs = 0
        board.finished.connect(lambda item: ended_at.append(time.perf_counter()))
        board.started.connect(lambda item: waits.append((time.perf_counter() - ended_at[-1]) * 1000)
                              if ended_at and len(waits) < len(ended_at) else None)
        programme.advance()
        deadline = time.monotonic() + args.switches * 1.4 + 10
        while len(waits) < args.switches and time.monotonic() < deadline:
            app.processEvents()
            if ended_at and len(waits) < len(ended_at):  # between an end and the next first frame
                image = board.grab().toImage().scaled(64, 36)
                pixels = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
                grabs += 1
                if (pixels.reshape(-1, 4)[:, :3].max(axis=1) < 16).mean() > 0.95:
                    black_grabs += 1
            time.sleep(0.01)
        board.stop_all()
        board.close()
        board.deleteLater()
        app.processEvents()

    waits.sort()
    p = lambda q: waits[min(len(waits) - 1, int(q * (len(waits) - 1)))] if waits else float("nan")  # noqa: E731
    print(f"{'switches':>8} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'grabs between':>13} {'black':>5}")
    print(f"{len(waits):>8} {p(0.5):>7.0f} {p(0.95):>7.0f} {max(waits, default=float('nan')):>7.0f} "
          f"{grabs:>13} {black_grabs:>5}")
    print("the previous item's last frame stays on screen until the next one has a frame: "
          "'black' counts grabs that were black in between")


if __name__ == "__main__":
    main()

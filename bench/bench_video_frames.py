"""How late the GUI thread answers while a local video plays, by where and how its frames
become pictures: with OpenCV on the converter thread (ui/video_frames.py, what the kiosk does),
with `QVideoFrame.toImage()` on that thread (which holds the GIL: the GUI thread's Python waits
for it), and with `toImage()` on the GUI thread itself (before).

    .venv/bin/python bench/bench_video_frames.py [--seconds 15] [--rounds 2] [--busy 1]

Each variant runs in its own child process (a fresh Qt, so none inherits another's converter
set-up), the three alternating for `--rounds`, while `--busy` processes spin on the CPU as the
kiosk's other work does (camera, model, web view: a busy machine is where a held GIL hurts). A
child plays a shipped 720p clip in the kiosk's own VideoPlayer, looping, in a window of
`--size`, and ticks a 20 ms timer on the GUI thread as the kiosk's StallWatch does; it prints
the frames shown and the ticks' lateness.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = ("OpenCV, worker", "toImage, worker", "toImage, GUI")
CLIP = ROOT / "resources" / "media" / "city.mp4"


def child(variant: str, seconds: float, size: tuple[int, int]) -> dict:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from cxkiosk.content.media import MediaFolders
    from cxkiosk.values import Item
    from ui import video_frames
    from ui.players import VideoPlayer
    from ui.video_frames import frame_thread

    if variant == "toImage, worker":
        video_frames.to_picture = lambda frame: frame.toImage()  # type: ignore[assignment]

    import cv2

    cv2.setNumThreads(1)  # as the kiosk's capture thread sets it for the whole process
    app = QApplication.instance() or QApplication([])
    converted: list[float] = []  # ms per GUI-thread conversion (the GUI-thread variant)

    shown = 0

    class Counted(VideoPlayer):
        def _on_image(self, ticket, image):  # type: ignore[no-untyped-def]
            nonlocal shown
            shown += ticket == self._ticket
            super()._on_image(ticket, image)

    class OnGuiThread(Counted):  # the player as it was: converts in the sink's slot
        def _on_frame(self, media, frame):  # type: ignore[no-untyped-def]
            if media is not self._media or self.item is None or not frame.isValid():
                return
            t = time.perf_counter()
            image = frame.toImage()
            converted.append((time.perf_counter() - t) * 1000)
            self._on_image(self._ticket, image)

    frames = frame_thread()
    player = (OnGuiThread if variant == "toImage, GUI" else Counted)(
        None, MediaFolders((CLIP.parent,)), frames=frames.worker)  # type: ignore[arg-type]
    player.resize(*size)
    player.show()
    item = Item(1, "City", "https://example.com/city", kind="video", path=str(CLIP))
    player.finished.connect(lambda: player.load(item))  # loop, as a one-item playlist would
    player.load(item)

    late: list[float] = []
    last = time.perf_counter()

    def tick() -> None:
        nonlocal last
        now = time.perf_counter()
        late.append(max(0.0, (now - last) * 1000 - 20))
        last = now

    timer = QTimer(timerType=Qt.TimerType.PreciseTimer, interval=20)
    timer.timeout.connect(tick)
    timer.start()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    timer.stop()
    player.stop()
    frames.stop()
    late.sort()
    return {"frames": shown, "seconds": seconds, "late": late, "converted": converted}


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", default="1920x1080", help="the player's window, WxH")
    parser.add_argument("--busy", type=int, default=1, help="CPU-spinning processes meanwhile")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    if args.child:
        print(json.dumps(child(args.child, args.seconds, size)))  # type: ignore[arg-type]
        return 0

    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    results: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        run_rounds(args, env, results)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()

    print(f"{CLIP.name} (1280x720, 25 fps) in a {args.size} window, {args.rounds} x "
          f"{args.seconds:.0f} s per variant, {args.busy} busy process(es) beside, "
          f"QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']}")
    print(f"{'frames made by':<17} {'fps':>5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'>50 ms':>7} {'>100 ms':>8}")
    for variant, runs in results.items():
        late = sorted(v for r in runs for v in r["late"])
        fps = sum(r["frames"] for r in runs) / sum(r["seconds"] for r in runs)
        print(f"{variant:<17} {fps:5.1f} {pct(late, 50):7.1f} {pct(late, 99):7.1f} "
              f"{late[-1] if late else 0:7.1f} {sum(v > 50 for v in late):7d} "
              f"{sum(v > 100 for v in late):8d}")
        converted = [v for r in runs for v in r["converted"]]
        if converted:
            print(f"{'':<17} toImage() on the GUI thread: median {statistics.median(converted):.1f} ms, "
                  f"max {max(converted):.1f} ms over {len(converted)} frames")
    return 0


def run_rounds(args: argparse.Namespace, env: dict[str, str], results: dict[str, list[dict]]) -> None:
    for _ in range(args.rounds):
        for variant in VARIANTS:
            out = subprocess.run([sys.executable, __file__, "--child", variant, "--seconds",
                                  str(args.seconds), "--size", args.size], env=env,
                                 capture_output=True, text=True, check=True).stdout
            results[variant].append(json.loads(out.strip().splitlines()[-1]))


if __name__ == "__main__":
    raise SystemExit(main())

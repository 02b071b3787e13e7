"""The whole chain, measured: first frame with a visitor -> targeted item playing.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_chain.py [--visits 12]

Real objects on their real threads (capture worker on a video file replayed in real time,
classifier worker against a loopback OpenAI-compatible server, selector over a SQLite file,
the billboard offscreen). Prints, for `full` and `local` privacy modes:
- app overhead from the visitor's first frame to the targeted item's first frame on screen,
  minus the model server's own processing time (p50, p95);
- GUI event-loop stall (p99 / max lateness of a 5 ms timer) while all of it runs;
- model calls per visit and bytes per call, against the seed's way (open the camera for each
  call, 8 warm-up frames, the full 910x512 frame);
- cold start of `main.py` to its first content frame.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

FPS = 15
SIZE = (640, 360)
FACE_AT = (260, 80)  # top-left of the pasted face
EMPTY_S, PRESENT_S = 2.5, 3.0


def make_clip(path: Path, visits: int) -> None:
    face = cv2.imread(str(ROOT / "resources" / "demo" / "face.png"))
    face = cv2.resize(face, (150, int(150 * face.shape[0] / face.shape[1])))
    background = np.full((SIZE[1], SIZE[0], 3), (90, 110, 120), np.uint8)
    cv2.rectangle(background, (0, 260), (640, 360), (60, 70, 80), -1)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, SIZE)
    for _ in range(visits):
        for _ in range(int(EMPTY_S * FPS)):
            writer.write(background)
        present = background.copy()
        x, y = FACE_AT
        present[y:y + face.shape[0], x:x + face.shape[1]] = face
        for _ in range(int(PRESENT_S * FPS)):
            writer.write(present)
    for _ in range(int(EMPTY_S * FPS)):
        writer.write(background)
    writer.release()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class MarkedSource:
    """Wraps the file source and notes when a visitor's first frame comes out of it."""

    def __init__(self, inner, background_pixel) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.first_frames: list[float] = []
        self._present = False
        self._bg = np.array(background_pixel, np.int16)

    @property
    def status(self) -> str:
        return self.inner.status

    def read(self):
        frame = self.inner.read()
        if frame is not None:
            x, y = FACE_AT[0] + 75, FACE_AT[1] + 75
            present = int(np.abs(frame.image[y, x].astype(np.int16) - self._bg).sum()) > 40
            if present and not self._present:
                self.first_frames.append(frame.timestamp)
            self._present = present
        return frame

    def close(self) -> None:
        self.inner.close()


def run_mode(privacy: str, clip: Path, visits: int, workdir: Path) -> dict:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from cxkiosk.config import Privacy, Settings
    from cxkiosk.content import database
    from cxkiosk.content.playlist import Playlist
    from cxkiosk.content.selection import Selector
    from cxkiosk.profiling.client import Classifier
    from cxkiosk.runtime.capture import CaptureWorker
    from cxkiosk.runtime.chain import KioskChain
    from cxkiosk.runtime.classifier import ClassifierWorker
    from cxkiosk.runtime.programme import Programme
    from cxkiosk.runtime.threads import WorkerThread
    from cxkiosk.sensing.sources.video import VideoFileSource
    from tests.fake_openai import FakeOpenAI, json_reply
    from ui.billboard import Billboard

    app = QApplication.instance() or QApplication([])
    db = workdir / f"{privacy}.db"
    database.open_database(str(db))
    database.Content.create(title="idle", kind="video", url="https://example.com/idle",
                            path=str(ROOT / "resources" / "media" / "welcome.mp4"))
    short = workdir / "short.mp4"
    if not short.exists():
        writer = cv2.VideoWriter(str(short), cv2.VideoWriter_fourcc(*"mp4v"), 25, (320, 180))
        for i in range(25):
            writer.write(np.full((180, 320, 3), (40 + i * 4, 20, 160), np.uint8))
        writer.release()
    target = database.Content.create(title="target", kind="video", url="https://example.com/target",
                                     path=str(short), idle=False, genders="female", age_min=18, age_max=70)

    settings = Settings(privacy=privacy, provider="custom", model="bench", model_timeout=10.0,
                        calls_per_hour=10_000, calls_per_day=100_000)
    server = FakeOpenAI().start()
    settings.base_url = server.base_url
    server.script(*[json_reply({"count": 1, "people": [{"gender": "female", "age": 34, "facing": True}]})]
                  * (visits * 4))

    board = Billboard(slide_seconds=1.0)
    board.resize(1280, 720)
    board.show()
    playlist = Playlist(database.playlist())
    programme = Programme(playlist)
    programme.play.connect(board.play)
    programme.fallback.connect(board.show_fallback)
    board.started.connect(programme.on_started)
    board.finished.connect(programme.on_finished)
    board.failed.connect(programme.on_failed)
    selector = Selector(max_per_hour=10_000, no_repeat=False)

    background = (90, 110, 120)
    marked: list[MarkedSource] = []

    def open_marked():
        source = MarkedSource(VideoFileSource(clip, realtime=True, loop=False), background)
        marked.append(source)
        return source

    capture = CaptureWorker(open_marked, attributes=True, profile_crops=privacy == "full")
    threads = [WorkerThread(capture, "capture")]
    chain = KioskChain(programme, lambda a, p: selector.choose(a, playable=p), privacy=Privacy(privacy),
                       playable=playlist.healthy)
    capture.visit_event.connect(chain.on_visit_event)
    if privacy == "full":
        worker = ClassifierWorker(Classifier(settings, workdir))
        capture.profile_request.connect(worker.request)  # capture thread to classifier thread
        chain.visit_over.connect(worker.visit_ended)
        worker.classified.connect(chain.on_classified)
        threads.append(WorkerThread(worker, "classifier"))

    plays: list[float] = []
    board.started.connect(lambda item: plays.append(time.monotonic()) if item.id == target.id else None)

    lateness: list[float] = []
    last = [time.perf_counter()]
    tick = QTimer()
    tick.setInterval(5)

    began = time.perf_counter()
    worst: list[tuple[float, float]] = []  # (lateness ms, seconds after start)

    def on_tick() -> None:
        now = time.perf_counter()
        late = max(0.0, (now - last[0]) * 1000 - 5.0)
        lateness.append(late)
        if late > 16:
            worst.append((late, now - began))
        last[0] = now

    tick.timeout.connect(on_tick)
    programme.advance()
    for thread in threads:
        thread.start()
    tick.start()
    duration = visits * (EMPTY_S + PRESENT_S) + EMPTY_S + 2.0
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)
    tick.stop()
    for thread in threads:
        thread.stop(3.0)
    board.stop_all()
    board.close()
    board.deleteLater()
    app.processEvents()
    server.close()
    database.close_database()

    firsts = marked[0].first_frames if marked else []
    server_ms = list(getattr(server, "processing_ms", []))
    overheads = []
    for i, first in enumerate(firsts):
        later = [p for p in plays if p >= first]
        if not later:
            continue
        wait = (later[0] - first) * 1000
        if privacy == "full" and i < len(server_ms):
            wait -= server_ms[i]
        overheads.append(wait)
    bodies = [image_bytes(r) for r in server.requests]
    return {"visits": len(firsts), "measured": len(overheads), "p50": percentile(overheads, 50),
            "p95": percentile(overheads, 95), "stall_p99": percentile(lateness, 99),
            "stall_max": max(lateness) if lateness else float("nan"),
            "calls": len(server.requests), "bytes_per_call": statistics.mean(bodies) if bodies else 0,
            "stalls": sorted(worst, reverse=True)[:3]}


def image_bytes(request: dict) -> int:
    """Length of the base64 image data URL(s) in one recorded chat-completions request."""
    text = str(request)
    return sum(len(m) for m in re.findall(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", text))


def seed_way(clip: Path, calls: int = 10) -> tuple[float, float]:
    """The seed experiment's call: open the capture, 8 warm-up frames, the full 910x512 frame."""
    sizes, times = [], []
    for _ in range(calls):
        start = time.perf_counter()
        cap = cv2.VideoCapture(str(clip))
        for _ in range(8):
            cap.read()
        ok, frame = cap.read()
        cap.release()
        frame = cv2.resize(frame, (910, 512))
        ok, jpeg = cv2.imencode(".jpg", frame)
        sizes.append(len(base64.b64encode(jpeg.tobytes())))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.mean(sizes), statistics.median(times)


def cold_start(workdir: Path) -> float:
    data = workdir / "cold"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = datetime.now()
    subprocess.run([sys.executable, str(ROOT / "main.py"), "--windowed", "--source", "none", "--nfc", "none",
                    "--data-dir", str(data), "--quit-after", "5"], env=env, capture_output=True, timeout=120)
    log = (data / "logs" / "cxkiosk.log").read_text()
    match = re.search(r"^(\S+ \S+) INFO +cxkiosk\.billboard: playing item", log, re.M)
    if not match:
        return float("nan")
    first = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")
    return (first - started).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clip = work / "visits.avi"
        make_clip(clip, args.visits)
        results = {mode: run_mode(mode, clip, args.visits, work) for mode in ("full", "local")}
        seed_bytes, seed_ms = seed_way(clip)
        cold = cold_start(work)
    print(f"{'mode':<6} {'visits':>6} {'measured':>8} {'p50 ms':>8} {'p95 ms':>8} {'stall p99':>9} "
          f"{'stall max':>9} {'calls':>5} {'img bytes':>10}")
    for mode, r in results.items():
        print(f"{mode:<6} {r['visits']:>6} {r['measured']:>8} {r['p50']:>8.0f} {r['p95']:>8.0f} "
              f"{r['stall_p99']:>9.1f} {r['stall_max']:>9.1f} {r['calls']:>5} {r['bytes_per_call']:>10.0f}")
    for mode, r in results.items():
        where = ", ".join(f"{ms:.0f} ms at {at:.1f} s" for ms, at in r["stalls"]) or "none"
        print(f"{mode}: stalls over 16 ms (worst 3): {where}")
    full = results["full"]
    per_visit = full["calls"] / full["visits"] if full["visits"] else float("nan")
    print(f"model calls per visit (full): {per_visit:.2f}; "
          f"image bytes per call (base64): {full['bytes_per_call']:.0f}"
          f" vs the seed's full 910x512 frame: {seed_bytes:.0f} bytes base64, {seed_ms:.0f} ms to grab "
          "(open + 8 warm-up frames) per call")
    print(f"cold start to first content frame: {cold:.2f} s")


if __name__ == "__main__":
    main()

"""Sensing figures: detection FPS, age/gender time per face, capture-thread CPU, time to VisitStarted.

    .venv/bin/python bench/bench_sensing.py [--seconds 12]

Prints a small table; asserts nothing (speed is a figure, not a test). Uses the demo clip
(resources/demo/visitor.mp4) so the faces are real photo pixels, not noise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402

from cxkiosk.agegender import AgeGenderEstimator  # noqa: E402
from cxkiosk.detect import FaceDetector  # noqa: E402
from cxkiosk.resources import resource  # noqa: E402
from cxkiosk.sources.video import VideoFileSource  # noqa: E402
from cxkiosk.tracking import VisitStarted  # noqa: E402

CLIP = resource("demo", "visitor.mp4")


def clip_frames(size: tuple[int, int] = (640, 480)) -> list:
    source = VideoFileSource(CLIP, realtime=False, loop=False)
    frames = []
    while (frame := source.read()) is not None:
        frames.append(cv2.resize(frame.image, size) if frame.size != size else frame.image)
    source.close()
    return frames


def bench_detection(frames: list) -> tuple[float, float, int]:
    detector = FaceDetector()
    detector.detect(frames[0])  # first call allocates
    start = time.perf_counter()
    found = sum(1 for f in frames if detector.detect(f))
    elapsed = time.perf_counter() - start
    return len(frames) / elapsed, 1000 * elapsed / len(frames), found


def bench_agegender(frames: list) -> tuple[float, float, str]:
    detector, estimator = FaceDetector(), AgeGenderEstimator()
    with_face = [(f, faces[0]) for f in frames if (faces := detector.detect(f)) and faces[0].frontal]
    frame, face = with_face[len(with_face) // 2]
    start = time.perf_counter()
    first = estimator.estimate(frame, face)
    load = time.perf_counter() - start
    times = []
    for frame, face in with_face[::4]:
        start = time.perf_counter()
        estimator.estimate(frame, face)
        times.append(time.perf_counter() - start)
    return load * 1000, statistics.median(times) * 1000, f"{first[0]}, {first[1]}"


def bench_capture(seconds: float) -> tuple[float, float, list[float], int]:
    from PySide6.QtCore import QCoreApplication

    from cxkiosk.runtime.capture import CaptureWorker
    from cxkiosk.runtime.threads import WorkerThread

    class MeasuredWorker(CaptureWorker):
        def work(self) -> None:
            cpu0, wall0 = time.thread_time(), time.monotonic()
            try:
                super().work()
            finally:
                self.cpu = time.thread_time() - cpu0
                self.wall = time.monotonic() - wall0

    app = QCoreApplication.instance() or QCoreApplication([])
    worker = MeasuredWorker(f"file:{CLIP}", max_fps=15)
    latencies: list[float] = []

    def on_event(event) -> None:
        if isinstance(event, VisitStarted):
            latencies.append(time.monotonic() - event.started)

    worker.visit_event.connect(on_event)
    thread = WorkerThread(worker, "bench-capture")
    thread.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    thread.stop(2.0)
    app.processEvents()
    return worker.cpu / worker.wall * 100, worker.frames_processed / worker.wall, latencies, \
        worker.frames_processed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.5, help="real-time capture run (one clip)")
    args = parser.parse_args()
    cv2.setNumThreads(1)  # "on one core": no OpenCV worker pool
    frames = clip_frames()
    fps, ms, found = bench_detection(frames)
    load_ms, est_ms, guess = bench_agegender(clip_frames(size=(640, 360)))  # undistorted faces
    cpu, rate, latencies, processed = bench_capture(args.seconds)
    rows = [
        ("detection at 640x480, 1 thread", f"{fps:.1f} FPS ({ms:.1f} ms/frame, goal >= 25)"),
        ("  frames with a face / all", f"{found} / {len(frames)}"),
        ("age/gender first face (loads model)", f"{load_ms:.0f} ms -> {guess}"),
        ("age/gender per face, steady", f"{est_ms:.1f} ms (median)"),
        ("capture thread CPU at 15 FPS", f"{cpu:.1f} % of one core ({rate:.1f} frames/s analysed, "
                                         f"{processed} frames, 640x360 clip)"),
        ("first face frame -> VisitStarted", ", ".join(f"{v * 1000:.0f} ms" for v in latencies) or "none"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'figure'.ljust(width)}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()

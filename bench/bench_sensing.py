"""Sensing figures, old Haar cascades against the YuNet detector side by side in one run.

    .venv/bin/python bench/bench_sensing.py [--seconds 10]

Prints tables; asserts nothing (speed is a figure, not a test). Detection speed is on one
thread, on real photo pixels (tests/data/faces) resized to camera frames. Recall and false faces
are on the real evaluation set, each photo judged as a frame of a 720p kiosk camera. The capture
run plays a generated 1280x720 clip of two real faces walking (tests/test_capture.py) in real
time through the capture worker, once with each detector. Local age/gender figures come from
bench/calibrate_age.py on the labelled portraits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from cxkiosk.sensing.faces import MIN_FACE, Face, FaceDetector  # noqa: E402
from cxkiosk.values import VisitStarted  # noqa: E402
from tests import faceset  # noqa: E402


class HaarBaseline:
    """The detector this project shipped before YuNet (commit d8b6961), kept here only to be
    measured against: frontal + profile Haar cascades on a 320 px wide equalised grey copy."""

    def __init__(self, work_width: int = 320) -> None:
        data = Path(cv2.data.haarcascades)
        self.work_width = work_width
        self.frontal = cv2.CascadeClassifier(str(data / "haarcascade_frontalface_alt2.xml"))
        self.profile = cv2.CascadeClassifier(str(data / "haarcascade_profileface.xml"))

    def _run(self, cascade, grey, step: float):
        boxes, counts = cascade.detectMultiScale2(grey, scaleFactor=step, minNeighbors=4, minSize=(20, 20))
        return [tuple(int(v) for v in b) for b in boxes]

    def detect(self, image: np.ndarray) -> list[Face]:
        height, width = image.shape[:2]
        scale = min(1.0, self.work_width / width)
        small = cv2.resize(image, (round(width * scale), round(height * scale)),
                           interpolation=cv2.INTER_AREA) if scale < 1 else image
        grey = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
        inv = 1 / scale
        faces = [Face(round(x * inv), round(y * inv), round(w * inv), round(h * inv), True, 1.0)
                 for x, y, w, h in self._run(self.frontal, grey, 1.1)]
        sw = grey.shape[1]
        turned = self._run(self.profile, grey, 1.2)
        turned += [(sw - x - w, y, w, h) for x, y, w, h in self._run(self.profile, grey[:, ::-1].copy(), 1.2)]
        for x, y, w, h in turned:
            face = Face(round(x * inv), round(y * inv), round(w * inv), round(h * inv), False, 1.0)
            if all(faceset.iou((f.x, f.y, f.w, f.h), (face.x, face.y, face.w, face.h)) < 0.3 for f in faces):
                faces.append(face)
        return faces


def speed(detector, frames: list[np.ndarray], rounds: int = 3) -> float:
    """Median ms per frame over a few passes of the frames."""
    detector.detect(frames[0])
    times = []
    for _ in range(rounds):
        for frame in frames:
            start = time.perf_counter()
            detector.detect(frame)
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def real_set(make) -> tuple[int, int, int, int, int]:
    """(visible faces found, visible faces, faces >= 40 px at 720p missed, false faces, exact counts)."""
    found = total = missed40 = false = exact = 0
    photos = [p for p in faceset.load()]
    people = 0
    for photo in photos:
        detections = make(photo).detect(photo.image)
        hits, misses, extra = faceset.match(photo.faces, detections)
        visible = photo.visible
        found += sum(1 for lab, _ in hits if lab in visible)
        total += len(visible)
        missed40 += sum(1 for m in misses if m in visible and m["box"][3] * photo.kiosk_scale >= 40)
        false += len(extra)
        if visible:
            people += 1
            exact += len(detections) == len(visible)
    return found, total, missed40, false, exact, people


def capture_run(clip: Path, seconds: float, factory) -> tuple[float, float, list[float], int, int]:
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
    worker = MeasuredWorker(f"file:{clip}", max_fps=15, detector_factory=factory)
    latencies: list[float] = []
    worker.visit_event.connect(lambda e: latencies.append(time.monotonic() - e.started)
                               if isinstance(e, VisitStarted) else None)
    thread = WorkerThread(worker, "bench-capture")
    thread.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    thread.stop(2.0)
    app.processEvents()
    return (worker.cpu / worker.wall * 100, worker.frames_processed / worker.wall, latencies,
            worker.frames_processed, worker.detections)


def table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    print(f"\n{title}")
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="real-time capture run per detector")
    args = parser.parse_args()
    cv2.setNumThreads(1)  # "on one thread": no OpenCV worker pool
    photos = [p.image for p in faceset.load() if p.visible]
    haar, yunet = HaarBaseline(), FaceDetector()

    rows = []
    for size in ((640, 480), (1280, 720)):
        frames = [cv2.resize(p, size, interpolation=cv2.INTER_AREA) for p in photos]
        h_ms, y_ms = speed(haar, frames), speed(yunet, frames)
        rows.append((f"{size[0]}x{size[1]}", f"{1000 / h_ms:.0f} FPS ({h_ms:.1f} ms)",
                     f"{1000 / y_ms:.0f} FPS ({y_ms:.1f} ms)"))
    table("Detection speed, one thread (goal: >= 30 FPS at 1280x720 with 40 px faces found)",
          ("frame", "Haar cascades (old)", f"YuNet, min face {MIN_FACE} px (new)"), rows)

    rows = []
    for name, make in (("Haar cascades (old)", lambda p: haar),
                       ("YuNet (new)", lambda p: FaceDetector(min_face=MIN_FACE / p.kiosk_scale))):
        found, total, missed40, false, exact, people = real_set(make)
        rows.append((name, f"{found}/{total}", str(missed40), str(false), f"{exact}/{people}"))
    table("Real evaluation set (tests/data/faces; visible faces, photos as 720p frames)",
          ("detector", "faces found", "missed >= 40 px", "false faces", "exact counts"), rows)

    with tempfile.TemporaryDirectory() as tmp:
        from tests.test_capture import write_crossing

        clip = Path(tmp) / "crossing.avi"
        write_crossing(clip)
        rows = []
        for name, factory in (("Haar cascades (old)", HaarBaseline), ("YuNet (new)", None)):
            cpu, rate, latencies, frames, detections = capture_run(clip, args.seconds, factory)
            rows.append((name, f"{cpu:.1f} %", f"{rate:.1f}", f"{detections}/{frames}",
                         ", ".join(f"{v * 1000:.0f} ms" for v in latencies) or "none"))
    table("Capture thread (this capture loop, either detector), 1280x720 clip in real time at 15 FPS"
          " (goals: <= 25 % of a core, <= 150 ms)",
          ("detector", "CPU of one core", "frames/s", "detector ran", "first face -> VisitStarted"), rows)
    age_and_gender()


def age_and_gender() -> None:
    """Local age error and gender accuracy on the labelled portraits, the network's raw age
    against the shipped calibration (in-sample; calibrate_age.py shows held-out halves)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from calibrate_age import BANDS, labelled, measure

    from cxkiosk.sensing.agegender import AgeCalibration, AgeGenderEstimator

    rows = labelled()
    results = measure(rows, AgeGenderEstimator(calibration=AgeCalibration.identity()))
    shipped = AgeCalibration.load()
    truth = np.array([r[1] for r in results])
    answered = [(r[0]["gender"], r[3]) for r in results if r[3] is not None]
    gender = f"{sum(t == g for t, g in answered)}/{len(answered)} of {len(results)}"
    out = []
    for name, calibration in (("raw network age", AgeCalibration.identity()),
                              ("calibrated (shipped)", shipped)):
        err = np.array([calibration(r[2]) for r in results]) - truth
        bands = "  ".join(f"{lo}-{hi if hi < 200 else ''}: {err[(truth >= lo) & (truth < hi)].mean():+.1f}"
                          for lo, hi in BANDS if ((truth >= lo) & (truth < hi)).any())
        out.append((name, f"{np.abs(err).mean():.2f}", bands, gender))
    table(f"Local age and gender on {len(rows)} labelled portraits (adults 30-79; no children available)",
          ("age", "MAE (years)", "mean error by band", "gender right / answered"), out)


if __name__ == "__main__":
    main()

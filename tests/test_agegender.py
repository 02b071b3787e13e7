"""Local age and gender on faces aligned by the detector's landmarks: real photos, nulls where a
guess would be wrong, and the calibration that undoes the network's pull towards the middle."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest

from cxkiosk.sensing.agegender import (
    NO_GUESS,
    AgeCalibration,
    AgeGenderEstimator,
    face_chip,
    profile_locally,
)
from cxkiosk.sensing.faces import Face, FaceDetector
from tests import faceset

AGES = faceset.FACES.parent / "agegender"  # US Congress portraits (public domain), see SOURCES.md


@pytest.fixture(scope="module")
def estimator() -> AgeGenderEstimator:
    return AgeGenderEstimator()


def only_face(image: np.ndarray) -> Face:
    (face,) = FaceDetector(min_face=20).detect(image)
    return face


def test_labelled_people_in_the_real_set_get_their_gender(estimator):
    right = wrong = 0
    for photo in faceset.load(with_paste=True):
        hits, _, _ = faceset.match(photo.visible, FaceDetector(min_face=20).detect(photo.image))
        for label, face in hits:
            guess = estimator.guess(photo.image, face)
            if label.get("gender") and guess.gender:
                right += guess.gender == label["gender"]
                wrong += guess.gender != label["gender"]
    # Grace Hopper in uniform is read as a man; everyone else labelled is right.
    assert right >= 3 and wrong <= 1


def test_the_astronaut_reads_as_a_woman_in_her_thirties_or_forties(estimator):
    image = cv2.imread(str(faceset.FACES / "single_astronaut_collins.jpg"))
    guess = estimator.guess(image, only_face(image))
    assert guess.gender == "female" and 28 <= guess.age <= 50


def test_the_chip_is_cut_upright_from_the_landmarks(estimator):
    image = cv2.imread(str(faceset.FACES / "single_astronaut_collins.jpg"))
    face = only_face(image)
    tilted = cv2.warpAffine(image, cv2.getRotationMatrix2D((256, 200), 25, 1.0), (512, 512),
                            borderMode=cv2.BORDER_REPLICATE)
    other = cv2.imread(str(faceset.FACES / "single_near_dark_woman.jpg"))
    upright = face_chip(image, face.landmarks, 64).astype(float)[16:56, 12:52]  # eyes to chin
    straightened = face_chip(tilted, only_face(tilted).landmarks, 64).astype(float)[16:56, 12:52]
    someone_else = face_chip(other, only_face(other).landmarks, 64).astype(float)[16:56, 12:52]
    # The tilted head comes out upright: far closer to the same face than to another one.
    assert np.abs(upright - straightened).mean() < 0.6 * np.abs(upright - someone_else).mean()


def test_a_face_too_small_or_too_turned_gets_no_guess(estimator):
    collins = cv2.imread(str(faceset.FACES / "single_astronaut_collins.jpg"))
    small = cv2.resize(collins, (160, 160), interpolation=cv2.INTER_AREA)  # face about 35 px
    face = only_face(small)
    assert face.h < estimator.min_face and estimator.guess(small, face) == NO_GUESS
    turned = cv2.imread(str(faceset.FACES / "single_turned_man.jpg"))
    face = only_face(turned)
    assert abs(face.yaw) > estimator.max_yaw and estimator.guess(turned, face) == NO_GUESS
    assert estimator.guess(collins, Face(10, 10, 80, 80, True, 1.0)) == NO_GUESS  # no landmarks


def test_calibration_undoes_the_pull_towards_the_middle_on_labelled_faces(estimator):
    """The shipped calibration on the 466 Congress portraits: older people no longer read ~8
    years young (in-sample; bench/calibrate_age.py checks it on held-out halves)."""
    raw_estimator = AgeGenderEstimator(calibration=AgeCalibration.identity())
    detector = FaceDetector()
    truth, raw, calibrated, genders = [], [], [], []
    with open(AGES / "labels.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows[::2]:  # every other face keeps the test quick
        image = cv2.imread(str(AGES / row["file"]))
        faces = detector.detect(image)
        if not faces:
            continue
        before, after = raw_estimator.guess(image, faces[0]), estimator.guess(image, faces[0])
        if before.raw_age is None:
            continue
        truth.append(float(row["age"]))
        raw.append(before.raw_age)
        calibrated.append(after.age)
        genders.append(after.gender in (row["gender"], None))
    truth_a, raw_a, cal_a = np.array(truth), np.array(raw), np.array(calibrated, float)
    old = truth_a >= 60
    assert len(truth) >= 200 and old.sum() >= 40
    assert (raw_a - truth_a)[old].mean() < -5  # the network alone: over-60s read young
    assert abs((cal_a - truth_a)[old].mean()) < 4
    assert (cal_a - truth_a)[old].mean() - (raw_a - truth_a)[old].mean() > 3
    assert abs((cal_a - truth_a).mean()) < 2
    assert sum(genders) >= 0.97 * len(genders)  # adults' gender: right or left unknown


def test_calibration_is_monotone_and_keeps_young_readings():
    calibration = AgeCalibration.load()
    grid = np.linspace(0, 80, 161)
    mapped = np.array([calibration(v) for v in grid])
    assert (np.diff(mapped) >= 0).all()
    assert calibration(8.0) == pytest.approx(8.0)  # no labelled children: a child's reading stays
    assert calibration(70.0) > 70.0  # the old are read young, so they are moved up


@pytest.mark.expect_log('age calibration .* unusable')
def test_a_broken_calibration_file_falls_back_to_raw_ages(tmp_path, caplog):
    bad = tmp_path / "age_calibration.json"
    bad.write_text('{"raw": [0, 50, 40], "age": [0, 1, 2]}')
    calibration = AgeCalibration.load(bad)
    assert calibration(33.0) == pytest.approx(33.0) and "raw ages are used" in caplog.text


def test_a_group_photo_is_profiled_left_to_right(estimator):
    photo = next(p for p in faceset.load() if p.file == "group12_kids_tennis.jpg")
    audience = profile_locally(photo.image, FaceDetector(min_face=20), estimator)
    assert abs(audience.count - len(photo.visible)) <= 1
    xs = [p.x for p in audience.people]
    assert xs == sorted(xs) and audience.source == "local"


def test_opencv_gives_the_probabilities_onnxruntime_gave(estimator):
    """The networks moved from onnxruntime to OpenCV's dnn module: on 118 labelled faces the raw
    age and P(male) are onnxruntime 1.30's (tests/data/agegender/onnxruntime_reference.csv, made
    by the estimator at 93934d1), so the calibration fitted on them still holds."""
    raw_estimator = AgeGenderEstimator(calibration=AgeCalibration.identity())
    detector = FaceDetector()
    with open(AGES / "onnxruntime_reference.csv", encoding="utf-8") as fh:
        reference = list(csv.DictReader(fh))
    assert len(reference) >= 100
    for row in reference:
        image = cv2.imread(str(AGES / row["file"]))
        guess = raw_estimator.guess(image, detector.detect(image)[0])
        assert guess.raw_age == pytest.approx(float(row["raw_age"]), abs=0.01), row["file"]
        assert guess.p_male == pytest.approx(float(row["p_male"]), abs=1e-4), row["file"]


def test_the_shipped_models_are_the_ones_the_manifest_names():
    """A truncated or swapped network file would guess quietly wrong: its bytes are the manifest's."""
    import hashlib
    import json

    from cxkiosk.sensing.agegender import MODELS

    manifest = json.loads((MODELS / "manifest.json").read_text(encoding="utf-8"))
    for spec in manifest["models"].values():
        data = (MODELS / spec["artifact"]["filename"]).read_bytes()
        assert len(data) == spec["artifact"]["bytes"]
        assert hashlib.sha256(data).hexdigest() == spec["artifact"]["sha256"]
    notice = manifest["license"]["notice"]
    assert hashlib.sha256((MODELS / notice["path"]).read_bytes()).hexdigest() == notice["sha256"]


@pytest.mark.expect_log('local age/gender unavailable')
@pytest.mark.parametrize("damage", ["missing", "truncated", "not json"])
def test_missing_or_damaged_models_leave_attributes_unknown(tmp_path, caplog, damage):
    import shutil

    from cxkiosk.sensing.agegender import MODELS

    models = tmp_path / "models"
    shutil.copytree(MODELS, models)
    if damage == "missing":
        (models / "age-v1.onnx").unlink()
    elif damage == "truncated":
        data = (models / "age-v1.onnx").read_bytes()
        (models / "age-v1.onnx").write_bytes(data[: len(data) // 3])
    else:
        (models / "manifest.json").write_text("{not json", encoding="utf-8")
    estimator = AgeGenderEstimator(models=models)
    image = cv2.imread(str(faceset.FACES / "single_astronaut_collins.jpg"))
    audience = profile_locally(image, estimator=estimator)
    assert audience.count == 1  # detection still counts people
    assert audience.people[0].gender is None and audience.people[0].age is None
    assert estimator.error.startswith("local age/gender unavailable: ") and "\n" not in estimator.error
    assert str(models) in estimator.error
    assert "attributes stay unknown" in caplog.text and "Traceback" not in caplog.text
    assert not estimator.available

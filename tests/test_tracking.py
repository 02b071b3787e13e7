"""Visits from per-frame detections: start/change/end, dwell, attention, hysteresis."""

from __future__ import annotations

import pytest

from cxkiosk.sensing.faces import Face
from cxkiosk.sensing.tracking import Box, VisitorTracker, boxes_from_points
from cxkiosk.values import AudienceChanged, VisitEnded, VisitStarted

SIZE = (640, 480)
FPS = 10


def face(x: float, frontal: bool = True, y: float = 150, side: float = 100) -> Face:
    return Face(int(x), int(y), int(side), int(side), frontal, 10.0)


def run(tracker: VisitorTracker, frames: list[list], t0: float = 0.0, progress: bool = False) -> list:
    """The events of these frames; without `progress`, only those that change the visit (a
    VisitProgress only brings the figures up to date)."""
    events = []
    for i, faces in enumerate(frames):
        events += tracker.update(faces, t0 + i / FPS, SIZE)
    return [e for e in events if progress or type(e).__name__ != "VisitProgress"]


def kinds(events) -> list[str]:
    return [type(e).__name__ for e in events]


def test_a_long_visit_brings_its_figures_up_to_date_every_two_seconds():
    frames = [[face(300)]] * 100  # 10 s in front of the screen, nothing changing
    events = run(VisitorTracker(grace_seconds=1.0), frames, progress=True)
    progress = [e for e in events if type(e).__name__ == "VisitProgress"]
    assert 3 <= len(progress) <= 5
    attention = [e.visitors[0].attention for e in progress]
    assert attention == sorted(attention) and attention[-1] > 7


def test_one_visitor_gives_one_visit_with_dwell_and_attention():
    frames = [[]] * 10 + [[face(300)]] * 50 + [[]] * 30  # 5 s in front of the screen
    events = run(VisitorTracker(grace_seconds=1.0), frames)
    assert kinds(events) == ["VisitStarted", "VisitEnded"]
    started, ended = events
    assert started.visit_id == ended.visit_id == 1
    assert started.people == 1 and started.audience.count == 1
    assert started.audience.people[0].facing is True
    assert started.audience.people[0].x == pytest.approx(350 / 640, abs=1e-4)
    assert ended.people == 0 and ended.audience.empty
    assert ended.dwell == pytest.approx(4.9, abs=0.11)  # first to last sighting, not + grace
    (visitor,) = ended.visitors
    assert visitor.dwell == pytest.approx(4.9, abs=0.11)
    assert visitor.attention == pytest.approx(4.9, abs=0.11)
    assert ended.ots == 1 and ended.watchers == 1


def test_blinks_and_turned_head_do_not_end_the_visit():
    frames = [[face(300)]] * 10
    frames += [[]] * 5 + [[face(305)]] * 10  # 0.5 s undetected (a blink, motion blur)
    frames += [[face(310, frontal=False)]] * 20  # turned away, still there
    frames += [[face(300)]] * 10 + [[]] * 30
    events = run(VisitorTracker(grace_seconds=1.5), frames)
    assert kinds(events) == ["VisitStarted", "VisitEnded"]
    ended = events[-1]
    visitor = ended.visitors[0]
    assert visitor.dwell == pytest.approx(5.4, abs=0.11)
    # facing except the 2 s turned away and the blink: clearly less than the dwell
    assert 2.5 <= visitor.attention <= 3.2
    assert ended.watchers == 1


def test_a_longer_absence_ends_the_visit_and_a_return_is_a_new_visit():
    frames = [[face(300)]] * 10 + [[]] * 25 + [[face(300)]] * 10 + [[]] * 25
    events = run(VisitorTracker(grace_seconds=1.5), frames)
    assert kinds(events) == ["VisitStarted", "VisitEnded", "VisitStarted", "VisitEnded"]
    assert [e.visit_id for e in events] == [1, 1, 2, 2]


def test_one_stray_detection_is_not_a_visit():
    frames = [[]] * 5 + [[face(100)]] + [[]] * 30 + [[face(500)]] + [[]] * 30
    assert run(VisitorTracker(), frames) == []


def test_a_second_person_joining_and_leaving_changes_the_audience():
    frames = [[face(100)]] * 20 + [[face(100), face(450, frontal=False)]] * 20 + [[face(100)]] * 30
    frames += [[]] * 30
    events = run(VisitorTracker(grace_seconds=1.0), frames)
    assert kinds(events) == ["VisitStarted", "AudienceChanged", "AudienceChanged", "VisitEnded"]
    joined, left, ended = events[1], events[2], events[3]
    assert joined.people == 2 and joined.audience.count == 2
    assert left.people == 1
    assert ended.ots == 2  # two people had the chance to see
    assert ended.watchers == 1  # only one ever looked
    never_looked = [v for v in ended.visitors if not v.watched]
    assert len(never_looked) == 1 and never_looked[0].attention == 0
    assert never_looked[0].dwell == pytest.approx(1.9, abs=0.11)


def test_walking_across_the_frame_stays_one_person():
    frames = [[face(40 + 25 * i)] for i in range(22)] + [[]] * 20  # moves 25 px a frame
    events = run(VisitorTracker(grace_seconds=1.0), frames)
    assert kinds(events) == ["VisitStarted", "VisitEnded"]
    assert events[-1].ots == 1


def test_two_people_swapping_sides_far_apart_are_two_tracks_not_one():
    frames = [[face(50), face(500)]] * 10 + [[]] * 20
    events = run(VisitorTracker(grace_seconds=1.0), frames)
    assert events[0].people == 2 and events[-1].ots == 2


def test_finish_ends_an_open_visit():
    tracker = VisitorTracker()
    run(tracker, [[face(300)]] * 10)
    (ended,) = tracker.finish(5.0)
    assert isinstance(ended, VisitEnded) and ended.dwell == pytest.approx(0.9)
    assert tracker.finish(6.0) == []


def test_thermal_points_make_visits_without_attention():
    tracker = VisitorTracker(grace_seconds=1.0)
    events = []
    for i in range(40):
        points = [(0.3, 0.5)] + ([(0.8, 0.4)] if 10 <= i < 20 else [])
        events += tracker.update(boxes_from_points(points, (320, 320)), i / FPS, (320, 320))
    events += tracker.update([], 6.0, (320, 320))
    assert kinds(events) == ["VisitStarted", "AudienceChanged", "AudienceChanged", "VisitEnded"]
    assert isinstance(events[0], VisitStarted) and isinstance(events[1], AudienceChanged)
    assert events[1].people == 2
    assert events[-1].watchers == 0 and events[-1].ots == 2  # facing is unknown for heat blobs
    assert events[0].audience.people[0].facing is None


def test_boxes_from_points_are_centred():
    (box,) = boxes_from_points([(0.5, 0.25)], (400, 200), side=0.1)
    assert box == Box(180.0, 30.0, 40.0, 40.0)


def test_two_people_crossing_keep_their_own_attributes():
    """A walks right, B walks left; they cross (B hidden behind A for a few frames). Each keeps
    the attributes guessed when first seen: nothing is re-matched by position afterwards."""
    def describe(detection):
        return ("female", 31) if detection.w == 100 else ("male", 52)

    tracker, events = VisitorTracker(grace_seconds=1.0), []
    for i in range(60):
        t = i / FPS
        a = Face(int(40 + 9 * i), 150, 100, 100, True, 0.9)
        b = Face(int(560 - 8 * i), 175, 80, 80, True, 0.9)
        hidden = abs(a.x + 50 - (b.x + 40)) < 40  # B behind A while their centres pass
        events += tracker.update([a] if hidden else [a, b], t, SIZE, describe)
    events += tracker.update([], 10.0, SIZE)
    ended = events[-1]
    assert isinstance(ended, VisitEnded) and ended.ots == 2
    by_gender = {v.gender: v for v in ended.visitors}
    assert by_gender["female"].box[0] > 400 and by_gender["male"].box[0] < 200  # ended where they walked
    assert by_gender["female"].age == 31 and by_gender["male"].age == 52


def test_a_visitor_who_steps_out_of_view_for_a_moment_is_the_same_visitor():
    frames = [[face(20)]] * 20 + [[]] * 8 + [[face(60)]] * 20 + [[]] * 20  # 0.8 s out at the edge
    events = run(VisitorTracker(grace_seconds=1.5), frames)
    assert kinds(events) == ["VisitStarted", "VisitEnded"] and events[-1].ots == 1


def test_attributes_wait_for_a_good_sighting_then_steady_over_a_few():
    asked, guessed = [], []

    def describe(detection):
        asked.append(detection)
        if not detection.frontal:
            return None  # turned away: no guess yet
        guessed.append(detection)
        return ("male", [40, 47, 41][len(guessed) - 1])

    frames = [[face(300, frontal=False)]] * 5 + [[face(300)]] * 20
    tracker, events = VisitorTracker(), []
    for i, faces in enumerate(frames):
        events += tracker.update(faces, i / FPS, SIZE, describe)
    assert kinds(events) == ["VisitStarted", "AudienceChanged"]
    assert events[0].audience.people[0].gender is None  # started while turned away
    assert events[1].audience.people[0].gender == "male" and events[1].audience.people[0].age == 40
    assert len(guessed) == 3  # three guesses on three frames, then no more
    assert not any(d.frontal for d in asked[:-3])  # asked on every turned sighting meanwhile
    assert tracker.present()[0].age == 41  # the median of 40, 47, 41

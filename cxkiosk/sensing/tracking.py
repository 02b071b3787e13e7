"""Who is here, since when, and who is watching: visits from per-frame detections.

Each tracked person carries their own attributes (age and gender from the local model, facing
from the detector), so nothing is re-matched by position afterwards. A detection is matched to
the track whose *predicted* position (last position plus its velocity) is nearest, relative to
the face size, with the face size itself as a second cue: two people crossing keep their own
tracks. Hysteresis both ways: a newcomer counts after two sightings in a row (one false
detection starts no visit), and a person leaves only after `grace_seconds` unseen (a blink, a
turned head, a step out of view and back is the same visitor). Only boxes and attribute values
are kept: never a face image or an embedding.

Terms as in audience measurement: OTS (opportunities to see) = people present during the visit;
watchers = people who faced the screen at least once; dwell = time present; attention = time
facing the screen.

Any detection with x, y, w, h (pixels) works: faces from `detect.FaceDetector` (whose `frontal`
says facing) or `Box` values made from thermal blob centres (facing unknown).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from cxkiosk.values import (
    Audience,
    AudienceChanged,
    Person,
    VisitEnded,
    VisitEvent,
    Visitor,
    VisitProgress,
    VisitStarted,
)

PROGRESS_SECONDS = 2.0  # how often a visit's attention figures are brought up to date


class Detection(Protocol):
    x: int | float
    y: int | float
    w: int | float
    h: int | float


# Age and gender for one detection of this frame, or None when this sighting is not good enough
# for a guess (too small, turned away): the tracker asks again at a later sighting.
Describe = Callable[[Any], "tuple[str | None, int | None] | None"]


@dataclass(frozen=True)
class Box:
    """A generic detection (thermal blob, person box); frontal None = cannot tell facing."""

    x: float
    y: float
    w: float
    h: float
    frontal: bool | None = None


def boxes_from_points(points: Sequence[tuple[float, float]], frame_size: tuple[int, int],
                      side: float = 0.15) -> list[Box]:
    """Centres in 0..1 (thermal `count_people`) -> square boxes `side` of the frame width wide."""
    width, height = frame_size
    s = side * width
    return [Box(px * width - s / 2, py * height - s / 2, s, s) for px, py in points]


def person_at(box: Sequence[float], frame_size: tuple[int, int], facing: bool | None,
              gender: str | None = None, age: int | None = None) -> Person:
    """A Person at a box (x, y, w, h pixels): where across the frame (0..1) and how big."""
    width, height = frame_size
    return Person(gender=gender, age=age, facing=facing,
                  x=round((box[0] + box[2] / 2) / max(1, width), 4), size=round(box[3] / max(1, height), 4))


@dataclass(frozen=True, eq=False)
class ProfileRequest:
    """What the classifier needs for one visit event, sent by the capture thread straight to the
    classifier thread (the GUI thread never holds a frame). Memory only, never written."""

    visit_id: int
    image: np.ndarray  # a read-only copy of the frame the event was seen on
    boxes: tuple[tuple[int, int, int, int], ...]  # present people, pixels of `image`
    audience: Audience  # the local profile, the fallback when the model is unavailable


@dataclass
class _Track:
    id: int
    box: tuple[float, float, float, float]
    first: float
    last: float
    facing: bool | None
    confirmed: bool = False
    attention: float = 0.0
    watched: bool = False
    sightings: int = 1
    velocity: tuple[float, float] = (0.0, 0.0)  # px/s of the box centre
    gender: str | None = None
    age: int | None = None
    guesses: list[tuple[str | None, int | None]] = field(default_factory=list)

    def settle(self) -> bool:
        """Attributes from the guesses so far (majority gender, median age); True if they changed
        enough to tell the chain (a gender, or an age five years off)."""
        genders = Counter(g for g, _ in self.guesses if g is not None)
        top = genders.most_common(1)
        gender = top[0][0] if top and top[0][1] * 2 > sum(genders.values()) else None
        ages = [a for _, a in self.guesses if a is not None]
        age = round(statistics.median(ages)) if ages else None
        changed = gender != self.gender or (age is None) != (self.age is None) or (
            age is not None and self.age is not None and abs(age - self.age) >= 5)
        self.gender, self.age = gender, age
        return changed

    def predicted(self, t: float) -> tuple[float, float, float, float]:
        dt = min(1.0, max(0.0, t - self.last))  # never extrapolate a lost track far
        x, y, w, h = self.box
        return x + self.velocity[0] * dt, y + self.velocity[1] * dt, w, h

    def visitor(self, now: float, present: bool) -> Visitor:
        end = now if present else self.last
        return Visitor(self.id, round(max(0.0, end - self.first), 3), round(self.attention, 3),
                       self.watched, present, self.box, self.facing, self.gender, self.age)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Centre distance in units of the larger box side (scale-free: near and far faces alike)."""
    dx = (a[0] + a[2] / 2) - (b[0] + b[2] / 2)
    dy = (a[1] + a[3] / 2) - (b[1] + b[3] / 2)
    return (dx * dx + dy * dy) ** 0.5 / max(1e-6, a[2], a[3], b[2], b[3])


class VisitorTracker:
    def __init__(self, grace_seconds: float = 1.5, confirm_seconds: float = 0.05,
                 max_jump: float = 1.0, max_step: float = 0.5, confirm_sightings: int = 2,
                 guesses: int = 3) -> None:
        self.grace = grace_seconds
        # Two sightings in a row confirm a newcomer: one false detection never starts a visit,
        # and at 15 fps the visit starts one frame (67 ms) after the face first shows.
        self.confirm = confirm_seconds
        self.confirm_sightings = confirm_sightings
        self.max_jump = max_jump  # a match may move this many face sizes from its prediction
        self.max_step = max_step  # attention added per update is capped: a stalled loop is no gaze
        self.guesses = guesses  # age/gender guesses per visitor (on different frames)
        self._tracks: list[_Track] = []
        self._next_track = 1
        self._visit_id = 0
        self._progress_at = 0.0  # when the last event of the visit went out
        self._visit_start: float | None = None
        self._visit_people: dict[int, _Track] = {}
        self._present_ids: frozenset[int] = frozenset()
        self._last_t: float | None = None
        self._frame_size = (1, 1)
        self.matched: dict[int, Any] = {}  # track id -> its detection in the latest frame

    @property
    def in_visit(self) -> bool:
        return self._visit_start is not None

    @property
    def steady(self) -> bool:
        """In a visit with nobody new to confirm: frames may be analysed less often."""
        return self.in_visit and all(t.confirmed for t in self._tracks)

    def present(self) -> list[Visitor]:
        now = self._last_t or 0.0
        return [t.visitor(now, True) for t in self._tracks if t.confirmed]

    def update(self, faces: Sequence[Detection], t: float, frame_size: tuple[int, int],
               describe: Describe | None = None) -> list[VisitEvent]:
        """Feed one frame's detections (possibly none) at time `t`; returns 0..2 events.

        `describe(detection)` is asked for the attributes of confirmed people on their detection
        in this frame, a few times per visitor, never on every frame."""
        self._frame_size = frame_size
        step = 0.0 if self._last_t is None else min(self.max_step, max(0.0, t - self._last_t))
        self._last_t = t
        self._match(faces, t, step)
        # Confirm newcomers seen long enough; forget whoever has been gone past the grace time.
        for track in self._tracks:
            if (not track.confirmed and track.last == t and track.sightings >= self.confirm_sightings
                    and track.last - track.first >= self.confirm):
                track.confirmed = True
                self._visit_people[track.id] = track
        self._tracks = [tr for tr in self._tracks if t - tr.last <= (self.grace if tr.confirmed
                                                                      else max(self.grace / 3, 0.2))]
        described = self._describe(describe)
        return self._events(t, described)

    def _describe(self, describe: Describe | None) -> bool:
        """Attributes for present people with fewer than `guesses` good sightings guessed; True
        if someone's attributes changed. The first guess counts at once (the visit starts with
        it); a few more steady it, since one frame's guess can be years off."""
        if describe is None:
            return False
        changed = False
        for track in self._tracks:
            detection = self.matched.get(track.id)
            if not track.confirmed or len(track.guesses) >= self.guesses or detection is None:
                continue
            result = describe(detection)
            if result is None:
                continue  # not a good sighting for a guess; ask again at the next one
            track.guesses.append(result)
            changed = track.settle() or changed
        return changed

    def _match(self, faces: Sequence[Detection], t: float, step: float) -> None:
        boxes = [(float(f.x), float(f.y), float(f.w), float(f.h)) for f in faces]
        pairs = []
        for ti, track in enumerate(self._tracks):
            guess = track.predicted(t)
            # A person unseen for a while may come back a little further from where they were.
            reach = self.max_jump * (1.0 + 2.0 * min(self.grace, max(0.0, t - track.last)))
            for di, box in enumerate(boxes):
                dist = _distance(guess, box)
                iou = _overlap(guess, box)
                if iou <= 0.1 and dist > reach:
                    continue
                size = abs(math.log(max(1e-6, box[3]) / max(1e-6, track.box[3])))
                if size > 0.7:  # half or twice the face: another person (or a big jump in depth)
                    continue
                pairs.append((dist + size - iou, ti, di))
        pairs.sort()
        used_t: set[int] = set()
        used_d: set[int] = set()
        self.matched = {}
        for _cost, ti, di in pairs:  # greedy, best match first
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            track, face, box = self._tracks[ti], faces[di], boxes[di]
            facing = getattr(face, "frontal", None)
            if facing and track.facing and track.last >= t - step - 1e-9:
                track.attention += step  # facing now and at the previous sighting: gaze held
            dt = t - track.last
            if 0 < dt <= 1.0:
                vx = (box[0] + box[2] / 2 - track.box[0] - track.box[2] / 2) / dt
                vy = (box[1] + box[3] / 2 - track.box[1] - track.box[3] / 2) / dt
                keep = 0.5 if track.sightings > 1 else 0.0  # smooth the jitter of detections
                track.velocity = (keep * track.velocity[0] + (1 - keep) * vx,
                                  keep * track.velocity[1] + (1 - keep) * vy)
            track.box, track.last, track.facing = box, t, facing
            track.sightings += 1
            track.watched = track.watched or bool(facing)
            self.matched[track.id] = face
        for di, box in enumerate(boxes):
            if di not in used_d:
                facing = getattr(faces[di], "frontal", None)
                track = _Track(self._next_track, box, t, t, facing, watched=bool(facing))
                self._tracks.append(track)
                self.matched[track.id] = faces[di]
                self._next_track += 1

    def _events(self, t: float, described: bool = False) -> list[VisitEvent]:
        present = frozenset(tr.id for tr in self._tracks if tr.confirmed)
        events: list[VisitEvent] = []
        if present and self._visit_start is None:
            self._visit_id += 1
            self._visit_start = min(self._visit_people[i].first for i in present)
            self._present_ids = present
            events.append(self._event(VisitStarted, t))
        elif self._visit_start is not None and not present:
            end = max((tr.last for tr in self._visit_people.values()), default=t)
            events.append(self._event(VisitEnded, end))
            self._visit_start = None
            self._visit_people = {}
            self._present_ids = frozenset()
        elif (present != self._present_ids and len(present) != len(self._present_ids)) or described:
            self._present_ids = present
            events.append(self._event(AudienceChanged, t))
        else:
            self._present_ids = present  # one person swapped for another track id: same audience
        if present and not events and t - self._progress_at >= PROGRESS_SECONDS:
            events.append(self._event(VisitProgress, t))
        if events:
            self._progress_at = t
        return events

    def _event(self, kind: type[VisitEvent], t: float) -> VisitEvent:
        present_ids = {tr.id for tr in self._tracks if tr.confirmed}
        visitors = tuple(tr.visitor(t, tr.id in present_ids) for tr in self._visit_people.values())
        people = tuple(
            person_at(v.box, self._frame_size, v.facing, v.gender, v.age)
            for v in sorted(visitors, key=lambda v: v.box[2] * v.box[3], reverse=True) if v.present)
        audience = Audience(count=len(people), people=people, source="local")
        started = t if self._visit_start is None else self._visit_start
        return kind(visit_id=self._visit_id, t=t, started=started, people=len(people), visitors=visitors,
                    audience=audience)

    def finish(self, t: float) -> list[VisitEvent]:
        """End an open visit now (shutdown, source switched); returns the VisitEnded, if any."""
        if self._visit_start is None:
            return []
        for tr in self._tracks:
            tr.last = min(tr.last, t)
        self._tracks = []
        return self._events(t)

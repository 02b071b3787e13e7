"""Who is here, since when, and who is watching: visits from per-frame detections.

Detections are matched to tracked people by box overlap, or by centroid distance relative to
the face size when a person moves faster than their box overlaps. Hysteresis both ways:
a new person counts only after two sightings in a row (one false detection does not
start a visit) and a person leaves only after `grace_seconds` unseen (a blink, a turned head, a
dropped frame does not end a visit).

Terms as in Quividi's audience measurement: OTS (opportunities to see) = people present during
the visit; watchers = people who faced the screen at least once; dwell = time present;
attention = time facing the screen.

Any detection with x, y, w, h (pixels) works: faces from `detect.FaceDetector` (whose
`frontal` says facing) or `Box` values made from thermal blob centres (facing unknown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .audience import Audience, Person


class Detection(Protocol):
    x: int | float
    y: int | float
    w: int | float
    h: int | float


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


@dataclass(frozen=True)
class Visitor:
    """One person of a visit, as it stands at the time of the event."""

    track_id: int
    dwell: float  # seconds present
    attention: float  # seconds facing the screen
    watched: bool  # faced the screen at least once
    present: bool  # still in front of the screen
    box: tuple[float, float, float, float]  # last seen x, y, w, h in pixels
    facing: bool | None  # facing in the latest sighting (None: unknown, e.g. thermal)


@dataclass(frozen=True)
class VisitEvent:
    visit_id: int
    t: float  # monotonic time of the event
    started: float  # monotonic time the visit started
    people: int  # present now
    visitors: tuple[Visitor, ...]  # everyone seen during this visit, present or gone
    audience: Audience = field(default_factory=Audience)  # present people (age/gender by capture)

    @property
    def dwell(self) -> float:
        """Length of the visit so far (the whole visit for VisitEnded)."""
        return max(0.0, self.t - self.started)

    @property
    def ots(self) -> int:
        return len(self.visitors)

    @property
    def watchers(self) -> int:
        return sum(v.watched for v in self.visitors)

    @property
    def attention(self) -> float:
        return max((v.attention for v in self.visitors), default=0.0)


@dataclass(frozen=True)
class VisitStarted(VisitEvent):
    pass


@dataclass(frozen=True)
class AudienceChanged(VisitEvent):
    pass


@dataclass(frozen=True)
class VisitEnded(VisitEvent):
    pass


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

    def visitor(self, now: float, present: bool) -> Visitor:
        end = now if present else self.last
        return Visitor(self.id, round(max(0.0, end - self.first), 3), round(self.attention, 3),
                       self.watched, present, self.box, self.facing)


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
                 max_jump: float = 1.0, max_step: float = 0.5, confirm_sightings: int = 2) -> None:
        self.grace = grace_seconds
        # Two sightings in a row confirm a newcomer: one false detection never starts a visit,
        # and at 15 fps the visit starts one frame (67 ms) after the face first shows.
        self.confirm = confirm_seconds
        self.confirm_sightings = confirm_sightings
        self.max_jump = max_jump  # a match may move this many face sizes between sightings
        self.max_step = max_step  # attention added per update is capped: a stalled loop is no gaze
        self._tracks: list[_Track] = []
        self._next_track = 1
        self._visit_id = 0
        self._visit_start: float | None = None
        self._visit_people: dict[int, _Track] = {}
        self._present_ids: frozenset[int] = frozenset()
        self._last_t: float | None = None
        self._frame_size = (1, 1)

    @property
    def in_visit(self) -> bool:
        return self._visit_start is not None

    def present(self) -> list[Visitor]:
        now = self._last_t or 0.0
        return [t.visitor(now, True) for t in self._tracks if t.confirmed]

    def update(self, faces: Sequence[Detection], t: float,
               frame_size: tuple[int, int]) -> list[VisitEvent]:
        """Feed one frame's detections (possibly none) at time `t`; returns 0..2 events."""
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
        return self._events(t)

    def _match(self, faces: Sequence[Detection], t: float, step: float) -> None:
        boxes = [(float(f.x), float(f.y), float(f.w), float(f.h)) for f in faces]
        pairs = []
        for ti, track in enumerate(self._tracks):
            for di, box in enumerate(boxes):
                iou, dist = _overlap(track.box, box), _distance(track.box, box)
                if iou > 0.1 or dist <= self.max_jump:
                    pairs.append((-iou, dist, ti, di))
        pairs.sort()
        used_t, used_d = set(), set()
        for _neg_iou, _dist, ti, di in pairs:  # greedy, best overlap first
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            track, face = self._tracks[ti], faces[di]
            facing = getattr(face, "frontal", None)
            if facing and track.facing and track.last >= t - step - 1e-9:
                track.attention += step  # facing now and at the previous sighting: gaze held
            track.box, track.last, track.facing = boxes[di], t, facing
            track.sightings += 1
            track.watched = track.watched or bool(facing)
        for di, box in enumerate(boxes):
            if di not in used_d:
                facing = getattr(faces[di], "frontal", None)
                self._tracks.append(_Track(self._next_track, box, t, t, facing, watched=bool(facing)))
                self._next_track += 1

    def _events(self, t: float) -> list[VisitEvent]:
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
        elif present != self._present_ids and len(present) != len(self._present_ids):
            self._present_ids = present
            events.append(self._event(AudienceChanged, t))
        else:
            self._present_ids = present  # one person swapped for another track id: same audience
        return events

    def _event(self, kind: type[VisitEvent], t: float) -> VisitEvent:
        present_ids = {tr.id for tr in self._tracks if tr.confirmed}
        visitors = tuple(tr.visitor(t, tr.id in present_ids) for tr in self._visit_people.values())
        width, height = self._frame_size
        people = tuple(
            Person(facing=v.facing, x=(v.box[0] + v.box[2] / 2) / max(1, width),
                   size=v.box[3] / max(1, height))
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

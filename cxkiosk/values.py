"""The plain values that flow along the chain; every stage may import this module, and it
imports no stage.

`Person` and `Audience`: who stands in front of the screen, anonymous coarse attributes only
(validated by `attributes`). Visit events: what the tracker saw happen. `Item` and `Choice`:
what the billboard plays and why (links validated by `links`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from cxkiosk.attributes import (
    SENSITIVE_FIELDS,
    normalize_age,
    normalize_bool,
    normalize_gender,
    normalize_text,
    normalize_unit,
)
from cxkiosk.links import youtube_id

KINDS = ("youtube", "video", "slide", "web")
PEOPLE_MAX = 20  # a kiosk camera never sees more; caps a runaway reply


@dataclass(frozen=True)
class Person:
    gender: str | None = None  # "male" | "female" | None
    age: int | None = None  # 1..100
    glasses: bool | None = None
    hair: str | None = None
    clothing: str | None = None
    facing: bool | None = None  # looking at the screen
    # Where and how big the face is in the frame (0..1); the selector targets the nearest.
    x: float | None = None
    size: float | None = None
    ethnicity: str | None = None  # sensitive: kept only when the operator enabled it
    emotion: str | None = None  # sensitive

    @classmethod
    def from_dict(cls, data: Any) -> Person:
        if not isinstance(data, dict):
            return cls()
        return cls(
            gender=normalize_gender(data.get("gender")),
            age=normalize_age(data.get("age")),
            glasses=normalize_bool(data.get("glasses")),
            hair=normalize_text(data.get("hair")),
            clothing=normalize_text(data.get("clothing")),
            facing=normalize_bool(data.get("facing")),
            x=normalize_unit(data.get("x")),
            size=normalize_unit(data.get("size")),
            ethnicity=normalize_text(data.get("ethnicity") or data.get("race")),
            emotion=normalize_text(data.get("emotion")),
        )

    def to_dict(self, sensitive: bool = False) -> dict[str, Any]:
        data = asdict(self)
        for key in ("x", "size"):
            if data[key] is None:
                del data[key]
        for key in SENSITIVE_FIELDS:
            if not sensitive or data[key] is None:
                del data[key]
        return data

    def without_sensitive(self) -> Person:
        return replace(self, ethnicity=None, emotion=None)




@dataclass(frozen=True)
class Audience:
    count: int = 0
    people: tuple[Person, ...] = field(default_factory=tuple)
    source: str = "none"  # "local", "thermal", "model:<name>", "cli"...

    def __post_init__(self) -> None:
        people = tuple(self.people)[:PEOPLE_MAX]
        object.__setattr__(self, "people", people)
        count = self.count if isinstance(self.count, int) and not isinstance(self.count, bool) else 0
        object.__setattr__(self, "count", max(len(people), min(PEOPLE_MAX, max(0, count))))

    @classmethod
    def from_dict(cls, data: Any, source: str | None = None) -> Audience:
        """Build from untrusted JSON-like data; what does not validate becomes unknown."""
        if not isinstance(data, dict):
            return cls(source=source or "none")
        raw_people = data.get("people")
        people = tuple(Person.from_dict(p) for p in raw_people) if isinstance(raw_people, list) else ()
        count = data.get("count")
        if isinstance(count, str) and count.strip().isascii() and count.strip().isdigit() \
                and len(count.strip()) <= 4:
            count = int(count)
        src = source or data.get("source")
        return cls(count=count if isinstance(count, int) else len(people), people=people,
                   source=src if isinstance(src, str) and len(src) <= 60 else "none")

    def to_dict(self, sensitive: bool = False) -> dict[str, Any]:
        return {"count": self.count, "people": [p.to_dict(sensitive) for p in self.people],
                "source": self.source}

    def without_sensitive(self) -> Audience:
        return replace(self, people=tuple(p.without_sensitive() for p in self.people))

    @property
    def empty(self) -> bool:
        return self.count == 0

    def primary(self) -> Person | None:
        """The visitor to target: facing the screen first, then the nearest (largest face)."""
        if not self.people:
            return None
        return max(self.people, key=lambda p: (p.facing is not False, p.size or 0.0))

    def summary(self) -> str:
        """Short human text for logs and the demo overlay: '2 people: female 34, male ~'."""
        if self.empty:
            return "nobody"
        parts = [" ".join(x for x in (p.gender or "?", str(p.age) if p.age else "") if x)
                 for p in self.people]
        noun = "person" if self.count == 1 else "people"
        return f"{self.count} {noun}" + (": " + ", ".join(parts) if parts else "")


# --- visits -----------------------------------------------------------------------------------


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
    gender: str | None = None
    age: int | None = None


@dataclass(frozen=True)
class VisitEvent:
    visit_id: int
    t: float  # monotonic time of the event
    started: float  # monotonic time the visit started
    people: int  # present now
    visitors: tuple[Visitor, ...]  # everyone seen during this visit, present or gone
    audience: Audience = field(default_factory=Audience)  # present people, nearest first

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


@dataclass(frozen=True)
class VisitProgress(VisitEvent):
    """The same audience a little later (every PROGRESS_SECONDS during a visit): attention keeps
    growing between changes, and audience-per-play measurement needs it. Nothing to target on."""


# --- what plays ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One piece of content as the billboard and the pushers see it (no database row)."""

    id: int
    title: str
    url: str  # the link pushed to phones (QR/NFC); for local files, the item's web page if any
    kind: str = "youtube"  # one of KINDS
    path: str = ""  # local file (video, slide image/html), relative to resources/ or absolute
    duration: float = 10.0  # seconds, for slides and web pages; videos play to their end
    tagline: str = ""
    description: str = ""
    captions: bool = True  # a caption may be written for it when targeted (else its tagline shows)

    @property
    def video_id(self) -> str | None:
        return youtube_id(self.url) if self.kind == "youtube" else None


@dataclass(frozen=True)
class Choice:
    """An item chosen for an audience (or the idle playlist), with the reasons why."""

    item: Item
    trigger: str = "idle"  # "idle" | "targeted" | "holdout" (the idle item, for a visit, on purpose)
    score: float = 0.0
    reasons: tuple[str, ...] = field(default_factory=tuple)
    caption: str = ""  # optional generated headline for this audience
    audience_summary: str = ""
    # What the selector chose when the screen plays a next-best item instead (YouTube refused
    # embedding, no network): its link still goes to the QR code and the NFC tag.
    chosen: Item | None = None
    segment: str = ""  # whom a targeted or holdout play is for: "female 25-34", "group of 3"
    code: str = ""  # this play's own code, in the pushed link (utm_content) and its taps
    made_for: str = ""  # the item's own targeting in words ("women 25-55, suit"), for the demo line

    @property
    def pushed_item(self) -> Item:
        return self.chosen or self.item

"""Who stands in front of the screen: anonymous, coarse attributes only.

`Person` and `Audience` are the values that flow from the detector and the classifier to the
selector, the logs and the report. Every value coming from outside (a model reply, a command-line
JSON, a database row) goes through the `normalize_*` functions here, so there is one place that
decides what a valid age or gender is.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

AGE_MIN, AGE_MAX = 1, 100
TEXT_MAX = 40  # hair/clothing words; longer replies are prose, not an attribute
PEOPLE_MAX = 20  # a kiosk camera never sees more; caps a runaway reply

# Attributes that may be unlawful to infer (EU AI Act Art. 5(1)(g)); off unless the operator
# turns them on, and stripped before anything is stored otherwise.
SENSITIVE_FIELDS = ("ethnicity", "emotion")

_GENDER_WORDS = {
    "male": "male", "m": "male", "man": "male", "men": "male", "boy": "male", "masculine": "male",
    "gentleman": "male", "guy": "male",
    "female": "female", "f": "female", "woman": "female", "women": "female", "girl": "female",
    "feminine": "female", "lady": "female",
}
_TRUE_WORDS = {"yes", "y", "true", "1", "wearing", "with glasses", "glasses"}
_FALSE_WORDS = {"no", "n", "false", "0", "none", "without glasses", "not wearing"}
_UNKNOWN_WORDS = {"", "unknown", "n/a", "na", "none given", "null", "?", "-", "unsure", "unclear"}


def normalize_gender(value: Any) -> str | None:
    """'M', 'Woman', 'boy' -> 'male'/'female'; anything else -> None."""
    if not isinstance(value, str):
        return None
    return _GENDER_WORDS.get(value.strip().lower().strip(".")) or None


def normalize_age(value: Any) -> int | None:
    """30 / '30' / '30s' / 'around 40' / '25-30' / 'late 20s' -> an int in 1..100, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if value != value:  # NaN
            return None
        age = int(round(value))
        return max(AGE_MIN, min(AGE_MAX, age)) if age >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    numbers = [int(n) for n in re.findall(r"\d{1,3}", text)][:2]
    if not numbers:
        return None
    if len(numbers) == 2 and re.search(r"\d\s*(-|–|to)\s*\d", text):
        return normalize_age((numbers[0] + numbers[1]) / 2)  # a range: its middle
    years = numbers[0]
    if re.search(r"\d0\s*'?s\b", text):  # a decade: "30s" -> 35, "early 30s" -> 32
        years += 2 if "early" in text else 8 if "late" in text else 5
    return normalize_age(years)


def normalize_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if not isinstance(value, str):
        return None
    text = value.strip().lower().strip(".")
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    return None


def normalize_text(value: Any, limit: int = TEXT_MAX) -> str | None:
    """A short lower-case attribute word or phrase; prose, links and markup are refused."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.strip().lower().split())
    if text in _UNKNOWN_WORDS or len(text) > limit:
        return None
    if re.search(r"[<>{}\[\]\\]|://|www\.", text):
        return None
    return text


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
            x=_unit(data.get("x")),
            size=_unit(data.get("size")),
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


def _unit(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return round(max(0.0, min(1.0, float(value))), 4)


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
        if isinstance(count, str) and count.strip().isdigit():
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

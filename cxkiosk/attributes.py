"""What a valid visitor attribute is: the one place that decides it.

Every value coming from outside (a model reply, a command-line JSON, a database row) goes
through the `normalize_*` functions here before it becomes a `values.Person`; what does not
validate becomes unknown (None), never an error.
"""

from __future__ import annotations

import math
import re
import reprlib
from typing import Any

AGE_MIN, AGE_MAX = 1, 100
TEXT_MAX = 40  # hair/clothing words; longer replies are prose, not an attribute

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
        if isinstance(value, int) and not -1000 <= value <= 1000:  # also too big for a float
            return None
        if not math.isfinite(value):  # NaN, Infinity
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

def refused_attributes(data: dict[str, Any]) -> list[str]:
    """What a strict reader (an operator's `select --audience`) refuses in one person: each
    given value the normalizers above would drop or change to unknown, as "gender 'robot'".
    Model replies are read leniently instead; this is for input a person typed."""
    checks = {"gender": normalize_gender, "glasses": normalize_bool, "facing": normalize_bool,
              "hair": normalize_text, "clothing": normalize_text}
    refused = []
    for key, value in data.items():
        if value is None or (isinstance(value, str) and value.strip().lower() in _UNKNOWN_WORDS):
            continue
        if key == "age":
            # The range first: math.isfinite(10**400) raises OverflowError (NaN fails the range).
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
                  and AGE_MIN <= value <= AGE_MAX and math.isfinite(value)) or (
                isinstance(value, str) and normalize_age(value) is not None)
        elif key in checks:
            ok = checks[key](value) is not None
        else:
            continue  # x, size, sensitive fields: checked where they are used
        if not ok:
            refused.append(f"{key} {reprlib.repr(value)}")  # a 400-digit age stays one short line
    return refused


def normalize_unit(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    if isinstance(value, int) and not -1000 <= value <= 1000:  # a float() of it may overflow
        return None
    return round(max(0.0, min(1.0, float(value))), 4)


# The ten-year bands the report and the segments use: coarse enough to say nothing of a person.
AGE_BANDS = ((0, 17, "<18"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"),
             (55, 64, "55-64"), (65, 200, "65+"))


def age_band(age: Any) -> str:
    """'25-34' for 31; "unknown" for anything that is not an age."""
    if not isinstance(age, int) or isinstance(age, bool):
        return "unknown"
    return next((label for lo, hi, label in AGE_BANDS if lo <= age <= hi), "unknown")

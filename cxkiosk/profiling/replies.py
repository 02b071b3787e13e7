"""Turn a model's reply into an `Audience`. The reply is untrusted input.

Models answer in JSON (structured output, or JSON inside code fences and prose), in the seed's
line format (`- male, 30, asian, no, short, polo shirt`), or not at all ("I'm sorry, I can't
help with that"). Whatever comes back, `parse_reply` returns a value and never raises; every
attribute goes through the `normalize_*` functions in `attributes.py`, and nothing else from a
reply (no link, no content id, no free text beyond the short attribute words) survives.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from cxkiosk.attributes import normalize_age, normalize_bool, normalize_gender
from cxkiosk.values import PEOPLE_MAX, Audience, Person

log = logging.getLogger("cxkiosk.model")

REPLY_MAX = 20_000  # characters; a longer reply is truncated before parsing (bounds the work)
_JSON_ATTEMPTS = 24  # candidate '{' / '[' positions tried; garbage full of braces stays cheap
_PERSON_KEYS = {"gender", "sex", "age", "glasses", "hair", "clothing", "clothes", "facing", "position"}

_FENCE = re.compile(r"```[a-zA-Z]*\s*\n?(.*?)```", re.S)
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)]|person\s*\d{1,2}\s*[:.)-])\s*", re.I)
_REFUSAL = re.compile(
    r"\b(i'?m sorry|i am sorry|i can(?:'|no)?t|i cannot|i'?m unable|i am unable|unable to (?:help|assist|"
    r"identify|determine)|can'?t (?:help|assist|identify|determine)|not able to (?:help|identify|determine)"
    r"|as an ai)\b", re.I)
_NOBODY = re.compile(r"\b(no (?:one|people|persons?|humans?|visitors?)|nobody|empty (?:room|scene|image))\b",
                     re.I)
_FACING = {"facing": True, "facing camera": True, "facing the camera": True, "looking": True,
           "not facing": False, "away": False, "facing away": False, "not looking": False,
           "looking away": False}
# A thermal reply says where a person is, not a coordinate; the selector wants x in 0..1.
_POSITION_X = {"left": 0.2, "centre": 0.5, "center": 0.5, "middle": 0.5, "right": 0.8}


@dataclass(frozen=True)
class ParsedReply:
    audience: Audience | None  # None: nothing usable (refusal, garbage, empty); use the local audience
    format: str  # "json" | "lines" | "none"
    notes: tuple[str, ...] = ()  # why parts were dropped, for the log


def parse_reply(text: Any, source: str = "model", sensitive: bool = False) -> ParsedReply:
    """Parse any reply; never raises. Sensitive fields are dropped unless `sensitive`."""
    try:
        return _parse(text, source, sensitive)
    except Exception as exc:  # a parser bug must not take the kiosk down; log it and fall back
        log.exception("reply parser failed")
        return ParsedReply(None, "none", (f"parser error: {type(exc).__name__}",))


def _parse(text: Any, source: str, sensitive: bool) -> ParsedReply:
    if not isinstance(text, str):
        return ParsedReply(None, "none", ("reply is not text",))
    notes: list[str] = []
    if len(text) > REPLY_MAX:
        notes.append(f"reply truncated from {len(text)} characters")
        text = text[:REPLY_MAX]
    stripped = text.strip()
    if not stripped:
        return ParsedReply(None, "none", ("empty reply",))
    data = _find_json(stripped)
    if data is not None:
        audience = _audience_from_json(data, source, notes)
        if audience is not None:
            return _finish(audience, "json", notes, sensitive)
    people = _people_from_lines(stripped, notes)
    if people:
        return _finish(Audience(count=len(people), people=tuple(people), source=source), "lines", notes,
                       sensitive)
    if _REFUSAL.search(stripped):
        return ParsedReply(None, "none", (*notes, "refusal"))
    if _NOBODY.search(stripped) and len(stripped) < 200:
        return _finish(Audience(count=0, source=source), "none", notes, sensitive)
    return ParsedReply(None, "none", (*notes, "no JSON and no person lines"))


def _finish(audience: Audience, fmt: str, notes: list[str], sensitive: bool) -> ParsedReply:
    if not sensitive and any(p.ethnicity or p.emotion for p in audience.people):
        notes.append("sensitive attributes dropped")
        audience = audience.without_sensitive()
    if notes:
        log.info("model reply (%s): %s", fmt, "; ".join(notes))
    return ParsedReply(audience, fmt, tuple(notes))


def _find_json(text: str) -> Any:
    """The first JSON object or array in the text: whole, inside a code fence, or inside prose."""
    candidates = [m.group(1).strip() for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder(parse_constant=lambda _name: None)  # NaN, Infinity: unknown
    attempts = 0
    for candidate in candidates:
        for match in re.finditer(r"[{\[]", candidate):
            attempts += 1
            if attempts > _JSON_ATTEMPTS:
                return None
            try:
                value, _ = decoder.raw_decode(candidate, match.start())
            except (ValueError, RecursionError):
                continue
            if isinstance(value, (dict, list)) and value:
                return value
    return None


def _audience_from_json(data: Any, source: str, notes: list[str]) -> Audience | None:
    if isinstance(data, list):  # a bare list of people
        data = {"people": data}
    if not isinstance(data, dict):
        return None
    if "people" not in data:
        for key in ("persons", "visitors", "audience", "results"):
            if isinstance(data.get(key), list):
                data = {**data, "people": data[key]}
                break
        else:
            if _PERSON_KEYS & set(data):  # a single person's object
                data = {"people": [data]}
            elif "count" not in data:
                notes.append("JSON has no people or count")
                return None
    raw_people = data.get("people")
    if raw_people is not None and not isinstance(raw_people, list):
        notes.append("people is not a list")
        raw_people = []
    people = []
    for raw in (raw_people or [])[:PEOPLE_MAX]:
        if not isinstance(raw, dict):
            notes.append("person entry is not an object")
            continue
        people.append(_person_from_json(raw))
    if raw_people and len(raw_people) > PEOPLE_MAX:
        notes.append(f"{len(raw_people) - PEOPLE_MAX} extra people dropped")
    count = data.get("count")
    if isinstance(count, str) and count.strip().isdigit():
        count = int(count.strip())
    if isinstance(count, float) and count.is_integer():
        count = int(count)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        if count is not None:
            notes.append("count not a number")
        count = len(people)
    return Audience(count=count, people=tuple(people), source=source)


def _person_from_json(raw: dict[str, Any]) -> Person:
    data = dict(raw)
    if "gender" not in data and "sex" in data:
        data["gender"] = data["sex"]
    if "clothing" not in data and "clothes" in data:
        data["clothing"] = data["clothes"]
    if isinstance(data.get("facing"), str):
        data["facing"] = _facing(data["facing"])
    if "x" not in data and isinstance(data.get("position"), str):
        data["x"] = _POSITION_X.get(data["position"].strip().lower())
    return Person.from_dict(data)


def _facing(value: str) -> bool | None:
    text = value.strip().lower().strip(".")
    return _FACING[text] if text in _FACING else normalize_bool(text)


def _people_from_lines(text: str, notes: list[str]) -> list[Person]:
    """The seed's format: one person a line, comma-separated, with or without a leading dash."""
    people: list[Person] = []
    for line in text.splitlines():
        bullet = _BULLET.match(line)
        body = line[bullet.end():] if bullet else line
        fields = [f.strip() for f in body.split(",")]
        # A person line starts with a gender word, or is a bullet whose second field is an age;
        # prose bullets ("- The room, bright, ...") are not people.
        if len(fields) < 2 or not (normalize_gender(fields[0]) or bullet and normalize_age(fields[1])):
            continue
        if len(people) >= PEOPLE_MAX:
            notes.append("extra people dropped")
            break
        people.append(_person_from_fields(fields))
    return people


def _person_from_fields(fields: list[str]) -> Person:
    # gender, age, [race], glasses, hair, clothing, [facing]: the race column is there when the
    # third field is not a yes/no word but the fourth is (the seed's original prompt asked for it).
    fields = fields + [""] * 7
    data: dict[str, Any] = {"gender": fields[0], "age": fields[1]}
    rest = fields[2:]
    if normalize_bool(rest[0]) is None and normalize_bool(rest[1]) is not None:
        data["ethnicity"] = rest[0]
        rest = rest[1:]
    data.update(glasses=rest[0], hair=rest[1], clothing=rest[2])
    data["facing"] = _facing(rest[3]) if rest[3] else None
    return Person.from_dict(data)


def profile_schema(sensitive: bool = False) -> dict[str, Any]:
    """The JSON schema for structured output (strict mode: every field required, nullable)."""
    person: dict[str, Any] = {
        "gender": {"type": ["string", "null"], "enum": ["male", "female", None]},
        "age": {"type": ["integer", "null"]},
        "glasses": {"type": ["boolean", "null"]},
        "hair": {"type": ["string", "null"]},
        "clothing": {"type": ["string", "null"]},
        "facing": {"type": ["boolean", "null"]},
    }
    if sensitive:
        person.update(ethnicity={"type": ["string", "null"]}, emotion={"type": ["string", "null"]})
    return {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "people": {"type": "array", "items": {
                "type": "object", "properties": person, "required": list(person),
                "additionalProperties": False}},
        },
        "required": ["count", "people"],
        "additionalProperties": False,
    }

"""Writing a caption for the visitor in front of the screen: one model call per item and audience
segment, cached; what the model writes passes `guard.problem` or the item's tagline shows.

The prompt carries the item's own words and only what is not personal about the audience: what
they wear, how many they are, the time of day. Never an age, a gender or anything sensitive.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cxkiosk.captions.guard import MAX_LENGTH, clean, problem
from cxkiosk.profiling import prompts
from cxkiosk.values import Audience, Item

log = logging.getLogger("cxkiosk.captions")

LANGUAGES = {"en": "English", "ja": "Japanese"}
CACHE_SECONDS = 1800.0
RECENT = 30  # captions the admin panel lists
BLOCKED_FILE = "captions-blocked.json"

# complete(prompt) -> (text, error): one text-only call to the configured model, within the
# profiling call caps and deadline (Classifier.write).
Complete = Callable[[str], "tuple[str, str]"]


@dataclass(frozen=True)
class Written:
    """A caption as the admin panel lists it."""

    at: datetime
    item: str  # title
    segment: str
    text: str
    source: str  # generated | cached


@dataclass(frozen=True)
class Caption:
    text: str  # what the overlay shows: the caption, or the tagline
    source: str  # "generated" | "cached" | "tagline"
    reason: str = ""  # why the tagline shows (the check that failed, no model...)


def audience_hints(audience: Audience, at: datetime) -> str:
    """What may be said about the people there: clothing, group size, time of day."""
    clothing = sorted({p.clothing for p in audience.people if p.clothing})[:3]
    parts = [f"{audience.count} people together" if audience.count >= 2 else "one person"]
    if clothing:
        parts.append("wearing " + ", ".join(clothing))
    hour = at.hour
    parts.append("morning" if hour < 12 else "afternoon" if hour < 17 else "evening")
    return "; ".join(parts)


def caption_prompt(item: Item, audience: Audience, at: datetime, language: str,
                   template: str = prompts.CAPTION) -> str:
    """The prompt (the operator's template, versioned in the admin panel, or the shipped one) with
    its {fields} filled in; other braces in it are left alone."""
    values = {"language": LANGUAGES.get(language, "English"),
              "limit": str(MAX_LENGTH.get(language, MAX_LENGTH["en"])), "title": item.title,
              "description": item.description, "tagline": item.tagline,
              "audience": audience_hints(audience, at)}
    text = template
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


class CaptionWriter:
    def __init__(self, complete: Complete, language: str = "en", banned: tuple[str, ...] = (),
                 cache_seconds: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic,
                 template: Callable[[], str] | None = None, blocked_file: Path | None = None) -> None:
        self._complete = complete
        self._lock = threading.Lock()  # the panel reads and blocks from the GUI thread
        self._recent: deque[Written] = deque(maxlen=RECENT)
        self._blocked_file = blocked_file
        self._blocked: set[str] = self._load_blocked()
        self._template = template  # the active caption prompt (read at each call), or the shipped one
        self.language = language if language in LANGUAGES else "en"
        self.banned = banned
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[tuple[int, str, str], tuple[float, str]] = {}
        self.calls = 0

    def _prompt_text(self) -> str:
        if self._template is not None:
            try:
                text = self._template()
                if isinstance(text, str) and text.strip():
                    return text
            except Exception:  # the database may be locked or gone; the shipped prompt still works
                log.exception("reading the caption prompt failed; using the shipped one")
        return prompts.CAPTION

    def _load_blocked(self) -> set[str]:
        if self._blocked_file is None:
            return set()
        try:
            from cxkiosk.config import read_small_file

            data = json.loads(read_small_file(self._blocked_file))
            return {str(t).casefold() for t in data} if isinstance(data, list) else set()
        except FileNotFoundError:
            return set()
        except (OSError, ValueError, RecursionError) as exc:
            log.error("blocked captions %s unreadable (%s); none are blocked", self._blocked_file, exc)
            return set()

    def recent(self) -> list[Written]:
        """The latest captions shown, newest first."""
        with self._lock:
            return list(reversed(self._recent))

    def block(self, text: str) -> None:
        """Never show this caption again (kept in the data folder); its cached uses end now."""
        from cxkiosk.config import write_atomically

        with self._lock:
            self._blocked.add(text.casefold())
            self._cache = {k: v for k, v in self._cache.items() if v[1].casefold() != text.casefold()}
            blocked = sorted(self._blocked)
        if self._blocked_file is not None:
            try:
                write_atomically(self._blocked_file, json.dumps(blocked, ensure_ascii=False) + "\n")
            except OSError as exc:
                log.warning("cannot keep the blocked captions (%s); blocked until a restart", exc)

    def caption(self, item: Item, audience: Audience, segment: str, at: datetime | None = None) -> Caption:
        """The caption for this item and segment (from the cache when fresh), or the tagline."""
        at = at or datetime.now()
        key = (item.id, segment, self.language)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self.cache_seconds:
            self._remember(item, segment, cached[1], "cached", at)
            return Caption(cached[1], "cached")
        self.calls += 1
        text, error = self._complete(caption_prompt(item, audience, at, self.language, self._prompt_text()))
        if error:
            log.info("no caption for %r (%s); showing the tagline", item.title, error)
            return Caption(item.tagline, "tagline", error)
        caption = clean(text)
        reason = problem(caption, " ".join((item.title, item.description, item.tagline)), self.language,
                         self.banned)
        with self._lock:
            if not reason and caption.casefold() in self._blocked:
                reason = "blocked by the operator"
        if reason:
            log.warning("caption for %r refused (%s): %.120r", item.title, reason, caption)
            return Caption(item.tagline, "tagline", f"refused: {reason}")
        with self._lock:
            self._cache[key] = (now, caption)
        self._remember(item, segment, caption, "generated", at)
        return Caption(caption, "generated")

    def _remember(self, item: Item, segment: str, text: str, source: str, at: datetime) -> None:
        with self._lock:
            self._recent.append(Written(at, item.title, segment, text, source))

"""Writing a caption for the visitor in front of the screen: one model call per item and audience
segment, cached; what the model writes passes `guard.problem` or the item's tagline shows.

The prompt carries the item's own words and only what is not personal about the audience: what
they wear, how many they are, the time of day. Never an age, a gender or anything sensitive.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cxkiosk.captions.guard import MAX_LENGTH, clean, problem
from cxkiosk.profiling import prompts
from cxkiosk.values import Audience, Item

log = logging.getLogger("cxkiosk.captions")

LANGUAGES = {"en": "English", "ja": "Japanese"}
CACHE_SECONDS = 1800.0

# complete(prompt) -> (text, error): one text-only call to the configured model, within the
# profiling call caps and deadline (Classifier.write).
Complete = Callable[[str], "tuple[str, str]"]


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
                 template: Callable[[], str] | None = None) -> None:
        self._complete = complete
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

    def caption(self, item: Item, audience: Audience, segment: str, at: datetime | None = None) -> Caption:
        """The caption for this item and segment (from the cache when fresh), or the tagline."""
        at = at or datetime.now()
        key = (item.id, segment, self.language)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return Caption(cached[1], "cached")
        self.calls += 1
        text, error = self._complete(caption_prompt(item, audience, at, self.language, self._prompt_text()))
        if error:
            log.info("no caption for %r (%s); showing the tagline", item.title, error)
            return Caption(item.tagline, "tagline", error)
        caption = clean(text)
        reason = problem(caption, " ".join((item.title, item.description, item.tagline)), self.language,
                         self.banned)
        if reason:
            log.warning("caption for %r refused (%s): %.120r", item.title, reason, caption)
            return Caption(item.tagline, "tagline", f"refused: {reason}")
        self._cache[key] = (now, caption)
        return Caption(caption, "generated")

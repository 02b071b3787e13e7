"""A report's period, from the words a showroom manager types: the one parser for `report --since`
/ `--until` and the admin panel's Figures tab.

A period is half-open, [start, end), in the kiosk's local time (the clock where the screen stands).

- `--since today`: since midnight, until now.
- `--since yesterday`: yesterday only, midnight to midnight.
- `--since Nd` (`7d`, `30d`): the last N calendar days, today included, until now.
- `--since DATE` (YYYY-MM-DD) or a full ISO time (an offset is converted to local time): from
  then until now.
- `--until DATE` ends the period after that day; `--until TIME` at that moment; `--until today`
  now, `--until yesterday` at midnight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WORDS = "today, yesterday, 7d, 30d, a date like 2025-06-01 or an ISO time"
_DAYS = re.compile(r"(\d{1,4})d")
MAX_DAYS = 3660  # ten years
YEARS = (2000, 2200)  # a typo (0025-06-01) or a hostile value gets one line, not an overflow


class PeriodError(ValueError):
    """A period that cannot be read; the message is one line for the command line."""


@dataclass(frozen=True)
class Period:
    start: datetime | None  # None: all history
    end: datetime  # exclusive


def midnight(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def _moment(word: str, flag: str) -> tuple[datetime, bool]:
    """A date (its midnight, True) or an ISO time (False), in local time."""
    text = word.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            at, whole_day = datetime.combine(date.fromisoformat(text), datetime.min.time()), True
        else:
            at, whole_day = datetime.fromisoformat(text), False
            if at.tzinfo is not None:
                at = at.astimezone().replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        raise PeriodError(f"{flag} {word!r} is not a period: use {WORDS}") from None
    if not YEARS[0] <= at.year <= YEARS[1]:
        raise PeriodError(f"{flag} {word!r} is outside the years {YEARS[0]}-{YEARS[1]}")
    return at, whole_day


def since(word: str, now: datetime) -> tuple[datetime, datetime]:
    """The period `--since WORD` names: its start and, without `--until`, its end."""
    text = word.strip().lower()
    today = midnight(now)
    if text == "today":
        return today, now
    if text == "yesterday":
        return today - timedelta(days=1), today
    days = _DAYS.fullmatch(text)
    if days:
        n = int(days.group(1))
        if not 1 <= n <= MAX_DAYS:
            raise PeriodError(f"--since {word!r}: the number of days must be 1 to {MAX_DAYS}")
        return today - timedelta(days=n - 1), now
    return _moment(word, "--since")[0], now


def until(word: str, now: datetime) -> datetime:
    """Where `--until WORD` ends a period: a date includes its whole day."""
    text = word.strip().lower()
    if text == "today":
        return now
    if text == "yesterday":
        return midnight(now)
    if _DAYS.fullmatch(text):
        raise PeriodError(f"--until {word!r}: use today, yesterday, a date like 2025-06-30 or an ISO time")
    at, whole_day = _moment(word, "--until")
    return at + timedelta(days=1) if whole_day else at


def parse_period(since_word: str | None, until_word: str | None = None,
                 now: datetime | None = None) -> Period:
    """The period `--since SINCE --until UNTIL` names at `now` (default: the local time now).
    Without a since word, all history; without an until word, the since word's own end (now,
    or for `yesterday` the start of today)."""
    now = now or datetime.now()
    start: datetime | None = None
    end = now
    if since_word is not None:
        start, end = since(since_word, now)
    if until_word is not None:
        end = until(until_word, now)
    if start is not None and end <= start:
        if until_word is None:
            raise PeriodError(f"--since {since_word!r} is in the future")
        raise PeriodError(f"--until {until_word!r} is not after --since {since_word!r}")
    return Period(start, end)

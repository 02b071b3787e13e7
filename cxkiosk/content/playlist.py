"""What plays next: the idle loop, targeted interruptions, and items that failed recently.

Pure Python, no Qt: the billboard asks `next_choice()` when an item ends and reports failures
with `mark_failed()`; a targeted `Choice` from the selector goes through `interrupt()` and the
idle loop resumes after it. The health policy lives here and only here: how long a failed item
is skipped, what an operator sees of it (`health()`, an `ItemHealth` per item) and `retry()`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cxkiosk.values import Choice, Item

log = logging.getLogger("cxkiosk.playlist")

BACKOFF_MAX = 4  # a repeat offender is skipped up to 4x unhealthy_seconds


@dataclass(frozen=True)
class ItemHealth:
    """How one item fares on this screen, for the operator: `failing_since` is None when it plays
    fine. Times are wall-clock (what the operator reads); skipping itself runs on a monotonic clock."""

    item_id: int
    failing_since: datetime | None = None  # the first failure of the current run of failures
    reason: str = ""  # the billboard's words for the last failure ("YouTube error 153: ...")
    failures: int = 0  # failures in a row since it last played
    next_retry: datetime | None = None  # when it is tried again (past or now: on its next turn)

    @property
    def failing(self) -> bool:
        return self.failing_since is not None


@dataclass
class _Health:
    failures: int
    until: float  # monotonic time until which the item is skipped
    since: datetime
    reason: str
    retry_at: datetime


class Playlist:
    """The idle playlist in a loop, skipping items that failed within `unhealthy_seconds`."""

    def __init__(self, items: Sequence[Item], unhealthy_seconds: float = 1800.0,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = datetime.now) -> None:
        self._items: list[Item] = list(items)
        self._position = -1
        self._health: dict[int, _Health] = {}
        self._unhealthy_seconds = unhealthy_seconds
        self._clock = clock
        self._wall = wall
        self._pending: list[Choice] = []

    @property
    def items(self) -> list[Item]:
        return list(self._items)

    def replace(self, items: Sequence[Item]) -> None:
        """New content from the database; keeps the position on the current item if still there."""
        current = self._items[self._position] if 0 <= self._position < len(self._items) else None
        self._items = list(items)
        ids = [i.id for i in self._items]
        self._position = ids.index(current.id) if current and current.id in ids else -1

    def healthy(self, item: Item) -> bool:
        health = self._health.get(item.id)
        return health is None or health.until <= self._clock()

    def mark_failed(self, item: Item, reason: str) -> ItemHealth:
        """Skip this item for a while; a repeat offender is skipped for longer (up to 4x)."""
        now = self._wall()
        health = self._health.get(item.id)
        if health is None:
            health = self._health[item.id] = _Health(0, 0.0, now, reason, now)
        health.failures += 1
        skip = self._unhealthy_seconds * min(BACKOFF_MAX, health.failures)
        health.until = self._clock() + skip
        health.reason = reason
        health.retry_at = now + timedelta(seconds=skip)
        log.warning("item %d %r failed: %s; skipped for %.0f min", item.id, item.title, reason, skip / 60)
        return self.health_of(item.id)

    def mark_ok(self, item: Item) -> bool:
        """It played: forget its failures. True when it had been failing (its health changed)."""
        recovered = self._health.pop(item.id, None) is not None
        if recovered:
            log.info("item %d %r plays again", item.id, item.title)
        return recovered

    def health_of(self, item_id: int) -> ItemHealth:
        health = self._health.get(item_id)
        if health is None:
            return ItemHealth(item_id)
        return ItemHealth(item_id, health.since, health.reason, health.failures, health.retry_at)

    def health(self) -> dict[int, ItemHealth]:
        """Every failing item's health, by item id (an item not in it plays fine)."""
        return {item_id: self.health_of(item_id) for item_id in self._health}

    def retry(self, item_id: int) -> ItemHealth:
        """The operator's "Retry now": the item is playable again at once and, when it is in the
        idle loop, plays next. Its failures are kept until it plays, so failing again still backs
        off; a targeted-only item becomes the selector's to choose again."""
        health = self._health.get(item_id)
        if health is None:
            return ItemHealth(item_id)
        health.until = self._clock()
        health.retry_at = self._wall()
        item = next((i for i in self._items if i.id == item_id), None)
        if item is not None:
            self._pending = [Choice(item=item, trigger="idle")]
        log.info("item %d: retry asked by the operator", item_id)
        return self.health_of(item_id)

    def interrupt(self, choice: Choice) -> None:
        """Queue a targeted choice ahead of the idle loop (the newest replaces an older one)."""
        self._pending = [choice]

    def next_choice(self) -> Choice | None:
        """The next thing to play, or None when nothing is playable (the fallback slide shows)."""
        while self._pending:
            choice = self._pending.pop(0)
            if self.healthy(choice.item):
                return choice
        return self.next_idle()

    def next_idle(self) -> Choice | None:
        """The idle loop's next item (what plays when no visitor is targeted), moving the loop on."""
        count = len(self._items)
        for step in range(1, count + 1):
            index = (self._position + step) % count
            item = self._items[index]
            if self.healthy(item):
                self._position = index
                return Choice(item=item, trigger="idle")
        return None

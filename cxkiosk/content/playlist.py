"""What plays next: the idle loop, targeted interruptions, and items that failed recently.

Pure Python, no Qt: the billboard asks `next_choice()` when an item ends and reports failures
with `mark_failed()`; a targeted `Choice` from the selector goes through `interrupt()` and the
idle loop resumes after it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cxkiosk.values import Choice, Item

log = logging.getLogger("cxkiosk.playlist")


@dataclass
class Health:
    failures: int = 0
    until: float = 0.0  # monotonic time until which the item is skipped


class Playlist:
    """The idle playlist in a loop, skipping items that failed within `unhealthy_seconds`."""

    def __init__(self, items: Sequence[Item], unhealthy_seconds: float = 1800.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._items: list[Item] = list(items)
        self._position = -1
        self._health: dict[int, Health] = {}
        self._unhealthy_seconds = unhealthy_seconds
        self._clock = clock
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

    def mark_failed(self, item: Item, reason: str) -> None:
        """Skip this item for a while; a repeat offender is skipped for longer (up to 4x)."""
        health = self._health.setdefault(item.id, Health())
        health.failures += 1
        health.until = self._clock() + self._unhealthy_seconds * min(4, health.failures)
        log.warning("item %d %r failed: %s; skipped for %.0f min", item.id, item.title, reason,
                    (health.until - self._clock()) / 60)

    def mark_ok(self, item: Item) -> None:
        self._health.pop(item.id, None)

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

"""What model calls may cost: hourly and daily caps kept in a small JSON file (a restart does
not reset them), and a circuit breaker that pauses calls after repeated failures."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("cxkiosk.model")

CALLS_FILE = "model_calls.json"


class CallBudget:
    """Hourly and daily call caps over rolling windows, persisted so a restart keeps counting.

    A cap of 0 allows no calls (a cost cap that fails open would be no cap).
    """

    def __init__(self, path: Path | None, per_hour: int, per_day: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.path, self.per_hour, self.per_day, self._clock = path, per_hour, per_day, clock
        self._calls: list[float] = self._load()
        self._lock = threading.RLock()  # profiling and captions share one budget from two threads

    def _load(self) -> list[float]:
        if self.path is None or not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return sorted(float(t) for t in data["calls"])
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            log.error("call counter %s unreadable (%s); counting from zero", self.path, exc)
            return []

    def _trim(self, now: float) -> None:
        # Entries far in the future mean the clock was set back; they would block calls for days.
        self._calls = [t for t in self._calls if now - 86400 < t <= now + 3600]

    def blocked(self) -> str:
        """Why no call may be made now, or ""."""
        with self._lock:
            return self._blocked()

    def _blocked(self) -> str:
        now = self._clock()
        self._trim(now)
        if sum(1 for t in self._calls if t > now - 3600) >= self.per_hour:
            return f"hourly call cap reached ({self.per_hour} calls)"
        if len(self._calls) >= self.per_day:
            return f"daily call cap reached ({self.per_day} calls)"
        return ""

    def record(self) -> None:
        with self._lock:
            self._calls.append(self._clock())
            self._save()

    def counts(self) -> tuple[int, int]:
        """(calls in the last hour, calls in the last day); thread-safe (the prompt bench asks
        from its own thread while the kiosk's calls are recorded)."""
        with self._lock:
            now = self._clock()
            self._trim(now)
            return sum(1 for t in self._calls if t > now - 3600), len(self._calls)

    def _save(self) -> None:
        if self.path is None:
            return
        try:  # temp file + replace: a power cut leaves the old file or the new one, never half
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".calls-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"calls": [round(t, 1) for t in self._calls]}, fh)
            os.replace(tmp, self.path)
        except OSError as exc:
            log.error("cannot save the call counter %s: %s", self.path, exc)


class CircuitBreaker:
    """After `threshold` failures in a row, stop calling for a cool-down, then try once.

    Each failed trial doubles the cool-down (up to `max_cooldown`); a success closes it.
    """

    def __init__(self, threshold: int = 3, cooldown: float = 60.0, max_cooldown: float = 600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold, self.base_cooldown, self.max_cooldown = threshold, cooldown, max_cooldown
        self._clock = clock
        self.failures = 0
        self.cooldown = cooldown
        self.open_until: float | None = None

    def blocked(self) -> str:
        if self.open_until is None:
            return ""
        left = self.open_until - self._clock()
        if left > 0:
            return f"model paused after {self.failures} failures; next try in {left:.0f} s"
        return ""  # half-open: one trial call

    def success(self) -> None:
        self.failures, self.cooldown, self.open_until = 0, self.base_cooldown, None

    def failure(self) -> None:
        self.failures += 1
        if self.open_until is not None:  # the trial call failed
            self.cooldown = min(self.max_cooldown, self.cooldown * 2)
            self.open_until = self._clock() + self.cooldown
        elif self.failures >= self.threshold:
            self.open_until = self._clock() + self.cooldown
            log.warning("model failed %d times in a row; pausing calls for %.0f s", self.failures,
                        self.cooldown)

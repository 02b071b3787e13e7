"""Python's garbage collector and the screen: keep its full collections short.

A full (generation 2) collection walks every container object the process holds and keeps the
GIL throughout, so the GUI thread waits for it whichever thread started it. A started kiosk holds
some hundreds of thousands of them (PySide6, OpenCV, openai and pydantic, peewee, our own), and a
soak measured full collections of 19, 75 and 110 ms: a frozen frame each time.

Almost all of those objects live as long as the process (modules, classes, functions), so once
start-up is over they are moved out of the collector's sight with `gc.freeze()`: a full
collection then walks only what was made since. Modules imported later (the admin panel, a
provider's client on the first visit) are frozen too, by a check once a minute, so the heap the
collector walks stays small for weeks. Reference counting still frees a frozen object; only a
frozen reference cycle is never freed, so a collection just before the first freeze makes sure
no garbage is among them, and later freezes take only what the imports just made, whose garbage
is at most a few cycles.
"""

from __future__ import annotations

import gc
import logging
import sys
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger("cxkiosk.garbage")

CHECK_MS = 60_000


def freeze_start_up() -> int:
    """Collect once, then freeze what survives; the count of objects frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class FreezeNewModules(QObject):
    """Freeze again whenever modules were imported since the last freeze (checked once a minute
    on the GUI thread: a look at len(sys.modules), then at most one freeze of a few ms)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._modules = len(sys.modules)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        frozen = freeze_start_up()
        self._modules = len(sys.modules)
        log.info("%d start-up objects frozen out of the garbage collector's walks", frozen)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def check(self) -> bool:
        """Freeze when modules came since the last time; True when it did."""
        if len(sys.modules) == self._modules:
            return False
        before = gc.get_freeze_count()
        gc.freeze()
        log.info("%d modules imported since the last freeze; %d more objects frozen",
                 len(sys.modules) - self._modules, gc.get_freeze_count() - before)
        self._modules = len(sys.modules)
        return True


@dataclass(frozen=True)
class Pauses:
    """The full collections of one period: how many, and the longest in ms."""

    full: int
    longest_ms: float


class CollectionTimer:
    """Times the collector's full collections, on any thread (each holds the GIL, so each is a
    pause for the GUI thread too), for the GUI lateness line; `take` returns and restarts."""

    def __init__(self) -> None:
        self._started = 0.0
        self._full = 0
        self._longest = 0.0

    def install(self) -> None:
        gc.callbacks.append(self._callback)

    def uninstall(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def take(self) -> Pauses:
        pauses = Pauses(self._full, self._longest)
        self._full, self._longest = 0, 0.0
        return pauses

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self._full += 1
            self._longest = max(self._longest, (time.perf_counter() - self._started) * 1000)

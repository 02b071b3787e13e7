"""How late the GUI thread answers: a precise timer every TICK_MS notes how late each tick
comes, and every `report_seconds` one log line gives that period's percentiles and worst.

A stall of d ms (the GUI thread busy, the screen frozen) makes a tick at least d - TICK_MS late,
so the worst lateness is a stall's length to within one tick. It costs one wake-up per tick, so
it runs only when the `stall_report_seconds` setting asks (the soak benchmark reads the lines).
The line also gives the period's full garbage collections and the longest: each is a pause.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Qt, QTimer

from cxkiosk.runtime.garbage import CollectionTimer

log = logging.getLogger("cxkiosk.stalls")

TICK_MS = 20


class StallWatch(QObject):
    def __init__(self, report_seconds: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.report_seconds = report_seconds
        self._late: list[float] = []  # ms, this period
        self._last = time.perf_counter()
        self._period_start = self._last
        self._timer = QTimer(self, timerType=Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._collections = CollectionTimer()

    def start(self) -> None:
        self._last = self._period_start = time.perf_counter()
        self._collections.install()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._collections.uninstall()

    def _tick(self) -> None:
        now = time.perf_counter()
        self._late.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now
        if now - self._period_start >= self.report_seconds:
            self._report(now)

    def _report(self, now: float) -> None:
        late = sorted(self._late)
        over = sum(1 for v in late if v > 100)

        def pct(p: float) -> float:
            return late[min(len(late) - 1, int(p / 100 * len(late)))]

        pauses = self._collections.take()
        log.info("GUI lateness over %.0f s: %d ticks, p50 %.1f ms, p99 %.1f ms, max %.1f ms, "
                 "%d over 100 ms; %d full garbage collections, longest %.1f ms",
                 now - self._period_start, len(late), pct(50), pct(99), late[-1], over,
                 pauses.full, pauses.longest_ms)
        self._late = []
        self._period_start = now

"""The optional daily restart: at `daily_restart_hour` the kiosk quits cleanly with exit 75, and
`supervise` starts it again at once (not counted as a crash). Days of QtWebEngine and decoders
leave memory fragmented; a fresh process at a quiet hour costs a few seconds of black screen.

Only under `supervise`: a kiosk started by hand has nobody to start it again, so it plays on and
the log says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer

from cxkiosk.supervisor import DAILY_RESTART, next_daily_restart

log = logging.getLogger("cxkiosk.daily_restart")


class DailyRestart(QObject):
    def __init__(self, hour: int, quit: Callable[[int], None], *, supervised: bool,
                 clock: Callable[[], datetime] = datetime.now, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._quit = quit
        self._clock = clock
        self.due = next_daily_restart(clock(), hour) if supervised else None
        if 0 <= hour <= 23 and not supervised:
            log.info("daily restart at %02d:00 is set but the kiosk runs without supervise; "
                     "not restarting", hour)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        if self.due is not None:
            log.info("daily restart at %s", f"{self.due:%Y-%m-%d %H:%M}")
            self._timer.start(30_000)  # checked against the wall clock: a suspended machine catches up

    def check(self) -> bool:
        """Quit for the daily restart when it is due; True when it did."""
        if self.due is None or self._clock() < self.due:
            return False
        log.info("daily restart: quitting (exit %d) so the supervisor starts a fresh kiosk", DAILY_RESTART)
        self.due = None
        self._timer.stop()
        self._quit(DAILY_RESTART)
        return True

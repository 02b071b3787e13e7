"""The optional daily restart: at `daily_restart_hour` the kiosk quits cleanly with exit 75, and
`supervise` starts it again at once (not counted as a crash). Days of QtWebEngine and decoders
leave memory fragmented; a fresh process at a quiet hour costs a few seconds of black screen.

Only under `supervise`: a kiosk started by hand has nobody to start it again, so it plays on and
the log says why.

The restart happens within its hour or not that day. A PC with no clock battery boots with a wrong
clock, and the kiosk schedules the hour of that wrong day; when NTP sets the clock right, a time
scheduled in the past would fire at once (mid-afternoon, in front of the customers) and one in
the future not for weeks. So a due time more than a day ahead, or more than the hour behind, is
scheduled anew from the clock as it reads now. A machine asleep through the hour waits for the
next day too, and so does an hour that daylight saving skips.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, QTimer

from cxkiosk.supervisor import DAILY_RESTART, next_daily_restart

log = logging.getLogger("cxkiosk.daily_restart")

LATE = timedelta(hours=1)  # found later than this past its hour, the restart waits for the next day


class DailyRestart(QObject):
    def __init__(self, hour: int, quit: Callable[[int], None], *, supervised: bool,
                 clock: Callable[[], datetime] = datetime.now, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._quit = quit
        self._clock = clock
        self._hour = hour
        self.due = next_daily_restart(clock(), hour) if supervised else None
        if 0 <= hour <= 23 and not supervised:
            log.info("daily restart at %02d:00 is set but the kiosk runs without supervise; "
                     "not restarting", hour)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        if self.due is not None:
            log.info("daily restart at %s", f"{self.due:%Y-%m-%d %H:%M}")
            self._timer.start(30_000)  # against the wall clock, which NTP may set right after boot

    def check(self) -> bool:
        """Quit for the daily restart when it is due; True when it did."""
        if self.due is None:
            return False
        now = self._clock()
        if not self.due - timedelta(days=1) <= now < self.due + LATE:  # the clock jumped, or slept
            missed, self.due = self.due, next_daily_restart(now, self._hour)
            log.info("daily restart: the clock reads %s, far from the restart due at %s (set right "
                     "after boot, or the machine asleep through the hour); next at %s",
                     f"{now:%Y-%m-%d %H:%M}", f"{missed:%Y-%m-%d %H:%M}",
                     f"{self.due:%Y-%m-%d %H:%M}" if self.due else "never")
            return False
        if now < self.due:
            return False
        log.info("daily restart: quitting (exit %d) so the supervisor starts a fresh kiosk", DAILY_RESTART)
        self.due = None
        self._timer.stop()
        self._quit(DAILY_RESTART)
        return True

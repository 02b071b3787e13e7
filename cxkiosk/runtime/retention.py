"""Old logs go: proof of play, visits and taps older than `retention_days` are deleted once at
start and then once a day, on their own thread (a year of rows must never stall the billboard).

`RetentionTimer` lives on the GUI thread and reads the setting at each purge, so a change made in
the admin panel applies from the next one; `PurgeWorker` does the deleting. A purge that meets a
full disk or a read-only database costs one log line; the next day's purge tries again.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from datetime import timedelta
from typing import Any

import peewee
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from cxkiosk.runtime.threads import Worker

log = logging.getLogger("cxkiosk.db")

PURGE_EVERY_MS = 24 * 3600 * 1000  # a day (QTimer takes up to 24.8 days)


class PurgeWorker(Worker):
    """An event worker: `purge(days)` reaches it queued and runs on its thread."""

    purged = Signal(int)  # rows deleted by one purge (not emitted when it failed or was skipped)

    @Slot(int)
    def purge(self, days: int) -> None:
        from cxkiosk.content import database, records

        if days <= 0 or self.stopping:
            return  # 0: the operator keeps everything
        try:
            if database.current_database() is None:
                return
            if database.is_readonly():
                log.warning("old logs not purged: the database is open read-only")
                return
            deleted = records.prune_logs(timedelta(days=days), stop=lambda: self.stopping)
        except (peewee.PeeweeException, sqlite3.Error, OSError) as exc:
            log.error("old logs not purged (%s); trying again in a day", database.describe_fault(exc))
            return
        finally:
            db = database.current_database()
            if db is not None and not db.is_closed():
                with contextlib.suppress(peewee.PeeweeException, sqlite3.Error):
                    db.close()  # this thread's own connection
        if deleted:
            log.info("purged %d log rows older than %d days", deleted, days)
        self.purged.emit(deleted)


class RetentionTimer(QObject):
    """Asks for a purge at `start()` and every `interval_ms` after, with the setting as it is then."""

    purge_wanted = Signal(int)  # days; connect to PurgeWorker.purge (queued: another thread)

    def __init__(self, settings: Any, interval_ms: int = PURGE_EVERY_MS) -> None:
        super().__init__()
        self.settings = settings  # the running kiosk's: the admin panel changes it live
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.tick)

    def start(self) -> None:
        self._timer.start()
        self.tick()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    @Slot()
    def tick(self) -> None:
        self.purge_wanted.emit(int(self.settings.retention_days))

"""The admin panel's figures, built off the GUI thread: one report for a period, sent back whole
(a year of logs must never freeze the panel while the database adds it up)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from PySide6.QtCore import Signal

from cxkiosk.runtime.threads import Worker

log = logging.getLogger("cxkiosk.admin")

PERIODS = {"today": 0, "7 days": 7, "30 days": 30}


def period_start(period: str, now: datetime | None = None) -> datetime:
    """Midnight today, or that many days before it."""
    midnight = (now or datetime.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=PERIODS.get(period, 0))


class FiguresWorker(Worker):
    """`done(report dict)` or `failed(reason)` for one period."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, period: str) -> None:
        super().__init__()
        self.period = period

    def work(self) -> None:
        from cxkiosk.content import database
        from cxkiosk.report import build_report

        try:
            report = build_report(since=period_start(self.period))
        except Exception as exc:  # a view: a database problem is a line in the panel
            log.exception("figures unavailable")
            self.failed.emit(database.describe_fault(exc))
            return
        finally:
            db = database.current_database()
            if db is not None and not db.is_closed():
                db.close()  # this thread's own connection
        if not self.stopping:
            self.done.emit(report)

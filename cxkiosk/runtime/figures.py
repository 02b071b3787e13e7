"""The admin panel's figures, built off the GUI thread: one report for a period, sent back whole
(a year of logs must never freeze the panel while the database adds it up)."""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import Signal

from cxkiosk.period import Period, midnight, parse_period
from cxkiosk.runtime.threads import Worker

log = logging.getLogger("cxkiosk.admin")

# The panel's choices, as the words `report --since` takes: the same periods, the same counts.
PERIODS = {"today": "today", "7 days": "7d", "30 days": "30d"}


def period_of(choice: str, now: datetime | None = None) -> Period:
    return parse_period(PERIODS.get(choice, "today"), now=now)


def period_start(choice: str, now: datetime | None = None) -> datetime:
    """Midnight today, or of the first of the last 7 or 30 days (today included)."""
    now = now or datetime.now()
    return period_of(choice, now).start or midnight(now)  # every choice has a start


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
            period = period_of(self.period)
            report = build_report(period.start, period.end)
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

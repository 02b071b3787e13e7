"""What a report counts: the one place that says which log rows belong to a period and which
plays count. The report, its CSV and HTML page, the admin panel's Figures tab and the uplift
comparison all filter through here, so a rule changes for all of them at once.

A play counts when the item was on screen. The programme logs an item that never showed its
first frame (a YouTube refusal, a missing file, nothing within 5 s) as `failed` with no time on
screen: its end is not after its start (older rows have their start written just after their
end). Those are failed loads, reported beside the plays, never as plays. An item that showed
and then broke is a play with the outcome `failed`. A play is written from its first frame as
`playing`, its end stamped every few seconds; one a power cut left so is closed as `cut-short` at
the next start. Both are plays, on screen up to their last stamp (never `failed`, so ON_SCREEN
already takes them).

Rows a `--demo` run wrote (the shipped clip's visitor, its plays and taps) are left out unless a
caller asks for them with `demo=True`: the clip is no visitor.

On a fleet's server every row says which kiosk wrote it: `kiosk=ID` keeps that kiosk's rows
only (`report --kiosk ID`), None counts the whole fleet.
"""

from __future__ import annotations

from datetime import datetime

import peewee

from cxkiosk.content.database import AudienceLog, LogModel, PlayLog, TapLog

# The two are complements (a failure with no end never showed; SQL's NULL is spelled out).
FAILED_LOAD = (PlayLog.outcome == "failed") & (PlayLog.end.is_null() | (PlayLog.end <= PlayLog.start))
ON_SCREEN = (PlayLog.outcome != "failed") | (PlayLog.end > PlayLog.start)


def of_kiosk(model: type[LogModel], kiosk: str | None, where: peewee.Expression) -> peewee.Expression:
    """`where`, kept to the rows one kiosk of a fleet wrote (its settings' kiosk_id); None: every
    kiosk's."""
    return where if kiosk is None else where & (model.kiosk == kiosk)


def _within(model: type[PlayLog] | type[AudienceLog] | type[TapLog], field: peewee.Field,
            since: datetime | None, until: datetime, demo: bool, kiosk: str | None) -> peewee.Expression:
    """[since, until): a period is half-open, so yesterday and today never share a row."""
    where = field < until
    if since is not None:
        where &= field >= since
    if not demo:
        where &= model.demo == False  # noqa: E712 - SQL, not Python
    return of_kiosk(model, kiosk, where)


def logged_plays(since: datetime | None, until: datetime, demo: bool = False,
                 kiosk: str | None = None) -> peewee.Expression:
    """Every proof-of-play row that began in the period, failed loads included."""
    return _within(PlayLog, PlayLog.start, since, until, demo, kiosk)


def plays(since: datetime | None, until: datetime, demo: bool = False,
          kiosk: str | None = None) -> peewee.Expression:
    """The plays that count: on screen, in the period."""
    return logged_plays(since, until, demo, kiosk) & ON_SCREEN


def failed_loads(since: datetime | None, until: datetime, demo: bool = False,
                 kiosk: str | None = None) -> peewee.Expression:
    """Items that never reached the screen, in the period."""
    return logged_plays(since, until, demo, kiosk) & FAILED_LOAD


def demo_plays(since: datetime | None, until: datetime, kiosk: str | None = None) -> peewee.Expression:
    """The plays of `--demo` runs in the period: left out, and said so."""
    return (_within(PlayLog, PlayLog.start, since, until, True, kiosk) & ON_SCREEN
            & (PlayLog.demo == True))  # noqa: E712


def taps(since: datetime | None, until: datetime, demo: bool = False,
         kiosk: str | None = None) -> peewee.Expression:
    return _within(TapLog, TapLog.time, since, until, demo, kiosk)


def visits(since: datetime | None, until: datetime, demo: bool = False,
           kiosk: str | None = None) -> peewee.Expression:
    return _within(AudienceLog, AudienceLog.time, since, until, demo, kiosk)

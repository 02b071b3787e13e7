"""What the kiosk records: proof of play, visits and taps, and the pruning of old ones.

A record is kept in memory first and written when the database can take it: by a thread of its
own in the running kiosk (a commit never freezes the billboard), by the caller in commands and
tests. A full disk or a failing server costs a warning, never a play: records wait, oldest
dropped beyond BACKLOG_MAX, and are written together once it works again. On a fleet kiosk each
row also waits in the outbox, in its own transaction, until the server has it
(`cxkiosk.fleet.outbox`). Nothing is recorded in a database opened read-only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import peewee

from cxkiosk.content.database import (
    CUT_SHORT_REASON,
    OUTCOMES,
    TAP_KINDS,
    TRIGGERS,
    AudienceLog,
    Content,
    LogModel,
    Outbox,
    PlayLog,
    TapLog,
    database,
    local_naive,
    now,
    opened_readonly,
)
from cxkiosk.values import Audience, Item

log = logging.getLogger("cxkiosk.db")


def _content_id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, (Content, Item)):
        return value.id
    return int(value)


# Who writes (`set_writer`), and the read-only database whose warning was given (once per open).
_state: dict[str, Any] = {"kiosk": "", "queue": False, "warned": None}


def set_writer(kiosk: str, *, queue: bool = False) -> None:
    """Who writes the log rows from now on (the settings' kiosk_id, stamped on each), and whether
    each also waits in the outbox until a fleet's server has it (`cxkiosk.fleet.outbox`)."""
    _state["kiosk"] = (kiosk or "")[:40]
    _state["queue"] = queue


def _queue(model: type[LogModel], row_id: Any) -> None:
    """In the write's own transaction: a row and its place in the queue are stored together."""
    if _state["queue"]:
        Outbox.create(table=model._meta.table_name, row=row_id)


# Records that could not be written yet (a full disk, a busy or failing database): kept in memory,
# oldest dropped first beyond BACKLOG_MAX, and written before the next record once it works again.
BACKLOG_MAX = 5000
_backlog: deque[tuple[int, str, Callable[[], Any]]] = deque(maxlen=BACKLOG_MAX)
_backlog_lock = threading.Lock()  # held only to add or take records, never while writing
_writing = threading.Lock()  # one writer at a time: the caller's thread, or the writer thread
_failing = {"since": 0.0, "warned": 0.0}
_seq = {"next": 0}
RETRY_SECONDS = 5.0  # a writer thread with records it could not store tries again this often


class _Writer(threading.Thread):
    """The kiosk's record writer (`write_in_background`): a play's row costs the GUI thread a
    place in a queue, not a commit. With synchronous=FULL each commit waits for the disk, which
    on a busy PC took up to half a second, a frozen frame on the billboard."""

    def __init__(self) -> None:
        super().__init__(name="cxkiosk-records", daemon=True)
        self.wake = threading.Event()
        self.idle = threading.Event()
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            self.wake.wait(RETRY_SECONDS)
            self.wake.clear()
            _write_pending()
            with _backlog_lock:
                if not _backlog:
                    self.idle.set()
        _write_pending()
        db = database.obj
        if db is not None:
            with contextlib.suppress(Exception):
                db.close()  # this thread's own connection


_writer: dict[str, _Writer | None] = {"thread": None}


def write_in_background(on: bool, timeout: float = 5.0) -> bool:
    """From now on records are written by a thread of their own (the running kiosk), or again by
    the caller (commands, tests). Turning it off writes what waits first, within `timeout`;
    False when some could not be written meanwhile (they stay in memory)."""
    writer = _writer["thread"]
    if on:
        if writer is None or not writer.is_alive():
            _writer["thread"] = writer = _Writer()
            writer.start()
        return True
    if writer is None:
        return True
    flush(timeout)
    writer.stopping = True
    writer.wake.set()
    writer.join(timeout)
    _writer["thread"] = None
    return pending_records() == 0


def flush(timeout: float = 5.0) -> bool:
    """Wait until every record is written (at most `timeout`); True when none waits."""
    writer = _writer["thread"]
    if writer is None or not writer.is_alive():
        _write_pending()
        return pending_records() == 0
    deadline = time.monotonic() + timeout
    while pending_records() and time.monotonic() < deadline:
        writer.idle.clear()
        writer.wake.set()
        writer.idle.wait(min(0.5, max(0.0, deadline - time.monotonic())))
    return pending_records() == 0


def _record(what: str, write: Callable[[], Any]) -> None:
    """Keep a record and write it: on the writer thread when there is one, else now, with every
    one still waiting, in one transaction; on a storage fault keep them all for the next time (a
    warning at most every 10 minutes) and carry on."""
    with _backlog_lock:
        _seq["next"] += 1
        _backlog.append((_seq["next"], what, write))
    writer = _writer["thread"]
    if writer is not None and writer.is_alive():
        writer.idle.clear()
        writer.wake.set()
        return
    _write_pending()


def _write_pending() -> None:
    with _writing:
        with _backlog_lock:
            pending = list(_backlog)
        if not pending or database.obj is None:
            return
        try:
            with database.atomic():
                for _seq_no, _what, pending_write in pending:
                    pending_write()
        except (peewee.OperationalError, peewee.DatabaseError, sqlite3.Error, OSError) as exc:
            moment = time.monotonic()
            if not _failing["since"]:
                _failing["since"] = moment
            if moment - _failing["warned"] >= 600:
                _failing["warned"] = moment
                log.error("cannot store %s (%s); %d record(s) kept in memory until the database can be "
                          "written again", pending[-1][1], exc, len(pending))
            return
        last = pending[-1][0]
        with _backlog_lock:  # those written; the deque may have dropped or gained some meanwhile
            while _backlog and _backlog[0][0] <= last:
                _backlog.popleft()
        if _failing["since"]:
            log.warning("records stored again: %d kept in memory are written", len(pending))
            _failing.update(since=0.0, warned=0.0)


def pending_records() -> int:
    """How many records wait in memory for the database (0 when all are stored)."""
    with _backlog_lock:
        return len(_backlog)


def _logs_writable() -> bool:
    """Logs are not kept while the kiosk plays the shipped content read-only; say so once."""
    if not opened_readonly():
        return True
    if _state["warned"] is not database.obj:  # once for each database opened
        _state["warned"] = database.obj
        log.warning("database is read-only: proof of play, visits and taps are not stored until it is fixed")
    return False


def log_play(item_id: int | None, chosen_id: int | None, started: datetime | None, ended: datetime | None,
             outcome: str, reason: str = "", trigger: str = "idle", audience: str = "", *,
             ots: int | None = None, watchers: int | None = None, attention: float | None = None,
             segment: str = "", code: str = "", caption: str = "", demo: bool = False,
             stamp: bool = False) -> None:
    """One play's row. A play is written from its first frame as "playing", then again with a
    later end every few seconds (`stamp`), then with its outcome; each updates the
    row of that code and start that is still "playing", so a power cut loses at most the seconds
    since the last stamp. A stamp only updates, and is dropped while records wait for the
    database (the outcome that follows carries its end) or when none is open (the kiosk is
    closing): a backlog never fills with stamps, and a stamp never makes a row."""
    if stamp and (database.obj is None or pending_records()):
        return
    if not _logs_writable():
        return
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger must be one of {', '.join(TRIGGERS)}, not {trigger!r}")
    item, chosen = _content_id(item_id), _content_id(chosen_id)
    # Never on screen (a failed load): the row's time is the moment it failed, none on screen.
    start = local_naive(started if started is not None else ended)
    row = dict(start=start, end=local_naive(ended) if ended else None, outcome=outcome,
               reason=reason[:500], trigger=trigger, audience=audience[:500], ots=ots, watchers=watchers,
               attention=round(attention, 1) if attention is not None else None, segment=segment[:40],
               code=code[:12], caption=caption[:200], demo=demo, kiosk=_state["kiosk"])

    def write() -> None:
        # An item deleted while it played (or while the record waited) is logged as None.
        known = _existing({item, chosen})
        fields = dict(row, item=item if item in known else None, chosen=chosen if chosen in known else None)
        live = (PlayLog.code == row["code"]) & (PlayLog.start == start) & (PlayLog.outcome == "playing")
        ids = [i for (i,) in PlayLog.select(PlayLog.id).where(live).tuples()] if code and started else []
        if ids:
            PlayLog.update(**fields).where(PlayLog.id.in_(ids)).execute()
        elif stamp:
            return
        else:
            ids = [PlayLog.create(**fields).id]
        for row_id in ids:
            _queue(PlayLog, row_id)

    _record("a play", write)


def close_cut_plays(stale_seconds: float = 15.0) -> None:
    """Plays a kiosk left "playing" (it lost power or was killed) become "cut-short", on screen
    until their last stamp. Only those not stamped for `stale_seconds` (three of the programme's
    5 s stamps): a kiosk sharing the database (a fleet on PostgreSQL) keeps its own live play;
    one left fresher than that by a quick restart is closed at a later start (it counts as a
    play meanwhile, see cxkiosk.counting)."""
    if not _logs_writable():
        return
    stale = datetime.now() - timedelta(seconds=stale_seconds)
    where = (PlayLog.outcome == "playing") & (PlayLog.end.is_null() | (PlayLog.end < stale))

    def write() -> None:
        ids = [i for (i,) in PlayLog.select(PlayLog.id).where(where).tuples()]
        closed = (PlayLog.update(outcome="cut-short", reason=CUT_SHORT_REASON)
                  .where(PlayLog.id.in_(ids)).execute())
        for row_id in ids:
            _queue(PlayLog, row_id)
        if closed:
            log.warning("%d play(s) had been cut short (a power cut or a crash); kept as plays up to "
                        "their last stamp", closed)

    _record("closing cut-short plays", write)


def log_audience(audience: Audience, provider: str = "", latency_ms: float | None = None,
                 dwell: float | None = None, watchers: int | None = None, *,
                 sensitive: bool = False, at: datetime | None = None, demo: bool = False) -> None:
    """Store anonymous attributes; sensitive ones only when the operator enabled them."""
    if not _logs_writable():
        return
    if not sensitive:
        audience = audience.without_sensitive()
    people = [p.to_dict(sensitive) for p in audience.people]
    row = dict(time=local_naive(at) if at else now(), source=audience.source[:60], count=audience.count,
               people=json.dumps(people, sort_keys=True), provider=(provider or "")[:60],
               latency_ms=latency_ms, dwell=dwell, watchers=watchers, demo=demo, kiosk=_state["kiosk"])
    _record("a visit", lambda: _queue(AudienceLog, AudienceLog.create(**row).id))


def log_tap(item_id: int | None, kind: str, at: datetime | None = None, code: str = "",
            demo: bool = False) -> None:
    if not _logs_writable():
        return
    if kind not in TAP_KINDS:
        raise ValueError(f"tap kind must be one of {', '.join(TAP_KINDS)}, not {kind!r}")
    cid = _content_id(item_id)
    when = local_naive(at) if at else now()
    kiosk = _state["kiosk"]

    def write() -> None:
        row = TapLog.create(item=cid if cid in _existing({cid}) else None, kind=kind, time=when,
                            code=code[:12], demo=demo, kiosk=kiosk)
        _queue(TapLog, row.id)

    _record("a tap", write)


def _existing(ids: set[int | None]) -> set[int]:
    wanted = [i for i in ids if i is not None]
    return {c.id for c in Content.select(Content.id).where(Content.id.in_(wanted))} if wanted else set()


def prune_logs(older_than: timedelta, batch: int = 2000, stop: Callable[[], bool] | None = None) -> int:
    """Delete log rows older than `older_than` (the `retention_days` setting); returns rows deleted.

    In transactions of `batch` rows: proof of play written meanwhile waits for one short batch,
    never for a whole year's purge; `stop()` true ends it between batches (shutdown), keeping
    what it deleted."""
    cutoff = now() - older_than
    deleted = 0
    for model, stamp in ((PlayLog, PlayLog.start), (AudienceLog, AudienceLog.time), (TapLog, TapLog.time)):
        while True:
            with database.atomic():
                # A row still queued for a fleet's server stays until it is sent.
                queued = Outbox.select(Outbox.row).where(Outbox.table == model._meta.table_name)
                oldest = (model.select(model.id).where((stamp < cutoff) & model.id.not_in(queued))
                          .order_by(stamp).limit(batch))
                n = model.delete().where(model.id.in_(oldest)).execute()
            deleted += n
            if n < batch:
                break
            if stop is not None and stop():
                return deleted
    return deleted


"""Proof of play and audience figures, for the operator and the marketing team.

`build_report` reads PlayLog, TapLog and AudienceLog for a period (which rows count is
cxkiosk/counting.py's) and returns plain data: totals, per item (plays, completion rate,
targeted plays, seconds on screen, taps), per item and day, audience segments (gender x age
band) and figures per hour of the day. `render_json` / `render_csv` turn it into text (the
terminal's table is cxkiosk/report_text.py, the printable page cxkiosk/report_html.py); the CSV
has one row per item and day, for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import peewee
from peewee import SQL, Case, fn

from cxkiosk import counting
from cxkiosk.attributes import age_band
from cxkiosk.cells import protect
from cxkiosk.content.database import AudienceLog, Content, Heartbeat, PlayLog, TapLog, database, local_naive
from cxkiosk.fleet.heartbeat import kiosk_names
from cxkiosk.fleet.status import KioskState
from cxkiosk.uplift import uplift_report

DWELL_BINS = ((0, 5, "under 5"), (5, 15, "5-15"), (15, 30, "15-30"), (30, 60, "30-60"),
              (60, float("inf"), "60 and more"))
# Summed per item and per item and day; each is a key of an item row.
COUNTS = ("plays", "completed", "skipped", "failed", "cut_short", "failed_to_load", "targeted", "holdout",
          "idle", "ots", "watchers", "taps", "nfc_write", "nfc_read", "qr")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def taps_per_100(taps: int, watchers: int) -> float | None:
    """An item's taps per 100 of its watchers (None without watchers)."""
    return round(100 * taps / watchers, 1) if watchers else None


def _count(condition: peewee.Expression) -> peewee.Node:
    return fn.SUM(Case(None, [(condition, 1)], 0))


def _is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


def _play_seconds() -> peewee.Node:
    """Seconds on screen per play (0 without an end), in the open database's dialect."""
    span: peewee.Node
    if _is_sqlite():
        span = (fn.julianday(PlayLog.end) - fn.julianday(PlayLog.start)) * 86400.0
    else:
        span = fn.EXTRACT(SQL("EPOCH FROM (\"end\" - \"start\")"))
    return Case(None, [(PlayLog.end > PlayLog.start, span)], 0)


def _hour(field: peewee.Field) -> peewee.Node:
    if _is_sqlite():
        return fn.CAST(SQL("strftime('%H', {}) AS INTEGER".format(f'"{field.column_name}"')))
    return fn.EXTRACT(SQL(f'HOUR FROM "{field.column_name}"'))


def _day(field: peewee.Field) -> peewee.Node:
    """The calendar day of a time, uncoerced (peewee would read it back as the field's datetime);
    SQLite gives text, PostgreSQL a date, see `_day_text`."""
    return fn.DATE(field).coerce(False)


def _day_text(day: Any) -> str:
    return day.isoformat()[:10] if isinstance(day, date | datetime) else str(day)


def _blank(item_id: int | None, title: str) -> dict[str, Any]:
    return {"item_id": item_id, "title": title, **dict.fromkeys(COUNTS, 0), "completion_rate": None,
            "seconds": 0.0, "attention": 0.0, "taps_per_100_watchers": None}


def build_report(since: datetime | None = None, until: datetime | None = None, *,
                 demo: bool = False, kiosk: str | None = None) -> dict[str, Any]:
    """Figures for plays, taps and audience in [since, until): all history when since is None,
    until now when until is None; `demo` counts the rows of `--demo` runs too; `kiosk` counts
    that kiosk's rows only (None: the whole fleet, with a breakdown per kiosk when more than one
    wrote rows: "kiosks", and "kiosk_days" for the CSV)."""
    until = local_naive(until)
    since = local_naive(since) if since else None
    hours = {h: {"hour": h, "plays": 0, "taps": 0, "visitors": 0, "watchers": 0} for h in range(24)}
    cells = _days(since, until, hours, demo, kiosk)
    days: dict[tuple[str, int | None], dict[str, Any]] = {}
    for (when, item_id, _kiosk), cell in cells.items():
        merged = days.setdefault((when, item_id), {"date": when, **_blank(item_id, cell["title"])})
        for key in (*COUNTS, "seconds", "attention"):
            merged[key] += cell[key]
    items: dict[int | None, dict[str, Any]] = {}
    for row in days.values():
        total = items.setdefault(row["item_id"], _blank(row["item_id"], row["title"]))
        for key in (*COUNTS, "seconds", "attention"):
            total[key] += row[key]
    totals: Counter[str] = Counter()
    seconds_total = attention_total = 0.0
    for row in [*items.values(), *days.values(), *cells.values()]:
        row["completion_rate"] = _rate(row["completed"], row["plays"])
        row["taps_per_100_watchers"] = taps_per_100(row["taps"], row["watchers"])
        row["seconds"], row["attention"] = round(row["seconds"], 1), round(row["attention"], 1)
    for row in items.values():
        for key in ("plays", "completed", "skipped", "failed", "cut_short", "failed_to_load", "targeted",
                    "holdout", "idle", "ots", "taps"):
            totals[key] += row[key]
        totals["play_watchers"] += row["watchers"]
        seconds_total += row["seconds"]
        attention_total += row["attention"]

    segments, dwell = _audience(since, until, totals, hours, demo, kiosk)
    left_out = 0 if demo else PlayLog.select().where(counting.demo_plays(since, until, kiosk)).count()
    kiosks = _per_kiosk(cells, since, until, demo, kiosk)

    ordered = sorted(items.values(), key=lambda r: (-r["plays"], -r["taps"], r["item_id"] or 0))
    by_day = sorted(days.values(), key=lambda r: (r["date"], -r["plays"], -r["taps"], r["item_id"] or 0))
    names = kiosk_names()
    return {
        "since": since.isoformat(sep=" ") if since else None,
        "until": until.isoformat(sep=" ", timespec="seconds"),
        "demo_included": demo,
        "kiosk": kiosk,  # None: every kiosk's rows
        "kiosk_name": names.get(kiosk, "") if kiosk is not None else "",
        "totals": {
            "plays": totals["plays"], "completed": totals["completed"], "skipped": totals["skipped"],
            "failed": totals["failed"], "cut_short": totals["cut_short"],
            "failed_to_load": totals["failed_to_load"],
            "demo_plays_left_out": left_out,
            "completion_rate": _rate(totals["completed"], totals["plays"]),
            "targeted": totals["targeted"], "holdout": totals["holdout"], "idle": totals["idle"],
            "seconds": round(seconds_total, 1), "ots": totals["ots"],
            "play_watchers": totals["play_watchers"],
            "attention": round(attention_total, 1), "taps": totals["taps"],
            "taps_per_100_watchers": taps_per_100(totals["taps"], totals["play_watchers"]),
            "observations": totals["observations"], "visitors": totals["visitors"],
            "watchers": totals["watchers"],
            "dwell_avg": round(dwell["total"] / dwell["visits"], 1) if dwell["visits"] else None,
            "dwell_total": round(dwell["total"], 1),
        },
        "items": ordered,
        "days": by_day,
        "segments": [{"gender": g, "age_band": band, "people": n}
                     for (g, band), n in sorted(segments.items(), key=lambda kv: (-kv[1], kv[0]))],
        "hours": [hours[h] for h in range(24)],
        "dwell": [{"seconds": label, "visits": dwell[label]} for _lo, _hi, label in DWELL_BINS],
        "uplift": uplift_report(since, until, demo, kiosk),
        # Only when rows come from more than one kiosk: plays, on screen, taps, visits of each.
        "kiosks": kiosks,
        "kiosk_days": sorted(cells.values(), key=lambda r: (r["date"], r["kiosk"], -r["plays"],
                                                            r["item_id"] or 0)) if kiosks else [],
    }


def _per_kiosk(cells: dict[tuple[str, int | None, str], dict[str, Any]], since: datetime | None,
               until: datetime, demo: bool, kiosk: str | None) -> list[dict[str, Any]]:
    """Each kiosk's plays, seconds on screen, taps and visits, by kiosk id; [] when the rows
    come from one kiosk only (or the report is about one)."""
    if kiosk is not None:
        return []
    names = kiosk_names()
    found: dict[str, dict[str, Any]] = {}

    def row(kiosk_id: str) -> dict[str, Any]:
        return found.setdefault(kiosk_id, {"kiosk": kiosk_id, "name": names.get(kiosk_id, ""), "plays": 0,
                                           "seconds": 0.0, "taps": 0, "visits": 0, "visitors": 0})

    for (_day, _item, kiosk_id), cell in cells.items():
        total = row(kiosk_id)
        total["plays"] += cell["plays"]
        total["seconds"] += cell["seconds"]
        total["taps"] += cell["taps"]
    visits = (AudienceLog.select(AudienceLog.kiosk, fn.COUNT(AudienceLog.id), fn.SUM(AudienceLog.count))
              .where(counting.visits(since, until, demo)).group_by(AudienceLog.kiosk).tuples())
    for kiosk_id, n, visitors in visits:
        row(kiosk_id).update(visits=n, visitors=visitors or 0)
    if len(found) < 2:
        return []
    for total in found.values():
        total["seconds"] = round(total["seconds"], 1)
    return sorted(found.values(), key=lambda r: r["kiosk"])


def known_kiosks() -> list[str]:
    """Every kiosk id that wrote a log row or a heartbeat here."""
    found = {k for model in (PlayLog, AudienceLog, TapLog)
             for (k,) in model.select(model.kiosk).distinct().tuples()}
    found |= {row.kiosk for row in Heartbeat.select(Heartbeat.kiosk)}
    return sorted(found)


def has_kiosk(kiosk: str) -> bool:
    """Whether `kiosk` wrote anything here (rows or a heartbeat): an index look-up each."""
    return any(model.select().where(model.kiosk == kiosk).exists()
               for model in (PlayLog, AudienceLog, TapLog, Heartbeat))


def _days(since: datetime | None, until: datetime, hours: dict[int, dict[str, Any]],
          demo: bool = False, kiosk: str | None = None) -> dict[tuple[str, int | None, str], dict[str, Any]]:
    """Plays, failed loads and taps per (day, item, kiosk), aggregated by the database (a year of
    a busy kiosk is millions of rows); plays and taps per hour are added to `hours`."""
    titles: dict[int | None, str] = dict(Content.select(Content.id, Content.title).tuples())  # type: ignore[arg-type]
    days: dict[tuple[str, int | None, str], dict[str, Any]] = {}

    def day_row(day: Any, item_id: int | None, kiosk_id: str) -> dict[str, Any]:
        key = (_day_text(day), item_id, kiosk_id)
        if key not in days:
            days[key] = {"date": key[0], "kiosk": kiosk_id,
                         **_blank(item_id, titles.get(item_id, "(deleted item)"))}
        return days[key]

    # Aggregated by the database (a year of a busy kiosk is millions of rows), per item and day.
    shown, day = counting.plays(since, until, demo, kiosk), _day(PlayLog.start)
    per_day = (PlayLog.select(PlayLog.item, day, PlayLog.kiosk, fn.COUNT(PlayLog.id),
                              _count(PlayLog.outcome == "completed"),
                              _count(PlayLog.outcome == "skipped"), _count(PlayLog.outcome == "failed"),
                              _count(PlayLog.trigger == "targeted"), _count(PlayLog.trigger == "holdout"),
                              fn.SUM(_play_seconds()), fn.SUM(PlayLog.ots), fn.SUM(PlayLog.watchers),
                              fn.SUM(PlayLog.attention))
               .where(shown).group_by(PlayLog.item, day, PlayLog.kiosk).tuples())
    for item_id, when, kiosk_id, n, completed, skipped, failed, targeted, holdout, secs, ots, seen, att \
            in per_day:
        targeted, holdout = targeted or 0, holdout or 0
        day_row(when, item_id, kiosk_id).update(
            plays=n, completed=completed or 0, skipped=skipped or 0, failed=failed or 0,
            # on screen when the power went (cut-short), or still playing: the rest of the plays
            cut_short=n - (completed or 0) - (skipped or 0) - (failed or 0), targeted=targeted,
            holdout=holdout, idle=n - targeted - holdout, seconds=float(secs or 0.0), ots=ots or 0,
            watchers=seen or 0, attention=float(att or 0.0))
    not_shown = (PlayLog.select(PlayLog.item, day, PlayLog.kiosk, fn.COUNT(PlayLog.id))
                 .where(counting.failed_loads(since, until, demo, kiosk))
                 .group_by(PlayLog.item, day, PlayLog.kiosk).tuples())
    for item_id, when, kiosk_id, n in not_shown:
        day_row(when, item_id, kiosk_id)["failed_to_load"] = n
    hour = _hour(PlayLog.start)
    for h, n in PlayLog.select(hour, fn.COUNT(PlayLog.id)).where(shown).group_by(hour).tuples():
        if h is not None:
            hours[int(h)]["plays"] += n

    tap_day, tap_hour = _day(TapLog.time), _hour(TapLog.time)
    tapped = (TapLog.select(TapLog.item, tap_day, TapLog.kiosk, tap_hour, TapLog.kind, fn.COUNT(TapLog.id))
              .where(counting.taps(since, until, demo, kiosk))
              .group_by(TapLog.item, tap_day, TapLog.kiosk, tap_hour, TapLog.kind))
    for item_id, when, kiosk_id, h, kind, n in tapped.tuples():
        row = day_row(when, item_id, kiosk_id)
        row["taps"] += n
        key = kind.replace("-", "_")
        if key in row:
            row[key] += n
        if h is not None:
            hours[int(h)]["taps"] += n
    return days


def _audience(since: datetime | None, until: datetime, totals: Counter[str], hours: dict[int, dict[str, Any]],
              demo: bool = False,
              kiosk: str | None = None) -> tuple[Counter[tuple[str, str]], dict[str, float]]:
    """Visits in the period: totals and hours are added to; returns the people per (gender, age
    band) and the dwell figures. Visits with the same people (the same JSON) and hour are counted
    together by the database, so each distinct list is parsed once, not once per visit."""
    hour, where = _hour(AudienceLog.time), counting.visits(since, until, demo, kiosk)
    grouped = (AudienceLog.select(hour, AudienceLog.people, AudienceLog.watchers, fn.COUNT(AudienceLog.id),
                                  fn.SUM(AudienceLog.count))
               .where(where).group_by(hour, AudienceLog.people, AudienceLog.watchers))
    parsed: dict[str, list[dict[str, Any]]] = {}
    segments: Counter[tuple[str, str]] = Counter()
    for h, people_json, watchers, n, visitors in grouped.tuples():
        if people_json not in parsed:
            parsed[people_json] = _people(people_json)
        people = parsed[people_json]
        watched = watchers if watchers is not None else sum(1 for p in people if p.get("facing") is True)
        totals["observations"] += n
        totals["visitors"] += visitors or 0
        totals["watchers"] += watched * n
        for person in people:
            segments[(person.get("gender") or "unknown", age_band(person.get("age")))] += n
        if h is not None:
            hours[int(h)]["visitors"] += visitors or 0
            hours[int(h)]["watchers"] += watched * n
    bins = [_count((AudienceLog.dwell >= lo) & (AudienceLog.dwell < hi)) if hi != float("inf")
            else _count(AudienceLog.dwell >= lo) for lo, hi, _label in DWELL_BINS]
    dwelt = AudienceLog.select(fn.COUNT(AudienceLog.dwell), fn.SUM(AudienceLog.dwell), *bins).where(where)
    visits, total, *counts = dwelt.tuples().get()
    dwell = {"visits": float(visits or 0), "total": float(total or 0.0)}
    dwell.update({label: int(c or 0) for (_lo, _hi, label), c in zip(DWELL_BINS, counts, strict=True)})
    return segments, dwell


def _people(people_json: str | None) -> list[dict[str, Any]]:
    try:
        people = json.loads(people_json or "[]")
    except ValueError:
        return []
    return [p for p in people if isinstance(p, dict)] if isinstance(people, list) else []


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)


def fleet_json(states: Sequence[KioskState]) -> str:
    """The fleet list as JSON: one object per kiosk, in the list's order, times in ISO form."""
    rows = [{**asdict(s), "seen": s.seen.isoformat(sep=" "), "problems": list(s.problems)} for s in states]
    return json.dumps(rows, indent=2, ensure_ascii=False)


# The CSV's columns (header, key of a day row): what a showroom manager pastes into a spreadsheet.
CSV_COLUMNS = (("date", "date"), ("item_id", "item_id"), ("title", "title"), ("plays", "plays"),
               ("completed", "completed"), ("skipped", "skipped"), ("failed_on_screen", "failed"),
               ("cut_short", "cut_short"), ("failed_to_load", "failed_to_load"),
               ("seconds_on_screen", "seconds"), ("ots", "ots"),
               ("watchers", "watchers"), ("attention_seconds", "attention"), ("taps", "taps"),
               ("taps_per_100_watchers", "taps_per_100_watchers"), ("targeted_plays", "targeted"),
               ("holdout_plays", "holdout"), ("idle_plays", "idle"))


def render_csv(report: dict[str, Any]) -> str:
    """One row per item and day, with a header row (RFC 4180 line ends); per item, day and
    kiosk, with a kiosk column after the date, when the rows come from more than one kiosk."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; a lone \r in a cell gets quoted
    columns: tuple[tuple[str, str], ...] = CSV_COLUMNS
    rows = report["days"]
    if report.get("kiosks"):
        columns, rows = (CSV_COLUMNS[0], ("kiosk", "kiosk"), *CSV_COLUMNS[1:]), report["kiosk_days"]
    out.writerow([header for header, _key in columns])
    for row in rows:
        out.writerow([_cell(row[key]) for _header, key in columns])
    return buf.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return protect(value)  # titles come from marketing's files
    return "" if value is None else str(value)

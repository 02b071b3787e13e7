"""Proof of play and audience figures, for the operator and the marketing team.

`build_report` reads PlayLog, TapLog and AudienceLog since a date and returns plain data:
totals, per item (plays, completion rate, targeted plays, seconds on screen, taps), audience
segments (gender x age band) and figures per hour of the day. `render_json` / `render_csv` turn
it into text; the CSV is in long form (section, key, metric, value) so a spreadsheet can pivot it.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import datetime
from typing import Any

import peewee
from peewee import SQL, Case, fn

from cxkiosk.attributes import age_band
from cxkiosk.cells import protect
from cxkiosk.content.database import AudienceLog, Content, PlayLog, TapLog, database, local_naive
from cxkiosk.uplift import uplift_report

DWELL_BINS = ((0, 5, "under 5"), (5, 15, "5-15"), (15, 30, "15-30"), (30, 60, "30-60"),
              (60, float("inf"), "60 and more"))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


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


def build_report(since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    """Figures for plays, taps and audience from `since` (all history when None) to `until` (now)."""
    until = local_naive(until)
    since = local_naive(since) if since else None
    titles: dict[int | None, str] = dict(Content.select(Content.id, Content.title).tuples())  # type: ignore[arg-type]
    items: dict[int | None, dict[str, Any]] = {}
    hours = {h: {"hour": h, "plays": 0, "taps": 0, "visitors": 0, "watchers": 0} for h in range(24)}

    def item_row(item_id: int | None) -> dict[str, Any]:
        if item_id not in items:
            items[item_id] = {"item_id": item_id, "title": titles.get(item_id, "(deleted item)"),
                              "plays": 0, "completed": 0, "skipped": 0, "failed": 0, "completion_rate": None,
                              "targeted": 0, "holdout": 0, "seconds": 0.0, "ots": 0, "watchers": 0,
                              "attention": 0.0, "taps": 0, "nfc_write": 0, "nfc_read": 0, "qr": 0}
        return items[item_id]

    # Plays are aggregated by the database (a year of a busy kiosk is millions of rows).
    period = PlayLog.start <= until
    if since:
        period &= PlayLog.start >= since
    seconds, hour = _play_seconds(), _hour(PlayLog.start)
    per_item = (PlayLog.select(PlayLog.item, fn.COUNT(PlayLog.id), _count(PlayLog.outcome == "completed"),
                               _count(PlayLog.outcome == "skipped"), _count(PlayLog.outcome == "failed"),
                               _count(PlayLog.trigger == "targeted"), _count(PlayLog.trigger == "holdout"),
                               fn.SUM(seconds), fn.SUM(PlayLog.ots), fn.SUM(PlayLog.watchers),
                               fn.SUM(PlayLog.attention))
                .where(period).group_by(PlayLog.item).tuples())
    totals: Counter[str] = Counter()
    seconds_total = attention_total = 0.0
    for item_id, n, completed, skipped, failed, targeted, holdout, secs, ots, watchers, attention in per_item:
        row = item_row(item_id)
        row.update(plays=n, completed=completed or 0, skipped=skipped or 0, failed=failed or 0,
                   targeted=targeted or 0, holdout=holdout or 0, seconds=float(secs or 0.0), ots=ots or 0,
                   watchers=watchers or 0, attention=round(float(attention or 0.0), 1))
        for key in ("plays", "completed", "skipped", "failed", "targeted", "holdout", "ots"):
            totals[key] += row[key]
        totals["play_watchers"] += row["watchers"]
        seconds_total += row["seconds"]
        attention_total += row["attention"]
    for h, n in PlayLog.select(hour, fn.COUNT(PlayLog.id)).where(period).group_by(hour).tuples():
        if h is not None:
            hours[int(h)]["plays"] += n

    taps = TapLog.select(TapLog.item, TapLog.time, TapLog.kind).where(TapLog.time <= until)
    if since:
        taps = taps.where(TapLog.time >= since)
    for item_id, when, kind in taps.tuples().iterator():
        row = item_row(item_id)
        row["taps"] += 1
        key = kind.replace("-", "_")
        if key in row:
            row[key] += 1
        totals["taps"] += 1
        if isinstance(when, datetime):
            hours[when.hour]["taps"] += 1

    audience = AudienceLog.select(AudienceLog.time, AudienceLog.count, AudienceLog.people,
                                  AudienceLog.dwell, AudienceLog.watchers).where(AudienceLog.time <= until)
    if since:
        audience = audience.where(AudienceLog.time >= since)
    segments: Counter[tuple[str, str]] = Counter()
    dwell: list[float] = []
    for when, count, people_json, dwell_s, watchers in audience.tuples().iterator():
        totals["observations"] += 1
        totals["visitors"] += count or 0
        try:
            people = json.loads(people_json or "[]")
        except ValueError:
            people = []
        people = [p for p in people if isinstance(p, dict)] if isinstance(people, list) else []
        watched = watchers if watchers is not None else sum(1 for p in people if p.get("facing") is True)
        totals["watchers"] += watched
        for person in people:
            segments[(person.get("gender") or "unknown", age_band(person.get("age")))] += 1
        if dwell_s is not None:
            dwell.append(float(dwell_s))
        if isinstance(when, datetime):
            hours[when.hour]["visitors"] += count or 0
            hours[when.hour]["watchers"] += watched

    for row in items.values():
        row["completion_rate"] = _rate(row["completed"], row["plays"])
        row["seconds"] = round(row["seconds"], 1)
    ordered = sorted(items.values(), key=lambda r: (-r["plays"], -r["taps"], r["item_id"] or 0))
    return {
        "since": since.isoformat(sep=" ") if since else None,
        "until": until.isoformat(sep=" ", timespec="seconds"),
        "totals": {
            "plays": totals["plays"], "completed": totals["completed"], "skipped": totals["skipped"],
            "failed": totals["failed"], "completion_rate": _rate(totals["completed"], totals["plays"]),
            "targeted": totals["targeted"], "holdout": totals["holdout"], "seconds": round(seconds_total, 1),
            "ots": totals["ots"], "play_watchers": totals["play_watchers"],
            "attention": round(attention_total, 1), "taps": totals["taps"],
            "observations": totals["observations"], "visitors": totals["visitors"],
            "watchers": totals["watchers"],
            "dwell_avg": round(sum(dwell) / len(dwell), 1) if dwell else None,
            "dwell_total": round(sum(dwell), 1),
        },
        "items": ordered,
        "segments": [{"gender": g, "age_band": band, "people": n}
                     for (g, band), n in sorted(segments.items(), key=lambda kv: (-kv[1], kv[0]))],
        "hours": [hours[h] for h in range(24)],
        "dwell": [{"seconds": label, "visits": sum(lo <= d < hi for d in dwell)}
                  for lo, hi, label in DWELL_BINS],
        "uplift": uplift_report(since, until),
    }


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)


def render_csv(report: dict[str, Any]) -> str:
    """Long form: section,key,metric,value (e.g. item,12,completion_rate,0.8)."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; a lone \r in a cell gets quoted
    out.writerow(("section", "key", "metric", "value"))
    for metric, value in report["totals"].items():
        out.writerow(("totals", "", metric, _cell(value)))
    for row in report["items"]:
        key = "" if row["item_id"] is None else row["item_id"]
        for metric, value in row.items():
            if metric != "item_id":
                out.writerow(("item", key, metric, _cell(value)))
    for row in report["segments"]:
        out.writerow(("segment", _cell(f"{row['gender']} {row['age_band']}"), "people", row["people"]))
    for row in report["hours"]:
        for metric in ("plays", "taps", "visitors"):
            out.writerow(("hour", f"{row['hour']:02d}", metric, row[metric]))
    uplift = report.get("uplift") or {}
    for key, row in [("all", uplift.get("overall"))] + [(r["item_id"], r) for r in uplift.get("items", [])]:
        if not row:
            continue
        for side in ("targeted", "holdout"):
            for metric in ("plays", "ots", "watchers", "attention", "taps", "rate"):
                out.writerow(("uplift", key, f"{side}_{metric}", _cell(row[side][metric])))
        for metric in ("difference", "low", "high", "verdict"):
            out.writerow(("uplift", key, metric, _cell(row[metric])))
    captions = (uplift.get("captions") or {}).get("overall")
    if captions:
        for side in ("with_caption", "with_tagline"):
            for metric in ("plays", "watchers", "taps", "rate"):
                out.writerow(("captions", "all", f"{side}_{metric}", _cell(captions[side][metric])))
        for metric in ("difference", "low", "high", "verdict"):
            out.writerow(("captions", "all", metric, _cell(captions[metric])))
    return buf.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return protect(value)  # titles come from marketing's files
    return "" if value is None else str(value)

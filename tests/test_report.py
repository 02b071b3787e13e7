"""Proof-of-play and audience report: figures per item, taps, visitors, segments, hours, --since."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import main
from cxkiosk.content.database import Content, close_database, log_audience, log_play, log_tap, open_database
from cxkiosk.report import build_report, render_csv
from cxkiosk.values import Audience, Person

DAY = datetime(2025, 6, 4)


def fill() -> tuple[int, int]:
    a = Content.create(title="Suits", url="https://example.com/suits", kind="web").id
    b = Content.create(title="Shoes", url="https://example.com/shoes", kind="web").id
    at = DAY.replace(hour=10)
    for outcome in ("completed", "completed", "completed", "skipped"):
        log_play(a, a, at, at + timedelta(seconds=30), outcome, trigger="targeted")
        at += timedelta(minutes=1)
    log_play(b, a, DAY.replace(hour=14), DAY.replace(hour=14, second=20), "failed", reason="embed refused")
    log_play(b, b, DAY.replace(hour=14, minute=5), None, "completed")
    log_tap(a, "nfc-write", at=DAY.replace(hour=10, minute=3))
    log_tap(a, "qr", at=DAY.replace(hour=10, minute=4))
    log_tap(b, "nfc-read", at=DAY.replace(hour=14, minute=6))
    log_audience(Audience(count=2, people=(Person(gender="female", age=34, facing=True),
                                           Person(gender="male", age=70, facing=False))),
                 dwell=20.0, at=DAY.replace(hour=10))
    log_audience(Audience(count=1, people=(Person(gender="female", age=29),)), dwell=10.0, watchers=1,
                 at=DAY.replace(hour=14))
    log_audience(Audience(count=1, people=(Person(),)), at=DAY - timedelta(days=3, hours=-10))
    return a, b


def test_report_figures(db):
    a, b = fill()
    report = build_report(None, until=DAY + timedelta(days=1))
    totals = report["totals"]
    assert (totals["plays"], totals["completed"], totals["skipped"], totals["failed"]) == (6, 4, 1, 1)
    assert totals["completion_rate"] == round(4 / 6, 4)
    assert (totals["targeted"], totals["taps"], totals["visitors"], totals["observations"]) == (4, 3, 4, 3)
    assert totals["watchers"] == 2  # one facing person counted, one logged watcher
    assert totals["dwell_avg"] == 15.0
    suits, shoes = report["items"]
    assert (suits["item_id"], suits["plays"], suits["completion_rate"]) == (a, 4, 0.75)
    assert suits["seconds"] == 120.0
    assert (suits["taps"], suits["nfc_write"], suits["qr"]) == (2, 1, 1)
    assert (shoes["plays"], shoes["failed"], shoes["taps"], shoes["nfc_read"]) == (2, 1, 1, 1)
    segments = {(s["gender"], s["age_band"]): s["people"] for s in report["segments"]}
    assert segments == {("female", "25-34"): 2, ("male", "65+"): 1, ("unknown", "unknown"): 1}
    hours = {h["hour"]: h for h in report["hours"]}
    assert (hours[10]["plays"], hours[10]["taps"], hours[10]["visitors"]) == (4, 2, 3)
    assert (hours[14]["plays"], hours[14]["taps"], hours[14]["visitors"]) == (2, 1, 1)
    assert sum(h["plays"] for h in report["hours"]) == 6


def test_since_limits_the_period(db):
    fill()
    report = build_report(DAY.replace(hour=12), until=DAY + timedelta(days=1))
    assert report["totals"]["plays"] == 2 and report["totals"]["visitors"] == 1
    assert [i["title"] for i in report["items"]] == ["Shoes"]


def test_deleted_items_still_count(db):
    a, _b = fill()
    Content.delete_by_id(a)
    report = build_report(None, until=DAY + timedelta(days=1))
    assert report["totals"]["plays"] == 6
    assert {i["title"] for i in report["items"]} == {"(deleted item)", "Shoes"}


def test_csv_is_long_form(db):
    a, _b = fill()
    rows = list(csv.DictReader(io.StringIO(render_csv(build_report(None, until=DAY + timedelta(days=1))))))
    assert {r["section"] for r in rows} == {"totals", "item", "segment", "hour", "uplift", "captions"}
    lookup = {(r["section"], r["key"], r["metric"]): r["value"] for r in rows}
    assert lookup[("item", str(a), "completion_rate")] == "0.75"
    assert lookup[("totals", "", "plays")] == "6"
    assert lookup[("hour", "10", "plays")] == "4"


def test_report_command(tmp_path, capsys):
    db_path = tmp_path / "kiosk.db"
    open_database(str(db_path))
    fill()
    close_database()
    common = ["--data-dir", str(tmp_path / "data"), "--db", str(db_path)]
    assert main.main(["report", "--since", "2025-06-04", *common]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["plays"] == 6 and report["totals"]["observations"] == 2
    assert main.main(["report", "--format", "csv", *common]) == 0
    assert capsys.readouterr().out.startswith("section,key,metric,value\r\n")  # RFC 4180
    assert main.main(["report", "--since", "yesterday", *common]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--since" in err

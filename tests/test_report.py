"""Proof-of-play and audience report: figures per item and per item and day, taps, visitors,
segments, hours, the periods `--since` names, and the table a person reads in a terminal."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import main
from cxkiosk.content import database
from cxkiosk.content.database import Content, close_database, open_database
from cxkiosk.content.records import log_audience, log_play, log_tap
from cxkiosk.period import PeriodError, parse_period
from cxkiosk.report import build_report, render_csv
from cxkiosk.runtime.figures import period_start
from cxkiosk.values import Audience, Person

ROOT = Path(__file__).resolve().parent.parent
DAY = datetime(2025, 6, 4)
NEXT = DAY + timedelta(days=1)


def fill() -> tuple[int, int]:
    """Two days of a small showroom, written through the kiosk's own logging functions."""
    a = Content.create(title="Suits", url="https://example.com/suits", kind="web").id
    b = Content.create(title="Shoes", url="https://example.com/shoes", kind="web").id
    at = DAY.replace(hour=10)
    for outcome in ("completed", "completed", "completed", "skipped"):
        log_play(a, a, at, at + timedelta(seconds=30), outcome, trigger="targeted", ots=2, watchers=1,
                 attention=12.0)
        at += timedelta(minutes=1)
    # Never on screen, as the programme records it (no start): a failed load, not a play.
    log_play(b, a, None, DAY.replace(hour=14, second=20), "failed", reason="embed refused",
             trigger="targeted", segment="female 25-34")
    log_play(b, b, DAY.replace(hour=14, minute=5), None, "completed")
    # On screen for 15 s, then broke: a play.
    log_play(b, b, DAY.replace(hour=14, minute=10), DAY.replace(hour=14, minute=10, second=15), "failed",
             reason="network lost", ots=1, watchers=1, attention=5.0)
    log_tap(a, "nfc-write", at=DAY.replace(hour=10, minute=3))
    log_tap(a, "qr", at=DAY.replace(hour=10, minute=4))
    log_tap(b, "nfc-read", at=DAY.replace(hour=14, minute=6))
    log_audience(Audience(count=2, people=(Person(gender="female", age=34, facing=True),
                                           Person(gender="male", age=70, facing=False))),
                 dwell=20.0, at=DAY.replace(hour=10))
    log_audience(Audience(count=1, people=(Person(gender="female", age=29),)), dwell=10.0, watchers=1,
                 at=DAY.replace(hour=14))
    log_audience(Audience(count=1, people=(Person(),)), at=DAY - timedelta(days=3, hours=-10))
    # The next day: one holdout play of Suits and a tap, a failed load of Shoes.
    log_play(a, a, NEXT.replace(hour=9), NEXT.replace(hour=9, second=20), "completed", trigger="holdout",
             ots=3, watchers=2, attention=10.0)
    log_play(b, b, None, NEXT.replace(hour=9, minute=30), "failed", reason="file missing")
    log_tap(a, "nfc-write", at=NEXT.replace(hour=9, second=5))
    return a, b


def test_report_figures(db):
    a, b = fill()
    report = build_report(None, until=NEXT)
    totals = report["totals"]
    assert (totals["plays"], totals["completed"], totals["skipped"], totals["failed"]) == (6, 4, 1, 1)
    assert totals["failed_to_load"] == 1
    assert totals["completion_rate"] == round(4 / 6, 4)
    assert (totals["targeted"], totals["taps"], totals["visitors"], totals["observations"]) == (4, 3, 4, 3)
    assert (totals["ots"], totals["play_watchers"], totals["attention"]) == (9, 5, 53.0)
    assert totals["watchers"] == 2  # one facing person counted, one logged watcher
    assert totals["dwell_avg"] == 15.0
    suits, shoes = report["items"]
    assert (suits["item_id"], suits["plays"], suits["completion_rate"]) == (a, 4, 0.75)
    assert suits["seconds"] == 120.0
    assert (suits["taps"], suits["nfc_write"], suits["qr"], suits["taps_per_100_watchers"]) == (2, 1, 1, 50.0)
    assert (shoes["plays"], shoes["failed"], shoes["failed_to_load"], shoes["seconds"]) == (2, 1, 1, 15.0)
    assert (shoes["taps"], shoes["nfc_read"], shoes["idle"]) == (1, 1, 2)
    segments = {(s["gender"], s["age_band"]): s["people"] for s in report["segments"]}
    assert segments == {("female", "25-34"): 2, ("male", "65+"): 1, ("unknown", "unknown"): 1}
    hours = {h["hour"]: h for h in report["hours"]}
    assert (hours[10]["plays"], hours[10]["taps"], hours[10]["visitors"]) == (4, 2, 3)
    assert (hours[14]["plays"], hours[14]["taps"], hours[14]["visitors"]) == (2, 1, 1)  # not the failed load
    assert sum(h["plays"] for h in report["hours"]) == 6


def test_a_failed_load_counts_nowhere_as_a_play(db):
    """The targeted item that never showed is neither a targeted play nor one side of the uplift."""
    fill()
    report = build_report(None, until=NEXT)
    assert report["totals"]["targeted"] == 4
    assert report["uplift"]["overall"]["targeted"]["plays"] == 4
    assert [r["title"] for r in report["uplift"]["items"]] == ["Suits"]  # Shoes was never targeted on screen


def test_since_limits_the_period(db):
    fill()
    report = build_report(DAY.replace(hour=12), until=NEXT)
    assert report["totals"]["plays"] == 2 and report["totals"]["visitors"] == 1
    assert [i["title"] for i in report["items"]] == ["Shoes"]


def test_deleted_items_still_count(db):
    a, _b = fill()
    Content.delete_by_id(a)
    report = build_report(None, until=NEXT)
    assert report["totals"]["plays"] == 6
    assert {i["title"] for i in report["items"]} == {"(deleted item)", "Shoes"}


def test_csv_has_one_row_per_item_and_day(db):
    a, b = fill()
    text = render_csv(build_report(DAY, until=NEXT + timedelta(days=1)))
    assert text.startswith("date,item_id,title,plays,completed,skipped,failed_on_screen,cut_short,"
                           "failed_to_load,seconds_on_screen,ots,watchers,attention_seconds,taps,taps_per_100_watchers,"
                           "targeted_plays,holdout_plays,idle_plays\r\n")
    assert text.count("\r\n") == 5 and "\n" not in text.replace("\r\n", "")  # RFC 4180 line ends
    rows = [(r["date"], r["item_id"], r["title"], r["plays"], r["completed"], r["skipped"],
             r["failed_on_screen"], r["failed_to_load"], r["seconds_on_screen"], r["ots"], r["watchers"],
             r["attention_seconds"], r["taps"], r["taps_per_100_watchers"], r["targeted_plays"],
             r["holdout_plays"], r["idle_plays"]) for r in csv.DictReader(io.StringIO(text))]
    assert rows == [
        ("2025-06-04", str(a), "Suits", "4", "3", "1", "0", "0", "120.0", "8", "4", "48.0", "2", "50.0",
         "4", "0", "0"),
        ("2025-06-04", str(b), "Shoes", "2", "1", "0", "1", "1", "15.0", "1", "1", "5.0", "1", "100.0",
         "0", "0", "2"),
        ("2025-06-05", str(a), "Suits", "1", "1", "0", "0", "0", "20.0", "3", "2", "10.0", "1", "50.0",
         "0", "1", "0"),
        ("2025-06-05", str(b), "Shoes", "0", "0", "0", "0", "1", "0.0", "0", "0", "0.0", "0", "",
         "0", "0", "0"),
    ]


NOW = datetime(2025, 6, 4, 15, 30)


@pytest.mark.parametrize("since, until, start, end", [
    ("today", None, datetime(2025, 6, 4), NOW),
    ("yesterday", None, datetime(2025, 6, 3), datetime(2025, 6, 4)),
    ("7d", None, datetime(2025, 5, 29), NOW),
    ("30d", None, datetime(2025, 5, 6), NOW),
    (" 7D ", None, datetime(2025, 5, 29), NOW),
    ("2025-06-01", None, datetime(2025, 6, 1), NOW),
    ("2025-06-01T09:30", None, datetime(2025, 6, 1, 9, 30), NOW),
    ("2025-06-01", "2025-06-02", datetime(2025, 6, 1), datetime(2025, 6, 3)),  # the until day included
    ("2025-06-01", "yesterday", datetime(2025, 6, 1), datetime(2025, 6, 4)),
    ("2025-06-01", "2025-06-02T12:00", datetime(2025, 6, 1), datetime(2025, 6, 2, 12)),
    (None, None, None, NOW),
])
def test_each_since_word_names_its_period_at_a_fixed_clock(since, until, start, end):
    period = parse_period(since, until, now=NOW)
    assert (period.start, period.end) == (start, end)


def test_an_iso_time_with_an_offset_is_read_in_local_time():
    period = parse_period("2025-06-01T09:30+00:00", now=NOW)
    assert period.start == datetime.fromisoformat("2025-06-01T09:30+00:00").astimezone().replace(tzinfo=None)


def test_yesterday_is_yesterday_only(db):
    fill()
    period = parse_period("yesterday", now=NEXT.replace(hour=12))
    report = build_report(period.start, period.end)
    assert (report["totals"]["plays"], report["totals"]["taps"]) == (6, 3)  # not the next day's play
    assert {r["date"] for r in report["days"]} == {"2025-06-04"}
    today = parse_period("today", now=NEXT.replace(hour=12))
    assert build_report(today.start, today.end)["totals"]["plays"] == 1


def test_the_figures_tab_counts_the_same_days():
    assert period_start("today", NOW) == datetime(2025, 6, 4)
    assert period_start("7 days", NOW) == parse_period("7d", now=NOW).start == datetime(2025, 5, 29)
    assert period_start("30 days", NOW) == datetime(2025, 5, 6)


@pytest.mark.parametrize("since", ["tomorrow", "7 days", "0d", "2025-13-01", "0025-06-01", "", "2099-01-01",
                                   "0001-01-01T00:00+14:00"])
def test_a_bad_since_is_one_line_and_exit_2(since, tmp_path, capsys):
    with pytest.raises(PeriodError):
        parse_period(since, now=NOW)
    assert main.main(["report", "--since", since, "--data-dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "--since" in captured.err
    assert "Traceback" not in captured.err


def test_an_until_before_since_is_one_line(tmp_path, capsys):
    assert main.main(["report", "--since", "2025-06-04", "--until", "2025-06-01",
                      "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--until" in err


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def test_the_default_output_is_a_table_to_read(tmp_path, capsys):
    db_path = tmp_path / "kiosk.db"
    open_database(str(db_path))
    fill()
    long = Content.create(title="Spring collection\x1b for the whole family " * 5, url="https://example.com/l",
                          kind="web").id
    wide = Content.create(title="春のコレクション" * 10, url="https://example.com/w", kind="web").id
    for item in (long, wide):
        log_play(item, item, DAY.replace(hour=16), DAY.replace(hour=16, second=10), "completed")
    close_database()
    assert main.main(["report", "--since", "2025-06-04", "--until", "2025-06-04", "--data-dir",
                      str(tmp_path / "data"), "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[:5] == [
        "Period     2025-06-04 00:00 to 2025-06-05 00:00",
        "Plays      8 (6 completed, 1 skipped, 1 failed on screen); 1 failed to load, not counted",
        "Visitors   3 (OTS: 9 people present during plays)",
        "Watchers   5 (faced the screen), 53 s of attention",
        "Taps       3 (60.0 per 100 watchers)"]
    assert lines[5].startswith("Targeting  Not enough visits yet to tell: 4 watchers of targeted plays")
    header = next(n for n, line in enumerate(lines) if line.startswith("Item "))
    assert lines[header].split() == ["Item", "Plays", "Watchers", "Attention", "Taps", "Taps/100", "watchers"]
    rows = lines[header + 1:]
    assert rows[0].split() == ["Suits", "4", "4", "48", "s", "2", "50.0"]
    assert rows[1].split() == ["Shoes", "2", "1", "5", "s", "1", "100.0"]
    assert len(rows) == 4 and all(row.split()[-6:] == ["1", "0", "0", "s", "0", "–"] for row in rows[2:])
    assert rows[2].startswith("Spring collection for the whole family") and "…" in rows[2]
    assert "\x1b" not in out  # a title's escape sequence never reaches the terminal
    assert all(_columns(line) <= 100 for line in lines)
    assert len({_columns(row) for row in rows}) == 1  # the columns line up, wide characters too


def test_json_and_csv_formats(tmp_path, capsys):
    db_path = tmp_path / "kiosk.db"
    open_database(str(db_path))
    fill()
    close_database()
    common = ["--data-dir", str(tmp_path / "data"), "--db", str(db_path)]
    assert main.main(["report", "--since", "2025-06-04", "--format", "json", *common]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["plays"] == 7 and report["totals"]["observations"] == 2
    assert report["totals"]["failed_to_load"] == 2
    assert main.main(["report", "--format", "csv", *common]) == 0
    out = capsys.readouterr().out
    assert out.startswith("date,item_id,title,plays,") and out.count("\r\n") == 5


def test_piping_the_report_into_head_ends_quietly(tmp_path):
    db_path = tmp_path / "kiosk.db"
    open_database(str(db_path))
    with database.database.atomic():  # more than a pipe holds, as table and as CSV
        for n in range(1200):
            item = Content.create(title=f"Item {n} {'x' * 40}", url=f"https://example.com/{n}",
                                  kind="web").id
            for day in range(2):
                at = DAY + timedelta(days=day, hours=10)
                log_play(item, item, at, at + timedelta(seconds=10), "completed")
    close_database()
    for extra in ("", "--format csv"):
        command = (f"{sys.executable} {ROOT / 'main.py'} report --data-dir {tmp_path / 'data'} "
                   f"--db {db_path} {extra} | head -3")
        pipeline = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=90)
        assert pipeline.stdout.count("\n") == 3
        assert pipeline.stderr.strip() == ""


def test_the_printable_page_counts_the_same_plays(db):
    from cxkiosk.report_html import render_html

    fill()
    html = render_html(build_report(None, until=NEXT))
    assert "<div class='card'><b>6</b>plays</div>" in html
    assert "<div class='card'><b>1</b>failed to load (not plays)</div>" in html


def test_postgresql_gives_the_same_report(db, postgres_url):
    """A fleet's kiosks share a PostgreSQL database: the days, hours and visits add up the same."""
    fill()
    on_sqlite = build_report(DAY, until=NEXT + timedelta(days=1))
    close_database()
    open_database(postgres_url)
    try:
        fill()
        on_postgres = build_report(DAY, until=NEXT + timedelta(days=1))
    finally:
        close_database()
    for key in ("totals", "items", "days", "segments", "hours", "dwell"):
        assert on_postgres[key] == on_sqlite[key], key
    assert render_csv(on_postgres) == render_csv(on_sqlite)


def test_the_demo_clips_visitor_is_left_out_unless_asked_for(tmp_path, capsys):
    """A `--demo` run marks what it records; the report counts the real showroom only, says how
    many demo plays it left out, and counts them with --include-demo."""
    db_path = tmp_path / "kiosk.db"
    open_database(str(db_path))
    fill()
    demo_item = Content.create(title="Demo pick", url="https://example.com/demo", kind="web").id
    for minute in range(3):
        at = DAY.replace(hour=15, minute=minute)
        log_play(demo_item, demo_item, at, at + timedelta(seconds=20), "completed", trigger="targeted",
                 ots=1, watchers=1, attention=8.0, demo=True)
    log_tap(demo_item, "nfc-write", at=DAY.replace(hour=15, second=5), demo=True)
    log_audience(Audience(count=1, people=(Person(gender="female", age=47, facing=True),)), dwell=12.0,
                 watchers=1, at=DAY.replace(hour=15), demo=True)
    real = build_report(None, until=NEXT)
    with_demo = build_report(None, until=NEXT, demo=True)
    close_database()
    assert real["totals"]["plays"] == 6 and real["totals"]["visitors"] == 4 and real["totals"]["taps"] == 3
    assert real["totals"]["demo_plays_left_out"] == 3
    assert "Demo pick" not in [row["title"] for row in real["items"]]
    assert with_demo["totals"]["plays"] == 9 and with_demo["totals"]["visitors"] == 5
    assert with_demo["totals"]["taps"] == 4 and with_demo["uplift"]["overall"]["targeted"]["plays"] == 7

    args = ["report", "--since", "2025-06-04", "--until", "2025-06-04", "--data-dir", str(tmp_path / "d"),
            "--db", str(db_path)]
    assert main.main(args) == 0
    table = capsys.readouterr().out
    assert "3 demo plays left out (--include-demo)" in table and "Demo pick" not in table
    assert main.main([*args, "--include-demo", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["plays"] for r in rows if r["title"] == "Demo pick"] == ["3"]


def test_a_play_a_power_cut_ended_counts_and_is_named(db):
    """completed + skipped + failed + cut short = plays: the play on screen when the power went
    (closed as cut-short at the next start) is a play, and the summary says how it ended."""
    item = Content.create(title="Suits", url="https://example.com/suits", kind="web").id
    at = DAY.replace(hour=10)
    log_play(item, item, at, at + timedelta(seconds=30), "completed")
    log_play(item, item, at + timedelta(minutes=1), at + timedelta(minutes=1, seconds=12), "cut-short")
    report = build_report(None, until=NEXT)
    totals = report["totals"]
    assert (totals["plays"], totals["completed"], totals["cut_short"]) == (2, 1, 1)
    from cxkiosk.report_text import render_table

    assert "1 completed, 0 skipped, 1 cut short or still playing" in render_table(report)

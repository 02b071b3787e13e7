"""Report and figures query time over a year of one kiosk's logs, on SQLite and on PostgreSQL.
Prints a table; asserts nothing. Goal: under 1 s for the 30-day view.

A year: 500,000 plays (10% holdout, audience per play, a code each), 1,000,000 audience rows
and 60,000 taps, bulk-inserted. Timed: `build_report` (everything the report's table, its CSV
per item and day, the HTML page and the Figures tab show, uplift included) for today, 7 days,
30 days and the whole year, median of 3. `--plays 200000 --no-postgres` takes about a minute.

    .venv/bin/python bench/bench_report.py [--plays N] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cxkiosk.content import database  # noqa: E402
from cxkiosk.report import build_report  # noqa: E402

END = datetime(2026, 11, 30, 20)
BATCH = 5000


def fill(plays: int) -> None:
    rng = random.Random(1)
    items = [database.Content.create(title=f"Item {n}", url=f"https://example.com/{n}", kind="web").id
             for n in range(40)]
    span = 365 * 24 * 3600
    rows, taps = [], []
    for n in range(plays):
        at = END - timedelta(seconds=span * (1 - n / plays))
        trigger = rng.choices(("idle", "targeted", "holdout"), (50, 45, 5))[0]
        watchers = rng.randint(0, 3)
        code = f"{n:08x}"
        rows.append({"item": rng.choice(items), "chosen": None, "start": at,
                     "end": at + timedelta(seconds=20), "outcome": "completed", "reason": "",
                     "trigger": trigger, "audience": "",
                     "ots": watchers + 1, "watchers": watchers, "attention": watchers * 5.0,
                     "segment": "female 25-34" if trigger != "idle" else "", "code": code})
        if watchers and rng.random() < 0.12:
            taps.append({"item": rows[-1]["item"], "time": at + timedelta(seconds=5), "kind": "nfc-write",
                         "code": code})
    people = json.dumps([{"gender": "female", "age": 31, "facing": True}])
    with database.database.atomic():
        for start in range(0, len(rows), BATCH):
            database.PlayLog.insert_many(rows[start:start + BATCH]).execute()
        for start in range(0, len(taps), BATCH):
            database.TapLog.insert_many(taps[start:start + BATCH]).execute()
        audience = [{"time": END - timedelta(seconds=span * (1 - n / (2 * plays))), "source": "local",
                     "count": 1, "people": people, "provider": "local", "latency_ms": None, "dwell": 8.0,
                     "watchers": 1} for n in range(2 * plays)]
        for start in range(0, len(audience), BATCH):
            database.AudienceLog.insert_many(audience[start:start + BATCH]).execute()


def measure(label: str, spec: str, plays: int) -> list[tuple[str, str, float]]:
    database.open_database(spec)
    try:
        started = time.perf_counter()
        fill(plays)
        took = time.perf_counter() - started
        print(f"{label}: filled {plays:,} plays, {2 * plays:,} audience rows in {took:.0f} s", flush=True)
        results = []
        for name, days in (("today", 0), ("7 days", 7), ("30 days", 30), ("year", 366)):
            since = END.replace(hour=0, minute=0) - timedelta(days=days)
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                build_report(since=since, until=END)
                times.append(time.perf_counter() - t0)
            results.append((label, name, statistics.median(times)))
        return results
    finally:
        database.close_database()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plays", type=int, default=500_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results += measure("SQLite", str(Path(folder) / "year.db"), args.plays)
    if not args.no_postgres:
        from tests.postgres import PostgresUnavailable, throwaway_postgres

        try:
            with throwaway_postgres() as url:
                results += measure("PostgreSQL", url, args.plays)
        except PostgresUnavailable as exc:
            print(f"PostgreSQL skipped: {exc}")
    print(f"\n{'database':<11} {'period':<8} {'build_report (median of 3)':>28}")
    for label, name, seconds in results:
        print(f"{label:<11} {name:<8} {seconds * 1000:>25.0f} ms")


if __name__ == "__main__":
    main()

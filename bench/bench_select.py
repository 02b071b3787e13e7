"""Selection speed over a large database, and seed import speed. Prints a table; asserts nothing.

10,000 content items with varied targeting and schedules, 1,000,000 play-log rows over 60 days
(bulk-inserted into a temporary file), then `Selector.choose()` for a few hundred varied
audiences: median and p99 per call. Also: a 10,000-row seed database import (first time and
again, unchanged), the idle playlist and the report over the whole log.

    .venv/bin/python bench/bench_select.py
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cxkiosk.content.database import Content, close_database, database, open_database, playlist  # noqa: E402
from cxkiosk.content.selection import Selector  # noqa: E402
from cxkiosk.content.transfer import import_file  # noqa: E402
from cxkiosk.report import build_report  # noqa: E402
from cxkiosk.values import Audience, Person  # noqa: E402

ITEMS = 10_000
PLAYS = 1_000_000
CALLS = 300
AT = datetime(2025, 6, 4, 15, 30)
KEYWORDS = ["suit", "t-shirt", "glasses", "long hair", "short hair", "dress", "hoodie", "jacket", "jeans"]
CLOTHES = ["suit", "t-shirt", "dress", "hoodie", "polo shirt", "jacket and jeans", "coat"]


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def make_items(rng: random.Random) -> list[dict]:
    rows = []
    for n in range(ITEMS):
        row = {"title": f"item {n}", "url": f"https://example.com/item/{n}", "kind": "web",
               "genders": rng.choice(["", "", "male", "female"]), "weight": rng.choice([1.0, 1.0, 1.5, 2.0]),
               "keywords": ",".join(rng.sample(KEYWORDS, rng.choice([0, 0, 1, 2]))),
               "idle": rng.random() < 0.3, "enabled": rng.random() < 0.95}
        if rng.random() < 0.6:
            lo = rng.randrange(10, 60)
            row["age_min"], row["age_max"] = lo, lo + rng.randrange(5, 30)
        if rng.random() < 0.1:
            row["group_min"] = 2
        if rng.random() < 0.2:
            row["hour_from"], row["hour_to"] = rng.choice([(9, 17), (22, 2), (18, 23), (6, 12)])
        if rng.random() < 0.1:
            row["days"] = rng.choice(["01234", "56", "4"])
        rows.append(row)
    return rows


def fill(db_path: Path, rng: random.Random) -> tuple[float, float]:
    open_database(str(db_path), check=False)
    items = make_items(rng)

    def insert_items():
        with database.atomic():
            for start in range(0, len(items), 500):
                Content.insert_many(items[start:start + 500]).execute()

    _, t_items = timed(insert_items)
    ids = [i for (i,) in Content.select(Content.id).tuples()]
    outcomes = ["completed"] * 8 + ["skipped", "failed"]
    span = 60 * 24 * 3600

    def plays():
        for _ in range(PLAYS):
            item = rng.choice(ids)
            start = AT - timedelta(seconds=rng.randrange(span))
            yield (item, item, start.isoformat(sep=" "), (start + timedelta(seconds=30)).isoformat(sep=" "),
                   rng.choice(outcomes), "", rng.choice(["idle", "targeted"]), "")

    def insert_plays():
        con = database.connection()
        with database.atomic():
            con.executemany('INSERT INTO play_log (item_id, chosen_id, start, "end", outcome, reason, '
                            "trigger, audience) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", plays())

    _, t_plays = timed(insert_plays)
    database.execute_sql("ANALYZE")
    return t_items, t_plays


def audiences(rng: random.Random) -> list[Audience]:
    out = []
    for _ in range(CALLS):
        people = tuple(Person(gender=rng.choice(["male", "female", None]),
                              age=rng.choice([None, *range(12, 80)]),
                              glasses=rng.choice([True, False, None]), clothing=rng.choice([*CLOTHES, None]),
                              hair=rng.choice(["long", "short", None]), facing=rng.choice([True, False]),
                              size=round(rng.random(), 2))
                       for _ in range(rng.choice([1, 1, 1, 2, 3])))
        out.append(Audience(count=len(people), people=people, source="bench"))
    return out


def per_call(fn, inputs) -> list[float]:
    times = []
    for value in inputs:
        start = time.perf_counter()
        fn(value)
        times.append(time.perf_counter() - start)
    return times


def p99(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.99) - 1)]


def seed_import(tmp: Path, rng: random.Random) -> tuple[float, float, int]:
    seed = tmp / "seed.db"
    con = sqlite3.connect(seed)
    con.execute("CREATE TABLE youtube_urls (description TEXT, url TEXT)")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    templates = ["women in their {d}0s wearing a {c}", "male, {a}, asian, no, short, {c}",
                 "young men {a}-{b} in {c}", "senior lady with glasses", "family day out", "couple shopping"]
    rows = []
    for n in range(ITEMS):
        vid = "".join(rng.choice(alphabet) for _ in range(10)) + alphabet[n % 64]
        text = rng.choice(templates).format(d=rng.randrange(2, 7), a=rng.randrange(18, 60),
                                            b=rng.randrange(60, 80), c=rng.choice(CLOTHES))
        rows.append((text, rng.choice([f"https://youtu.be/{vid}", f"https://www.youtube.com/watch?v={vid}&t=1"])))
    con.executemany("INSERT INTO youtube_urls VALUES (?, ?)", rows)
    con.commit()
    con.close()
    open_database(str(tmp / "import.db"))
    first, t_first = timed(lambda: import_file(seed))
    _, t_again = timed(lambda: import_file(seed))
    close_database()
    return t_first, t_again, first.added


def main() -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="bench-select-") as tmp_name:
        tmp = Path(tmp_name)
        t_items, t_plays = fill(tmp / "big.db", rng)
        selector = Selector()
        crowd = audiences(rng)
        selector.choose(crowd[0], AT)  # warm the page cache once
        choose = per_call(lambda a: selector.choose(a, AT), crowd)
        alts = per_call(lambda a: selector.choose_alternatives(a, AT, limit=5), crowd[:100])
        matched = sum(1 for a in crowd if selector.choose(a, AT) is not None)
        items, t_playlist = timed(lambda: playlist(AT))
        _, t_report = timed(lambda: build_report(None, until=AT))
        close_database()
        size_mb = (tmp / "big.db").stat().st_size / 1e6
        _, t_open = timed(lambda: open_database(str(tmp / "big.db")))  # with quick_check
        close_database()
        t_seed, t_seed_again, added = seed_import(tmp, rng)

    ms = 1000.0
    print(f"{'measure':48} {'value':>12}")
    print("-" * 61)
    for label, value in [
        (f"insert {ITEMS:,} items (s)", f"{t_items:.2f}"),
        (f"bulk insert {PLAYS:,} play-log rows (s)", f"{t_plays:.2f}"),
        (f"choose() median over {CALLS} audiences (ms)", f"{statistics.median(choose) * ms:.2f}"),
        ("choose() p99 (ms)", f"{p99(choose) * ms:.2f}"),
        ("choose() max (ms)", f"{max(choose) * ms:.2f}"),
        ("audiences with a targeted match", f"{matched}/{CALLS}"),
        ("choose_alternatives(limit=5) median (ms)", f"{statistics.median(alts) * ms:.2f}"),
        ("choose_alternatives(limit=5) p99 (ms)", f"{p99(alts) * ms:.2f}"),
        (f"playlist() ({len(items)} idle items) (ms)", f"{t_playlist * ms:.1f}"),
        (f"build_report() over {PLAYS:,} plays (s)", f"{t_report:.2f}"),
        (f"open_database() incl. quick_check, {size_mb:.0f} MB (s)", f"{t_open:.2f}"),
        (f"import {ITEMS:,}-row seed db, first time (s)", f"{t_seed:.2f}  ({added} added)"),
        ("import the same seed db again (s)", f"{t_seed_again:.2f}"),
    ]:
        print(f"{label:48} {value:>12}")


if __name__ == "__main__":
    main()

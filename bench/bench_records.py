"""How long recording a play holds the caller (the GUI thread, in the kiosk): written by the
caller, as before, against written by the record writer thread (`write_in_background`), in one
run, side by side, while another process keeps the disk busy with commits of its own.

    .venv/bin/python bench/bench_records.py [--plays 300] [--busy 1]

Each play is a row written from its first frame, then its outcome (two records), as the
programme writes them; between plays a 20 ms pause. Prints the caller's time per record
(p50 / p99 / max) for both modes and the rows stored, which must be equal.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxkiosk.content import database, records  # noqa: E402


def busy_disk(folder: str, stop: multiprocessing.synchronize.Event) -> None:
    """Another program committing small writes with fsync, as a backup or an update would."""
    con = sqlite3.connect(os.path.join(folder, "other.db"))
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE IF NOT EXISTS t (x BLOB)")
    while not stop.is_set():
        con.execute("INSERT INTO t VALUES (randomblob(65536))")
        con.commit()


def run(folder: Path, plays: int, background: bool) -> tuple[list[float], int]:
    db_file = folder / f"{'background' if background else 'caller'}.db"
    database.open_database(str(db_file))
    records.write_in_background(background)
    held: list[float] = []
    start = datetime(2026, 12, 1, 10)
    for n in range(plays):
        at = start + timedelta(seconds=10 * n)
        for outcome, end in (("playing", at), ("completed", at + timedelta(seconds=8))):
            t = time.perf_counter()
            records.log_play(None, None, at, end, outcome, code=f"p{n}")
            held.append((time.perf_counter() - t) * 1000)
        time.sleep(0.02)
    database.close_database()  # writes what waits
    con = sqlite3.connect(db_file)
    stored = con.execute("SELECT count(*) FROM play_log").fetchone()[0]
    con.close()
    return held, stored


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plays", type=int, default=300)
    parser.add_argument("--busy", type=int, default=1, help="processes keeping the disk busy")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; {args.plays} plays "
          f"(2 records each) per mode, {args.busy} busy-disk process(es)")
    with tempfile.TemporaryDirectory(dir=ROOT) as tmp:  # the disk the kiosk's data folder is on
        stop = multiprocessing.Event()
        others = [multiprocessing.Process(target=busy_disk, args=(tmp, stop)) for _ in range(args.busy)]
        for p in others:
            p.start()
        try:
            for i, background in enumerate((False, True, False, True)):  # interleaved: the load moves
                folder = Path(tmp) / f"run{i}"
                folder.mkdir()
                held, stored = run(folder, args.plays, background)
                held.sort()
                n = len(held)
                mode = "writer thread" if background else "caller writes"
                print(f"  {mode:14s} caller held p50 {held[n // 2]:6.2f} ms  p99 {held[int(n * 0.99)]:7.2f} "
                      f"ms  max {held[-1]:7.2f} ms  rows stored {stored} of {args.plays}")
        finally:
            stop.set()
            for p in others:
                p.join(10)


if __name__ == "__main__":
    main()

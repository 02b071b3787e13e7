"""A fleet of simulated kiosks on one PostgreSQL: each writes a play and an audience row every
second into its own local copy and sends its queue to the server every `--sync-seconds`.
Prints figures; asserts nothing (the exactly-once line says MISMATCH loudly if rows were lost
or doubled).

    .venv/bin/python bench/bench_fleet.py [--kiosks 50] [--minutes 5] [--rate 1] [--sync-seconds 2]
    .venv/bin/python bench/bench_fleet.py --quick          # 10 kiosks, 1 minute: a smoke run
    .venv/bin/python bench/bench_fleet.py --db URL         # an existing server instead of a throw-away one

Each kiosk is the product's own path, not hand-written SQL: its own fleet.db (one made by
`cxkiosk.fleet.sync.join` against the server, then copied per kiosk with the product's backup
copy and opened with the product's pragmas: WAL, synchronous=FULL), rows written by
`records.log_play` / `log_audience` (row and Outbox entry in one local transaction, stamped with
the kiosk), and a `FleetSync` of its own with its own server connection whose `step` (pull
when the revision moved, `outbox.send` batches, a heartbeat row upserted and the fleet list read)
runs every `--sync-seconds` on the kiosk's own thread, as the fleet thread does.

Arrangement: `--processes` (default 5) processes, each simulating its share of the kiosks with two
threads per kiosk (the player writing, the fleet thread sending), each thread routed to its kiosk's
file with `database.database.using` (thread-local). Why not one process per kiosk: 50 interpreters
on this 2-core machine (shared with other work) would measure the scheduler more than the fleet;
why not one process for all: the writer's kiosk stamp (`records.set_writer`) and the record
backlog are per process, so a process's kiosks take turns writing under one lock (the bench's,
around set_writer + log call), and the GIL with it. Five processes of ten keep that turn-taking
short. The time a write waited for its turn is printed apart from the write itself.

Measured, per period (a minute): rows offered (written locally) and held (arrived on the
server, counted there by the parent), and rows still queued on the kiosks at its end; the
latency of a local write (one log call: one SQLite transaction), of a send (one
`outbox.send`: one server transaction) and of a whole sync step; the deepest queue of any one
kiosk (sampled before each step) and the queues left when writing stopped; then every queue
drained and the rows compared id by id (local files against the server); then the report's time
over the resulting tables: `main.py report --format json --db URL` as a subprocess and
`build_report` in-process, and `report --fleet` / `report --kiosk` when this tree has them.

Measured on 2026-12-02, 2 cores shared with other agents and a soak benchmark (load average
4.6 at the start), PostgreSQL 15 on loopback, kiosk files on ext4, defaults (50 kiosks in 5
processes, 5 minutes, 100 rows/s offered, a step every 2 s):
  rows/s offered / held per minute: 99.9/98.3, 99.6/100.0, 100.4/100.0, 100.0/100.0, 99.8/101.4;
  78-101 rows in the queues at each minute's end (about one step's worth), 103 when writing stopped
  local write p50 3.6, p95 26, p99 80, max 1145 ms; waiting for the process lock p99 459 ms
  send (one server transaction, median 4 rows) p50 16, p95 122, p99 363, max 1198 ms;
  whole sync step p50 31, p99 524 ms; deepest queue on one kiosk 8 rows; no failed step
  exactly once: 30,000 written, 30,000 in the files, 30,000 on the server, none missing or extra
  report --format json (subprocess) 0.35 s, build_report in-process 52 ms over 15,000 plays and
  15,000 audience rows; report --fleet and --kiosk not in this tree yet.
Measured at 4x the rate (--minutes 1 --rate 4: 400 rows/s offered, load average 2.0): 395 rows/s
held, 230 queued at the minute's end; local write p99 22 ms, send (median 16 rows) p99 138 ms,
step p99 192 ms; exactly once. The tails follow the machine's load (lower at 4x the rate on a
quieter minute), not the fleet's size.
Before BEGIN IMMEDIATE on the kiosk's file (database._open_sqlite), 2 of 1,200 local writes of a
--quick run failed at once with "database is locked" (a play's transaction had read, the fleet
thread's Outbox delete committed first); the record waited in memory and, this being one process
of several kiosks, was written into another kiosk's file: the stamp check below showed it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxkiosk.content import database, records  # noqa: E402
from cxkiosk.content.database import Heartbeat  # noqa: E402
from cxkiosk.fleet import mirror, outbox  # noqa: E402
from cxkiosk.fleet.status import KioskState  # noqa: E402
from cxkiosk.fleet.sync import FleetSync  # noqa: E402
from cxkiosk.values import Audience, Person  # noqa: E402

ITEMS = 20  # content items put on the server before the run (what the kiosks play)
LOG_TABLES = ("play_log", "audience_log")


# --- a worker process: its share of the kiosks ---------------------------------------------------


class Kiosk:
    """One simulated kiosk: its local file, its FleetSync, its player and fleet threads' figures."""

    def __init__(self, kiosk: str, folder: Path, template: Path, job: dict[str, Any]) -> None:
        self.kiosk, self.folder, self.job = kiosk, folder, job
        folder.mkdir(parents=True, exist_ok=True)
        path = mirror.mirror_path(folder)
        database.copy_database_file(template, path)
        self.db = database._open_sqlite(path, readonly=False, timeout=5.0)  # the product's pragmas
        with database.database.using(self.db):
            self.sync = FleetSync(job["url"], kiosk, folder, heartbeat=self.heartbeat)
        self.rng = random.Random(kiosk)
        self.connected = threading.Event()
        self.written = threading.Event()  # the player has stopped: drain, then count
        self.figures: dict[str, Any] = {"writes": [], "waits": [], "steps": [], "second": Counter(),
                                        "max_depth": 0, "lag": 0.0, "failed_steps": 0, "backlog": 0,
                                        "rows": 0, "connect": 0.0, "left": 0, "drained": 0, "problem": ""}
        self.started = database.now()

    def heartbeat(self, queued: int) -> tuple[KioskState, ...]:
        """What the kiosk's heartbeat does each step (routed to the server by `step`): its row
        upserted, the fleet list read (the product's heartbeat is another helper's; this is its load)."""
        values = dict(kiosk=self.kiosk, name=self.kiosk, seen=database.now(), started=self.started,
                      version="bench", playable=ITEMS, queued=queued, interval=self.job["sync_seconds"])
        (Heartbeat.insert(**values).on_conflict(conflict_target=[Heartbeat.kiosk],
                                                preserve=[Heartbeat.seen, Heartbeat.queued]).execute())
        list(Heartbeat.select().order_by(Heartbeat.seen).tuples())
        return ()

    def player(self, lock: threading.Lock, go: threading.Event, t0: list[float]) -> None:
        """A play and an audience row `rate` times a second, on a steady clock: late ticks are
        written at once (the lag is kept), none skipped."""
        f, job, rng = self.figures, self.job, self.rng
        period = 1.0 / job["rate"]
        items: list[int] = job["items"]
        go.wait()
        start, end = t0[0], t0[0] + job["seconds"]
        tick = start + rng.random() * period  # kiosks are not in step
        with database.database.using(self.db):
            while tick < end:
                delay = tick - time.time()
                if delay > 0:
                    time.sleep(delay)
                else:
                    f["lag"] = max(f["lag"], -delay)
                item = rng.choice(items)
                ended = datetime.now()
                asked = time.perf_counter()
                with lock:
                    got = time.perf_counter()
                    records.set_writer(self.kiosk, queue=True)
                    records.log_play(item, item, ended - timedelta(seconds=10), ended, "completed",
                                     trigger=rng.choice(("idle", "targeted", "holdout")),
                                     ots=1, watchers=1, attention=4.0, segment="female 25-34",
                                     code=uuid.uuid4().hex[:8])
                    played = time.perf_counter()
                    records.log_audience(Audience(count=1, people=(Person(gender="female", age=31,
                                                                          facing=True),), source="local"),
                                         provider="local", dwell=8.0, watchers=1)
                    done = time.perf_counter()
                    f["backlog"] = max(f["backlog"], records.pending_records())
                f["waits"].append(got - asked)
                f["writes"] += [played - got, done - played]
                f["second"][int(time.time() - start)] += 2
                f["rows"] += 2
                tick += period
        self.written.set()

    def fleet(self, go: threading.Event, t0: list[float]) -> None:
        """The fleet thread: connect (before the start), then a step every `sync_seconds`; when
        the player stops, the queue left, then steps until it is empty."""
        f, job = self.figures, self.job
        with database.database.using(self.db):
            began = time.perf_counter()
            status, _changed = self.sync.step()
            f["connect"] = time.perf_counter() - began
            if not status.connected:
                f["problem"] = status.problem
            self.connected.set()
            go.wait()
            end = t0[0] + job["seconds"]
            at = t0[0] + self.rng.random() * job["sync_seconds"]
            while at < end:
                time.sleep(max(0.0, at - time.time()))
                f["max_depth"] = max(f["max_depth"], outbox.depth())
                began = time.perf_counter()
                status, _changed = self.sync.step()
                f["steps"].append(time.perf_counter() - began)
                if not status.connected:
                    f["failed_steps"] += 1
                    f["problem"] = status.problem
                at += job["sync_seconds"]
            self.written.wait()
            f["left"] = outbox.depth()
            for _ in range(50):
                if outbox.depth() == 0:
                    break
                self.sync.step()
            f["drained"] = outbox.depth()
            self.sync.stop()
            self.db.close()


def worker(job: dict[str, Any], ready: Any, go: Any, start: Any, results: Any) -> None:
    """One process: its kiosks connect, say ready, wait for the common start, run, drain, report."""
    sends: list[tuple[float, int]] = []
    original = outbox.send

    def timed_send(server: Any, batch: int = outbox.BATCH) -> int:
        began = time.perf_counter()
        sent = original(server, batch)
        sends.append((time.perf_counter() - began, sent))
        return sent

    outbox.send = timed_send  # FleetSync.step calls it through the module
    lock = threading.Lock()  # the process's one log writer (set_writer and the backlog are global)
    begun, t0 = threading.Event(), [0.0]
    kiosks = [Kiosk(name, Path(folder), Path(job["template"]), job) for name, folder in job["kiosks"]]
    threads = [threading.Thread(target=k.fleet, args=(begun, t0), daemon=True) for k in kiosks]
    threads += [threading.Thread(target=k.player, args=(lock, begun, t0), daemon=True) for k in kiosks]
    for thread in threads:
        thread.start()
    for k in kiosks:
        k.connected.wait()
    ready.put(os.getpid())
    go.wait()
    t0[0] = start.value
    begun.set()
    for thread in threads:
        thread.join()
    figures = [dict(k.figures, kiosk=k.kiosk, second=dict(k.figures["second"])) for k in kiosks]
    results.put({"kiosks": figures, "sends": sends})


# --- the parent: server, template, processes, figures --------------------------------------------


def percentiles(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (f"p50 {at(0.50):7.1f}  p95 {at(0.95):7.1f}  p99 {at(0.99):7.1f}  max {ordered[-1] * 1000:7.1f} ms"
            f"  (n={len(ordered)})")


def server_sql(url: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    import psycopg2

    con = psycopg2.connect(url)
    try:
        with con, con.cursor() as cur:
            cur.execute(query, args)
            return list(cur.fetchall()) if cur.description else []
    finally:
        con.close()


def arrived(url: str, prefix: str) -> int:
    """Rows of this run on the server."""
    return sum(server_sql(url, f"SELECT count(*) FROM {table} WHERE kiosk LIKE %s", prefix + "%")[0][0]
               for table in LOG_TABLES)


def prepare(url: str, folder: Path) -> tuple[Path, list[int]]:
    """Content on the server (as `content import --db URL` puts it, unless it has some), then one
    kiosk's fleet.db made the way a kiosk makes it (join: shipped copy, connect, pull)."""
    from cxkiosk.content import library
    from cxkiosk.fleet.sync import join
    from cxkiosk.resources import shipped_db

    database.open_database(url)
    try:
        if not library.listing():
            for n in range(ITEMS):
                library.save({"title": f"Bench item {n}", "kind": "slide", "path": f"slides/bench-{n}.html",
                              "duration": 10})
    finally:
        database.close_database()
    template_dir = folder / "template"
    template_dir.mkdir()
    sync, warning = join(url, template_dir, "bench-template", shipped_db())
    try:
        if warning is not None or not sync.status.connected:
            raise SystemExit(f"the template kiosk could not join the fleet: {warning}")
        items = [item.id for item in database.playlist()]
    finally:
        sync.stop()
        database.route_edits(None)
        records.set_writer("")
        database.close_database()
    return mirror.mirror_path(template_dir), items


def local_ids(path: Path) -> dict[str, set[str]]:
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {table: {str(uuid.UUID(str(row_id))) for (row_id,) in con.execute(f"SELECT id FROM {table}")}
                for table in LOG_TABLES}
    finally:
        con.close()


def stamped_wrongly(path: Path, kiosk: str) -> int:
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return sum(con.execute(f"SELECT count(*) FROM {table} WHERE kiosk != ?", (kiosk,)).fetchone()[0]
                   for table in LOG_TABLES)
    finally:
        con.close()


def check_exactly_once(url: str, prefix: str, kiosks: list[tuple[str, str]], written: int) -> None:
    """Every row written locally is on the server once, under its kiosk; nothing else is."""
    local: dict[str, set[str]] = {table: set() for table in LOG_TABLES}
    per_kiosk: dict[str, int] = {}
    wrong = 0
    for name, folder in kiosks:
        path = mirror.mirror_path(Path(folder))
        ids = local_ids(path)
        for table in LOG_TABLES:
            local[table] |= ids[table]
        per_kiosk[name] = sum(len(v) for v in ids.values())
        wrong += stamped_wrongly(path, name)
    on_server: dict[str, list[str]] = {
        table: [str(row_id) for (row_id,) in server_sql(url, f"SELECT id FROM {table} WHERE kiosk LIKE %s",
                                                        prefix + "%")]
        for table in LOG_TABLES}
    server_rows = sum(len(v) for v in on_server.values())
    local_rows = sum(len(v) for v in local.values())
    missing = sum(len(local[t] - set(on_server[t])) for t in LOG_TABLES)
    extra = sum(len(set(on_server[t]) - local[t]) for t in LOG_TABLES)
    doubled = sum(len(on_server[t]) - len(set(on_server[t])) for t in LOG_TABLES)
    server_per_kiosk: Counter[str] = Counter()
    for table in LOG_TABLES:
        for kiosk, count in server_sql(url, f"SELECT kiosk, count(*) FROM {table} WHERE kiosk LIKE %s "
                                            "GROUP BY kiosk", prefix + "%"):
            server_per_kiosk[kiosk] += count
    kiosks_differ = sum(1 for name, count in per_kiosk.items() if server_per_kiosk.get(name, 0) != count)
    ok = written == local_rows == server_rows and not (missing or extra or doubled or kiosks_differ
                                                        or wrong)
    line = (f"exactly once: {written} rows written, {local_rows} in the kiosks' files, {server_rows} on the "
            f"server; {missing} missing, {extra} extra, {doubled} doubled, {kiosks_differ} kiosks' counts "
            f"differ, {wrong} rows stamped with another kiosk")
    print(line if ok else f"!!! MISMATCH !!! {line}", flush=True)


def timed_command(command: list[str], repeat: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    times, done = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
        times.append(time.perf_counter() - began)
    assert done is not None
    return statistics.median(times), done


def time_reports(url: str, folder: Path, first_kiosk: str, repeat: int) -> None:
    from cxkiosk.report import build_report

    main = [sys.executable, str(ROOT / "main.py")]
    data = ["--data-dir", str(folder / "report-data"), "--db", url]
    seconds, done = timed_command([*main, "report", "--format", "json", *data], repeat)
    if done.returncode == 0:
        plays = json.loads(done.stdout).get("totals", {}).get("plays")
        print(f"report --format json (subprocess, median of {repeat}): {seconds:.2f} s; "
              f"it counts {plays} plays")
    else:
        print(f"report --format json failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    database.open_database(url)
    try:
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            build_report()
            times.append(time.perf_counter() - began)
        print(f"build_report in-process, all history (median of {repeat}): "
              f"{statistics.median(times) * 1000:.0f} ms")
    finally:
        database.close_database()
    options = subprocess.run([*main, "report", "--help"], capture_output=True, text=True, timeout=120,
                             cwd=ROOT).stdout
    for flag, extra in (("--fleet", ["--fleet"]), ("--kiosk", ["--format", "json", "--kiosk", first_kiosk])):
        if flag not in options:
            print(f"report {flag}: not in this tree, skipped")
            continue
        seconds, done = timed_command([*main, "report", *extra, *data], repeat)
        result = "" if done.returncode == 0 else f" (exit {done.returncode}: {done.stderr.strip()[-200:]})"
        print(f"report {' '.join(extra)} (subprocess, median of {repeat}): {seconds:.2f} s{result}")


def machine(url: str, folder: Path) -> str:
    version = server_sql(url, "SHOW server_version")[0][0]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    fs = subprocess.run(["df", "-T", str(folder)], capture_output=True, text=True).stdout.split("\n")[1:2]
    kind = fs[0].split()[1] if fs and fs[0].split() else "?"
    return (f"machine: {os.cpu_count()} cores, load average {load} at start; "
            f"Python {platform.python_version()}, PostgreSQL {version}, kiosk files on {kind}")


def run(args: argparse.Namespace, url: str) -> None:
    seconds = args.seconds if args.seconds else args.minutes * 60
    processes = max(1, min(args.processes, args.kiosks))
    prefix = f"b{uuid.uuid4().hex[:6]}-"  # this run's kiosks: a database used before keeps its rows apart
    folder = Path(tempfile.mkdtemp(prefix="cxkiosk-fleetbench-"))
    try:
        print(machine(url, folder), flush=True)
        print(f"{args.kiosks} kiosks in {processes} processes, {seconds:.0f} s, {args.rate:g} play + "
              f"{args.rate:g} audience rows per kiosk per second (offered {2 * args.rate * args.kiosks:.0f} "
              f"rows/s), a sync step every {args.sync_seconds:g} s", flush=True)
        template, items = prepare(url, folder)
        names = [(f"{prefix}{n:03d}", str(folder / f"kiosk-{n:03d}")) for n in range(args.kiosks)]
        ctx = mp.get_context("spawn")
        ready, results, go, start = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
        workers = []
        for p in range(processes):
            job = {"kiosks": names[p::processes], "template": str(template), "url": url, "items": items,
                   "rate": args.rate, "seconds": seconds, "sync_seconds": args.sync_seconds}
            workers.append(ctx.Process(target=worker, args=(job, ready, go, start, results)))
        began = time.perf_counter()
        for process in workers:
            process.start()
        try:
            for _ in workers:
                ready.get(timeout=600)
            setup = time.perf_counter() - began
            t0 = time.time() + 1.0
            start.value = t0
            go.set()
            # The server's count at each period's end (a minute, the last one maybe shorter).
            period = min(60.0, seconds)
            bounds = [t0 + period * (n + 1) for n in range(int(seconds // period))]
            if not bounds or bounds[-1] < t0 + seconds - 0.5:
                bounds.append(t0 + seconds)
            counts = []
            for bound in bounds:
                time.sleep(max(0.0, bound - time.time()))
                counts.append(arrived(url, prefix))
            gathered = [results.get(timeout=600) for _ in workers]
        finally:
            for process in workers:
                process.join(timeout=60)
                if process.is_alive():
                    process.terminate()
        figures = [k for g in gathered for k in g["kiosks"]]
        sends = [s for g in gathered for s in g["sends"]]
        report_figures(args, url, prefix, names, figures, sends, counts, bounds, t0, setup)
        time_reports(url, folder, names[0][0], args.repeat)
        print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report_figures(args: argparse.Namespace, url: str, prefix: str, names: list[tuple[str, str]],
                   figures: list[dict[str, Any]], sends: list[tuple[float, int]], counts: list[int],
                   bounds: list[float], t0: float, setup: float) -> None:
    connects = [k["connect"] for k in figures]
    print(f"\nset-up: {len(figures)} kiosks copied and connected in {setup:.1f} s (first step, "
          f"schema check + pull, per kiosk: median {statistics.median(connects) * 1000:.0f} ms, "
          f"max {max(connects) * 1000:.0f} ms)")
    per_second: Counter[int] = Counter()
    for k in figures:
        for second, rows in k["second"].items():
            per_second[int(second)] += rows
    print(f"\n{'period':>12} {'offered rows/s':>15} {'held rows/s':>12} {'queued at end':>14}")
    previous_bound, previous_count, written_so_far = t0, 0, 0
    for bound, count in zip(bounds, counts, strict=True):
        first, last = int(round(previous_bound - t0)), int(round(bound - t0))
        offered = sum(per_second.get(s, 0) for s in range(first, last))
        written_so_far += offered
        length = bound - previous_bound
        print(f"{first:>5}-{last:<4} s {offered / length:>15.1f} {(count - previous_count) / length:>12.1f} "
              f"{written_so_far - count:>14}")
        previous_bound, previous_count = bound, count
    written = sum(k["rows"] for k in figures)
    print(f"{'whole run':>12} {written / (bounds[-1] - t0):>15.1f} {counts[-1] / (bounds[-1] - t0):>12.1f}")
    print("\nlatency")
    print(f"  local write (one log call)   {percentiles([w for k in figures for w in k['writes']])}")
    print(f"  waiting for the process lock {percentiles([w for k in figures for w in k['waits']])}")
    print(f"  send (one server transaction){percentiles([s for s, n in sends if n])}")
    print(f"  sync step (pull+send+beat)   {percentiles([s for k in figures for s in k['steps']])}")
    rows_per_send = [n for _s, n in sends if n]
    if rows_per_send:
        print(f"  rows per send: median {statistics.median(rows_per_send):.0f}, max {max(rows_per_send)}")
    lag = max(k["lag"] for k in figures)
    failed = sum(k["failed_steps"] for k in figures)
    backlog = max(k["backlog"] for k in figures)
    print(f"\nqueue depth: deepest on one kiosk {max(k['max_depth'] for k in figures)} rows (before a step); "
          f"when writing stopped {sum(k['left'] for k in figures)} rows on all kiosks "
          f"(deepest {max(k['left'] for k in figures)}); after draining {sum(k['drained'] for k in figures)}")
    print(f"players' worst lag behind their clock {lag * 1000:.0f} ms; failed sync steps {failed}; "
          f"records kept in memory (local write failed) at most {backlog}")
    problems = {k["problem"] for k in figures if k["problem"]}
    if problems:
        print(f"problems seen: {'; '.join(sorted(problems))[:500]}")
    beats = server_sql(url, "SELECT count(*) FROM heartbeat WHERE kiosk LIKE %s", prefix + "%")[0][0]
    print(f"heartbeat rows on the server: {beats} of {len(names)} kiosks\n")
    check_exactly_once(url, prefix, names, written)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=0.0, help="instead of --minutes (a smoke test)")
    parser.add_argument("--rate", type=float, default=1.0, help="plays (and as many audience rows) per kiosk "
                                                                "per second")
    parser.add_argument("--sync-seconds", type=float, default=2.0, help="as fleet_sync_seconds")
    parser.add_argument("--processes", type=int, default=5,
                        help="kiosks are shared among this many processes")
    parser.add_argument("--quick", action="store_true", help="10 kiosks, 1 minute, 2 processes")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each report timing (the median)")
    parser.add_argument("--db", metavar="URL", help="an existing server's database (default: a throw-away "
                                                    "server, tests/postgres.py)")
    args = parser.parse_args()
    if args.quick:
        args.kiosks, args.minutes, args.processes = 10, 1.0, 2
    if args.db:
        run(args, args.db)
        return
    from tests.postgres import PostgresUnavailable, throwaway_postgres

    try:
        with throwaway_postgres() as url:
            run(args, url)
    except PostgresUnavailable as exc:
        print(f"PostgreSQL unavailable: {exc}")


if __name__ == "__main__":
    main()

"""Runs a whole kiosk, accelerated, for a while and prints what would end a show of days.

    .venv/bin/python bench/bench_soak.py [--minutes 30] [--interval 300] [--warmup 60]

The kiosk runs as in a showroom, only faster: the shipped visitor clip as a `file:` camera (a
visit about every 12 s), the loopback model server (tests/fake_openai.py) profiling each visit,
an emulated NFC tag (tests/nfc_helpers.py) taking each link, and a playlist of short items (the
shipped videos, 3 s image and HTML slides; the YouTube items left out, there is no network).

Every `--interval` seconds after `--warmup` it samples the kiosk (Linux /proc): its RSS, thread
count and open file handles, and the summed RSS of its QtWebEngineProcess children. The kiosk
logs how late its GUI thread answers (the `stall_report_seconds` setting, a 20 ms timer) once per
`--stall-period`; web pages are renewed every `--web-reload-hours` (0.1: accelerated).
All samples are taken while the kiosk runs normally: it is stopped (SIGTERM) only after the last
one, and the growth is a least-squares slope over the second half's samples, printed.
Goals: RSS at most 600 MB and growth at most 5 % an hour, threads and handles flat, no stall
over 100 ms after start-up.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxkiosk.content import database  # noqa: E402
from cxkiosk.push.nfc import Type3TagMemory  # noqa: E402
from tests.fake_openai import FakeOpenAI, json_reply, reply  # noqa: E402
from tests.nfc_helpers import emulated_tag  # noqa: E402

PROFILE = {"count": 1, "people": [{"gender": "male", "age": 45, "glasses": False, "hair": "short",
                                    "clothing": "suit", "facing": True}]}
SLIDE = """<!doctype html><html><body style="margin:0;background:linear-gradient(#134074,#0b2545);
color:white;font:48px sans-serif"><h1 id="t">Soak</h1><script>
let n = 0; setInterval(() => { document.getElementById("t").textContent = "Soak " + (++n); }, 100);
</script></body></html>"""


def status_field(pid: int, name: str) -> int:
    return int(re.search(rf"^{name}:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.M).group(1))


def children(pid: int) -> list[int]:
    """Every descendant of pid (the web engine's zygote and renderers are grandchildren)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def sample(pid: int) -> dict[str, float]:
    web_kb, web_n = 0, 0
    for child in children(pid):
        try:
            if "QtWebEngineProc" in Path(f"/proc/{child}/comm").read_text():
                web_kb += status_field(child, "VmRSS")
                web_n += 1
        except (OSError, AttributeError):
            continue
    return {"rss": status_field(pid, "VmRSS") / 1024, "threads": status_field(pid, "Threads"),
            "fds": len(os.listdir(f"/proc/{pid}/fd")), "web": web_kb / 1024, "web_n": web_n}


def thread_names(pid: int) -> Counter[str]:
    """The kiosk's threads by name (Qt and Python name theirs): which kind comes and goes."""
    names: Counter[str] = Counter()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            names[(task / "comm").read_text().strip()] += 1
        except OSError:
            continue
    return names


def fd_kinds(pid: int) -> Counter[str]:
    """The kiosk's open handles by kind (file, socket, pipe, anon_inode:..., /dev/...)."""
    kinds: Counter[str] = Counter()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("/dev/shm/"):
            kind = "shared memory"  # Chromium's segments, each with a random name
        elif target.startswith("/dev/"):
            kind = target
        elif target.startswith("/"):
            kind = "file"
        else:
            kind = target.split(":", 1)[0]  # socket, pipe, anon_inode
        kinds[kind] += 1
    return kinds


def changes(before: Counter[str], after: Counter[str]) -> str:
    moved = {k: after[k] - before[k] for k in before.keys() | after.keys() if after[k] != before[k]}
    return ", ".join(f"{k} {v:+d}" for k, v in sorted(moved.items())) or "none"


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value), per hour."""
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (v - mv) for t, v in points) / var * 3600 if var else 0.0


def seed(data: Path) -> Path:
    """The shipped catalogue without its YouTube items, plus an HTML slide; slides 3 s."""
    db = data / "content.db"
    data.mkdir(parents=True)
    shutil.copy(ROOT / "content.db", db)
    (data / "media" / "soak").mkdir(parents=True)
    (data / "media" / "soak" / "index.html").write_text(SLIDE, encoding="utf-8")
    database.open_database(str(db))
    try:
        database.Content.delete().where(database.Content.kind == "youtube").execute()
        database.Content.update(duration=3.0).where(database.Content.kind == "slide").execute()
        database.Content.create(title="Soak HTML slide", kind="slide", path="soak/index.html",
                                url="https://www.example.com/showroom/soak", idle=True, duration=3.0)
    finally:
        database.close_database()
    return db


def kiosk(data: Path, db: Path, server: FakeOpenAI, tag: str, args: argparse.Namespace,
          quit_after: float) -> tuple[list[str], dict[str, str]]:
    """The accelerated kiosk's command line and environment (also bench_gc's)."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "CXKIOSK_STALL_REPORT_SECONDS": str(args.stall_period), "CXKIOSK_SLIDE_SECONDS": "3",
           "CXKIOSK_WEB_RELOAD_HOURS": str(args.web_reload_hours),
           "CXKIOSK_HOLDOUT_SHARE": "0.1"}
    command = [sys.executable, str(ROOT / "main.py"), "run", "--windowed", "--data-dir", str(data),
               "--db", str(db), "--source", f"file:{ROOT / 'resources' / 'demo' / 'visitor.mp4'}",
               "--privacy", "full", "--provider", "custom", "--base-url", server.base_url,
               "--model", "soak-vlm", "--nfc", tag, "--quit-after", str(quit_after)]
    return command, env


def answer_every_call(server: FakeOpenAI) -> None:
    """Every call answered for as long as it runs: a picture gets the profile, a caption
    request (no picture) a caption."""
    server.next_step = lambda: (json_reply(PROFILE) if "image_url" in str(server.requests[-1]["body"])
                                else reply("Built for the road ahead."))


Stall = tuple[float, float, float, float, int, int, float]


def stall_lines(log: str, started: datetime, warmup: float) -> list[Stall]:
    """(t, p50, p99, max, over 100 ms, full collections, longest collection ms) per logged
    period that began after the warm-up (the kiosk's first period covers its start-up)."""
    rows = []
    pattern = (r"^(\S+ \S+),\d+ INFO\s+cxkiosk.stalls: GUI lateness over (\d+) s: \d+ ticks, "
               r"p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms, (\d+) over 100 ms"
               r"(?:; (\d+) full garbage collections, longest ([\d.]+) ms)?")
    for m in re.finditer(pattern, log, re.M):
        t = (datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S") - started).total_seconds()
        if t - int(m.group(2)) >= warmup - 2:  # the period began after the start-up
            rows.append((t, float(m.group(3)), float(m.group(4)), float(m.group(5)), int(m.group(6)),
                         int(m.group(7) or 0), float(m.group(8) or 0)))
    return rows


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=300.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds of start-up left out")
    parser.add_argument("--stall-period", type=float, default=60.0, help="seconds per GUI lateness line")
    parser.add_argument("--web-reload-hours", type=float, default=0.1,
                        help="the web_reload_hours setting (accelerated: a fresh web page every 6 min)")
    args = parser.parse_args()
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as server, \
            emulated_tag(Type3TagMemory(writable=True, blocks=16)) as tag:
        answer_every_call(server)
        data = Path(tmp) / "kiosk"
        db = seed(data)
        # --quit-after: a guard should this script die
        command, env = kiosk(data, db, server, tag, args, quit_after=seconds + 120)
        started = datetime.now().replace(microsecond=0)
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                cwd=tmp)
        start = time.monotonic()
        samples: list[tuple[float, dict[str, float]]] = []
        first_names: Counter[str] | None = None
        first_kinds: Counter[str] = Counter()
        due = math.ceil(args.warmup / args.interval) * args.interval  # on the interval's beat
        print(f"soak: {args.minutes:.0f} min, a sample every {args.interval:.0f} s after "
              f"{args.warmup:.0f} s; started {started:%H:%M:%S}", flush=True)
        # Stopped early (Ctrl+C, or a SIGTERM to this script): the kiosk is stopped too and the
        # samples so far are reported, rather than the kiosk playing on until --quit-after.
        signal.signal(signal.SIGTERM, _interrupted)
        try:
            while proc.poll() is None and due <= seconds + 1:
                time.sleep(max(0.0, start + due - time.monotonic()))
                try:
                    s = sample(proc.pid)
                except (OSError, AttributeError):
                    break
                samples.append((time.monotonic() - start, s))
                print(f"  t={samples[-1][0]:>6.0f} s  RSS {s['rss']:6.1f} MB  threads {s['threads']:3.0f}  "
                      f"fds {s['fds']:4.0f}  web {s['web']:6.1f} MB ({s['web_n']:.0f} processes)", flush=True)
                try:
                    names, kinds = thread_names(proc.pid), fd_kinds(proc.pid)
                except OSError:
                    break
                if first_names is None:
                    first_names, first_kinds = names, kinds
                    print(f"           threads: {', '.join(f'{k} {v}' for k, v in sorted(names.items()))}")
                else:
                    print(f"           since the first sample: threads {changes(first_names, names)}; "
                          f"handles {changes(first_kinds, kinds)}", flush=True)
                due += args.interval
        except KeyboardInterrupt:
            print("interrupted: stopping the kiosk, reporting the samples so far", flush=True)
        alive = proc.poll() is None
        if alive:
            proc.send_signal(signal.SIGTERM)  # after the last sample: no sample sees the shutdown
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        requests = len(server.requests)
        log = (data / "logs" / "cxkiosk.log").read_text(errors="replace")
        crash = data / "logs" / "crash.log"  # the kiosk's faulthandler: the stacks of a hard crash
        if not alive and crash.is_file() and crash.stat().st_size:
            print(f"\nthe kiosk's crash.log:\n{crash.read_text(errors='replace')[-6000:]}")
        database.open_database(str(db))
        try:
            plays = database.PlayLog.select().count()
            taps = database.TapLog.select().count()
        finally:
            database.close_database()
    report(args, seconds, samples, alive, proc.returncode, err, log, started, plays, taps, requests)


def report(args, seconds, samples, alive, code, err, log, started, plays, taps, requests) -> None:
    print()
    if not alive:
        print(f"THE KIOSK ENDED BEFORE THE LAST SAMPLE (exit code {code}): {err[-500:]}")
    late = [(t, s) for t, s in samples if t >= seconds / 2]
    print(f"{len(samples)} samples, all taken while the kiosk ran (after {args.warmup:.0f} s of start-up, "
          f"before its shutdown); growth fitted over the {len(late)} of the second half "
          f"(t >= {seconds / 2:.0f} s): {', '.join(f'{t:.0f}' for t, _ in late)}")
    if len(late) >= 2:
        for key, name in (("rss", "kiosk RSS"), ("web", "web view RSS")):
            first = late[0][1][key]
            per_hour = slope_per_hour([(t, s[key]) for t, s in late])
            pct = per_hour / first * 100 if first else 0.0
            print(f"  {name}: {first:.1f} -> {late[-1][1][key]:.1f} MB, slope {per_hour:+.1f} MB/hour "
                  f"= {pct:+.1f} %/hour (goal at most +5 %/hour)")
    if samples:
        peak = max(s["rss"] for _, s in samples)
        peak_all = max(s["rss"] + s["web"] for _, s in samples)
        print(f"  peak kiosk RSS {peak:.0f} MB (goal at most 600 MB); "
              f"with its web processes {peak_all:.0f} MB")
        for key, name in (("threads", "threads"), ("fds", "open file handles")):
            values = [s[key] for _, s in samples]
            print(f"  {name}: {min(values):.0f}..{max(values):.0f} "
                  f"({'flat' if min(values) == max(values) else 'NOT flat'}; goal flat)")
    stalls = stall_lines(log, started, args.warmup)
    if stalls:
        print("  GUI lateness per period after start-up (p50 / p99 / max ms, ticks over 100 ms; "
              "full garbage collections, longest ms):")
        for t, p50, p99, worst, over, full, longest in stalls:
            print(f"    t={t:>6.0f} s  {p50:6.1f} {p99:7.1f} {worst:7.1f}  {over}   {full} {longest:6.1f}")
        worst = max(s[3] for s in stalls)
        print(f"  worst GUI stall after start-up {worst:.0f} ms (goal: none over 100 ms)")
        print(f"  full garbage collections after start-up: {sum(s[5] for s in stalls)}, "
              f"longest {max(s[6] for s in stalls):.1f} ms")
    else:
        print("  no GUI lateness line in the log (run longer than --interval)")
    warnings = re.findall(r"^\S+ \S+ (?:WARNING|ERROR) +(.*)$", log, re.M)
    print(f"items started: {log.count('cxkiosk.billboard: playing item')}, targeted choices: "
          f"{log.count('cxkiosk.chain: targeting')}, model calls: {requests}, plays logged: {plays}, "
          f"NFC taps logged: {taps}, warnings/errors in the log: {len(warnings)}")
    for line in sorted(set(w[:150] for w in warnings))[:8]:
        print(f"    {line}")


if __name__ == "__main__":
    main()

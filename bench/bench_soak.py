"""Runs the kiosk in demo mode for a while and prints its memory over time (Linux /proc).

    .venv/bin/python bench/bench_soak.py [--minutes 3]

A kiosk runs for days: memory that grows with every item or visit would end the show. The demo
clip loops (a visit every ~12 s) and the playlist cycles local items, so a few minutes cover
many player switches, visits and targeted plays. Prints RSS samples and the growth per hour
after the first minute (start-up allocations excluded).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=3.0)
    args = parser.parse_args()
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
        command = [sys.executable, str(ROOT / "main.py"), "--demo", "--windowed", "--nfc", "none",
                   "--data-dir", tmp, "--quit-after", str(seconds)]
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples: list[tuple[float, float]] = []
        start = time.monotonic()
        while proc.poll() is None:
            try:
                samples.append((time.monotonic() - start, rss_mb(proc.pid)))
            except (FileNotFoundError, AttributeError):
                break
            time.sleep(5)
        proc.wait()
        log = (Path(tmp) / "logs" / "cxkiosk.log").read_text()
    plays = log.count("cxkiosk.billboard: playing item")
    targeted = log.count("cxkiosk.chain: targeting")
    print(f"{'t (s)':>6} {'RSS MB':>8}")
    for t, mb in samples[:: max(1, len(samples) // 12)]:
        print(f"{t:>6.0f} {mb:>8.1f}")
    # The second half of the run: start-up and first-use allocations (players, models) are done.
    late = [(t, mb) for t, mb in samples if t >= seconds / 2]
    if len(late) >= 2:
        (t0, m0), (t1, m1) = late[0], late[-1]
        print(f"growth over the second half: {m1 - m0:+.1f} MB over {t1 - t0:.0f} s "
              f"= {(m1 - m0) / (t1 - t0) * 3600:+.0f} MB/hour; peak {max(mb for _, mb in samples):.0f} MB")
    print(f"items started: {plays}, targeted choices: {targeted}, exit code {proc.returncode}")


if __name__ == "__main__":
    main()

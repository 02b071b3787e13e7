"""The kiosk's memory with glibc's default malloc arenas against the two it now asks for
(cxkiosk/memory.py), side by side in one run, interleaved (the machine is shared).

    .venv/bin/python bench/bench_memory.py [--rounds 2] [--seconds 120]

Each run is a whole kiosk as a showroom has it: the shipped visitor clip as the camera, local
detection, the loopback model server profiling each visit. Its RSS is read every 30 s.
"Default" sets MALLOC_ARENA_MAX to glibc's own default (8 per core), which the kiosk respects.
Linux only (reads /proc).
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
sys.path.insert(0, str(ROOT))

from tests.fake_openai import FakeOpenAI, json_reply  # noqa: E402

PROFILE = {"count": 1, "people": [{"gender": "male", "age": 40}]}


def rss_mb(pid: int) -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


def run(base_url: str, seconds: float, arenas: str | None) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        env.pop("MALLOC_ARENA_MAX", None)
        if arenas:
            env["MALLOC_ARENA_MAX"] = arenas
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", "--windowed",
                                 "--data-dir", tmp, "--nfc", "none", "--quit-after", str(seconds + 60),
                                 "--source", f"file:{ROOT / 'resources' / 'demo' / 'visitor.mp4'}",
                                 "--privacy", "full", "--provider", "custom", "--base-url", base_url,
                                 "--model", "bench"], env=env, cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples = []
        try:
            for _ in range(int(seconds // 30)):
                time.sleep(30)
                samples.append(rss_mb(proc.pid))
        finally:
            proc.terminate()
            proc.wait(60)
        return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    default = str(8 * (os.cpu_count() or 1))
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; RSS every 30 s over "
          f"{args.seconds:.0f} s")
    with FakeOpenAI() as server:
        server.next_step = lambda: json_reply(PROFILE)
        for _ in range(args.rounds):
            for label, arenas in ((f"glibc default ({default} arenas)", default),
                                  ("the kiosk's 2 arenas", None)):
                samples = run(server.base_url, args.seconds, arenas)
                print(f"  {label:28s} {' '.join(f'{s:5.0f}' for s in samples)} MB", flush=True)


if __name__ == "__main__":
    main()

"""How long a verified tag write and an emulated-tag read take over nfcpy's udp driver.

Runs on loopback with no hardware; the figures are the protocol + Python cost (a real RC-S380
adds its own radio time). Prints one table.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cxkiosk.push.nfc import ALREADY, WRITTEN, Type3TagMemory, write_next_tag  # noqa: E402
from tests.nfc_helpers import emulated_tag, read_tag_link  # noqa: E402

ROUNDS = 15


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    rows = []
    for label, url in (("short link", "https://example.com/s"),
                       ("120-char link", "https://example.com/" + "a" * 100)):
        memory = Type3TagMemory(blocks=16, writable=True)
        writes, skips, fails = [], [], 0
        with emulated_tag(memory) as path:
            for i in range(ROUNDS):
                target = f"{url}?n={i}"
                ms = timed(lambda t=target: results.append(write_next_tag(path, t, timeout=10)))
                (writes if results[-1].status == WRITTEN else []).append(ms)
                fails += results[-1].status != WRITTEN
                ms = timed(lambda t=target: results.append(write_next_tag(path, t, timeout=10)))
                (skips if results[-1].status == ALREADY else []).append(ms)
        rows.append((f"write+verify, {label}", writes, fails))
        rows.append((f"skip (already holds), {label}", skips, 0))
    memory = Type3TagMemory(blocks=16, writable=True)
    write_reads = []
    with emulated_tag(memory) as path:
        write_next_tag(path, "https://example.com/read", timeout=10)
        for _ in range(ROUNDS):
            write_reads.append(timed(lambda: read_tag_link(path)))
    rows.append(("phone-style read (sense+NDEF)", write_reads, 0))
    print(f"{'operation (udp loopback)':40} {'n':>3} {'median ms':>10} {'p90 ms':>8} {'failed':>6}")
    for name, values, failed in rows:
        values = sorted(values) or [float("nan")]
        p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
        print(f"{name:40} {len(values):>3} {statistics.median(values):>10.1f} {p90:>8.1f} {failed:>6}")


results: list = []

if __name__ == "__main__":
    main()

"""How long Python's full garbage collections stop a running kiosk: start-up's objects frozen
(cxkiosk/runtime/garbage.py, what the kiosk does) against left in the collector's walks (before).

    .venv/bin/python bench/bench_gc.py [--minutes 5] [--warmup 60] [--every 20]

Two accelerated kiosks (bench_soak's: the visitor clip, the loopback model server, an emulated
NFC tag, short items) run side by side, at once, so both see the same machine. Each runs in a
child process of this script that, after `--warmup`, times a full collection (`gc.collect()`)
every `--every` seconds from a helper thread (it holds the GIL, so the GUI thread waits for it
as for a collection the kiosk makes itself), and also times every full collection the kiosk
makes on its own. At the end it prints, per kiosk: objects the collector still walks, objects
frozen, the timed and the kiosk's own full collections, the worst GUI lateness the kiosk logged,
all after the warm-up, and its RSS as it stopped.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

VARIANTS = ("frozen", "unfrozen")


def child(variant: str, out: Path, every: float, warmup: float, argv: list[str]) -> int:
    """Run the kiosk in this process, timing full collections; write the figures to `out`."""
    from cxkiosk.runtime import garbage

    if variant == "unfrozen":  # the kiosk before: nothing frozen, ever
        garbage.FreezeNewModules.start = lambda self: None  # type: ignore[method-assign]
    own: list[float] = []  # the kiosk's own full collections after the warm-up, ms
    timed: list[float] = []
    walked = [0]
    forcing = threading.Event()
    begun = time.monotonic()
    started = [0.0]

    def on_collection(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2 or forcing.is_set() or time.monotonic() - begun < warmup:
            return
        if phase == "start":
            started[0] = time.perf_counter()
        elif started[0]:
            own.append((time.perf_counter() - started[0]) * 1000)

    def force(stop: threading.Event) -> None:
        if stop.wait(warmup):
            return
        while not stop.wait(every):
            forcing.set()
            t = time.perf_counter()
            gc.collect()
            timed.append((time.perf_counter() - t) * 1000)
            forcing.clear()
            walked[0] = len(gc.get_objects())

    gc.callbacks.append(on_collection)
    stop = threading.Event()
    threading.Thread(target=force, args=(stop,), name="bench-gc", daemon=True).start()
    from ui.main import main

    code = main(argv)
    stop.set()
    from bench_soak import status_field

    rss = status_field(os.getpid(), "VmRSS") / 1024
    out.write_text(json.dumps({"timed": timed, "own": own, "walked": walked[0],
                               "frozen": gc.get_freeze_count(), "rss": rss}))
    return code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds of start-up left out")
    parser.add_argument("--every", type=float, default=20.0, help="seconds between timed collections")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    split = sys.argv.index("--") if "--" in sys.argv else len(sys.argv)  # the kiosk's own after --
    args = parser.parse_args(sys.argv[1:split])
    if args.child:
        sys.exit(child(args.child, args.out, args.every, args.warmup, sys.argv[split + 1:]))

    from datetime import datetime

    from bench_soak import answer_every_call, kiosk, seed, stall_lines

    from cxkiosk.push.nfc import Type3TagMemory
    from tests.fake_openai import FakeOpenAI
    from tests.nfc_helpers import emulated_tag

    seconds = args.minutes * 60
    soak_args = argparse.Namespace(stall_period=30.0, web_reload_hours=0.1)
    results = {}
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as s1, FakeOpenAI() as s2, \
            emulated_tag(Type3TagMemory(writable=True, blocks=16)) as t1, \
            emulated_tag(Type3TagMemory(writable=True, blocks=16)) as t2:
        procs = {}
        started = datetime.now().replace(microsecond=0)
        for variant, server, tag in zip(VARIANTS, (s1, s2), (t1, t2), strict=True):
            answer_every_call(server)
            data = Path(tmp) / variant
            command, env = kiosk(data, seed(data), server, tag, soak_args, quit_after=seconds + 120)
            out = Path(tmp) / f"{variant}.json"
            command[1:2] = [__file__, "--child", variant, "--out", str(out), "--every", str(args.every),
                            "--warmup", str(args.warmup), "--"]
            procs[variant] = (subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.PIPE, cwd=tmp), data, out)
        print(f"bench_gc: two kiosks for {args.minutes:.0f} min, a timed full collection every "
              f"{args.every:.0f} s after {args.warmup:.0f} s", flush=True)
        try:
            time.sleep(seconds)
        except KeyboardInterrupt:
            print("interrupted: stopping both kiosks", flush=True)
        for proc, _, _ in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for variant, (proc, data, out) in procs.items():
            try:
                _, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            log = (data / "logs" / "cxkiosk.log").read_text(errors="replace")
            stalls = stall_lines(log, started, args.warmup)
            if not out.is_file():
                print(f"{variant}: the kiosk wrote no figures (exit {proc.returncode}): "
                      f"{err.decode(errors='replace')[-800:]}")
                continue
            results[variant] = {**json.loads(out.read_text()), "stall_periods": len(stalls),
                                "stall": max((s[3] for s in stalls), default=0.0)}
    print(f"\n{'':10} {'walked':>9} {'frozen':>9} {'timed full collections ms':>28} "
          f"{'own full collections ms':>26} {'worst GUI lateness':>19} {'RSS MB':>7}")
    for variant, r in results.items():
        timed = r["timed"] or [0.0]
        own = r["own"]
        own_text = f"{len(own)}, longest {max(own):.1f}" if own else "none"
        timed_text = f"median {statistics.median(timed):.1f}, max {max(timed):.1f} ({len(r['timed'])})"
        print(f"{variant:10} {r['walked']:>9} {r['frozen']:>9} {timed_text:>28} "
              f"{own_text:>26} {r['stall']:>14.1f} ms {r['rss']:>7.0f}")
    periods = min((r["stall_periods"] for r in results.values()), default=0)
    print(f"walked: objects the last timed collection left to walk; own: the kiosk's own full collections; "
          f"both after the warm-up, as is the worst GUI lateness, over {periods} periods of 30 s "
          "(the timed collections included)")


if __name__ == "__main__":
    if os.environ.get("QT_QPA_PLATFORM") is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    main()

"""`supervise`: run the kiosk and restart it when it crashes or hangs (for unattended days)."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from cxkiosk.commands.common import UsageError, context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("supervise", parents=[common],
                            help="run the kiosk; restart it when it crashes or hangs")
    parser.add_argument("--hang-seconds", type=float, default=60.0,
                        help="restart when the kiosk's event loop is silent this long (default 60)")
    parser.add_argument("run_args", nargs=argparse.REMAINDER,
                        help="arguments for 'run' after --, e.g. -- --source camera:0")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cxkiosk.supervisor import STATE_NAME, Supervisor, kiosk_command, run_data_dir

    if not 5 <= args.hang_seconds <= 3600:  # NaN and infinity fail this too
        raise UsageError(f"--hang-seconds must be 5..3600 seconds, not {args.hang_seconds:g}")
    after = run_data_dir(args.run_args)
    if after is not None and args.data_dir is not None and not _same(after, args.data_dir):
        raise UsageError(f"two data folders: --data-dir {args.data_dir} before -- and {after} after it; "
                         "give it once")
    if args.data_dir is None:
        args.data_dir = after  # its log, state and heartbeat go where the kiosk's data is
    ctx = context(args, log_name="supervise.log")  # the kiosk itself writes cxkiosk.log
    from cxkiosk.runtime.instance import SUPERVISE_LOCK, InstanceLock

    lock = InstanceLock(ctx.paths.data, SUPERVISE_LOCK, "supervise")  # its state and heartbeat are one's
    if refusal := lock.acquire():
        raise UsageError(refusal)
    supervisor = Supervisor(kiosk_command(args.run_args, args.data_dir), ctx.paths.data / "heartbeat",
                            hang_seconds=args.hang_seconds, state=ctx.paths.data / STATE_NAME)
    for sig in (signal.SIGTERM, signal.SIGINT):  # the kiosk is asked to quit, never SIGKILLed mid-show
        signal.signal(sig, lambda *_: supervisor.stop())
    try:
        return supervisor.run().exit_code
    finally:
        lock.release()


def _same(a: str, b: str) -> bool:
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()

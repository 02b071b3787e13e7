"""`supervise`: run the kiosk and restart it when it crashes or hangs (for unattended days)."""

from __future__ import annotations

import argparse
import signal

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
    from cxkiosk.supervisor import STATE_NAME, Supervisor, kiosk_command

    if not 5 <= args.hang_seconds <= 3600:  # NaN and infinity fail this too
        raise UsageError(f"--hang-seconds must be 5..3600 seconds, not {args.hang_seconds:g}")
    ctx = context(args, log_name="supervise.log")  # the kiosk itself writes cxkiosk.log
    supervisor = Supervisor(kiosk_command(args.run_args, args.data_dir), ctx.paths.data / "heartbeat",
                            hang_seconds=args.hang_seconds, state=ctx.paths.data / STATE_NAME)
    signal.signal(signal.SIGTERM, lambda *_: supervisor.stop())
    outcome = supervisor.run()
    return outcome.exit_code

"""cxkiosk entry point: parses arguments, sets up logging, builds the app. Nothing else."""

from __future__ import annotations

import argparse
import sys

from cxkiosk.commands import command_modules
from cxkiosk.commands.common import (
    OneLineParser,
    UsageError,
    add_provider_args,
    add_sensing_args,
    common_parser,
    fail,
)

DEFAULT_COMMAND = "run"


def build_parser() -> argparse.ArgumentParser:
    common = common_parser()
    parser = OneLineParser(
        prog="cxkiosk",
        description="Showroom kiosk: billboard, visitor sensing, targeted content, NFC/QR link push.",
        epilog="With no command, 'run' is assumed: python main.py --windowed",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    run = sub.add_parser("run", parents=[common], help="start the kiosk (the default)")
    run.add_argument("--windowed", action="store_true", help="a normal window instead of fullscreen")
    run.add_argument("--demo", action="store_true", help="play the shipped demo visitor clip as the camera")
    add_sensing_args(run)
    add_provider_args(run)
    run.add_argument("--nfc", metavar="DEVICE", help="nfcpy path: usb | usb:VID:PID | tty:USB0:pn532 | "
                     "udp:HOST:PORT | none")
    run.add_argument("--screenshot", metavar="PNG", help="save a screenshot (needs --quit-after)")
    run.add_argument("--quit-after", metavar="SECONDS", type=float, help="quit after this many seconds")
    run.set_defaults(handler=run_kiosk)
    for module in command_modules():
        module.register(sub, common)
    return parser


def run_kiosk(args: argparse.Namespace) -> int:
    from ui.app import run_app  # Qt is imported only when the kiosk itself runs

    return run_app(args)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    if argv and not argv[0].startswith("-") and argv[0] not in commands:
        return fail(f"unknown command {argv[0]!r}; choose from {', '.join(sorted(commands))}")
    if not argv or argv[0] not in commands | {"-h", "--help"}:
        argv.insert(0, DEFAULT_COMMAND)
    args = parser.parse_args(argv)
    if getattr(args, "screenshot", None) and args.quit_after is None:
        return fail("--screenshot needs --quit-after SECONDS")
    try:
        return int(args.handler(args) or 0)
    except UsageError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

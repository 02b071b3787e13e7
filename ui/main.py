"""The program's command line: parses arguments and calls the command (each sets up logging).

`run` (the kiosk itself, the default) is ui/app.py, the GUI composition root; every other command
is a module of cxkiosk/commands/. Started by the installed `cxkiosk` command (pyproject's
console script), by `python -m ui.main`, or from a checkout by the top-level main.py.
"""

from __future__ import annotations

import argparse
import os
import sys

from cxkiosk.commands import command_modules
from cxkiosk.commands.common import OneLineParser, UsageError, common_parser, fail
from cxkiosk.log import log_failure_to_file

DEFAULT_COMMAND = "run"


def build_parser() -> argparse.ArgumentParser:
    from ui import app

    common = common_parser()
    parser = OneLineParser(
        prog="cxkiosk",
        description="Showroom kiosk: billboard, visitor sensing, targeted content, NFC/QR link push.",
        epilog="With no command, 'run' is assumed: 'cxkiosk --windowed' is 'cxkiosk run --windowed'.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    app.register(sub, common)
    for module in command_modules():
        module.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    from cxkiosk.memory import limit_malloc_arenas

    limit_malloc_arenas()  # first: before any thread allocates
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    if argv and not argv[0].startswith("-") and argv[0] not in commands:
        return fail(f"unknown command {argv[0]!r}; choose from {', '.join(sorted(commands))}")
    if not argv or argv[0] not in commands | {"-h", "--help"}:
        argv.insert(0, DEFAULT_COMMAND)
    if argv[0] == "supervise" and "--" not in argv:
        _, unknown = parser.parse_known_args(argv)  # a bad value still gets argparse's own line
        if unknown:
            return fail(f"supervise: unrecognized arguments: {' '.join(unknown)}; the kiosk's own arguments "
                        "go after --, e.g. supervise --data-dir DIR -- --source none")
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UsageError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`report | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:  # a bug must still end in one line; the log keeps the traceback
        where = "details in the log" if log_failure_to_file(f"command {args.command} failed") else \
            "please report it with the command that was run"
        return fail(f"unexpected {type(exc).__name__}: {str(exc)[:200]} ({where})", 1)


if __name__ == "__main__":
    sys.exit(main())

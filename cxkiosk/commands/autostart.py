"""`autostart on|off|status`: start `supervise` (with this data folder) when the user logs in.

The entries themselves (per OS, no administrator rights) are in cxkiosk/autostart.py; this
command writes the entry and the `start_at_login` setting together.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from cxkiosk.commands.common import UsageError, context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("autostart", parents=[common],
                            help="start the supervised kiosk when this user logs in: on | off | status")
    parser.add_argument("action", choices=("on", "off", "status"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cxkiosk.autostart import describe, install, login_command, place, remove
    from cxkiosk.config import save_settings

    ctx = context(args)
    data = ctx.paths.data.resolve()
    if args.action == "status":
        ok, line = describe(data, ctx.settings.start_at_login)
        print(line)
        return 0 if ok else 1
    try:
        where = install(login_command(data)) if args.action == "on" else remove()
    except OSError as exc:
        doing = "write" if args.action == "on" else "remove"
        why = exc.strerror or exc
        raise UsageError(f"autostart {args.action}: cannot {doing} {place()} ({why})") from None
    save_settings(ctx.paths, replace(ctx.settings, start_at_login=args.action == "on"), ctx.settings)
    if args.action == "on":
        print(f"supervise starts at login from {where}")
    else:
        print(f"start at login is off{f' (removed {where})' if where else ''}")
    return 0

"""`report [--since PERIOD] [--until DATE] [--kiosk ID] [--format table|csv|json|html]`: proof of
play, taps, audience figures and what targeting is worth (targeted against holdout plays), for
one kiosk or a whole fleet; `report --fleet`: the fleet's kiosks, those needing a visit first."""

from __future__ import annotations

import argparse
import sys

from cxkiosk.commands.common import UsageError, fail

FORMATS = ("table", "csv", "json", "html")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("report", parents=[common], help="plays, taps and audience figures")
    p.add_argument("--since", metavar="PERIOD",
                   help="today | yesterday (that day only) | 7d | 30d | YYYY-MM-DD | ISO time "
                        "(default: all history), in the kiosk's local time")
    p.add_argument("--until", metavar="DATE", help="end after this day (YYYY-MM-DD), at this ISO time, "
                                                   "or today | yesterday (default: now)")
    p.add_argument("--format", choices=FORMATS, default="table",
                   help="table: a summary to read (default); csv: one row per item and day; json: "
                        "every figure; html: one printable page with charts (no network needed)")
    p.add_argument("--include-demo", action="store_true",
                   help="count what --demo runs recorded too (left out by default: the clip is no visitor)")
    p.add_argument("--kiosk", metavar="ID", help="only the rows this kiosk wrote (its kiosk_id; default: "
                                                 "every kiosk, with a per-kiosk breakdown)")
    p.add_argument("--fleet", action="store_true",
                   help="list the fleet's kiosks from their heartbeats, down and degraded first "
                        "(--format table or json)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cxkiosk.commands.content import DatabaseUnavailable, opened_database
    from cxkiosk.config import problem
    from cxkiosk.period import PeriodError, parse_period
    from cxkiosk.report import build_report, has_kiosk, known_kiosks, render_csv, render_json
    from cxkiosk.report_html import render_html
    from cxkiosk.report_text import render_table

    if args.fleet:
        return _fleet(args)
    if args.kiosk is not None and (reason := problem("kiosk_id", args.kiosk)):
        raise UsageError(reason.replace("kiosk_id", "--kiosk", 1))
    try:
        period = parse_period(args.since, args.until)
    except PeriodError as exc:
        raise UsageError(str(exc)) from None
    try:
        with opened_database(args):
            if args.kiosk is not None and not has_kiosk(args.kiosk):
                known = known_kiosks()
                return fail(f"no kiosk {args.kiosk!r} has written to this database; "
                            + (f"kiosks here: {', '.join(k or '(no kiosk id)' for k in known[:20])}"
                               if known else "it holds no rows yet")
                            + " (--kiosk takes a kiosk's id, on the first line of its `check`, not its "
                              "database role)", 1)
            report = build_report(period.start, period.end, demo=args.include_demo, kiosk=args.kiosk)
    except DatabaseUnavailable as exc:
        return fail(str(exc), 1)
    if args.format == "csv" and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(newline="")  # the CSV's own \r\n, untranslated on Windows
    render = {"table": render_table, "csv": render_csv, "html": render_html,
              "json": lambda r: render_json(r) + "\n"}[args.format]
    sys.stdout.write(render(report))
    return 0


def _fleet(args: argparse.Namespace) -> int:
    """The fleet list from the heartbeats in the database the settings or --db name (a fleet's
    server URL, or a copy of it)."""
    from cxkiosk.commands.content import DatabaseUnavailable, opened_database
    from cxkiosk.fleet.heartbeat import fleet_states
    from cxkiosk.report import fleet_json
    from cxkiosk.report_text import NO_FLEET, render_fleet

    if args.format not in ("table", "json"):
        raise UsageError("--fleet prints a table or JSON: --format table or --format json")
    for flag, value in (("--kiosk", args.kiosk), ("--since", args.since), ("--until", args.until)):
        if value is not None:
            raise UsageError(f"--fleet lists every kiosk as last seen; leave out {flag}")
    try:
        with opened_database(args):
            states = fleet_states()
    except DatabaseUnavailable as exc:
        return fail(str(exc), 1)
    if args.format == "json":
        sys.stdout.write(fleet_json(states) + "\n")
        if not states:
            print(f"cxkiosk: {NO_FLEET}", file=sys.stderr)
        return 0
    sys.stdout.write(render_fleet(states))
    return 0

"""`report [--since PERIOD] [--until DATE] [--format table|csv|json|html]`: proof of play, taps,
audience figures and what targeting is worth (targeted against holdout plays)."""

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
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cxkiosk.commands.content import DatabaseUnavailable, opened_database
    from cxkiosk.period import PeriodError, parse_period
    from cxkiosk.report import build_report, render_csv, render_json
    from cxkiosk.report_html import render_html
    from cxkiosk.report_text import render_table

    try:
        period = parse_period(args.since, args.until)
    except PeriodError as exc:
        raise UsageError(str(exc)) from None
    try:
        with opened_database(args):
            report = build_report(period.start, period.end, demo=args.include_demo)
    except DatabaseUnavailable as exc:
        return fail(str(exc), 1)
    if args.format == "csv" and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(newline="")  # the CSV's own \r\n, untranslated on Windows
    render = {"table": render_table, "csv": render_csv, "html": render_html,
              "json": lambda r: render_json(r) + "\n"}[args.format]
    sys.stdout.write(render(report))
    return 0

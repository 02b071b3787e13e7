"""`report [--since DATE] [--format csv|json|html]`: proof of play, taps, audience figures and
what targeting is worth (targeted against holdout plays)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from cxkiosk.commands.common import UsageError, fail


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("report", parents=[common], help="plays, taps and audience figures")
    p.add_argument("--since", metavar="DATE", help="from this date or ISO time (default: all history)")
    p.add_argument("--format", choices=("csv", "json", "html"), default="json",
                   help="html: one printable page with charts (no network needed)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cxkiosk.commands.content import DatabaseUnavailable, opened_database
    from cxkiosk.report import build_report, render_csv, render_json
    from cxkiosk.report_html import render_html

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since.strip())
        except ValueError:
            raise UsageError(f"--since {args.since!r} is not a date like 2025-06-01") from None
        if not 2000 <= since.year <= 2200:
            raise UsageError(f"--since {args.since!r} is outside the years 2000-2200")
    try:
        with opened_database(args):
            report = build_report(since)
    except DatabaseUnavailable as exc:
        return fail(str(exc), 1)
    if args.format == "csv" and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(newline="")  # the CSV's own \r\n, untranslated on Windows
    render = {"csv": render_csv, "html": render_html}.get(args.format)
    sys.stdout.write(render(report) if render else render_json(report) + "\n")
    return 0

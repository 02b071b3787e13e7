"""The report as a person reads it in a terminal: the period, the totals, what targeting is worth
in one sentence, then a table per item sorted by plays, within 100 columns."""

from __future__ import annotations

import textwrap
import unicodedata
from typing import Any

WIDTH = 100
# (heading, key of an item row, width): the numbers after the title column.
COLUMNS = (("Plays", "plays", 7), ("Watchers", "watchers", 10), ("Attention", "attention", 11),
           ("Taps", "taps", 7), ("Taps/100 watchers", "taps_per_100_watchers", 19))
TITLE = WIDTH - sum(width for _h, _k, width in COLUMNS)
NO_VERDICT = "No targeted or holdout plays yet."


def render_table(report: dict[str, Any]) -> str:
    totals = report["totals"]
    verdict = ((report.get("uplift") or {}).get("overall") or {}).get("verdict") or NO_VERDICT
    since = report["since"][:16] if report["since"] else "all history"
    outcomes = f"{number(totals['completed'])} completed, {number(totals['skipped'])} skipped"
    if totals["failed"]:
        outcomes += f", {number(totals['failed'])} failed on screen"
    if totals.get("cut_short"):
        outcomes += f", {number(totals['cut_short'])} cut short or still playing"
    plays = f"{number(totals['plays'])} ({outcomes})"
    if totals["failed_to_load"]:
        plays += f"; {number(totals['failed_to_load'])} failed to load, not counted"
    if totals.get("demo_plays_left_out"):
        plays += f"; {number(totals['demo_plays_left_out'])} demo plays left out (--include-demo)"
    lines = [
        f"Period     {since} to {report['until'][:16]}",
        f"Plays      {plays}",
        f"Visitors   {number(totals['visitors'])} (OTS: {number(totals['ots'])} people present during plays)",
        f"Watchers   {number(totals['play_watchers'])} (faced the screen), "
        f"{duration(totals['attention'])} of attention",
        f"Taps       {number(totals['taps'])} ({rate(totals['taps_per_100_watchers'])} per 100 watchers)",
        *textwrap.wrap(verdict, WIDTH, initial_indent="Targeting  ", subsequent_indent=" " * 11),
        "",
    ]
    if not report["items"]:
        lines.append("No plays in this period.")
        return "\n".join(lines) + "\n"
    lines.append("Item".ljust(TITLE) + "".join(h.rjust(width) for h, _k, width in COLUMNS))
    for row in report["items"]:
        cells = {"plays": number(row["plays"]), "watchers": number(row["watchers"]),
                 "attention": duration(row["attention"]), "taps": number(row["taps"]),
                 "taps_per_100_watchers": rate(row["taps_per_100_watchers"])}
        title = truncate(row["title"], TITLE - 1)
        lines.append(title + " " * (TITLE - columns(title))
                     + "".join(cells[key].rjust(width) for _h, key, width in COLUMNS))
    return "\n".join(lines) + "\n"


def number(value: int) -> str:
    return f"{value:,}"


def rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def duration(seconds: float) -> str:
    """45 s, 12.5 min, 3.2 h: attention adds up to hours over a month."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:,.1f} h"


def columns(text: str) -> int:
    """How many terminal columns `text` takes: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def truncate(text: str, width: int) -> str:
    """One line of at most `width` columns, with an ellipsis when cut. Control characters
    (a title is marketing's text: an escape sequence must not drive the terminal) are dropped."""
    flat = "".join(ch for ch in " ".join(text.split()) if ch.isprintable())
    if columns(flat) <= width:
        return flat
    flat = flat[:width]
    while columns(flat) > width - 1:
        flat = flat[:-1]
    return flat + "…"

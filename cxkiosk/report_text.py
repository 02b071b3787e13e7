"""The report as a person reads it in a terminal: the period, the totals, what targeting is worth
in one sentence, then a table per item sorted by plays, within 100 columns."""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cxkiosk.fleet.status import KioskState

WIDTH = 100
# (heading, key of an item row, width): the numbers after the title column.
COLUMNS = (("Plays", "plays", 7), ("Watchers", "watchers", 10), ("Attention", "attention", 11),
           ("Taps", "taps", 7), ("Taps/100 watchers", "taps_per_100_watchers", 19))
TITLE = WIDTH - sum(width for _h, _k, width in COLUMNS)
NO_VERDICT = "No targeted or holdout plays yet."
# The per-kiosk table under the items: (heading, key of a kiosk row, width) after kiosk and name.
KIOSK_COLUMNS = (("Plays", "plays", 9), ("On screen", "seconds", 11), ("Taps", "taps", 8),
                 ("Visits", "visits", 9))
KIOSK_ID, KIOSK_NAME = 26, WIDTH - 26 - sum(width for _h, _k, width in KIOSK_COLUMNS)
NO_KIOSK_ID = "(no kiosk id)"  # rows written before kiosks had ids (schema v4 and older)
NO_FLEET = "no kiosk of a fleet has reported to this database"


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
        *([f"Kiosk      {kiosk_label(report['kiosk'], report.get('kiosk_name', ''))}"]
          if report.get("kiosk") is not None else []),
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
    if report.get("kiosks"):
        lines += ["", "Kiosk".ljust(KIOSK_ID) + "Name".ljust(KIOSK_NAME)
                  + "".join(h.rjust(width) for h, _k, width in KIOSK_COLUMNS)]
        for row in report["kiosks"]:
            cells = {"plays": number(row["plays"]), "seconds": duration(row["seconds"]),
                     "taps": number(row["taps"]), "visits": number(row["visits"])}
            lines.append(cell(row["kiosk"] or NO_KIOSK_ID, KIOSK_ID) + cell(row["name"], KIOSK_NAME)
                         + "".join(cells[key].rjust(width) for _h, key, width in KIOSK_COLUMNS))
    return "\n".join(lines) + "\n"


def kiosk_label(kiosk: str, name: str = "") -> str:
    return f"{kiosk or NO_KIOSK_ID} ({name})" if name else (kiosk or NO_KIOSK_ID)


def cell(text: str, width: int) -> str:
    """`text` cut to fit `width` columns with one to spare, then padded to it."""
    flat = truncate(text, width - 1)
    return flat + " " * (width - columns(flat))


# The fleet list (`report --fleet`): (heading, width); what is wrong runs on, wrapped, after them.
FLEET_COLUMNS = (("Kiosk", 15), ("Name", 16), ("State", 9), ("Last seen", 12), ("Version", 9),
                 ("Playable", 9), ("Queued", 7))
PROBLEMS_AT = sum(width for _h, width in FLEET_COLUMNS) + 1


def render_fleet(states: Sequence[KioskState], now: datetime | None = None) -> str:
    """The fleet list as a table within 100 columns, in the order given (down and degraded
    first, see cxkiosk.fleet.heartbeat.fleet_states)."""
    if not states:
        return NO_FLEET + "\n"
    today = (now or datetime.now()).date()
    head = "".join(h.rjust(w) if h in ("Playable", "Queued") else h.ljust(w) for h, w in FLEET_COLUMNS)
    lines = [head + " Problems"]
    for s in states:
        seen = f"{s.seen:%H:%M}" if s.seen.date() == today else f"{s.seen:%m-%d %H:%M}"
        row = (cell(s.kiosk, 15) + cell(s.name, 16) + cell(s.state, 9) + cell(seen, 12) + cell(s.version, 9)
               + " " + number(s.playable).rjust(8) + number(s.queued).rjust(7))
        problems = truncate("; ".join(s.problems), 10 * WIDTH) or "–"
        wrapped = textwrap.wrap(problems, WIDTH - PROBLEMS_AT) or ["–"]
        lines.append(f"{row} {wrapped[0]}")
        lines += [" " * PROBLEMS_AT + more for more in wrapped[1:]]
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

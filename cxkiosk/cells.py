"""Spreadsheet cells that cannot run: the one place CSV text is made safe to open in Excel or
LibreOffice (OWASP's CSV-injection guidance) and read back exactly.

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to a
spreadsheet (`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`, `@SUM(...)`); `protect` puts a single
quote in front, which spreadsheets show as text. A cell already starting with a quote gets one
more, so `unprotect` can remove exactly one quote from any cell starting with a quote followed
by a trigger or a quote: the importer undoes exactly what the exporter did.
"""

from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def protect(text: str) -> str:
    """`text` as a CSV cell a spreadsheet shows and never evaluates."""
    return QUOTE + text if text.startswith((*TRIGGERS, QUOTE)) else text


def unprotect(cell: str) -> str:
    """The text `protect` was given (a cell it did not change is returned as it is)."""
    if cell.startswith(QUOTE) and cell[1:].startswith((*TRIGGERS, QUOTE)):
        return cell[1:]
    return cell

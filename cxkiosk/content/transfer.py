"""Content import and export: the seed's SQLite table, CSV and JSON.

Every row is validated on its own: a bad row is reported with its line and reason and the good
rows still import. Links go through `cxkiosk.links.LinkPolicy.stored`; an item is identified by its
normalized url + path, so importing the same file twice updates instead of duplicating.
Export then import into an empty database then export again gives identical files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cxkiosk.attributes import AGE_MAX, normalize_gender
from cxkiosk.cells import protect, unprotect
from cxkiosk.content.database import Content, database, now
from cxkiosk.content.media import MediaError, check_media_path, media_kind
from cxkiosk.content.targeting import normalize_keywords, parse_description
from cxkiosk.links import HTTPS_ONLY, LinkError, LinkPolicy, youtube_id
from cxkiosk.values import KINDS

SEED_TABLE = "youtube_urls"
FORMATS = (".csv", ".json", ".db", ".sqlite", ".sqlite3")
# The exported columns, in order; id/created/updated are the database's business, not the content's.
FIELDS = ("title", "description", "url", "kind", "path", "duration", "tagline", "genders", "age_min",
          "age_max", "keywords", "group_min", "group_max", "weight", "enabled", "idle", "date_from",
          "date_to", "days", "hour_from", "hour_to", "captions")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_GROUPS = {"weekend": (5, 6), "weekends": (5, 6), "weekdays": (0, 1, 2, 3, 4),
               "workdays": (0, 1, 2, 3, 4)}
SEED_ROWS_MAX = 200_000  # a showroom has hundreds of items; a file with more is not a playlist
_BATCH = 400  # rows per INSERT; 21 columns stays far below SQLite's variable limit


class RowError(ValueError):
    """Raised for one bad row; the importer turns it into an error line."""


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    skipped: int = 0  # unchanged rows already in the database
    errors: list[str] = field(default_factory=list)  # "line 7: url: only http(s) links are allowed..."
    files: list[tuple[str, str]] = field(default_factory=list)  # (where, path) of each local file taken

    def summary(self) -> str:
        text = f"added {self.added}, updated {self.updated}, unchanged {self.skipped}"
        return text + (f", {len(self.errors)} rejected" if self.errors else "")


class ContentFileError(Exception):
    """The file as a whole cannot be read or written (missing, wrong format, not the seed table)."""


# --- validation ----------------------------------------------------------------------------------


def _text(value: Any, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise RowError(f"{name}: expected text")
    text = str(value).strip()
    if len(text) > limit:
        raise RowError(f"{name}: longer than {limit} characters")
    # Terminal escapes, bidirectional overrides, NULs: text reaches a console, a screen and a
    # spreadsheet; only a description may hold line breaks and tabs.
    allowed = "\n\r\t" if name == "description" else ""
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf") and c not in allowed), None)
    if bad is not None:
        raise RowError(f"{name}: a control or invisible character (U+{ord(bad):04X})")
    return text


def _int(value: Any, name: str, lo: int, hi: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if number != int(number):
            raise ValueError
        number = int(number)
    except (TypeError, ValueError, OverflowError):
        raise RowError(f"{name}: {str(value)[:20]!r} is not a whole number") from None
    if not lo <= number <= hi:
        raise RowError(f"{name}: {number} is not between {lo} and {hi}")
    return number


def _float(value: Any, name: str, default: float, lo: float, hi: float) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise RowError(f"{name}: {str(value)[:20]!r} is not a number") from None
    if not lo <= number <= hi:  # NaN fails this too
        raise RowError(f"{name}: {number:g} is not between {lo:g} and {hi:g}")
    return number


def _bool(value: Any, name: str, default: bool) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "on"):
        return True
    if text in ("0", "false", "no", "n", "off"):
        return False
    raise RowError(f"{name}: {value!r} is not true/false")


def _date(value: Any, name: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise RowError(f"{name}: {value!r} is not a date like 2025-12-31") from None


def _genders(value: Any) -> str:
    if value is None:
        return ""
    parts = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
    found = set()
    for part in parts:
        if not str(part).strip() or str(part).strip().lower() in ("any", "all", "*"):
            continue
        gender = normalize_gender(str(part))
        if gender is None:
            raise RowError(f"genders: {part!r} is not male or female")
        found.add(gender)
    return ",".join(sorted(found)) if len(found) < 2 else "female,male"


def parse_days(value: Any) -> str:
    """'mon,tue' / 'Mon-Fri' / 'weekend' / '01234' / ['sat', 'sun'] -> weekday digits, Monday=0.

    '' means every day.
    """
    if value is None:
        return ""
    parts = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
    digits: set[int] = set()
    for raw in parts:
        part = str(raw).strip().lower()
        if not part or part in ("any", "all", "every day", "daily"):
            continue
        if part in _DAY_GROUPS:
            digits.update(_DAY_GROUPS[part])
            continue
        if part.isdigit():
            if any(ch not in "0123456" for ch in part):
                raise RowError(f"days: {raw!r} has a digit outside 0-6 (Monday=0)")
            digits.update(int(ch) for ch in part)
            continue
        if "-" in part:
            a, _, b = part.partition("-")
            lo, hi = _day(a, raw), _day(b, raw)
            span = range(lo, hi + 1) if lo <= hi else [*range(lo, 7), *range(0, hi + 1)]
            digits.update(span)
        else:
            digits.add(_day(part, raw))
    return "".join(str(d) for d in sorted(digits)) if len(digits) < 7 else ""


def _day(word: str, raw: Any) -> int:
    key = word.strip()[:3]
    if key not in DAY_NAMES:
        raise RowError(f"days: {raw!r} is not a weekday (mon..sun)")
    return DAY_NAMES.index(key)


def format_days(digits: str) -> str:
    return ",".join(DAY_NAMES[int(d)] for d in digits)


def clean_row(raw: dict[str, Any], policy: LinkPolicy = HTTPS_ONLY) -> dict[str, Any]:
    """Validate one item given as a dict of FIELDS (strings from CSV or JSON values); its link
    by `policy` (the settings' link policy)."""
    unknown = set(raw) - set(FIELDS) - {"id", "created", "updated"}
    if unknown:
        raise RowError(f"unknown column(s): {', '.join(sorted(unknown))}")
    row: dict[str, Any] = {}
    row["description"] = _text(raw.get("description"), "description", 2000)
    row["path"] = _text(raw.get("path"), "path", 1000)
    url = _text(raw.get("url"), "url", 2100)
    try:
        row["url"] = policy.stored(url) if url else ""  # a showroom path ("/offers") stays one
    except LinkError as exc:
        raise RowError(f"url: {exc}") from None
    kind = _text(raw.get("kind"), "kind", 10).lower()
    if not kind:
        kind = ("youtube" if youtube_id(row["url"] or "") else "web" if row["url"]
                else "video" if media_kind(row["path"]) == "video" else "slide")
    if kind not in KINDS:
        raise RowError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if kind == "youtube" and not youtube_id(row["url"]):
        raise RowError("url: a youtube item needs a YouTube link")
    if kind in ("video", "slide"):
        try:
            row["path"] = check_media_path(row["path"], kind)
        except MediaError as exc:
            raise RowError(f"path: {exc}") from None
    elif row["path"]:
        raise RowError(f"path: a {kind} item plays its link, not a file")
    if kind == "web" and not row["url"]:
        raise RowError("url: a web item needs a link")
    row["kind"] = kind
    title = _text(raw.get("title"), "title", 200)
    row["title"] = title or _title_from(row["description"], row["url"] or row["path"])
    row["duration"] = _float(raw.get("duration"), "duration", 10.0, 1.0, 24 * 3600.0)
    row["tagline"] = _text(raw.get("tagline"), "tagline", 200)
    row["genders"] = _genders(raw.get("genders"))
    row["age_min"] = _int(raw.get("age_min"), "age_min", 0, AGE_MAX)
    row["age_max"] = _int(raw.get("age_max"), "age_max", 0, AGE_MAX)
    if row["age_min"] is not None and row["age_max"] is not None and row["age_min"] > row["age_max"]:
        raise RowError(f"age_min {row['age_min']} is above age_max {row['age_max']}")
    kw = raw.get("keywords")
    if isinstance(kw, (list, tuple)):
        if len(kw) > 50 or not all(isinstance(k, str) for k in kw):
            raise RowError("keywords: a list of at most 50 words")
        kw = ",".join(kw)
    row["keywords"] = normalize_keywords(_text(kw, "keywords", 500))
    row["group_min"] = _int(raw.get("group_min"), "group_min", 1, 50)
    row["group_max"] = _int(raw.get("group_max"), "group_max", 1, 50)
    if row["group_min"] and row["group_max"] and row["group_min"] > row["group_max"]:
        raise RowError(f"group_min {row['group_min']} is above group_max {row['group_max']}")
    row["weight"] = _float(raw.get("weight"), "weight", 1.0, 0.0, 1000.0)
    row["enabled"] = _bool(raw.get("enabled"), "enabled", True)
    row["idle"] = _bool(raw.get("idle"), "idle", True)
    row["captions"] = _bool(raw.get("captions"), "captions", True)
    row["date_from"] = _date(raw.get("date_from"), "date_from")
    row["date_to"] = _date(raw.get("date_to"), "date_to")
    if row["date_from"] and row["date_to"] and row["date_from"] > row["date_to"]:
        raise RowError(f"date_from {row['date_from']} is after date_to {row['date_to']}")
    row["days"] = parse_days(raw.get("days"))
    row["hour_from"] = _int(raw.get("hour_from"), "hour_from", 0, 23)
    row["hour_to"] = _int(raw.get("hour_to"), "hour_to", 0, 24)
    return row


def _title_from(description: str, fallback: str) -> str:
    text = " ".join(description.split())
    if not text:
        vid = youtube_id(fallback)
        return f"YouTube {vid}" if vid else (fallback[:200] or "untitled")
    return text if len(text) <= 80 else text[:79].rstrip() + "…"


def seed_row(description: Any, url: Any) -> dict[str, Any]:
    """A seed `youtube_urls` row as raw item fields, its targeting read from the description."""
    desc = description if isinstance(description, str) else ""
    target = parse_description(desc)
    return {"description": desc, "url": url, "kind": "youtube", "genders": target.genders,
            "age_min": target.age_min, "age_max": target.age_max, "keywords": target.keywords,
            "group_min": target.group_min, "group_max": target.group_max}


# --- reading files -------------------------------------------------------------------------------


def _read_csv(path: Path) -> Iterator[tuple[str, dict[str, Any] | Exception]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            return
        header = [h.strip().lower() for h in reader.fieldnames]
        reader.fieldnames = header
        if "url" not in header and "path" not in header:
            raise ContentFileError(f"{path}: the CSV header needs a url or path column")
        for raw in reader:
            where = f"line {reader.line_num}"
            if None in raw:
                yield where, RowError("more cells than header columns")
                continue
            if not any((v or "").strip() for v in raw.values()):
                continue
            yield where, {k: (unprotect(v) if v else None) for k, v in raw.items()}  # short row: None


def _read_json(path: Path) -> Iterator[tuple[str, dict[str, Any] | Exception]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except RecursionError:
        raise ContentFileError(f"{path}: JSON nested too deeply") from None
    except ValueError as exc:
        raise ContentFileError(f"{path}: not valid JSON ({exc})") from None
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ContentFileError(f"{path}: expected a list of items or {{\"items\": [...]}}")
    for number, raw in enumerate(items, 1):
        where = f"item {number}"
        yield where, raw if isinstance(raw, dict) else RowError("not a JSON object")


def _read_seed(path: Path) -> Iterator[tuple[str, dict[str, Any] | Exception]]:
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ContentFileError(f"{path}: cannot open ({exc})") from None
    try:
        kind = con.execute("SELECT type FROM sqlite_master WHERE name = ?", (SEED_TABLE,)).fetchone()
        if not kind or kind[0] != "table":  # a view could be an endless query
            raise ContentFileError(f"{path}: not a seed database with a {SEED_TABLE} table")
        try:
            cursor = con.execute(f"SELECT rowid, description, url FROM {SEED_TABLE} ORDER BY rowid")
            rows = cursor.fetchmany(SEED_ROWS_MAX + 1)
        except sqlite3.Error as exc:
            raise ContentFileError(f"{path}: not a seed database with a {SEED_TABLE} table ({exc})") from None
        if len(rows) > SEED_ROWS_MAX:
            raise ContentFileError(f"{path}: more than {SEED_ROWS_MAX:,} rows; split the file")
    except sqlite3.Error as exc:
        raise ContentFileError(f"{path}: unreadable ({exc})") from None
    finally:
        con.close()
    for rowid, description, url in rows:
        yield f"row {rowid}", seed_row(description, url)


def _rows(path: Path) -> Iterator[tuple[str, dict[str, Any] | Exception]]:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ContentFileError(f"{path}: unknown format {suffix or '(none)'}; use {', '.join(FORMATS)}")
    if not path.is_file():
        raise ContentFileError(f"{path}: no such file")
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".json":
        return _read_json(path)
    if suffix in (".db", ".sqlite", ".sqlite3"):
        return _read_seed(path)
    raise ContentFileError(f"{path}: unknown format {suffix or '(none)'}; use {', '.join(FORMATS)}")


# --- import --------------------------------------------------------------------------------------


def import_file(path: str | os.PathLike[str], policy: LinkPolicy = HTTPS_ONLY) -> ImportResult:
    """Import a seed .db, .csv or .json into the open database; bad rows are listed, good rows kept."""
    path = Path(path)
    result = ImportResult()
    try:
        return import_rows(_rows(path), result, policy)
    except UnicodeDecodeError as exc:
        raise ContentFileError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise ContentFileError(f"{path}: unreadable CSV ({exc})") from None


def import_rows(rows: Iterable[tuple[str, dict[str, Any] | Exception]],
                result: ImportResult | None = None, policy: LinkPolicy = HTTPS_ONLY) -> ImportResult:
    result = result or ImportResult()
    columns = [getattr(Content, name) for name in ("id", *FIELDS)]
    existing: dict[tuple[str, str], tuple[Any, ...]] = {
        (r[3], r[5]): r for r in Content.select(*columns).tuples()}
    pending: dict[tuple[str, str], dict[str, Any]] = {}
    with database.atomic():
        for where, raw in rows:
            try:
                if isinstance(raw, Exception):
                    raise raw
                row = clean_row(raw, policy)
            except RowError as exc:
                result.errors.append(f"{where}: {exc}")
                continue
            if row["path"]:
                result.files.append((where, row["path"]))
            key = (row["url"], row["path"])
            if key in pending:  # the same item twice in one file: the later row wins
                pending[key] = row
                continue
            old = existing.get(key)
            if old is None:
                pending[key] = row
                result.added += 1
            elif tuple(old[1:]) == tuple(row[name] for name in FIELDS):
                result.skipped += 1
            else:
                Content.update(**row, updated=now()).where(Content.id == old[0]).execute()
                existing[key] = (old[0], *(row[name] for name in FIELDS))
                result.updated += 1
        stamp = now()
        batch = [{**row, "created": stamp, "updated": stamp} for row in pending.values()]
        for start in range(0, len(batch), _BATCH):
            Content.insert_many(batch[start:start + _BATCH]).execute()
    return result


# --- export --------------------------------------------------------------------------------------


def _export_value(name: str, value: Any) -> Any:
    if name == "days":
        return format_days(value or "")
    if isinstance(value, date):
        return value.isoformat()
    return value


def export_rows() -> list[dict[str, Any]]:
    rows = Content.select(*[getattr(Content, n) for n in FIELDS]).order_by(Content.id).dicts()
    return [{name: _export_value(name, row[name]) for name in FIELDS} for row in rows]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return protect(value)
    return str(value)


def export_file(path: str | os.PathLike[str]) -> int:
    """Write every item to .csv, .json or a seed-format .db (description, url); returns the count.

    The file is written beside its final name and renamed, so a failed export never leaves half a file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ContentFileError(f"{path}: unknown format {suffix or '(none)'}; use {', '.join(FORMATS)}")
    if not path.parent.is_dir():
        raise ContentFileError(f"{path}: the folder {path.parent} does not exist")
    if path.exists() and not path.is_file():
        raise ContentFileError(f"{path}: not a regular file")
    current = database.obj  # the open database, if any
    if current is not None and _same_file(path, getattr(current, "database", "")):
        raise ContentFileError(f"{path} is the database in use; export to another file")
    if suffix == ".db" and path.is_file() and _is_kiosk_database(path):
        raise ContentFileError(f"{path} is a cxkiosk database; export to a new file rather than over it")
    rows = export_rows()
    # A named temp file rather than mkstemp, whose 0600 mode would stick to the export.
    tmp = str(path.with_name(f".{path.stem}.{os.getpid()}.tmp{suffix}"))
    Path(tmp).unlink(missing_ok=True)
    try:
        if suffix == ".csv":
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; a lone \r in a cell gets quoted
            writer.writerow(FIELDS)
            for row in rows:
                writer.writerow([_csv_cell(row[n]) for n in FIELDS])
            Path(tmp).write_text(buf.getvalue(), encoding="utf-8", newline="")
        elif suffix == ".json":
            text = json.dumps({"format": "cxkiosk-content", "version": 1, "items": rows},
                              indent=2, ensure_ascii=False)
            Path(tmp).write_text(text + "\n", encoding="utf-8")
        else:
            con = sqlite3.connect(tmp)
            try:
                with con:
                    con.execute(f"CREATE TABLE {SEED_TABLE} (description TEXT, url TEXT)")
                    # The seed format holds YouTube links only; the other items are not in it.
                    rows = [r for r in rows if r["kind"] == "youtube"]
                    con.executemany(f"INSERT INTO {SEED_TABLE} (description, url) VALUES (?, ?)",
                                    [(r["description"], r["url"]) for r in rows])
            finally:
                con.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(rows)


def _same_file(path: Path, other: str) -> bool:
    try:
        where = Path(str(other).split("?")[0].removeprefix("file:"))
        return bool(other) and where.resolve() == path.resolve()
    except (OSError, ValueError):
        return False


def _is_kiosk_database(path: Path) -> bool:
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            found = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone()
            return found is not None
        finally:
            con.close()
    except sqlite3.Error:
        return False

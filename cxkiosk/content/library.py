"""The content API: what the admin panel, the command line and later the fleet do to content.

One place validates a change (`transfer.clean_row`, the same rules as import), stamps it and
writes it; callers get a `ContentError` whose message an operator can act on, never an ORM
exception. No widget builds a query.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import peewee

from cxkiosk.content import database, prompt_store, transfer
from cxkiosk.content.database import Content
from cxkiosk.content.transfer import ImportResult, RowError, clean_row, export_rows
from cxkiosk.links import HTTPS_ONLY, LinkError, LinkPolicy

__all__ = ["ContentError", "delete", "export_file", "get", "import_file", "is_readonly", "items",
           "listing", "open_content", "save", "set_enabled"]


class ContentError(Exception):
    """A change the content database did not take; the message says why."""


def open_content(db_spec: str, default_db: Path) -> tuple[peewee.Database, str | None]:
    """Open the configured database (see `database.open_configured`) with the shipped prompts in
    it; the second value is the warning for the panel when only the shipped copy could open."""
    db, warning = database.open_configured(db_spec, default_db)
    try:
        prompt_store.seed_default_prompts()
    except peewee.PeeweeException as exc:
        raise database.DatabaseError(f"cannot write the default prompts to {database._redact(db_spec)}: "
                                     f"{exc}") from exc
    return db, warning


def items() -> list[Content]:
    """Every item, oldest first."""
    return list(Content.select().order_by(Content.id))


def get(item_id: int) -> Content | None:
    return Content.get_or_none(Content.id == item_id)


def is_readonly() -> bool:
    return database.is_readonly()


def save(values: dict[str, Any], item_id: int | None = None, policy: LinkPolicy = HTTPS_ONLY) -> int:
    """Add (item_id None) or update one item from form or file values; returns its id. The link
    is checked by `policy` (the settings' `LinkPolicy.allowing(http_hosts)`)."""
    try:
        row = clean_row(values, policy)
    except RowError as exc:
        raise ContentError(str(exc)) from exc
    try:
        with database.editing(), database.database.atomic():
            if item_id is None:
                return int(Content.create(**row).id)
            Content.update(**row, updated=database.now()).where(Content.id == item_id).execute()
            return item_id
    except peewee.IntegrityError as exc:
        raise ContentError("another item already has this link and file") from exc
    except LinkError as exc:
        raise ContentError(f"url: {exc}") from exc
    except database.DatabaseError as exc:  # a fleet's server that cannot be reached
        raise ContentError(str(exc)) from exc
    except peewee.PeeweeException as exc:
        raise ContentError(f"the database refused the change: {database.describe_fault(exc)}") from exc


def delete(item_id: int) -> str | None:
    """Delete one item (its play figures stay, as a deleted item); its title, or None if gone."""
    row = get(item_id)
    if row is None:
        return None
    try:
        with database.editing():
            Content.delete().where(Content.id == item_id).execute()
    except database.DatabaseError as exc:
        raise ContentError(str(exc)) from exc
    except peewee.PeeweeException as exc:
        raise ContentError(f"the database refused the change: {database.describe_fault(exc)}") from exc
    return str(row.title)


def set_enabled(item_id: int, on: bool) -> None:
    try:
        with database.editing():
            Content.update(enabled=on, updated=database.now()).where(Content.id == item_id).execute()
    except database.DatabaseError as exc:
        raise ContentError(str(exc)) from exc
    except peewee.PeeweeException as exc:
        raise ContentError(f"the database refused: {database.describe_fault(exc)}") from exc


def listing() -> list[dict[str, Any]]:
    """Every item as its export row plus its id (what `content list` prints)."""
    ids = [c.id for c in Content.select(Content.id).order_by(Content.id)]
    return [{"id": i, **row} for i, row in zip(ids, export_rows(), strict=True)]


def import_file(path: str, policy: LinkPolicy = HTTPS_ONLY) -> ImportResult:
    """Import a seed .db, .csv or .json file (bad rows reported, good rows kept). A file that
    cannot be read raises `transfer.ContentFileError` or OSError; a database fault ContentError."""
    try:
        with database.editing():
            return transfer.import_file(path, policy)
    except database.DatabaseError as exc:
        raise ContentError(str(exc)) from exc
    except peewee.PeeweeException as exc:
        raise ContentError(f"the database refused the import: {database.describe_fault(exc)}; nothing was "
                           "imported") from exc


def export_file(path: str) -> int:
    """Export every item to a .db, .csv or .json file; the count written."""
    try:
        return transfer.export_file(path)
    except peewee.PeeweeException as exc:
        raise ContentError(f"the database could not be read ({exc})") from exc

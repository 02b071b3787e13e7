"""A fleet kiosk's local copy: a SQLite file in its data folder with the fleet's content and
prompts as of the last good copy (it plays from it, server or not) and its own log rows, those
not yet on the server waiting in its outbox.

The copy is by row id (the server numbers content and prompts): rows the server no longer has
are deleted (their local plays keep their figures as a deleted item's, as on the server), the
others written as the server has them. The revision copied is kept in the file's own
fleet_revision row; -1 means the file is still the shipped content, never copied from a fleet.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import peewee

from cxkiosk.content import database
from cxkiosk.content.database import Content, FleetRevision, Prompt
from cxkiosk.fleet import server as fleet_server

log = logging.getLogger("cxkiosk.fleet")

MIRROR_NAME = "fleet.db"
NEVER = -1


class CopyError(Exception):
    """The local copy could not be written (a full disk, a read-only folder): the server is
    fine, and the kiosk plays its last copy."""
_copying = threading.Lock()  # the fleet thread and an edit in the panel may both copy


def mirror_path(data_dir: Path) -> Path:
    return Path(data_dir) / MIRROR_NAME


def open_mirror(path: Path, shipped: Path) -> tuple[peewee.Database, str | None]:
    """Open (bind for the whole program) the local copy; the first time, start it from the
    shipped content, marked never copied. The second value is why it is read-only, if it is
    (see `database.prepare_database`)."""
    fresh = not path.exists()
    db, warning = database.prepare_database(path, shipped)
    if fresh and warning is None:
        FleetRevision.update(revision=NEVER).execute()
    return db, warning


def copied_revision() -> int:
    row = FleetRevision.select(FleetRevision.revision).order_by(FleetRevision.id).first()
    return int(row.revision) if row is not None else NEVER


def never_copied() -> bool:
    return copied_revision() == NEVER


def _rows(model: type[database.BaseModel]) -> dict[int, dict[str, Any]]:
    rows: Any = model.select().dicts()
    return {row["id"]: row for row in rows}


def pull(server: peewee.Database, *, force: bool = False) -> bool:
    """Copy the server's content and prompts into the local copy when its revision moved on
    (or `force`); True when something was copied. Errors from the server propagate."""
    with _copying:
        wanted = fleet_server.revision(server)
        if wanted == copied_revision() and not force:
            return False
        with database.database.using(server), server.atomic():  # one consistent read
            wanted = fleet_server.revision(server)
            content, prompts = _rows(Content), _rows(Prompt)
        first = never_copied()
        try:
            _write(content, prompts, wanted, first)
        except (peewee.PeeweeException, sqlite3.Error, OSError) as exc:
            raise CopyError(f"the local copy of the fleet's content cannot be written "
                            f"({database.describe_fault(exc)}); playing the last one") from exc
        log.info("fleet content copied (revision %d): %d items, %d prompts", wanted, len(content),
                 len(prompts))
        return True


def _write(content: dict[int, dict[str, Any]], prompts: dict[int, dict[str, Any]], wanted: int,
           first: bool) -> None:
    """The server's rows into the local copy, in one local transaction."""
    with database.database.atomic():
        for model, rows in ((Content, content), (Prompt, prompts)):
            here = _rows(model)
            # The shipped items' ids mean nothing on the fleet: the first copy replaces them all.
            gone = list(here) if first else [i for i in here if i not in rows]
            if gone:
                model.delete().where(model.id.in_(gone)).execute()
            for row_id, row in rows.items():
                if first or row_id not in here:
                    model.insert(**row).execute()
                elif here[row_id] != row:
                    model.update(**row).where(model.id == row_id).execute()
        FleetRevision.update(revision=wanted).execute()

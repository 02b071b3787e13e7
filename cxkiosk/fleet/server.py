"""The fleet's PostgreSQL server as a fleet kiosk sees it: opened beside the local copy the
kiosk plays from, never bound for the whole program; its schema made or upgraded once (under
the advisory lock, see `schema.create_and_upgrade`)."""

from __future__ import annotations

import peewee

from cxkiosk.content import database, prompt_store, schema
from cxkiosk.content.database import DatabaseError, FleetRevision


def is_server(spec: str) -> bool:
    """A database setting that names a server (a fleet), not a file."""
    return database._sqlite_path(spec) is None


def redacted(url: str) -> str:
    """The URL as messages, logs and the panel may show it: without its password."""
    return database._redact(url)


def connect(url: str) -> peewee.Database:
    """Connect, make or upgrade the schema, store the shipped prompts where none are; the
    connection stays open (on the calling thread). DatabaseError says why it could not."""
    where = redacted(url)
    db = database._open_server(url, where)
    try:
        db.connect(reuse_if_open=True)
        with database.database.using(db):
            schema.create_and_upgrade(db)
            prompt_store.seed_default_prompts()
    except DatabaseError:
        close(db)
        raise
    except (peewee.PeeweeException, OSError) as exc:
        close(db)
        raise database._explain(exc, where) from None
    return db


def revision(db: peewee.Database) -> int:
    """The server's content revision (raised by its trigger at every change of content or prompts)."""
    with database.database.using(db):
        row = FleetRevision.select(FleetRevision.revision).order_by(FleetRevision.id).first()
    return int(row.revision) if row is not None else 0


def close(db: peewee.Database | None) -> None:
    if db is not None:
        try:
            db.close()
        except peewee.PeeweeException:
            pass  # a connection the server already dropped

"""A fleet kiosk's queue of log rows for the server: written with each row, in the same local
transaction (`records._queue`), sent oldest first, forgotten once the server has committed them.

Exactly once without a protocol of our own: a row keeps its UUID everywhere, and the server
takes it with INSERT ... ON CONFLICT (id) DO UPDATE, so a batch sent again (the server stored it,
then went away before this kiosk heard) changes nothing, and a play sent while it was still on
screen is completed by the later copy of the same row.
"""

from __future__ import annotations

from typing import Any

import peewee

from cxkiosk.content import database
from cxkiosk.content.database import LOG_MODELS, Content, LogModel, Outbox

BATCH = 500  # rows per server transaction: a long outage drains in steps, each one short
_MODELS: dict[str, type[LogModel]] = {m._meta.table_name: m for m in LOG_MODELS}
_REFERENCES = ("item", "chosen")  # content ids a row may name; gone on the server -> None


def depth() -> int:
    """Rows waiting here for the server."""
    return Outbox.select().count()


def send(server: peewee.Database, batch: int = BATCH) -> int:
    """Send up to `batch` of the oldest queued rows in one server transaction; the number sent.
    Errors from the server propagate, and the rows stay queued."""
    query: Any = Outbox.select(Outbox.id, Outbox.table, Outbox.row).order_by(Outbox.id).limit(batch).tuples()
    entries: list[tuple[int, str, Any]] = list(query)
    if not entries:
        return 0
    wanted: dict[str, list[Any]] = {}
    for _seq, table, row_id in entries:
        ids = wanted.setdefault(table, [])
        if row_id not in ids:
            ids.append(row_id)
    rows: dict[str, list[dict[str, Any]]] = {}
    for table, ids in wanted.items():
        model = _MODELS.get(table)
        if model is None:
            continue  # written by a later version of the program: it will send them itself
        found: Any = model.select().where(model.id.in_(ids)).dicts()
        by_id = {row["id"]: row for row in found}
        rows[table] = [by_id[i] for i in ids if i in by_id]  # gone here (pruned): nothing to send
    sent = 0
    with database.database.using(server), server.atomic():
        named = {row[field] for table_rows in rows.values() for row in table_rows
                 for field in _REFERENCES if row.get(field) is not None}
        present: Any = Content.select(Content.id).where(Content.id.in_(named)).tuples() if named else []
        known = {row_id for (row_id,) in present}
        for table, table_rows in rows.items():
            if not table_rows:
                continue
            model = _MODELS[table]
            for row in table_rows:
                for field in _REFERENCES:
                    if field in row and row[field] not in known:
                        row[field] = None  # deleted on the server meanwhile: kept as a deleted item's
            columns = [f for f in model._meta.sorted_fields if f.name != "id"]
            model.insert_many(table_rows).on_conflict(conflict_target=[model.id], preserve=columns).execute()
            sent += len(table_rows)
    Outbox.delete().where(Outbox.id <= entries[-1][0]).execute()
    return sent

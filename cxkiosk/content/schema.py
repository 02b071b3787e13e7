"""The schema's versions: creating a new database, upgrading an older one step by step.

`database.open_database` calls `create_and_upgrade` on every file or server it opens for
writing. An upgrade runs in one transaction, so a failed one changes nothing; a fleet's kiosks
starting together take turns under the server's advisory lock, and the first also installs the
trigger that raises the fleet's revision at every change of content or prompts.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import peewee
from peewee import BooleanField, CharField, DateField, DateTimeField, FloatField, IntegerField, TextField
from playhouse.migrate import SchemaMigrator, migrate

from cxkiosk.content.database import (
    LOG_MODELS,
    MODELS,
    Content,
    DatabaseError,
    FleetRevision,
    Prompt,
    SchemaVersion,
    now,
)

log = logging.getLogger("cxkiosk.db")

SCHEMA_VERSION = 5


def stored_version(db: peewee.Database) -> int | None:
    tables = set(db.get_tables())
    if "schema_version" not in tables:
        return 1 if "content" in tables else None  # content without a version table: a v1 file
    row = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return row[0] if row and row[0] is not None else 1


# Any number: what matters is that every kiosk of a fleet asks for the same one.
SCHEMA_LOCK = 0x63786B696F736B  # "cxkiosk"


@contextlib.contextmanager
def _schema_lock(db: peewee.Database) -> Iterator[None]:
    """Kiosks of a fleet starting together: the first takes the server's advisory lock and
    creates or upgrades the tables; the others wait for it, then find the schema done. A SQLite
    file has one writer at a time anyway."""
    if not isinstance(db, peewee.PostgresqlDatabase):
        yield
        return
    with db.atomic():
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        yield


def create_and_upgrade(db: peewee.Database) -> None:
    """Bring `db` to SCHEMA_VERSION: create a new one, upgrade an older one step by step in one
    transaction, refuse another program's or a newer one (`DatabaseError`)."""
    with _schema_lock(db):
        version = stored_version(db)
        if version == SCHEMA_VERSION:
            return  # nothing to write: a fleet kiosk's role may not create or alter tables
        try:
            _create_or_upgrade(db, version)
        except peewee.ProgrammingError as exc:
            if "permission denied" not in str(exc).lower():
                raise
            raise DatabaseError(f"the database has schema v{version} and this role may not upgrade it to "
                                f"v{SCHEMA_VERSION}; run `cxkiosk fleet init --db OWNER_URL` as its owner"
                                ) from None


def _create_or_upgrade(db: peewee.Database, version: int | None) -> None:
    if version is None:
        foreign = sorted(t for t in db.get_tables() if not t.startswith("sqlite_"))
        if foreign:
            raise DatabaseError(f"{db.database} is not a cxkiosk database (it holds "
                                f"{', '.join(foreign[:5])}); to take its content, use `content import` on it",
                                unreadable=True)
    if version is not None and version > SCHEMA_VERSION:
        raise DatabaseError(f"database {db.database} was written by a newer cxkiosk (schema v{version}, this "
                            f"program knows v{SCHEMA_VERSION}); update the program", unreadable=True)
    if version is None:
        with db.atomic():
            db.create_tables(MODELS)
            SchemaVersion.create(version=SCHEMA_VERSION)
            _server_side(db)
        return
    sqlite = isinstance(db, peewee.SqliteDatabase)
    if sqlite:
        # SQLite rebuilds a table to add a NOT NULL column; with foreign keys on, dropping the old
        # copy would fire ON DELETE SET NULL and wipe every play log's item. Off, then checked.
        db.execute_sql("PRAGMA foreign_keys = 0")
    try:
        with db.atomic():
            while version < SCHEMA_VERSION:
                log.info("upgrading database schema v%d -> v%d", version, version + 1)
                _UPGRADES[version](db)
                version += 1
                SchemaVersion.delete().execute()
                SchemaVersion.create(version=version)
            db.create_tables(MODELS)  # tables and indexes added since (IF NOT EXISTS)
            _server_side(db)
            if sqlite:
                broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise DatabaseError(f"upgrade left {len(broken)} broken references; nothing was changed")
    finally:
        if sqlite:
            db.execute_sql("PRAGMA foreign_keys = 1")


# A change of content or prompts, by a kiosk, `content import` or an integrator's own SQL, raises
# the fleet's revision (kiosks poll it) and tells listeners (LISTEN cxkiosk_content).
_REVISION_TRIGGER = """
CREATE OR REPLACE FUNCTION cxkiosk_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE fleet_revision SET revision = revision + 1, changed = LOCALTIMESTAMP;
  PERFORM pg_notify('cxkiosk_content', '');
  RETURN NULL;
END $$;
"""


def _server_side(db: peewee.Database) -> None:
    """The fleet's revision row everywhere; on PostgreSQL also the triggers that raise it."""
    if not FleetRevision.select().exists():
        FleetRevision.create(revision=0)
    if not isinstance(db, peewee.PostgresqlDatabase):
        return
    db.execute_sql(_REVISION_TRIGGER)
    for table in (Content._meta.table_name, Prompt._meta.table_name):
        db.execute_sql(f"DROP TRIGGER IF EXISTS cxkiosk_revision ON {table}")
        db.execute_sql(f"CREATE TRIGGER cxkiosk_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION cxkiosk_bump_revision()")


def _upgrade_1_to_2(db: peewee.Database) -> None:
    """v1 had no schedule, group, tagline or idle flag, one prompt row per name and a bare play log."""
    migrator = SchemaMigrator.from_database(db)
    tables = set(db.get_tables())
    if "schema_version" not in tables:
        db.create_tables([SchemaVersion])
    content_cols = {c.name for c in db.get_columns("content")}
    ops = []
    for name, field in (
        ("tagline", TextField(default="")), ("group_min", IntegerField(null=True)),
        ("group_max", IntegerField(null=True)), ("date_from", DateField(null=True)),
        ("date_to", DateField(null=True)), ("days", CharField(max_length=7, default="")),
        ("hour_from", IntegerField(null=True)), ("hour_to", IntegerField(null=True)),
        ("idle", BooleanField(default=True)),
    ):
        if name not in content_cols:
            ops.append(migrator.add_column("content", name, field))
    if "prompt" in tables:
        prompt_cols = {c.name for c in db.get_columns("prompt")}
        if "version" not in prompt_cols:
            ops.append(migrator.add_column("prompt", "version", IntegerField(default=1)))
        if "created" not in prompt_cols:
            ops.append(migrator.add_column("prompt", "created", DateTimeField(default=now)))
    if "play_log" in tables:
        play_cols = {c.name for c in db.get_columns("play_log")}
        for name, field in (("chosen_id", IntegerField(null=True)),
                            ("trigger", CharField(max_length=10, default="idle")),
                            ("audience", TextField(default=""))):
            if name not in play_cols:
                ops.append(migrator.add_column("play_log", name, field))
    migrate(*ops)


def _upgrade_2_to_3(db: peewee.Database) -> None:
    """v3 records the audience of each play, the segment a play was for and a per-play code."""
    migrator = SchemaMigrator.from_database(db)
    tables = set(db.get_tables())  # a v1 file upgraded in the same run may lack the log tables
    ops = []
    if "play_log" in tables:
        play_cols = {c.name for c in db.get_columns("play_log")}
        ops += [migrator.add_column("play_log", name, field) for name, field in (
            ("ots", IntegerField(null=True)), ("watchers", IntegerField(null=True)),
            ("attention", FloatField(null=True)), ("segment", CharField(max_length=40, default="")),
            ("code", CharField(max_length=12, default="")), ("caption", TextField(default="")))
            if name not in play_cols]
    if "content" in tables and "captions" not in {c.name for c in db.get_columns("content")}:
        ops.append(migrator.add_column("content", "captions", BooleanField(default=True)))
    if "tap_log" in tables and "code" not in {c.name for c in db.get_columns("tap_log")}:
        ops.append(migrator.add_column("tap_log", "code", CharField(max_length=12, default="")))
    if ops:
        migrate(*ops)


def _upgrade_3_to_4(db: peewee.Database) -> None:
    """v4 marks the rows a `--demo` run wrote, so reports can leave the demo clip's visitor out."""
    migrator = SchemaMigrator.from_database(db)
    tables = set(db.get_tables())
    ops = [migrator.add_column(table, "demo", BooleanField(default=False))
           for table in ("play_log", "audience_log", "tap_log")
           if table in tables and "demo" not in {c.name for c in db.get_columns(table)}]
    if ops:
        migrate(*ops)


def _upgrade_4_to_5(db: peewee.Database) -> None:
    """v5 is for fleets: log rows get UUID ids (two kiosks never collide) and say which kiosk
    wrote them; earlier rows get a random id and no kiosk."""
    tables = set(db.get_tables())
    for model in LOG_MODELS:
        table = model._meta.table_name
        if table not in tables:
            continue  # created by create_tables
        if isinstance(db, peewee.PostgresqlDatabase):
            db.execute_sql(f"ALTER TABLE {table} ALTER COLUMN id DROP DEFAULT")
            db.execute_sql(f"ALTER TABLE {table} ALTER COLUMN id TYPE uuid USING gen_random_uuid()")
            db.execute_sql(f"DROP SEQUENCE IF EXISTS {table}_id_seq")
            db.execute_sql(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS kiosk VARCHAR(40) NOT NULL "
                           "DEFAULT ''")
            db.execute_sql(f"CREATE INDEX IF NOT EXISTS {table}_kiosk ON {table} (kiosk)")
            continue
        # SQLite cannot change a primary key: the table is made again and its rows copied, in order.
        old_columns = [c.name for c in db.get_columns(table)]
        for (index,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                       "AND sql IS NOT NULL", (table,)).fetchall():
            db.execute_sql(f'DROP INDEX IF EXISTS "{index}"')  # names are the file's: the new ones reuse them
        db.execute_sql(f'ALTER TABLE "{table}" RENAME TO "{table}_v4"')
        db.create_tables([model])
        kept = ", ".join(f'"{c}"' for c in old_columns
                         if c not in ("id", "kiosk") and c in model._meta.columns)
        db.execute_sql(f'INSERT INTO "{table}" (id, kiosk, {kept}) SELECT lower(hex(randomblob(16))), \'\', '
                       f'{kept} FROM "{table}_v4" ORDER BY id')
        db.execute_sql(f'DROP TABLE "{table}_v4"')


_UPGRADES = {1: _upgrade_1_to_2, 2: _upgrade_2_to_3, 3: _upgrade_3_to_4, 4: _upgrade_4_to_5}

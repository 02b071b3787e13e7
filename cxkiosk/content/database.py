"""The content database: its peewee models, opening it with safe pragmas, the idle playlist.

One database is bound at a time through `database` (a peewee DatabaseProxy): the kiosk opens its
file (or a PostgreSQL URL for a fleet) once with `open_database` / `prepare_database`, and every
model, the selector, the importer and the report use it. A locked or corrupt file raises
`DatabaseError` with a message an operator can act on; `prepare_database` then falls back to the
shipped content read-only so the billboard keeps playing. Creating and upgrading the schema is
`schema`; what the kiosk records in it (plays, visits, taps) is `records`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import peewee
from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    UUIDField,
    fn,
)

from cxkiosk.links import STORABLE, normalize_url
from cxkiosk.values import Item

log = logging.getLogger("cxkiosk.db")

# "playing": on screen now, its end the last stamp (see records.log_play); "cut-short": found still
# playing at a later start, the kiosk had lost power or been killed (see records.close_cut_plays).
OUTCOMES = ("completed", "skipped", "failed", "playing", "cut-short")
CUT_SHORT_REASON = "cut short (power cut or crash): on screen until its last stamp"
TRIGGERS = ("idle", "targeted", "holdout")  # holdout: the idle item played for a visit on purpose
TAP_KINDS = ("nfc-write", "nfc-read", "qr")
PROMPT_SOURCES = ("camera", "thermal", "caption")
GENDER_SETS = ("", "male", "female", "female,male")  # stored sorted; "" targets everyone



class _RoutedProxy(DatabaseProxy):
    """The database every model uses: one bound for the whole program (`initialize`), and for a
    thread that asks, another for a while (`using`). A fleet kiosk plays from its local copy
    while its fleet thread, and an edit made in the admin panel, talk to the server through the
    same models, the same content API and the same queries."""

    __slots__ = ("_bound", "_local")

    def __init__(self) -> None:
        object.__setattr__(self, "_local", threading.local())
        object.__setattr__(self, "_bound", None)
        super().__init__()

    @property
    def obj(self) -> peewee.Database | None:
        return getattr(self._local, "db", None) or self._bound

    @obj.setter
    def obj(self, value: peewee.Database | None) -> None:
        object.__setattr__(self, "_bound", value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in ("obj", "_callbacks", "_Model"):
            raise AttributeError(f"cannot set {name} on the database proxy")
        object.__setattr__(self, name, value)

    @contextlib.contextmanager
    def using(self, db: peewee.Database) -> Iterator[peewee.Database]:
        """Within the block, this thread's queries go to `db`; other threads keep theirs."""
        before = getattr(self._local, "db", None)
        self._local.db = db
        try:
            yield db
        finally:
            self._local.db = before


database = _RoutedProxy()

_edits: list[Callable[[], contextlib.AbstractContextManager[Any]]] = []


def route_edits(route: Callable[[], contextlib.AbstractContextManager[Any]] | None) -> None:
    """Where content and prompt edits go from now on: the bound database (None), or for a fleet
    kiosk its server (`cxkiosk.fleet.sync`), whose copy then comes back to the local file."""
    _edits[:] = [route] if route is not None else []


def editing() -> contextlib.AbstractContextManager[Any]:
    """Wraps every write of the content API (`library`, `prompt_store`, import)."""
    return _edits[0]() if _edits else contextlib.nullcontext()


class DatabaseError(Exception):
    """The database cannot be used; the message says which file and what the operator can do.

    `unreadable`: the file itself cannot be read as this kiosk's content (locked, corrupt, another
    program's, a newer schema), as against one that merely cannot be written; the fallback in
    `prepare_database` plays the shipped content instead of the file read-only.
    """

    def __init__(self, message: str, *, unreadable: bool = False) -> None:
        super().__init__(message)
        self.unreadable = unreadable


def now() -> datetime:
    """Local wall-clock time without microseconds' noise in logs (the kiosk runs in one place)."""
    return datetime.now().replace(microsecond=0)


def local_naive(at: datetime | None) -> datetime:
    """Schedules are in the showroom's local time; aware datetimes are converted to it."""
    if at is None:
        return datetime.now()
    if at.tzinfo is not None:
        return at.astimezone().replace(tzinfo=None)
    return at


class BaseModel(Model):
    # What peewee adds to every table anyway, spelled out so a type checker knows `.id` exists.
    id = AutoField()

    class Meta:
        database = database
        legacy_table_names = False


class SchemaVersion(BaseModel):
    version = IntegerField()

    class Meta:
        table_name = "schema_version"


class Content(BaseModel):
    title = CharField(max_length=200)
    description = TextField(default="")
    url = TextField(default="")  # normalized by cxkiosk.links.normalize_url; "" for a file without a page
    kind = CharField(max_length=10, default="youtube")  # one of cxkiosk.values.KINDS
    path = TextField(default="")  # local file for video/slide, relative to resources/ or absolute
    duration = FloatField(default=10.0)
    tagline = TextField(default="")
    # Targeting; empty/None means "anyone".
    genders = CharField(max_length=20, default="")  # one of GENDER_SETS
    age_min = IntegerField(null=True)
    age_max = IntegerField(null=True)
    keywords = TextField(default="")  # comma-separated lower-case words: "suit,glasses,long hair"
    group_min = IntegerField(null=True)  # >= 2 means the item targets a group (majority rules)
    group_max = IntegerField(null=True)
    weight = FloatField(default=1.0)
    enabled = BooleanField(default=True)
    # Schedule, local time; hour_from > hour_to is a window crossing midnight (22 -> 2).
    date_from = DateField(null=True)
    date_to = DateField(null=True)
    days = CharField(max_length=7, default="")  # weekday digits, Monday=0: "01234"; "" = every day
    hour_from = IntegerField(null=True)  # 0..23
    hour_to = IntegerField(null=True)  # 0..24, exclusive
    idle = BooleanField(default=True)  # part of the idle playlist
    captions = BooleanField(default=True)  # a caption may be written for it (else its tagline)
    created = DateTimeField(default=now)
    updated = DateTimeField(default=now)

    class Meta:
        indexes = ((("url", "path"), True),)

    def save(self, *args: Any, **kwargs: Any) -> int:
        # Nothing malformed is stored (raises LinkError); the scheme rule of the settings is applied
        # where a link is imported, edited, played and pushed.
        if self.url:
            self.url = normalize_url(self.url, STORABLE)
        self.updated = now()
        return super().save(*args, **kwargs)

    def to_item(self) -> Item:
        return Item(id=self.id, title=self.title, url=self.url, kind=self.kind, path=self.path,
                    duration=self.duration, tagline=self.tagline, description=self.description,
                    captions=bool(self.captions))

    @property
    def keyword_list(self) -> list[str]:
        return [k for k in (self.keywords or "").split(",") if k]


class Prompt(BaseModel):
    name = CharField(max_length=60)
    text = TextField()
    source = CharField(max_length=10, default="camera")  # camera | thermal
    active = BooleanField(default=False)
    version = IntegerField(default=1)  # a save makes a new version; earlier ones are kept
    created = DateTimeField(default=now)

    class Meta:
        indexes = ((("name", "version"), True),)


class LogModel(BaseModel):
    """A row a kiosk writes: its id is a UUID, so rows two kiosks write never collide on a fleet's
    server, and a row sent twice (the server went away before saying it was stored) is one row."""

    id = UUIDField(primary_key=True, default=uuid.uuid4)  # type: ignore[assignment]
    kiosk = CharField(max_length=40, default="", index=True)  # settings' kiosk_id; "" before v5


class PlayLog(LogModel):
    """Proof of play: what played, what had been chosen, how it ended, and for whom."""

    item = ForeignKeyField(Content, null=True, on_delete="SET NULL", backref="plays")
    chosen = ForeignKeyField(Content, null=True, on_delete="SET NULL", backref="+")
    start = DateTimeField(index=True)
    end = DateTimeField(null=True)
    outcome = CharField(max_length=10, default="completed")
    reason = TextField(default="")
    trigger = CharField(max_length=10, default="idle")
    audience = TextField(default="")
    # Who was in front of the screen while it played (from the tracker; nothing identifying):
    ots = IntegerField(null=True)  # people present at some time during the play
    watchers = IntegerField(null=True)  # of them, those who faced the screen during it
    attention = FloatField(null=True)  # seconds faced, summed over the watchers
    segment = CharField(max_length=40, default="")  # whom a targeted (or holdout) play was for
    code = CharField(max_length=12, default="", index=True)  # per play, in the pushed link
    caption = TextField(default="")  # the caption written for it, when one showed ("" = tagline)
    demo = BooleanField(default=False)  # played in a `--demo` run: no real visitor, left out of reports

    class Meta:
        table_name = "play_log"
        indexes = ((("item", "start"), False),)


class AudienceLog(LogModel):
    """Who was there: anonymous attributes only; never an image, a face crop or an embedding."""

    time = DateTimeField(default=now, index=True)
    source = CharField(max_length=60, default="")
    count = IntegerField(default=0)
    people = TextField(default="[]")  # JSON list of Person.to_dict() without sensitive fields
    provider = CharField(max_length=60, default="")
    latency_ms = FloatField(null=True)
    dwell = FloatField(null=True)  # seconds the visit lasted
    watchers = IntegerField(null=True)  # people facing the screen
    demo = BooleanField(default=False)  # the demo clip's visitor, not a person: left out of reports

    class Meta:
        table_name = "audience_log"


class TapLog(LogModel):
    item = ForeignKeyField(Content, null=True, on_delete="SET NULL", backref="taps")
    time = DateTimeField(default=now, index=True)
    kind = CharField(max_length=10)  # nfc-write | nfc-read | qr
    code = CharField(max_length=12, default="", index=True)  # the play on screen (PlayLog.code)
    demo = BooleanField(default=False)  # a tap during a `--demo` run

    class Meta:
        table_name = "tap_log"


class Heartbeat(BaseModel):
    """A fleet kiosk's last word (server only): when it was seen and how it was doing."""

    kiosk = CharField(max_length=40, unique=True)
    name = CharField(max_length=60, default="")
    seen = DateTimeField(index=True)  # the kiosk's clock, local time like every stamp here
    started = DateTimeField(null=True)
    version = CharField(max_length=40, default="")
    camera = TextField(default="")  # "" = fine; else what is wrong, in the kiosk's own words
    model = TextField(default="")
    nfc = TextField(default="")
    playable = IntegerField(default=0)  # items in its playlist now
    queued = IntegerField(default=0)  # rows waiting in its local queue when it wrote this
    interval = FloatField(default=30.0)  # seconds between its heartbeats: late by 3 = down

    class Meta:
        table_name = "heartbeat"


class FleetRevision(BaseModel):
    """One row on a fleet's server whose number a trigger raises at every change of content or
    prompts: kiosks compare it with the one they copied to know there is something to fetch."""

    revision = IntegerField(default=0)
    changed = DateTimeField(null=True)

    class Meta:
        table_name = "fleet_revision"


class Outbox(BaseModel):
    """A fleet kiosk's queue (its local file only): log rows written here and not yet on the
    server, in the order they were written."""

    table = CharField(max_length=20)  # id: the order written
    row = UUIDField()

    class Meta:
        table_name = "outbox"


MODELS: tuple[type[BaseModel], ...] = (SchemaVersion, Content, Prompt, PlayLog, AudienceLog, TapLog,
                                       Heartbeat, FleetRevision, Outbox)
LOG_MODELS: tuple[type[LogModel], ...] = (PlayLog, AudienceLog, TapLog)


# --- opening -------------------------------------------------------------------------------------


def _sqlite_path(spec: str) -> Path | None:
    """The file behind a plain path or sqlite:/// URL; None for a server URL."""
    if spec.startswith("sqlite:///"):
        return Path(spec[len("sqlite:///"):])
    if "://" in spec:
        return None
    return Path(spec).expanduser()


def _check_sqlite_path(path: Path, readonly: bool) -> None:
    """Refuse what is not a database file the kiosk may keep: memory, a device, a folder, a file
    in a folder that does not exist."""
    text = str(path)
    if not text or text == ":memory:" or text.startswith("file:") or "?" in text:
        raise DatabaseError(f"database {text or '(empty)'}: give the path of a database file")
    if path.exists() and not path.is_file():
        raise DatabaseError(f"database {path} is not a regular file")
    if not readonly and not path.parent.is_dir():
        raise DatabaseError(f"database {path}: the folder {path.parent} does not exist")


def describe_fault(exc: BaseException) -> str:
    """What went wrong with a write, in words an operator can act on. SQLite ends a transaction
    by itself on a full disk, so peewee's own rollback then fails: the first error is the one."""
    while "no transaction is active" in str(exc) and exc.__context__ is not None:
        exc = exc.__context__
    low = str(exc).lower()
    if "disk is full" in low or "no space" in low:
        return "the disk is full; free some space and try again"
    if "readonly" in low or "read-only" in low:
        return "the database is read-only"
    return str(exc)


def _explain(exc: BaseException, where: str) -> DatabaseError:
    text = " ".join(str(exc).split())  # a server's message may run over several lines
    low = text.lower()
    if "disk is full" in low or "no space" in low:
        return DatabaseError(f"the disk holding {where} is full; free some space")
    folder = Path(where).parent
    if ("unable to open" in low or "readonly" in low or "read-only" in low) and folder.is_dir() \
            and not os.access(folder, os.W_OK):
        return DatabaseError(f"the folder of {where} is read-only, so the database cannot be written")
    if "locked" in low or "busy" in low:
        return DatabaseError(f"database file {where} is locked by another program; close it and restart",
                             unreadable=True)
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return DatabaseError(f"database file {where} is corrupt (integrity check failed); restore a backup "
                             "or delete it to start again from the shipped content", unreadable=True)
    if "readonly" in low or "read-only" in low:
        return DatabaseError(f"database file {where} cannot be written ({text})")
    return DatabaseError(f"cannot open database {where}: {text}")


_opened = {"readonly": False}


def opened_readonly() -> bool:
    """Whether the bound database was opened read-only (`prepare_database`'s fallback): nothing
    is recorded in it then (`records`)."""
    return _opened["readonly"]


def open_database(spec: str, *, readonly: bool = False, timeout: float = 5.0,
                  check: bool = True) -> peewee.Database:
    """Open, check, upgrade and bind the database at `spec` (a path, sqlite:/// or postgresql:// URL).

    `timeout` is how long to wait for another writer; `check` runs SQLite's quick_check so a damaged
    file is reported at start-up rather than in the middle of a show. readonly=True never writes.
    """
    from cxkiosk.content import schema  # it builds on the models here, so it imports this module

    close_database()
    path = _sqlite_path(spec)
    where = str(path) if path is not None else _redact(spec)
    db: peewee.Database
    try:
        if path is not None:
            _check_sqlite_path(path, readonly)
            db = _open_sqlite(path, readonly, timeout)
        else:
            db = _open_server(spec, where)
        db.connect(reuse_if_open=True)
        if path is not None and check:
            result = db.execute_sql("PRAGMA quick_check").fetchone()[0]
            if result != "ok":
                raise DatabaseError(f"database file {where} is corrupt (integrity check failed: {result}); "
                                    "restore a backup or delete it to start again from the shipped content",
                                    unreadable=True)
        database.initialize(db)
        _opened["readonly"] = readonly
        if readonly:
            version = schema.stored_version(db)
            if version is not None and version < schema.SCHEMA_VERSION:
                raise DatabaseError(f"database {where} has schema version {version} and is open read-only, "
                                    f"so it cannot be upgraded to {schema.SCHEMA_VERSION}")
        else:
            schema.create_and_upgrade(db)
    except DatabaseError:
        close_database()
        raise
    except (peewee.PeeweeException, sqlite3.Error, OSError, ImportError) as exc:
        close_database()
        raise _explain(exc, where) from exc
    log.info("database %s open%s (schema v%d)", where, " read-only" if readonly else "",
             schema.SCHEMA_VERSION)
    return db


# A server that accepts the connection and then says nothing must not hang the kiosk: libpq gives
# up connecting after CONNECT_TIMEOUT, the server ends any statement after STATEMENT_TIMEOUT, and
# TCP gives up on a peer that stops acknowledging (a cable pulled) after TCP_TIMEOUT.
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 15000
TCP_TIMEOUT_MS = 15000
SERVER_SCHEMES = ("postgresql", "postgres")


def _open_server(spec: str, where: str) -> peewee.Database:
    scheme = spec.partition("://")[0].lower()
    if scheme not in SERVER_SCHEMES:
        raise DatabaseError(f"database {where}: unknown kind {scheme!r}; give a file path, sqlite:///PATH "
                            "or postgresql://user@host/db")
    try:
        return _per_thread(_connect(spec))
    except ValueError as exc:  # a URL playhouse cannot read: no database name, a bad port
        # Its message quotes the URL as given, password and all.
        raise DatabaseError(f"database {where}: {str(exc).replace(spec, where)}") from None


def _connect(spec: str) -> peewee.Database:
    from playhouse.db_url import connect

    from cxkiosk.fleet.credentials import password_for

    # A URL without a password gets the keyring's (or CXKIOSK_DB_PASSWORD); with none, libpq's own.
    password = password_for(spec)
    secret = {"password": password} if password else {}
    # Percent-decoded, as libpq reads a URL: a password with @ : / # in it can only be given so.
    return connect(spec, unquote_password=True, unquote_user=True, connect_timeout=CONNECT_TIMEOUT_S,
                   options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
                   keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
                   tcp_user_timeout=TCP_TIMEOUT_MS, **secret)


def _redact(url: str) -> str:
    """A server URL without its password (user:password@ or ?password=), for messages and logs."""
    from cxkiosk.fleet.credentials import without_password

    return without_password(url)


class _PerThread:
    """peewee's per-thread connection state, kept by the OS thread's id instead of in a
    threading.local. PySide6 gives an event worker's QThread a fresh Python thread state, and so
    fresh thread-locals, at every slot it runs: peewee then opened a new connection for each
    classification or caption and left the last one open until collected (a soak kiosk held 16
    handles on content.db after 25 minutes, and more every few minutes)."""

    def __init__(self) -> None:
        object.__setattr__(self, "_states", {})

    def _mine(self) -> Any:
        states: dict[int, Any] = object.__getattribute__(self, "_states")
        ident = threading.get_ident()
        state = states.get(ident)
        if state is None:
            state = states[ident] = peewee._ConnectionState()
        return state

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mine(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._mine(), name, value)


_DB = TypeVar("_DB", bound=peewee.Database)


def _per_thread(db: _DB) -> _DB:
    db._state = _PerThread()  # type: ignore[attr-defined]  # peewee keeps no public hook for it
    return db


def _open_sqlite(path: Path, readonly: bool, timeout: float) -> peewee.SqliteDatabase:
    pragmas: dict[str, Any] = {"foreign_keys": 1, "busy_timeout": int(timeout * 1000)}
    if readonly:
        if not path.is_file():
            raise DatabaseError(f"database file {path} does not exist")
        pragmas["query_only"] = 1
        uri = f"{path.resolve().as_uri()}?mode=ro"
        if not os.access(path.parent, os.W_OK):
            # A read-only folder or mount: SQLite cannot make its lock files, and nothing can
            # change the file meanwhile, so it is read as immutable.
            uri += "&immutable=1"
        return _per_thread(peewee.SqliteDatabase(uri, uri=True, pragmas=pragmas, timeout=timeout))
    # WAL: readers never block the writer; FULL: a committed edit survives a power cut.
    # IMMEDIATE: a transaction takes the write lock at BEGIN, waiting busy_timeout for it; one
    # that read first and wrote after another thread's commit (the fleet thread's copy or sends
    # beside a play being logged) would fail at once with "database is locked".
    pragmas.update({"journal_mode": "wal", "synchronous": 2})
    return _per_thread(peewee.SqliteDatabase(str(path), pragmas=pragmas, timeout=timeout,
                                             lock_type="IMMEDIATE"))


def close_database() -> None:
    from cxkiosk.content import records  # records are written through this module's models

    records.write_in_background(False)  # what the kiosk recorded last is written before it closes
    db = database.obj
    if db is not None:
        with contextlib.suppress(Exception):
            db.close()
        database.initialize(None)


def current_database() -> peewee.Database | None:
    return database.obj


def prepare_database(data_db: Path, shipped_db: Path, *,
                     first_run: bool = True) -> tuple[peewee.Database, str | None]:
    """Open the kiosk's own database, creating it from the shipped one on first run.

    The shipped (install) file is only ever read. If the data file cannot be written (a read-only
    folder or mount, a full disk), its own content plays read-only; if it is locked or corrupt,
    the shipped file does. The second value says why (the caller logs or prints it once), for
    the admin panel and `check`.
    `first_run=False` (a file named with `--db`): a missing file is created empty, not copied.
    """
    data_db, shipped_db = Path(data_db), Path(shipped_db)
    try:
        if first_run and not data_db.exists() and shipped_db.is_file():
            _copy_sqlite(shipped_db, data_db)
        return open_database(str(data_db)), None
    except DatabaseError as exc:
        if not data_db.parent.is_dir() or (data_db.exists() and not data_db.is_file()):
            raise  # a path that can never hold a database: the operator must fix the setting
        # Its own content read-only only when the file is ours and merely cannot be written; a
        # locked, corrupt, foreign or newer file plays the shipped content instead.
        if data_db.is_file() and not exc.unreadable:
            try:
                db = open_database(str(data_db), readonly=True)
            except DatabaseError:
                pass
            else:
                return db, f"{exc}. Playing its content read-only; nothing is recorded until this is fixed."
        if not shipped_db.is_file() or shipped_db.resolve() == data_db.resolve():
            raise
        db = open_database(str(shipped_db), readonly=True)
        return db, f"{exc}. Playing the shipped content read-only until this is fixed."


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy through SQLite's backup API (consistent even with a -wal beside it), then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: its 0600 mode would stick to the kiosk's database file.
    tmp = str(target.with_name(f".{target.name}.{os.getpid()}.tmp"))
    try:
        Path(tmp).unlink(missing_ok=True)
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        _discard(tmp)
        raise _explain(exc, str(source)) from exc
    except OSError as exc:  # a read-only or full folder: the caller plays the shipped file instead
        _discard(tmp)
        raise DatabaseError(f"the folder of {target} cannot be written ({exc.strerror or exc})") from exc
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: str) -> None:
    try:
        Path(tmp).unlink(missing_ok=True)
    except OSError:  # the same read-only folder that stopped the copy
        pass


def copy_database_file(source: Path, target: Path) -> None:
    """Public for the admin panel's backup button; same safe copy as the first run uses."""
    _copy_sqlite(Path(source), Path(target))


# --- schedule ------------------------------------------------------------------------------------


def schedule_clause(at: datetime) -> peewee.Expression:
    """SQL condition: the item may play at `at` (date range, weekday, hours incl. crossing midnight).

    A window crossing midnight belongs to the day it started: Friday 22-2 plays on Saturday 01:00.
    """
    day = at.date()
    hour = at.hour
    today, yesterday = str(at.weekday()), str((at.weekday() - 1) % 7)

    def on(weekday: str) -> peewee.Expression:
        return (Content.days == "") | Content.days.contains(weekday)  # LIKE: SQLite and PostgreSQL

    start = fn.COALESCE(Content.hour_from, 0)
    end = fn.COALESCE(Content.hour_to, 24)
    dates = ((Content.date_from.is_null() | (Content.date_from <= day))
             & (Content.date_to.is_null() | (Content.date_to >= day)))
    same_day = (start < end) & (start <= hour) & (end > hour) & on(today)
    all_day = (start == end) & on(today)
    crossing = (start > end) & (((start <= hour) & on(today)) | ((end > hour) & on(yesterday)))
    return dates & (same_day | all_day | crossing)


def playlist(at: datetime | None = None) -> list[Item]:
    """The idle playlist at `at`: enabled, in schedule, idle items, in a stable (id) order."""
    at = local_naive(at)
    query = (Content.select(Content.id, Content.title, Content.url, Content.kind, Content.path,
                            Content.duration, Content.tagline, Content.description)
             .where(Content.enabled & Content.idle & schedule_clause(at))
             .order_by(Content.id).tuples())
    return [Item(*row) for row in query]


# --- helpers for commands and the runtime --------------------------------------------------------


def open_configured(db_spec: str, default_db: Path) -> tuple[peewee.Database, str | None]:
    """Open what the settings/command line name. Every SQLite file goes through
    `prepare_database` (the same read-only fallbacks whoever named it); only the default
    data-folder file is copied from the shipped one on first run. A server URL opens as given."""
    from cxkiosk.resources import shipped_db

    path = _sqlite_path(db_spec)
    if path is None:
        return open_database(db_spec), None
    if str(path) in ("", ":memory:") or str(path).startswith("file:") or "?" in str(path):
        return open_database(db_spec), None  # refused with its own message
    default = path.expanduser().resolve() == Path(default_db).expanduser().resolve()
    return prepare_database(path.expanduser(), shipped_db(), first_run=default)


def is_readonly() -> bool:
    db = database.obj
    if isinstance(db, peewee.SqliteDatabase):
        return bool(db.execute_sql("PRAGMA query_only").fetchone()[0])
    return False


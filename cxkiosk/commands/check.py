"""`check`: what is and is not connected, in words an operator or integrator can act on.

Exit 0 when the kiosk can do its job: its content opens for writing (so plays, visits and
taps are recorded), its data folder can be written and has room. A missing camera, model
server or NFC reader is reported but does not stop the kiosk, which then plays its playlist.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cxkiosk.commands.common import Context, add_provider_args, add_sensing_args, context
from cxkiosk.config import Privacy, file_problems


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = False  # the kiosk cannot run without it


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("check", parents=[common],
                            help="state of database, source, model and NFC; exit 0 if the kiosk can run")
    add_sensing_args(parser)
    add_provider_args(parser)
    parser.add_argument("--nfc", metavar="DEVICE", help="nfcpy path to check instead of the setting")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--no-network", action="store_true", help="do not contact the model server")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    ctx = context(args)
    source, frame = check_source(ctx)
    checks = [*check_storage(ctx), check_database(ctx), *check_server(ctx), *check_fleet(ctx),
              *check_links(ctx),
              check_youtube(ctx), check_retention(ctx), source, check_faces(ctx, frame),
              check_model(ctx, contact=not args.no_network), check_nfc(ctx), *check_unattended(ctx)]
    problems = ctx.settings.validate()
    checks.append(Check("settings", not problems, "; ".join(problems) or f"{ctx.paths.settings_file}",
                        required=True))
    in_file = file_problems(ctx.paths)
    if in_file:
        checks.append(Check("settings", False, "; ".join(in_file)))
    checks.insert(0, check_kiosk(ctx))  # who this kiosk is, first
    if args.json:
        print(json.dumps([asdict(c) for c in checks], indent=2))
    else:
        for c in checks:
            mark = "ok  " if c.ok else ("FAIL" if c.required else "--  ")
            print(f"{mark} {c.name:<9} {c.detail}")
    can_run = all(c.ok for c in checks if c.required)
    if not args.json:
        print("the kiosk can run" if can_run else "the kiosk cannot run: fix the FAIL lines above")
    return 0 if can_run else 1


def check_kiosk(ctx: Context) -> Check:
    """Who this kiosk is to a fleet and in its links: its id and name."""
    from cxkiosk.config import read_settings_file

    name = f" ({ctx.settings.kiosk_name})" if ctx.settings.kiosk_name else ", no name"
    later = "" if "kiosk_id" in read_settings_file(ctx.paths)[0] or ctx.settings.kiosk_id != "kiosk" \
        else "; its own id is made at its first start"
    return Check("kiosk", True, f"{ctx.settings.kiosk_id}{name}{later}")


def check_storage(ctx: Context) -> list[Check]:
    """The data folder (settings, database, PIN state) and the log folder, tried for real."""
    from cxkiosk.storage import folder_problem

    data = folder_problem(ctx.paths.data)
    logs = folder_problem(ctx.paths.logs) if not data else ""
    return [Check("storage", not data, data or f"{ctx.paths.data} writable", required=True),
            Check("logs", not logs, logs + "; logging to the console only" if logs else f"{ctx.paths.logs}")]


def check_database(ctx: Context) -> Check:
    from cxkiosk.content import database, library
    from cxkiosk.fleet.server import is_server

    if is_server(ctx.db_spec):
        return check_fleet_copy(ctx)
    try:
        _, warning = library.open_content(ctx.db_spec, ctx.paths.default_db)
    except database.DatabaseError as exc:
        return Check("database", False, str(exc), required=True)
    try:
        total = database.Content.select().count()
        playable = len(database.playlist())
        readonly = database.is_readonly()
    finally:
        database.close_database()
    from cxkiosk.fleet.credentials import without_password

    detail = f"{without_password(ctx.db_spec)}: {total} items, {playable} in the idle playlist now"
    if warning:  # the shipped copy plays, but nothing the kiosk does is recorded
        return Check("database", False, f"{warning} ({detail})", required=True)
    if readonly:
        return Check("database", False, f"{detail}; open read-only: plays, visits and taps are not recorded",
                     required=True)
    return Check("database", True, detail, required=True)


def check_fleet_copy(ctx: Context) -> Check:
    """A fleet kiosk plays from its local copy, server or not: that copy is what must be
    playable (the server's own line follows)."""
    from cxkiosk.content import database
    from cxkiosk.fleet import mirror

    path = mirror.mirror_path(ctx.paths.data)
    if not path.is_file():
        return Check("database", True, f"no local copy of the fleet's content yet ({path}): the first start "
                     "copies it, or plays the shipped content until the fleet database answers",
                     required=True)
    try:
        database.open_database(str(path), readonly=True)
    except database.DatabaseError as exc:
        return Check("database", False, f"the local copy of the fleet's content: {exc}", required=True)
    try:
        never = mirror.never_copied()
        total = database.Content.select().count()
        playable = len(database.playlist())
    finally:
        database.close_database()
    origin = "the shipped content, not yet copied from the fleet" if never else "the fleet's content"
    return Check("database", playable > 0, f"{path}: {origin}, {total} items, {playable} in the idle "
                 "playlist now (played from this copy whether the fleet database answers or not)",
                 required=True)


def _never_copied(path: Path) -> bool:
    import sqlite3

    from cxkiosk.fleet.mirror import NEVER

    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT revision FROM fleet_revision").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return True
    return row is None or row[0] == NEVER


def check_server(ctx: Context) -> list[Check]:
    """With a postgresql:// database: which server, its schema, and whether this kiosk's role
    holds every right a kiosk needs (cxkiosk.fleet.roles); a password written in the URL."""
    from cxkiosk.fleet.credentials import is_server_url, url_password, without_password

    url = ctx.db_spec
    if not is_server_url(url):
        return []
    from cxkiosk.fleet import mirror

    copy = mirror.mirror_path(ctx.paths.data)
    checks = [_server_rights(url, copied=copy.is_file() and not _never_copied(copy))]
    secret = url_password(url)
    if secret:
        try:
            where = "settings.json" if secret in ctx.paths.settings_file.read_text(encoding="utf-8") else ""
        except OSError:
            where = ""
        checks.append(Check("password", False, f"the database URL carries its password, so it sits in "
                            f"{where or 'the command line or environment'} in plain text: take it out of the "
                            f"URL and run `cxkiosk fleet password --db {without_password(url)}`"))
    return checks


# Each (table, privilege) asked of the server itself, as this role: whether it holds it.
_HOLDS = ("SELECT t, p, has_table_privilege(quote_ident(current_schema()) || '.' || quote_ident(t), p) "
          "FROM unnest(%s::text[], %s::text[]) AS r(t, p)")
_SEQUENCES_MISSING = ("SELECT relname FROM pg_class WHERE relnamespace = to_regnamespace(current_schema()) "
                      "AND CASE WHEN relkind = 'S' THEN NOT has_sequence_privilege(oid, 'USAGE') END")
_WHO = ("SELECT current_setting('server_version'), current_user, rolsuper, "
        "has_schema_privilege(current_schema(), 'CREATE'), current_schema(), "
        "array(SELECT relname FROM pg_class WHERE relnamespace = to_regnamespace(current_schema()) "
        "AND relkind IN ('r', 'p')) FROM pg_roles WHERE rolname = current_user")
_OWNS = ("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = to_regnamespace(current_schema()) "
         "AND relkind IN ('r', 'p') AND pg_has_role(current_user, relowner, 'MEMBER'))")


def _server_rights(url: str, *, copied: bool) -> Check:
    """`copied`: the kiosk holds a copy of the fleet's content, so it plays on while the server
    is away; without one it would play only the shipped content, which is no fleet kiosk."""
    import peewee

    from cxkiosk.content.database import _connect
    from cxkiosk.content.schema import SCHEMA_VERSION
    from cxkiosk.fleet.credentials import login_hint, without_password
    from cxkiosk.fleet.roles import GROUP, beyond, needed

    where = without_password(url)
    fix = "the owner runs `cxkiosk fleet init --db OWNER_URL` (and makes this role with `fleet add-kiosk`)"
    try:
        db = _connect(url)
        db.connect()
    except (ValueError, peewee.PeeweeException) as exc:
        reason = " ".join(str(exc).split())[:200]
        # A server away is an outage the kiosk plays through from its copy; a refused login or a
        # database that is not there is a setting that will never work by itself.
        refused = any(w in reason.lower() for w in ("password", "authentication", "does not exist", "role"))
        alone = "" if copied else ("; this kiosk has no copy of the fleet's content yet, so it would play "
                                   "only the shipped content")
        return Check("server", False, f"{where}: cannot connect ({reason}){login_hint(url, reason)}{alone}",
                     required=refused or not copied)
    try:
        cursor = db.connection().cursor()
        cursor.execute(_WHO)
        version, user, superuser, creates, schema, tables = cursor.fetchone()
        asked = needed(tables) + beyond(tables)
        cursor.execute(_HOLDS, ([t for t, _ in asked], [p for _, p in asked]))
        held = {(t, p) for t, p, holds in cursor.fetchall() if holds}
        missing = [f"{p} on {t}" for t, p in needed(tables) if (t, p) not in held]
        extra = [f"{p} on {t}" for t, p in beyond(tables) if (t, p) in held]
        cursor.execute(_SEQUENCES_MISSING)
        missing += [f"USAGE on sequence {name}" for (name,) in cursor.fetchall()]
        cursor.execute(_OWNS)
        owns = cursor.fetchone()[0]
        stored = None
        if "schema_version" in tables and "SELECT on schema_version" not in missing:
            cursor.execute("SELECT MAX(version) FROM schema_version")
            stored = cursor.fetchone()[0]
    except Exception as exc:  # psycopg2's errors on the raw cursor: one line, never a traceback
        return Check("server", False, f"{where}: {' '.join(str(exc).split())[:200]}", required=True)
    finally:
        db.close()
    stamp = f"schema v{stored}" if stored else "no readable cxkiosk schema"
    head = f"{where}: PostgreSQL {version}, {stamp}, role {user}"
    if missing or stored is None:
        lacks = f" lacks {', '.join(missing)} (a kiosk's rights are {GROUP}'s)" if missing else ""
        return Check("server", False, f"{head}{lacks}: {fix}", required=True)
    if stored < SCHEMA_VERSION:
        return Check("server", False, f"{head}: this program needs v{SCHEMA_VERSION}; {fix}", required=True)
    # More than a kiosk needs: it runs, but a stolen kiosk could do more harm than it must.
    if superuser:
        return Check("server", False, f"{head} is a superuser: give each kiosk its own role with only a "
                     "kiosk's rights (`cxkiosk fleet add-kiosk`)")
    if owns:  # the integrator's own URL given to a kiosk: every right, and a list of them helps nobody
        return Check("server", False, f"{head} owns the fleet's tables: it is the database's owner, not a "
                     "kiosk; give this kiosk a role of its own (`cxkiosk fleet add-kiosk NAME --db "
                     "OWNER_URL`) and point it at the URL that prints")
    if creates:
        extra.append(f"CREATE on schema {schema}")
    if extra:
        return Check("server", False, f"{head} holds more than a kiosk needs ({', '.join(extra)}): the "
                     f"owner's `cxkiosk fleet init --db OWNER_URL` resets {GROUP}'s rights; revoke any "
                     f"given to {user} itself")
    return Check("server", True, f"{head} holds every right a kiosk needs")


def check_fleet(ctx: Context) -> list[Check]:
    """A fleet kiosk's link to its server as the kiosk itself last saw it (the fleet-state.json
    its fleet thread writes at every sync): connected, or offline since when with how many rows
    queued. Not required: offline, the kiosk plays from its local copy and queues."""
    from datetime import datetime, timedelta

    from cxkiosk.content.database import CONNECT_TIMEOUT_S
    from cxkiosk.fleet.server import is_server, redacted
    from cxkiosk.fleet.status import FleetStatus, reason
    from cxkiosk.fleet.sync import read_state

    if not is_server(ctx.db_spec):
        return []
    state = read_state(ctx.paths.data)
    if state is None:
        return [Check("fleet", False, "fleet database: no status yet (the kiosk has not run with this "
                      "data folder and database)")]

    def when(name: str) -> datetime | None:
        try:
            return datetime.fromisoformat(str(state.get(name)))
        except (TypeError, ValueError):
            return None

    queued = state.get("queued")
    status = FleetStatus(server=redacted(ctx.db_spec), connected=state.get("connected") is True,
                         offline_since=when("offline_since"), never_synced=state.get("never_synced") is True,
                         queued=queued if isinstance(queued, int) else 0)
    detail = status.line()
    if state.get("server") != status.server:
        detail += f" (of {state.get('server')}, the database the kiosk last ran with)"
    if not status.connected and state.get("problem"):
        detail += f" ({reason(str(state['problem']), 160)})"
    written = when("written")
    # Written at every sync; much older than an interval means no kiosk is running here now.
    late = timedelta(seconds=2 * ctx.settings.fleet_sync_seconds + 2 * CONNECT_TIMEOUT_S)
    if written is None or datetime.now() - written > late:
        detail += f"; as the kiosk last saw it{f' at {written:%Y-%m-%d %H:%M}' if written else ''} " \
                  "(is it running?)"
    return [Check("fleet", status.connected, detail)]


def check_youtube(ctx: Context) -> Check:
    """Whether the last YouTube item played or YouTube refused this kiosk (153), from proof of
    play: the running kiosk records every failure there with its reason."""
    from cxkiosk.content import database, library
    from cxkiosk.content.youtube import youtube_status

    try:
        library.open_content(ctx.db_spec, ctx.paths.default_db)
        ok, detail = youtube_status()
    except Exception as exc:  # the database line above says what is wrong with it
        from cxkiosk.fleet.server import is_server

        if is_server(ctx.db_spec):  # its error is the server line's, word for word
            return Check("youtube", False, "proof of play is the fleet database's, which did not answer "
                         "(see the server line)")
        return Check("youtube", False, f"proof of play cannot be read ({database.describe_fault(exc)})")
    finally:
        database.close_database()
    return Check("youtube", ok, detail)


def check_retention(ctx: Context) -> Check:
    days = ctx.settings.retention_days
    if days <= 0:
        return Check("retention", True, "proof of play, visits and taps are kept forever (retention_days 0)")
    return Check("retention", True, f"proof of play, visits and taps kept {days} days; older rows are "
                 "deleted when the kiosk starts and daily")


def check_links(ctx: Context) -> list[Check]:
    """One line while items link to showroom paths ("/offers") and showroom_page is not set."""
    from cxkiosk.content import database, library

    if ctx.settings.showroom_page.strip():
        return []
    try:
        library.open_content(ctx.db_spec, ctx.paths.default_db)
        relative = database.Content.select().where(database.Content.url.startswith("/")).count()
    except database.DatabaseError:
        return []  # check_database has said why
    finally:
        database.close_database()
    if not relative:
        return []
    return [Check("links", False, f"{relative} items link to pages of your showroom (like /offers) and show "
                  "no QR code: set showroom_page to your web page, e.g. https://shop.example.com")]


def check_source(ctx: Context) -> tuple[Check, Any]:
    """The source's state and its first frame (memory only), if one came within 3 s."""
    # A source logs each failed open as a warning (right in a running kiosk's log); here the
    # check's own line says it, and "camera 0 not found, retrying" on stderr would repeat it.
    quiet = [logging.getLogger(name) for name in ("cxkiosk.camera", "cxkiosk.thermal")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        return _probe_source(ctx)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


def _probe_source(ctx: Context) -> tuple[Check, Any]:
    from cxkiosk.sensing.sources import SourceError, open_source, parse_spec

    settings = ctx.settings
    privacy = Privacy.of(settings)
    if privacy.mode == "off":
        return Check("source", True, "privacy mode off: no camera or sensor is used"), None
    try:
        kind = parse_spec(settings.source)[0]
    except SourceError as exc:
        return Check("source", False, f"{exc}; the idle playlist plays without sensing"), None
    refusal = privacy.refusal(kind, settings.source)
    if refusal:
        return Check("source", False, refusal), None
    try:
        source = open_source(settings.source, width=settings.camera_width, height=settings.camera_height)
    except SourceError as exc:
        return Check("source", False, f"{exc}; the idle playlist plays without sensing"), None
    try:
        deadline = time.monotonic() + 3.0
        frame = None
        while frame is None and time.monotonic() < deadline:
            frame = source.read()
            if frame is None:
                time.sleep(0.05)
        status = source.status
        if frame is None:
            if settings.source.strip().lower() == "auto":  # what `run` does too: wait, never the demo clip
                return Check("source", False, "auto: no camera found; the kiosk plays its "
                             "playlist and waits for one (the demo clip plays only with --demo)"), None
            return Check("source", False, f"{settings.source}: {status}; no frame within 3 s"), None
        h, w = frame.image.shape[:2]
        return Check("source", True, f"{settings.source}: {status}, frames {w}x{h}"), frame
    finally:
        source.close()


def check_faces(ctx: Context, frame: Any) -> Check:
    """The face detector and local age/gender load, and what they see in the first frame."""
    settings = ctx.settings
    privacy = Privacy.of(settings)
    if not privacy.estimates_locally:
        return Check("faces", True, f"privacy mode {settings.privacy}: no face detection")
    from cxkiosk.sensing.agegender import AgeGenderEstimator
    from cxkiosk.sensing.faces import FaceDetector, working_scale

    try:
        detector = FaceDetector(settings.face_min_px, settings.face_threshold, settings.facing_degrees)
    except (RuntimeError, ValueError) as exc:
        return Check("faces", False, f"{exc}; visitors are not seen")
    width, height = frame.size if frame is not None else (settings.camera_width, settings.camera_height)
    scale = working_scale((width, height), detector.min_face)
    parts = [f"YuNet, faces from {detector.min_face:g} px ({width}x{height} searched at "
             f"{round(width * scale)}x{round(height * scale)})"]
    estimator = AgeGenderEstimator()
    if privacy.estimates_locally:
        parts.append("local age/gender ready" if estimator.available else str(estimator.error))
    if frame is not None and getattr(frame, "temperatures", None) is None:
        faces = detector.detect(frame.image)
        watching = sum(f.frontal for f in faces)
        parts.append(f"{len(faces)} face(s) in the first frame, {watching} facing the screen")
    return Check("faces", True, "; ".join(parts))


def check_model(ctx: Context, contact: bool = True) -> Check:
    settings = ctx.settings
    if not Privacy.of(settings).uses_model:
        return Check("model", True, f"privacy mode {settings.privacy}: no model is called "
                     "(local detection only)" if settings.privacy == "local" else "privacy mode off")
    from cxkiosk.profiling.providers import ProviderError, resolve_provider
    from cxkiosk.profiling.secrets import api_key_for, insecure_for_keys, mask

    try:
        provider = resolve_provider(settings.provider, settings.base_url, settings.model)
    except ProviderError as exc:
        return Check("model", False, str(exc))
    key = api_key_for(provider)
    where = f"{provider.name} {provider.model} at {provider.base_url}"
    if key and (insecure := insecure_for_keys(provider)):
        return Check("model", False, f"{insecure}; local detection is used instead")
    if provider.needs_key and not key:
        return Check("model", False, f"{where}: no API key (set it in the admin panel or OPENAI_API_KEY); "
                     "local detection is used instead")
    if not contact:
        return Check("model", True, f"{where}, key {mask(key) if key else 'not needed'} (not contacted)")
    try:
        from openai import OpenAI

        from cxkiosk.profiling.providers import LOCAL_KEY

        client = OpenAI(base_url=provider.base_url, api_key=key or LOCAL_KEY, timeout=3.0, max_retries=0)
        names = [m.id for m in client.models.list()]
    except Exception as exc:  # any failure here is a line for the operator, not a crash
        return Check("model", False, f"{where}: not reachable ({type(exc).__name__}: {str(exc)[:120]}); "
                     "local detection is used instead")
    known = provider.model in names if names else True
    detail = f"{where}: reachable" + ("" if known else f", but it does not list model {provider.model!r}")
    return Check("model", known, detail)


def check_nfc(ctx: Context) -> Check:
    from cxkiosk.push.nfc import ReaderMissing, check_device, is_off, open_frontend

    path = ctx.settings.nfc_device
    try:
        path = check_device(path)
    except ValueError as exc:
        return Check("nfc", False, str(exc))
    if is_off(path):
        return Check("nfc", True, "NFC is off (device none); the QR code still carries the link")
    try:
        clf = open_frontend(path)
    except ReaderMissing as exc:
        return Check("nfc", False, f"{exc}; the QR code still carries the link")
    try:
        return Check("nfc", True, f"{path}: {clf}, mode {ctx.settings.nfc_mode}")
    finally:
        clf.close()


def check_unattended(ctx: Context) -> list[Check]:
    """The supervisor's last word (a crash loop it waited out), the screen saver, start at login."""
    from cxkiosk.autostart import describe
    from cxkiosk.runtime.awake import plan
    from cxkiosk.runtime.instance import SUPERVISE_LOCK, InstanceLock
    from cxkiosk.supervisor import STATE_NAME, describe_state, read_state

    # the state file says what the supervisor last did; only its lock says whether it still lives
    alive = InstanceLock(ctx.paths.data, SUPERVISE_LOCK, "supervise").held()
    checks = [Check("supervisor", *describe_state(read_state(ctx.paths.data / STATE_NAME),
                                                  supervisor_alive=alive)),
              Check("screen", *plan())]
    ok, line = describe(ctx.paths.data.resolve(), ctx.settings.start_at_login)
    return [*checks, Check("autostart", ok, line)]

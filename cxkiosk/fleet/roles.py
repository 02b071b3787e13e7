"""Who may do what on the fleet's PostgreSQL: the one place the kiosks' rights are written.

Every kiosk logs in as its own role (add-kiosk), a member of the NOLOGIN group `cxkiosk_kiosk`
that holds the rights; the database's owner keeps the schema. A kiosk reads and edits content
and prompts (an operator may edit at any kiosk), writes and updates its own log rows and its
heartbeat (upserts), never deletes or empties a log, and creates nothing: no table, no role, no
database. `fleet init` runs `grant_statements`, `fleet sql` prints the very same statements,
and `check` tests the rights in `NEEDED` on a kiosk's own connection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from psycopg2 import sql

GROUP = "cxkiosk_kiosk"
DEFAULT_SCHEMA = "public"


@dataclass(frozen=True)
class Grant:
    table: str
    privileges: tuple[str, ...]
    why: str


READ = ("SELECT",)
EDIT = ("SELECT", "INSERT", "UPDATE", "DELETE")
LOG = ("SELECT", "INSERT", "UPDATE")  # upserts: a queued row sent twice updates itself; no DELETE

POLICY: tuple[Grant, ...] = (
    Grant("schema_version", READ, "to see which schema the server holds (the owner upgrades it)"),
    # The content trigger bumps the revision as the role that edited the content (it runs as the invoker).
    Grant("fleet_revision", ("SELECT", "UPDATE"), "to notice edited content, and to bump it when editing"),
    Grant("content", EDIT, "to play it; an operator edits content at any kiosk"),
    Grant("prompt", EDIT, "to use the active prompt; an operator edits prompts at any kiosk"),
    Grant("play_log", LOG, "proof of play: sends its queued rows, never deletes one"),
    Grant("audience_log", LOG, "visits: sends its queued rows, never deletes one"),
    Grant("tap_log", LOG, "NFC and QR taps: sends its queued rows, never deletes one"),
    Grant("heartbeat", LOG, "its own row: last seen, version, camera / model / NFC status, queue"),
)
# Tables a later upgrade adds, until `fleet init` runs again: what a log table gets.
DEFAULT_TABLE_PRIVILEGES = LOG
SEQUENCE_PRIVILEGES = ("USAGE", "SELECT")  # new content and prompt rows take their ids from sequences
_KNOWN = frozenset(("SELECT", "INSERT", "UPDATE", "DELETE", "USAGE"))

# Lower-case letters, digits and underscores: an identifier that reads the same quoted or not.
KIOSK_NAME = re.compile(r"[a-z0-9_]{1,40}")
_RESERVED = ("pg_",)  # PostgreSQL keeps role names starting with pg_ for itself
_NOT_A_KIOSK = frozenset((GROUP, "public", "none", "postgres", "current_user", "session_user"))


class RoleError(ValueError):
    """A kiosk name that cannot be a role; the message says what a name may hold."""


def check_kiosk_name(name: str) -> str:
    """The name, or RoleError in one line (the name itself is not echoed: it may be anything)."""
    if not KIOSK_NAME.fullmatch(name or ""):
        # "Showroom-A" -> showroom_a: a suggestion made of allowed characters only, so safe to show
        like = re.sub(r"[^a-z0-9_]", "_", (name or "").strip().lower())
        like = like if KIOSK_NAME.fullmatch(like) and not like.startswith(_RESERVED) \
            and like not in _NOT_A_KIOSK else "showroom_3"
        raise RoleError(f"a kiosk name is 1 to 40 lower-case letters, digits or underscores (like {like})")
    if name.startswith(_RESERVED) or name in _NOT_A_KIOSK:
        raise RoleError(f"{name} is reserved; choose another kiosk name")
    return name


def needed(tables: Iterable[str]) -> list[tuple[str, str]]:
    """(table, privilege) a kiosk must hold, for the policy's tables among `tables` (a server
    whose schema predates a table, such as heartbeat, is not asked for rights on it)."""
    present = set(tables)
    return [(g.table, p) for g in POLICY if g.table in present for p in g.privileges]


NEEDED = needed(g.table for g in POLICY)
# What a table's privileges can be: those outside the policy are more than a kiosk needs.
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def beyond(tables: Iterable[str]) -> list[tuple[str, str]]:
    """(table, privilege) a kiosk must not hold on the policy's tables among `tables`."""
    present = set(tables)
    return [(g.table, p) for g in POLICY if g.table in present for p in TABLE_PRIVILEGES
            if p not in g.privileges]


def _list(words: Iterable[str]) -> sql.Composable:
    words = tuple(words)
    if not words or not set(words) <= _KNOWN:
        raise ValueError(f"unknown privilege in {words}")
    return sql.SQL(", ").join(sql.SQL(w) for w in words)


def grant_statements(tables: Iterable[str], schema: str = DEFAULT_SCHEMA) -> list[sql.Composed]:
    """What `fleet init` runs as the owner, in one transaction: the group, then exactly the
    policy's rights on each of `tables` that the policy names (each REVOKE ALL first, so a
    second run undoes a right granted by hand), sequences, and defaults for later tables."""
    group, space = sql.Identifier(GROUP), sql.Identifier(schema)
    present = set(tables)
    statements = [
        # One statement either way, so `fleet sql` is as idempotent as `fleet init`.
        sql.SQL("DO $$ BEGIN CREATE ROLE {} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE; "
                "EXCEPTION WHEN duplicate_object THEN NULL; END $$").format(group),
        # Before PostgreSQL 15 every role could create tables in public.
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(space),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(space, group),
    ]
    for grant in POLICY:
        if grant.table not in present:
            continue
        table = sql.Identifier(schema, grant.table)
        statements += [sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(table, group),
                       sql.SQL("GRANT {} ON TABLE {} TO {}").format(_list(grant.privileges), table, group)]
    statements += [
        sql.SQL("GRANT {} ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
            _list(SEQUENCE_PRIVILEGES), space, group),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON TABLES TO {}").format(
            space, _list(DEFAULT_TABLE_PRIVILEGES), group),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON SEQUENCES TO {}").format(
            space, _list(SEQUENCE_PRIVILEGES), group),
    ]
    return statements


def create_kiosk_statement(name: str, verifier: str | None) -> sql.Composed:
    """The kiosk's login role, in the group, with nothing of its own. `verifier` is the password
    already hashed on this side (SCRAM), so the password itself never reaches the server or
    its statement log; None (for `fleet sql`) leaves the password to psql's \\password."""
    statement = sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT "
                        "IN ROLE {}").format(sql.Identifier(check_kiosk_name(name)), sql.Identifier(GROUP))
    if verifier is None:
        return statement
    return sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(verifier))


def reset_password_statement(name: str, verifier: str) -> sql.Composed:
    return sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(check_kiosk_name(name)),
                                                      sql.Literal(verifier))


def remove_kiosk_statements(name: str) -> list[sql.Composed]:
    role = sql.Identifier(check_kiosk_name(name))
    return [sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(GROUP), role),
            sql.SQL("DROP ROLE {}").format(role)]


def render(statement: sql.Composable) -> str:
    """The statement as text without a connection (psycopg2 quotes only with one), for `fleet
    sql`: identifiers double-quoted with inner quotes doubled, as PostgreSQL's quote_ident does;
    tests compare it with psycopg2's own rendering on a live connection."""
    if isinstance(statement, sql.Composed):
        return "".join(render(part) for part in statement.seq)
    if isinstance(statement, sql.Identifier):
        return ".".join('"' + s.replace('"', '""') + '"' for s in statement.strings)
    if isinstance(statement, sql.SQL):
        return statement.string
    raise TypeError(f"cannot print {type(statement).__name__} without a connection")

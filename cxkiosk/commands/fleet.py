"""`fleet`: set up the fleet's PostgreSQL for an integrator, with one least-privileged role per kiosk.

`init`, `add-kiosk` and `remove-kiosk` connect as the database's owner (--db, its password from
~/.pgpass, PGPASSWORD, CXKIOSK_DB_PASSWORD or the keyring: never needed on a kiosk); `sql`
prints what `init` runs, from the same policy (cxkiosk.fleet.roles); `password` stores a
kiosk's password in its OS keyring. A generated password is printed once and never logged;
the server only ever receives its SCRAM hash.
"""

from __future__ import annotations

import argparse
import logging
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cxkiosk.commands.common import UsageError, ask_secret, context, fail

log = logging.getLogger("cxkiosk.fleet")

PASSWORD_LABEL = "password (shown once, not stored anywhere):"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("fleet", help="set up a fleet's PostgreSQL: rights, a role per kiosk, passwords")
    actions = parser.add_subparsers(dest="fleet_command", metavar="ACTION", required=True,
                                    parser_class=type(parser))
    p = actions.add_parser("init", parents=[common],
                           help="create or upgrade the schema as its owner and give the group role "
                           "cxkiosk_kiosk exactly a kiosk's rights (safe to run again)")
    p.add_argument("--empty", action="store_true",
                   help="leave a new fleet's content empty (default: the shipped sample showroom, as a new "
                   "kiosk has, so kiosks pointed at it play something from the first minute)")
    p.set_defaults(handler=run_init)
    p = actions.add_parser("add-kiosk", parents=[common],
                           help="create a login role for one kiosk and print its URL and its password, "
                           "which is shown once only",
                           description="Creates a login role in cxkiosk_kiosk for one kiosk, connecting "
                           "with --db as the database's owner. Prints the kiosk's URL (no password in it), "
                           "the command that stores the password on the kiosk, and the generated password: "
                           "it is shown this once and stored nowhere, so copy it to the kiosk now.")
    p.add_argument("name", metavar="NAME", help="lower-case letters, digits, underscores (up to 40)")
    p.add_argument("--reset-password", action="store_true",
                   help="the kiosk role exists: give it a new password (shown once)")
    p.add_argument("--host", metavar="HOST", help="server address as the kiosks reach it (default: --db's)")
    p.set_defaults(handler=run_add)
    p = actions.add_parser("remove-kiosk", parents=[common],
                           help="drop a kiosk's role: it can no longer log in; its rows stay")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=run_remove)
    p = actions.add_parser("sql", help="print the SQL `fleet init` runs, for psql")
    p.add_argument("--db", metavar="URL", help="only the tables this database has (default: all of them)")
    p.add_argument("--kiosk", metavar="NAME", help="also the statement creating this kiosk's role")
    p.add_argument("--schema", metavar="SCHEMA", help="the schema holding the tables (default: public)")
    p.set_defaults(handler=run_sql)
    p = actions.add_parser("password", parents=[common],
                           help="store this kiosk's database password in the OS keyring (asks for it)")
    p.add_argument("--forget", action="store_true", help="remove the stored password instead")
    p.set_defaults(handler=run_password)


# --- connecting as the owner ---------------------------------------------------------------------


def _owner_url(args: argparse.Namespace) -> str:
    from cxkiosk.fleet.credentials import is_server_url

    if not args.db:
        raise UsageError("give the database owner's URL: --db postgresql://OWNER@HOST/DATABASE")
    if not is_server_url(args.db):
        raise UsageError("--db: a fleet needs a postgresql://OWNER@HOST/DATABASE URL")
    return str(args.db)


def _where(url: str) -> str:
    from cxkiosk.fleet.credentials import without_password

    return without_password(url)


def _say(exc: BaseException) -> str:
    """A server's error as one line (psycopg2's run over several)."""
    text = getattr(exc, "pgerror", None) or str(exc)
    return " ".join(text.split()).removeprefix("ERROR: ")


def _connect(url: str) -> Any:
    """The owner's connection (peewee over psycopg2, with the timeouts and keyring password of
    every cxkiosk connection), without touching the schema."""
    import peewee

    from cxkiosk.content.database import _connect as connect_server

    try:
        db = connect_server(url)
        db.connect()
    except (ValueError, peewee.PeeweeException) as exc:
        raise _Failed(f"cannot connect to {_where(url)}: {_say(exc)}") from None
    return db


def _not_a_kiosk(db: Any, action: str) -> None:
    """`init`, `add-kiosk` and `remove-kiosk` are the owner's: a kiosk's URL given by mistake is
    named so, before the server refuses half-way (and before a hint to give it CREATEROLE)."""
    from cxkiosk.fleet.roles import GROUP

    user = _rows(db, "SELECT current_user")[0][0]
    if _is_kiosk(db, user)[1]:
        raise _Failed(f"{user} is a kiosk's role, not the database's owner: run `cxkiosk fleet {action}` "
                      "with the owner's URL, --db postgresql://OWNER@HOST/DATABASE (docs/FLEET.md, step 1); "
                      f"a kiosk holds only {GROUP}'s rights")


class _Failed(Exception):
    """One line for the integrator, exit 1."""


def _run(handler: Any, args: argparse.Namespace) -> int:
    import peewee
    import psycopg2

    from cxkiosk.content.database import DatabaseError
    from cxkiosk.fleet.credentials import CredentialError, is_server_url, login_hint
    from cxkiosk.fleet.roles import RoleError

    try:
        return int(handler(args))
    except RoleError as exc:
        return fail(str(exc), 2)
    except (_Failed, DatabaseError, CredentialError) as exc:
        url = getattr(args, "db", None) or ""
        return fail(str(exc) + (login_hint(url, str(exc)) if is_server_url(url) else ""), 1)
    except (psycopg2.Error, peewee.PeeweeException) as exc:
        return fail(f"the server refused: {_say(exc)}", 1)


def _execute(db: Any, statements: list[Any]) -> None:
    """Run psycopg2.sql statements in one transaction: all of them or none. The raw cursor, not
    peewee's execute_sql, which logs each statement with its parameters at debug level."""
    with db.atomic():
        cursor = db.connection().cursor()
        for statement in statements:
            cursor.execute(statement)


def _rows(db: Any, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    cursor = db.connection().cursor()
    cursor.execute(query, params)
    rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def existing_tables(db: Any) -> tuple[str, set[str]]:
    """The schema new tables go to (where the kiosk's tables are) and the tables in it."""
    schema = _rows(db, "SELECT current_schema()")[0][0]
    tables = _rows(db, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')", (schema,))
    return schema, {name for (name,) in tables}


# --- the actions ---------------------------------------------------------------------------------


def run_init(args: argparse.Namespace) -> int:
    return _run(_init, args)


def _init(args: argparse.Namespace) -> int:
    import peewee
    import psycopg2

    from cxkiosk.content import database
    from cxkiosk.content.schema import SCHEMA_VERSION
    from cxkiosk.fleet.roles import GROUP, POLICY, grant_statements

    url = _owner_url(args)
    context(args)
    owner = _connect(url)
    try:
        _not_a_kiosk(owner, "init")
    finally:
        owner.close()
    db = database.open_database(url)  # creates or upgrades the schema, as its owner
    try:
        seeded = 0
        if not getattr(args, "empty", False) and not database.Content.select().exists():
            seeded = _seed_shipped_content()
        schema, tables = existing_tables(db)
        try:
            _execute(db, grant_statements(tables, schema))
        except (psycopg2.Error, peewee.PeeweeException) as exc:
            hint = ""
            if "create role" in _say(exc).lower():
                owner = urlsplit(url).username
                hint = f"; the owner needs CREATEROLE (as a superuser: ALTER ROLE {owner} CREATEROLE)"
            raise _Failed(f"cannot give {GROUP} its rights on {_where(url)}: {_say(exc)}{hint}") from None
    finally:
        database.close_database()
    granted = [g.table for g in POLICY if g.table in tables]
    later = [g.table for g in POLICY if g.table not in tables]
    log.info("fleet database %s: %s holds a kiosk's rights on %s", _where(url), GROUP, ", ".join(granted))
    print(f"fleet database {_where(url)}: schema v{SCHEMA_VERSION}; group role {GROUP} holds a "
          f"kiosk's rights on {len(granted)} tables" + (f" ({', '.join(later)}: not in this schema yet)"
                                                        if later else ""))
    if seeded:
        print(f"its content was empty: added the {seeded} items of the shipped sample showroom (edit or "
              "delete them in a kiosk's admin panel; `content import --db URL` adds your own)")
    print(f"next, one role per kiosk: cxkiosk fleet add-kiosk NAME --db {_where(url)}")
    return 0


def _seed_shipped_content() -> int:
    """The shipped sample showroom into the bound (server) database, numbered by it: what a new
    kiosk's first start copies for itself."""
    import peewee

    from cxkiosk.content import database
    from cxkiosk.resources import shipped_db

    shipped = peewee.SqliteDatabase(f"{shipped_db().resolve().as_uri()}?mode=ro", uri=True)
    try:
        with database.database.using(shipped):
            rows: Any = list(database.Content.select().order_by(database.Content.id).dicts())
    finally:
        shipped.close()
    for row in rows:
        del row["id"]
    with database.database.atomic():
        database.Content.insert_many(rows).execute()
    return len(rows)


def _is_kiosk(db: Any, name: str) -> tuple[bool, bool]:
    """(the role exists, it is a member of the kiosks' group)."""
    from cxkiosk.fleet.roles import GROUP

    row = _rows(db, "SELECT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "WHERE m.member = r.oid AND g.rolname = %s) FROM pg_roles r WHERE r.rolname = %s",
                (GROUP, name))
    return bool(row), bool(row and row[0][0])


def kiosk_url(owner_url: str, name: str, host: str | None = None) -> str:
    """The owner's URL for the kiosk's role: same server, database and options (sslmode), no
    password and no other user in it."""
    parts = urlsplit(owner_url)
    server = host or parts.hostname or "localhost"
    if ":" in server and not server.startswith("["):
        server = f"[{server}]"  # an IPv6 address
    netloc = f"{name}@{server}" + (f":{parts.port}" if parts.port else "")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k not in ("user", "password", "host", "port")])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _loopback(host: str) -> bool:
    import ipaddress

    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_add(args: argparse.Namespace) -> int:
    return _run(_add, args)


def _add(args: argparse.Namespace) -> int:
    from psycopg2.extensions import encrypt_password

    from cxkiosk.fleet.roles import GROUP, check_kiosk_name, create_kiosk_statement, reset_password_statement

    name = check_kiosk_name(args.name)
    url = _owner_url(args)
    context(args)
    db = _connect(url)
    try:
        _not_a_kiosk(db, "add-kiosk")
        if not _rows(db, "SELECT 1 FROM pg_roles WHERE rolname = %s", (GROUP,)):
            raise _Failed(f"{_where(url)} has no role {GROUP} yet; run first: "
                          f"cxkiosk fleet init --db {_where(url)}")
        exists, member = _is_kiosk(db, name)
        if exists and not member:
            raise _Failed(f"role {name} exists and is not a kiosk role (not in {GROUP}); choose another name")
        if exists and not args.reset_password:
            raise _Failed(f"kiosk role {name} exists already; for a new password: cxkiosk fleet add-kiosk "
                          f"{name} --reset-password --db {_where(url)}")
        if args.reset_password and not exists:
            raise _Failed(f"there is no kiosk role {name}; leave out --reset-password to create it")
        password = secrets.token_urlsafe(24)
        # Hashed here (SCRAM), so neither the wire nor the server's statement log sees the password.
        verifier = encrypt_password(password, name, db.connection(), "scram-sha-256")
        statement = (reset_password_statement if exists else create_kiosk_statement)(name, verifier)
        _execute(db, [statement])
    finally:
        db.close()
    where = kiosk_url(url, name, args.host)
    log.info("kiosk role %s %s on %s", name, "given a new password" if exists else "created", _where(url))
    print(f"kiosk role {name} {'has a new password' if exists else 'created'} (member of {GROUP}, "
          "no superuser, cannot create databases, roles or tables)")
    print(f"its database URL (settings 'db' or --db): {where}")
    if not args.host and _loopback(urlsplit(where).hostname or "localhost"):
        print("  (that address is this machine: for kiosks elsewhere, give --host with the server's address)")
    print(f"on that kiosk, store the password in its keyring: cxkiosk fleet password --db {where}")
    print("  (a kiosk without a secure keyring, or in a container: CXKIOSK_DB_PASSWORD in its environment)")
    print(f"{PASSWORD_LABEL} {password}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    return _run(_remove, args)


def _remove(args: argparse.Namespace) -> int:
    from cxkiosk.fleet.roles import GROUP, check_kiosk_name, remove_kiosk_statements

    name = check_kiosk_name(args.name)
    url = _owner_url(args)
    context(args)
    db = _connect(url)
    try:
        _not_a_kiosk(db, "remove-kiosk")
        exists, member = _is_kiosk(db, name)
        if not exists:
            raise _Failed(f"there is no role {name} on {_where(url)}")
        if not member:  # never the owner, a superuser or another program's role
            raise _Failed(f"role {name} is not a kiosk role (not in {GROUP}); it was left alone")
        _execute(db, remove_kiosk_statements(name))
    finally:
        db.close()
    log.info("kiosk role %s removed from %s", name, _where(url))
    print(f"kiosk role {name} removed: it can no longer log in; its plays, visits and taps stay")
    return 0


def run_sql(args: argparse.Namespace) -> int:
    return _run(_sql, args)


def _sql(args: argparse.Namespace) -> int:
    from cxkiosk.content.schema import SCHEMA_VERSION
    from cxkiosk.fleet.roles import (
        DEFAULT_SCHEMA,
        GROUP,
        POLICY,
        check_kiosk_name,
        create_kiosk_statement,
        grant_statements,
        render,
    )

    kiosk = check_kiosk_name(args.kiosk) if args.kiosk is not None else None
    schema, tables = args.schema or DEFAULT_SCHEMA, {g.table for g in POLICY}
    if args.db:
        db = _connect(_owner_url(args))
        try:
            found, tables = existing_tables(db)
        finally:
            db.close()
        schema = args.schema or found
    print(f"-- cxkiosk fleet: the rights of the group role {GROUP} (what `cxkiosk fleet init` runs).")
    print(f"-- Run as the database's owner once its schema exists; safe to run again. Without --db, "
          f"for every table of schema v{SCHEMA_VERSION}.")
    print("BEGIN;")
    for statement in grant_statements(tables, schema):
        print(render(statement) + ";")
    print("COMMIT;")
    if kiosk:
        print(f"-- one role per kiosk; then set its password with psql's \\password {kiosk}")
        print(render(create_kiosk_statement(kiosk, None)) + ";")
    return 0


def run_password(args: argparse.Namespace) -> int:
    return _run(_password, args)


def _password(args: argparse.Namespace) -> int:
    from cxkiosk.fleet.credentials import ENV_PASSWORD, entry, forget_password, is_server_url, store_password
    from cxkiosk.profiling.secrets import keyring_problem

    ctx = context(args)
    url = ctx.db_spec
    if not is_server_url(url):
        raise UsageError("the database is not a postgresql:// URL: give it with --db postgresql://KIOSK@HOST/DATABASE")
    name = entry(url)
    if not args.forget and (problem := keyring_problem(secret="the database password", env=ENV_PASSWORD)):
        return fail(problem, 1)  # before asking for a password it could not keep
    if args.forget:
        if forget_password(url):
            print(f"database password for {name} removed from the OS keyring")
            return 0
        return fail(f"no database password for {name} was stored", 1)
    try:
        password = ask_secret(f"database password for {name}: ")
    except EOFError:
        return fail("no password given; nothing was stored", 1)
    store_password(url, password)
    print(f"database password for {name} stored in the OS keyring; `cxkiosk check` connects with it")
    return 0

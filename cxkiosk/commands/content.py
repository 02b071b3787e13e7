"""`content list | import FILE | export FILE`: the operator's view of the content database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from cxkiosk.commands.common import Context, UsageError, context, fail


class DatabaseUnavailable(Exception):
    """The database could not be opened; the message is for the operator."""


@contextmanager
def opened_database(args: argparse.Namespace, *, write: bool = False) -> Iterator[Context]:
    """Open the database the command line and settings name, for the command's context; a
    read-only fallback is printed as a warning (and refused when the command writes)."""
    from cxkiosk.content.database import DatabaseError, close_database
    from cxkiosk.content.library import open_content

    ctx = context(args, log_to_file=False)
    try:
        _db, warning = open_content(ctx.db_spec, ctx.paths.default_db)
    except DatabaseError as exc:
        from cxkiosk.fleet.credentials import is_server_url, login_hint

        hint = login_hint(ctx.db_spec, str(exc)) if is_server_url(ctx.db_spec) else ""
        if is_server_url(ctx.db_spec) and not hint:  # away: what a kiosk here plays on from
            from cxkiosk.fleet.mirror import mirror_path

            copy = mirror_path(ctx.paths.data)
            if write:
                hint = "; content goes to the fleet's server, so import it once that answers"
            elif copy.is_file():
                hint = f"; this kiosk's own copy (what it plays meanwhile): --db {copy}"
        raise DatabaseUnavailable(str(exc) + hint) from None
    try:
        if warning and (write or getattr(args, "db", None)):
            # A command acts on the file it was given or on none: the shipped copy the kiosk
            # falls back to is not what `--db FILE` asked about.
            raise DatabaseUnavailable(warning)
        if warning:
            print(f"cxkiosk: warning: {warning}", file=sys.stderr)
        yield ctx
    finally:
        close_database()


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    # One parser with an ACTION positional (not nested subparsers, whose defaults would undo
    # "content --data-dir DIR list").
    p = sub.add_parser("content", parents=[common], help="list, import or export content",
                       description="content list | import FILE | export FILE "
                                   "(FILE: a seed .db, .csv or .json)")
    p.add_argument("action", choices=("list", "import", "export"))
    p.add_argument("file", nargs="?", metavar="FILE")
    p.add_argument("--json", action="store_true", help="list: print JSON instead of a table")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        if args.file:
            raise UsageError("content list takes no FILE")
        return run_list(args)
    if not args.file:
        raise UsageError(f"content {args.action} needs a FILE (.db, .csv or .json)")
    return run_import(args) if args.action == "import" else run_export(args)


def run_list(args: argparse.Namespace) -> int:
    import json

    from cxkiosk.content import library

    try:
        with opened_database(args):
            rows = library.listing()
    except DatabaseUnavailable as exc:
        return fail(str(exc), 1)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(f"{'id':>5}  {'kind':7} {'on':3} {'title':40} targeting")
    for row in rows:
        print(f"{row['id']:>5}  {row['kind']:7} {'yes' if row['enabled'] else 'no':3} "
              f"{row['title'][:40]:40} {_targeting(row)}")
    print(f"{len(rows)} item(s)")
    return 0


def _targeting(row: dict) -> str:
    parts = []
    if row["genders"]:
        parts.append(row["genders"].replace(",", "/"))
    if row["age_min"] is not None or row["age_max"] is not None:
        parts.append(f"age {row['age_min'] if row['age_min'] is not None else 0}-"
                     f"{row['age_max'] if row['age_max'] is not None else ''}")
    if row["group_min"] or row["group_max"]:
        parts.append(f"group {row['group_min'] or 1}-{row['group_max'] or ''}")
    if row["keywords"]:
        parts.append(row["keywords"])
    if row["days"] or row["hour_from"] is not None or row["hour_to"] is not None:
        hours = f"{row['hour_from'] or 0}-{row['hour_to'] if row['hour_to'] is not None else 24}h"
        parts.append(" ".join(x for x in (row["days"], hours) if x))
    return "; ".join(parts) or "(idle only)"


def run_import(args: argparse.Namespace) -> int:
    from cxkiosk.content import library
    from cxkiosk.content.media import MediaError, MediaFolders
    from cxkiosk.content.transfer import ContentFileError
    from cxkiosk.links import LinkPolicy

    try:
        with opened_database(args, write=True) as ctx:
            result = library.import_file(args.file, LinkPolicy.allowing(ctx.settings.http_hosts))
    except (DatabaseUnavailable, library.ContentError) as exc:
        return fail(str(exc), 1)
    except ContentFileError as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc.strerror or exc}")
    for error in result.errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    # A file may be copied in after its row (import takes it), but the operator hears of it now,
    # in the words the billboard would use when it skips the item.
    media = MediaFolders.for_data_dir(ctx.paths.data)
    for where, path in result.files:
        try:
            media.resolve(path)
        except MediaError as exc:
            print(f"{args.file}: {where}: warning: {exc}; the item is skipped until the file is there",
                  file=sys.stderr)
    print(result.summary())
    return 1 if result.errors else 0


def run_export(args: argparse.Namespace) -> int:
    from cxkiosk.content import library
    from cxkiosk.content.transfer import ContentFileError

    try:
        with opened_database(args):
            count = library.export_file(args.file)
    except (DatabaseUnavailable, library.ContentError) as exc:
        return fail(str(exc), 1)
    except ContentFileError as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot write {args.file}: {exc.strerror or exc}", 1)
    print(f"exported {count} item(s) to {args.file}")
    return 0

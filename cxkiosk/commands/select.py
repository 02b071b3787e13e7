"""`select --audience JSON [--at ISO-TIME]`: which item the kiosk would play for an audience, and why."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

from cxkiosk.commands.common import UsageError, context, fail
from cxkiosk.links import LinkError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("select", parents=[common], help="show the item chosen for an audience (JSON)")
    p.add_argument("--audience", required=True, metavar="JSON",
                   help='e.g. \'{"count": 1, "people": [{"gender": "female", "age": 34}]}\' or @file.json')
    p.add_argument("--at", metavar="TIME", help="ISO time to choose at, e.g. 2025-06-01T22:30 (default: now)")
    p.add_argument("--alternatives", type=int, default=0, metavar="N",
                   help="also list the next N matches")
    p.set_defaults(handler=run)


def parse_audience(text: str):
    from cxkiosk.attributes import refused_attributes
    from cxkiosk.values import Audience

    if text.startswith("@"):
        from cxkiosk.config import read_small_file

        try:
            text = read_small_file(Path(text[1:]))
        except OSError as exc:
            raise UsageError(f"--audience: cannot read {text[1:]}: {exc.strerror or exc}") from None
        except ValueError as exc:  # not a regular file, too large, not UTF-8
            raise UsageError(f"--audience: cannot read {text[1:]}: {exc}") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"--audience is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError('--audience must be a JSON object like {"count": 1, "people": [...]}')
    # A person's attributes at the top level, or a misspelt key, would silently mean "nobody".
    unknown = sorted(set(data) - {"count", "people", "source"})
    if unknown:
        raise UsageError(f"--audience: unknown key(s) {', '.join(map(repr, unknown))}; an audience is "
                         '{"count": 1, "people": [{"gender": "female", "age": 30}]}')
    count = data.get("count")
    readable = (isinstance(count, int) and not isinstance(count, bool) and count >= 0) or (
        isinstance(count, str) and count.strip().isascii() and count.strip().isdigit())  # as from_dict
    if count is not None and not readable:
        raise UsageError(f'--audience: "count" must be a whole number of people, not {count!r}')
    people = data.get("people", [])
    if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
        raise UsageError('--audience: "people" must be a list of objects like '
                         '{"gender": "female", "age": 30}')
    for number, person in enumerate(people, 1):
        if refused := refused_attributes(person):
            raise UsageError(f"--audience: person {number}: not valid: {', '.join(refused)} "
                             "(gender male|female, age 1-100, glasses/facing true|false)")
    return Audience.from_dict(data, source=data.get("source") or "cli")


def parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--at {text!r} is not an ISO time like 2025-06-01T22:30") from None
    if not 2000 <= at.year <= 2200:
        raise UsageError(f"--at {text!r} is outside the years 2000-2200")
    return at


def _choice_dict(choice, policy) -> dict:
    try:
        url = policy.resolve(choice.item.url)  # the link it would push ("" with no showroom_page)
    except LinkError:
        url = ""
    return {"id": choice.item.id, "title": choice.item.title, "url": url,
            "kind": choice.item.kind, "score": choice.score, "reasons": list(choice.reasons),
            "trigger": choice.trigger}


def run(args: argparse.Namespace) -> int:
    from cxkiosk.commands.content import DatabaseUnavailable, opened_database
    from cxkiosk.content.selection import Selector
    from cxkiosk.push.links import link_policy

    audience = parse_audience(args.audience)
    at = parse_time(args.at)
    if args.alternatives < 0:
        raise UsageError("--alternatives must be 0 or more")
    settings = context(args, log_to_file=False).settings
    selector = Selector.from_settings(settings)
    policy = link_policy(settings)
    try:
        with opened_database(args):
            ranked = selector.choose_alternatives(audience, at, limit=1 + args.alternatives)
    except DatabaseUnavailable as exc:
        return fail(str(exc), 1)
    if ranked:
        out = _choice_dict(ranked[0], policy)
    else:
        why = "nobody present" if audience.empty else "nothing matches this audience"
        out = {"id": None, "title": None, "url": None, "kind": None, "score": 0.0,
               "reasons": [f"{why}; the idle playlist continues"], "trigger": "idle"}
    out["audience"] = audience.summary()
    if args.alternatives:
        out["alternatives"] = [_choice_dict(c, policy) for c in ranked[1:]]
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0

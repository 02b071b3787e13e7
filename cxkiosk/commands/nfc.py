"""`nfc write URL`: write a link to the next tag and show what was read back; `nfc status`.

Exit codes: 0 only when the tag verifiably holds the link, 1 when the write did not happen
(no reader, no tag, read-only, too small, removed), 2 for bad input (link, device, timeout).
"""

from __future__ import annotations

import argparse
import sys

from cxkiosk.commands.common import UsageError, context, fail


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    # The common options (--data-dir...) go on each action, so they follow the action word.
    parser = sub.add_parser("nfc", help="test the NFC reader: write a link to a tag")
    actions = parser.add_subparsers(dest="nfc_action", metavar="ACTION", required=True,
                                    parser_class=type(parser))
    write = actions.add_parser("write", parents=[common], help="write URL to the next tag, verified")
    write.add_argument("url", metavar="URL", help="http(s) link to write")
    write.add_argument("--title", default="", help="optional title text record (dropped if too big)")
    _device_args(write)
    write.add_argument("--timeout", metavar="S", type=float, default=15.0,
                       help="seconds to wait for a tag (default: %(default)s)")
    write.set_defaults(handler=run_write)
    status = actions.add_parser("status", parents=[common], help="can the NFC reader be opened?")
    _device_args(status)
    status.set_defaults(handler=run_status)


def _device_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nfc", metavar="DEVICE",
                        help="nfcpy path: usb | usb:VID:PID | tty:USB0:pn532 | udp:HOST:PORT | none")


def _device(args: argparse.Namespace) -> str:
    from cxkiosk.push.nfc import check_device

    ctx = context(args)
    try:
        return check_device(ctx.settings.nfc_device)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def run_write(args: argparse.Namespace) -> int:
    from cxkiosk.links import LinkError
    from cxkiosk.push.links import checked_link, link_policy
    from cxkiosk.push.nfc import REFUSED, ReaderMissing, is_off, write_next_tag

    if not 0 < args.timeout <= 3600:  # NaN and infinity fail this too
        raise UsageError("--timeout must be a number of seconds from 0 to 3600")
    policy = link_policy(context(args).settings)
    try:
        url = checked_link(args.url, policy)
    except LinkError as exc:
        raise UsageError(f"cannot write {args.url!r}: {exc}") from exc
    path = _device(args)
    if is_off(path):
        return fail("NFC is off (device none); pass --nfc DEVICE", code=1)
    print(f"hold a tag to the reader on {path} (waiting {args.timeout:g} s)...", file=sys.stderr)
    try:
        result = write_next_tag(path, url, args.title, timeout=args.timeout, policy=policy)
    except ReaderMissing as exc:
        return fail(str(exc), code=1)
    if result.status == REFUSED:
        raise UsageError(result.message)
    if result.read_back is not None:
        print(f"read back: {result.read_back}")
    if result.ok:
        print(result.message)
        return 0
    return fail(result.message, code=1)


def run_status(args: argparse.Namespace) -> int:
    from cxkiosk.push.nfc import ReaderMissing, is_off, open_frontend

    path = _device(args)
    if is_off(path):
        print("NFC is off (device none)")
        return 0
    try:
        clf = open_frontend(path)
    except ReaderMissing as exc:
        return fail(str(exc), code=1)
    try:
        print(f"reader on {path}: {clf}")
    finally:
        clf.close()
    return 0

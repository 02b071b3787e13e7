"""`pin`: set the admin PIN at the machine itself (first set-up, or a PIN forgotten or damaged).

The billboard offers a new PIN only on a kiosk that never had one, so whoever stands at the
screen cannot take over a kiosk whose settings were lost; this command needs the machine's own
keyboard or a shell on it. It asks twice without echo (or reads two lines from a pipe), saves
only the new hash and clears the lockout.
"""

from __future__ import annotations

import argparse

from cxkiosk.commands.common import ask_secret, context, fail


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("pin", parents=[common], help="set a new admin PIN (asks twice)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from cxkiosk.config import load_settings, save_settings
    from cxkiosk.pin import STATE_FILE, PinError, PinGuard, check_new_pin, hash_pin

    ctx = context(args, log_to_file=False)
    try:
        pin = check_new_pin(ask_secret("New admin PIN (4-8 digits): "))
        if ask_secret("Repeat the PIN: ") != pin:
            return fail("the two PINs differ; nothing was changed")
    except PinError as exc:
        return fail(f"{exc}; nothing was changed")
    except EOFError:
        return fail("no PIN given; nothing was changed")
    # Over the file's own settings, not the command line's or the environment's overrides.
    stored = load_settings(ctx.paths, environ={})
    try:
        save_settings(ctx.paths, replace(stored, admin_pin_hash=hash_pin(pin)), old=stored)
    except OSError as exc:
        return fail(f"cannot write {ctx.paths.settings_file}: {exc.strerror or exc}; nothing was changed", 1)
    guard = PinGuard(ctx.paths.data / STATE_FILE)
    guard.note_pin()
    guard.reset()
    print(f"Admin PIN set in {ctx.paths.settings_file}; restart a running kiosk to use it.")
    return 0

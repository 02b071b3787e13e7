"""Whether this install still needs its first-run set-up, and recording that it is done.

Done is a marker file in the data folder (`setup-done.json`), written when the operator finishes
the set-up or skips it, rather than a setting: settings.json can be lost or set aside as
unreadable (the defaults then run), and the set-up must not come back then on a showroom screen
where anyone passing could answer it. A kiosk set up before the marker existed (settings saved,
or a PIN ever set) counts as done, so an update never greets a running showroom with a wizard.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime

from cxkiosk.config import Paths, Settings, problem, read_settings_file, save_settings, write_atomically
from cxkiosk.pin import STATE_FILE, PinGuard, is_pin_hash

log = logging.getLogger("cxkiosk.setup")

MARKER = "setup-done.json"
FINISHED, SKIPPED = "finished", "skipped"
# Platforms with no screen: nobody could see or answer the set-up, which would hold the kiosk.
HEADLESS_PLATFORMS = ("offscreen", "minimal")


def is_done(paths: Paths, settings: Settings) -> bool:
    """True once the set-up was finished or skipped here, or the kiosk was set up without it."""
    if (paths.data / MARKER).exists():
        return True
    data, unreadable = read_settings_file(paths)
    if unreadable or any(name != "version" and not _self_given(name, value) for name, value in data.items()):
        return True  # someone configured this kiosk already
    return is_pin_hash(settings.admin_pin_hash) or PinGuard(paths.data / STATE_FILE).had_pin


def mark_done(paths: Paths, how: str) -> bool:
    """Record that the set-up ended (`how`: finished or skipped); False (logged) when the data
    folder cannot be written, in which case it shows again at the next start."""
    record = {"setup": how, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        paths.data.mkdir(parents=True, exist_ok=True)
        write_atomically(paths.data / MARKER, json.dumps(record) + "\n")
    except OSError as exc:
        log.warning("cannot record that the set-up is done (%s); it shows again at the next start",
                    exc.strerror or exc)
        return False
    log.info("first-run set-up %s", how)
    return True


def why_not_shown(*, demo: bool, timed: bool, platform: str) -> str:
    """Why a pending set-up is not shown on this run ("" when it is): a demo or a timed run
    (--screenshot/--quit-after, how scripts and tests start the kiosk) is no operator's first
    start, and a platform with no screen has nobody to answer. It stays pending for the next."""
    if demo:
        return "a --demo run"
    if timed:
        return "a timed run (--screenshot/--quit-after)"
    if platform in HEADLESS_PLATFORMS:
        return f"no screen (Qt platform {platform})"
    return ""


ID_PREFIX, ID_LETTERS = "kiosk-", 6


def _self_given(name: str, value: object) -> bool:
    """Whether a setting is what `identify` wrote at the first start (a generated id, the host's
    name): no sign that anyone set the kiosk up."""
    if name == "kiosk_id" and isinstance(value, str):
        tail = value.removeprefix(ID_PREFIX)
        return value.startswith(ID_PREFIX) and len(tail) == ID_LETTERS and set(tail) <= set(BASE32)
    return name == "kiosk_name" and value == host_name()


BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def new_kiosk_id() -> str:
    """"kiosk-" and 6 random base32 letters and digits: 2^30 ids, so two kiosks of a fleet
    practically never draw the same, and short enough to type in `report --kiosk`."""
    return ID_PREFIX + "".join(secrets.choice(BASE32) for _ in range(ID_LETTERS))


def host_name() -> str:
    """This machine's name as a kiosk name ("" when it has none usable): the first label of
    the host name, without control characters, at most 60 characters."""
    try:
        name = socket.gethostname().split(".")[0]
    except OSError:
        return ""
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()[:60]
    return "" if name in ("", "localhost") or problem("kiosk_name", name) else name


def identify(paths: Paths, settings: Settings) -> Settings:
    """On a kiosk's first start (its settings.json names no kiosk_id), give it a stable id and,
    without a name, the machine's name, and save those two only; the settings to run with.
    An id set another way (CXKIOSK_KIOSK_ID) or a settings file that cannot be read is left
    alone; a data folder that cannot be written runs this start as before and tries again."""
    data, unreadable = read_settings_file(paths)
    if unreadable or "kiosk_id" in data or settings.kiosk_id != Settings().kiosk_id:
        return settings
    named = replace(settings, kiosk_id=new_kiosk_id(), kiosk_name=settings.kiosk_name or host_name())
    try:
        save_settings(paths, named, old=settings)
    except (OSError, ValueError) as exc:
        log.warning("cannot save this kiosk's new id (%s); it runs as %r until it can", exc,
                    settings.kiosk_id)
        return settings
    log.info("this kiosk is %s (%s); both are in settings.json", named.kiosk_id,
             named.kiosk_name or "no name")
    return named

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
from datetime import UTC, datetime

from cxkiosk.config import Paths, Settings, read_settings_file, write_atomically
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
    if unreadable or any(name != "version" for name in data):
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

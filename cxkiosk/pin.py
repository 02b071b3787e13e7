"""The admin PIN: a salted scrypt hash in `Settings.admin_pin_hash`, never the PIN itself.

A 4-8 digit PIN has at most 10^8 values, so the hash alone cannot keep a determined attacker
with the settings file out; what it does is keep the PIN out of backups and screenshots of
settings.json, and scrypt makes each guess cost memory. At the kiosk itself the lockout
(5 wrong tries -> 60 s, kept across restarts) is what stops guessing. A new PIN is offered at
the screen only on a kiosk that never had one; otherwise `cxkiosk pin` on the machine sets it.

Stored form: ``scrypt$<salt hex>$<hash hex>`` with fixed parameters (N=2^14, r=8, p=1).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from cxkiosk.config import read_small_file, write_atomically

PIN_MIN, PIN_MAX = 4, 8
MAX_TRIES = 5
LOCKOUT_SECONDS = 60.0
_SCHEME = "scrypt"
_N, _R, _P, _LEN = 2 ** 14, 8, 1, 32
_PIN = re.compile(rf"^[0-9]{{{PIN_MIN},{PIN_MAX}}}$")
log = logging.getLogger("cxkiosk.pin")


class PinError(ValueError):
    """A PIN that cannot be set; the message says why."""


def check_new_pin(pin: str) -> str:
    """The PIN if it can be set (4-8 digits), else PinError with the reason."""
    if not isinstance(pin, str) or not _PIN.match(pin):
        raise PinError(f"the PIN must be {PIN_MIN} to {PIN_MAX} digits (0-9)")
    return pin


def _derive(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode("ascii"), salt=salt, n=_N, r=_R, p=_P, maxmem=64 * 1024 * 1024,
                          dklen=_LEN)


def hash_pin(pin: str) -> str:
    """A new random-salted hash of a valid PIN, for Settings.admin_pin_hash."""
    check_new_pin(pin)
    salt = secrets.token_bytes(16)
    return f"{_SCHEME}${salt.hex()}${_derive(pin, salt).hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when `pin` matches `stored`; a malformed stored value or PIN never matches."""
    try:
        scheme, salt_hex, hash_hex = (stored or "").split("$")
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(hash_hex)
    except ValueError:
        return False
    if scheme != _SCHEME or not salt or len(expected) != _LEN:
        return False
    if not isinstance(pin, str) or not pin.isascii() or len(pin) > 64:
        return False
    # Always derive, so a wrong-length PIN costs as much time as a right-length one.
    return hmac.compare_digest(_derive(pin, salt), expected)


def is_pin_hash(stored: str) -> bool:
    """A stored value of the right form (it may still not match a PIN)."""
    try:
        scheme, salt_hex, hash_hex = (stored or "").split("$")
        return scheme == _SCHEME and bool(bytes.fromhex(salt_hex)) and len(bytes.fromhex(hash_hex)) == _LEN
    except ValueError:
        return False


class PinGuard:
    """Counts wrong tries; after MAX_TRIES in a row, refuses every try for LOCKOUT_SECONDS.

    The count, the lockout and whether this kiosk ever had a PIN live in `state_file` (in the
    data folder), so neither reopening the panel nor restarting the kiosk resets them, and a
    deleted or damaged PIN hash is not mistaken for a first run. Without a file (tests), or when
    it cannot be written, the state is kept in memory and the log says so once.
    """

    def __init__(self, state_file: Path | None = None, max_tries: int = MAX_TRIES,
                 lockout: float = LOCKOUT_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self.max_tries = max_tries
        self.lockout = lockout
        self.state_file = state_file
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0
        self._had_pin = False
        self._warned = False
        self._load()

    def _load(self) -> None:
        if self.state_file is None:
            return
        try:
            data = json.loads(read_small_file(self.state_file))
            self._failures = min(self.max_tries, max(0, int(data.get("failures", 0))))
            until = float(data.get("locked_until", 0.0))
            # A clock set back must not lock the panel for longer than one lockout.
            self._locked_until = min(until, self._clock() + self.lockout) if math.isfinite(until) else 0.0
            self._had_pin = bool(data.get("had_pin", False))
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, AttributeError, RecursionError, OverflowError) as exc:
            # Damaged: assume a PIN existed, so nobody at the screen is offered a new one.
            log.error("PIN state %s unreadable (%s); treating this kiosk as having a PIN",
                      self.state_file, exc)
            self._had_pin = True

    def _save(self) -> None:
        if self.state_file is None:
            return
        data = {"failures": self._failures, "locked_until": self._locked_until, "had_pin": self._had_pin}
        try:
            write_atomically(self.state_file, json.dumps(data) + "\n")
        except OSError as exc:
            if not self._warned:
                log.warning("cannot write the PIN state %s (%s); a restart resets the lockout",
                            self.state_file, exc.strerror or exc)
                self._warned = True

    @property
    def had_pin(self) -> bool:
        """A PIN was set on this kiosk at some time (so a missing one is damage, not a first run)."""
        return self._had_pin

    def note_pin(self) -> None:
        """Remember that this kiosk has a PIN (called whenever a valid hash is seen or set)."""
        if not self._had_pin:
            self._had_pin = True
            self._save()

    def reset(self) -> None:
        """After the PIN was set anew at the machine: no failures, no lockout."""
        self._failures, self._locked_until = 0, 0.0
        self._save()

    def locked_for(self) -> float:
        """Seconds until a try is accepted again; 0 when not locked."""
        return max(0.0, self._locked_until - self._clock())

    @property
    def tries_left(self) -> int:
        return self.max_tries - self._failures

    def attempt(self, pin: str, stored: str) -> bool:
        """Check a PIN against the stored hash, counting failures. Locked: always False."""
        if self.locked_for() > 0:
            return False
        if verify_pin(pin, stored):
            if self._failures:
                self._failures = 0
                self._save()
            return True
        self._failures += 1
        if self._failures >= self.max_tries:
            self._failures = 0
            self._locked_until = self._clock() + self.lockout
        self._save()
        return False


STATE_FILE = "admin-pin-state.json"

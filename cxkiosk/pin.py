"""The admin PIN: a salted scrypt hash in `Settings.admin_pin_hash`, never the PIN itself.

A 4-8 digit PIN has at most 10^8 values, so the hash alone cannot keep a determined attacker
with the settings file out; what it does is keep the PIN out of backups and screenshots of
settings.json, and scrypt makes each guess cost memory. At the kiosk itself the lockout
(5 wrong tries -> 60 s) is what stops guessing.

Stored form: ``scrypt$<salt hex>$<hash hex>`` with fixed parameters (N=2^14, r=8, p=1).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable

PIN_MIN, PIN_MAX = 4, 8
MAX_TRIES = 5
LOCKOUT_SECONDS = 60.0
_SCHEME = "scrypt"
_N, _R, _P, _LEN = 2 ** 14, 8, 1, 32
_PIN = re.compile(rf"^[0-9]{{{PIN_MIN},{PIN_MAX}}}$")


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


class PinGuard:
    """Counts wrong tries; after MAX_TRIES in a row, refuses every try for LOCKOUT_SECONDS.

    The kiosk keeps one guard for its whole run (`shared_guard()`), so closing and reopening the
    panel does not reset the count.
    """

    def __init__(self, max_tries: int = MAX_TRIES, lockout: float = LOCKOUT_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_tries = max_tries
        self.lockout = lockout
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0

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
            self._failures = 0
            return True
        self._failures += 1
        if self._failures >= self.max_tries:
            self._failures = 0
            self._locked_until = self._clock() + self.lockout
        return False


_SHARED: PinGuard | None = None


def shared_guard() -> PinGuard:
    """The one guard of this process (the admin panel may be built anew for each opening)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = PinGuard()
    return _SHARED

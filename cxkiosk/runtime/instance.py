"""One kiosk per data folder: a second start on the same folder says so and exits.

Two kiosks on one folder would play over each other and both write proof of play. The lock is
Qt's QLockFile (`kiosk.lock` in the data folder): it holds the owner's PID, host and boot id, so
a lock left by a kiosk that was SIGKILLed, or by a machine that lost power, is seen as stale and
taken over at the next start. A live kiosk on this machine keeps it however old the file is; the
age rule Qt applies otherwise (30 s, for a lock written from another host on a shared folder) is
turned off, since a kiosk runs for days without touching the file. A lock file with no owner in
it (empty or zeroed: a power cut just after it was created) is taken over once it is a few
seconds old; younger, it may be another kiosk's, started at the same instant, still writing it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QLockFile

LOCK_NAME = "kiosk.lock"
UNREADABLE_STALE = 5.0  # seconds: an owner writes its line the moment it creates the file

log = logging.getLogger("cxkiosk.instance")


class InstanceLock:
    """`kiosk.lock` for the kiosk; `supervise` holds its own (`supervise.lock`, what="supervise")."""

    def __init__(self, data: Path, name: str = LOCK_NAME, what: str = "kiosk") -> None:
        self.path = data / name
        self.what = what
        self._lock = QLockFile(str(self.path))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone, never by age

    def acquire(self) -> str:
        """Take the lock; "" when taken, else the one line saying who holds it."""
        if self._lock.tryLock(0):
            return ""
        if self._lock.error() == QLockFile.LockError.LockFailedError and self._ownerless():
            log.warning("%s names no owner (a power cut as it was written?); taking it over", self.path)
            self._lock.removeStaleLockFile()
            if self._lock.tryLock(0):
                return ""
        if self._lock.error() == QLockFile.LockError.LockFailedError:
            return f"another {self.what} is already running on this data folder ({holder(self.path)}); " \
                   "stop it first, or give this one its own --data-dir"
        # No permission, or a read-only folder: the lock cannot be written, so it cannot be held by
        # anyone else either; the kiosk plays on (`check` names the unwritable folder).
        return ""

    def _ownerless(self) -> bool:
        """The lock is a file with no readable owner in it, older than an owner takes to write one."""
        try:
            age = time.time() - self.path.stat().st_mtime
        except OSError:
            return False
        return self.path.is_file() and not QLockFile(str(self.path)).getLockInfo()[0] \
            and abs(age) > UNREADABLE_STALE

    def release(self) -> None:
        self._lock.unlock()


def holder(path: Path) -> str:
    """Who holds the lock at `path`, in words ("pid 123 on host x")."""
    pid, host, _app = QLockFile(str(path)).getLockInfo()
    return f"pid {pid} on {host}" if pid else "its lock file cannot be read"

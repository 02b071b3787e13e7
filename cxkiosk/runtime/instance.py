"""One kiosk per data folder: a second start on the same folder says so and exits.

Two kiosks on one folder would play over each other and both write proof of play. The lock is
Qt's QLockFile (`kiosk.lock` in the data folder): it holds the owner's PID, host and boot id, so
a lock left by a kiosk that was SIGKILLed, or by a machine that lost power, is seen as stale and
taken over at the next start. A live kiosk on this machine keeps it however old the file is; the
age rule Qt applies otherwise (30 s, for a lock written from another host on a shared folder) is
turned off, since a kiosk runs for days without touching the file. A lock file with no owner in
it (empty or zeroed: a power cut just after it was created) is taken over once it is a few
seconds old; younger, it may be another kiosk's, started at the same instant, still writing it.

Qt takes a live process with the owner's PID and program name as the owner; a PID reused after
the kiosk died (within one boot: a crash, the OOM killer, a container restarted with PIDs low
again; across a reboot the boot id settles it) by another Python program would hold the lock as
long as that program runs. So the owner adds its start time to Qt's lines, and a PID whose
process started at another time is not the owner.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QLockFile, QSysInfo

LOCK_NAME = "kiosk.lock"
SUPERVISE_LOCK = "supervise.lock"
UNREADABLE_STALE = 5.0  # seconds: an owner writes its line the moment it creates the file
STARTED = "cxkiosk-started "  # our line after Qt's, which Qt's reader passes over

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
        if self._lock.tryLock(0) or (self._lock.error() == QLockFile.LockError.LockFailedError
                                     and self._take_over()):
            self._add_start_time()
            return ""
        if self._lock.error() == QLockFile.LockError.LockFailedError:
            return f"another {self.what} is already running on this data folder ({holder(self.path)}); " \
                   "stop it first, or give this one its own --data-dir"
        # No permission, or a read-only folder: the lock cannot be written, so it cannot be held by
        # anyone else either; the kiosk plays on (`check` names the unwritable folder).
        return ""

    def _take_over(self) -> bool:
        """Remove a lock Qt takes as held but no one holds, and take it. Under Qt's own `.rmlock`,
        judged again there: two kiosks starting at once must not both remove it, each then
        taking the other's new lock for this old one."""
        guard = QLockFile(f"{self.path}.rmlock")
        if not guard.tryLock(0):
            return False
        try:
            if not (why := self._not_held()):
                return False
            log.warning("%s %s; taking it over", self.path, why)
            self._lock.removeStaleLockFile()
            return self._lock.tryLock(0)
        finally:
            guard.unlock()

    def _not_held(self) -> str:
        """Why the lock file, though Qt takes it as held, is no one's; "" when it may be held."""
        try:
            age = time.time() - self.path.stat().st_mtime
            lines = self.path.read_text(errors="replace").splitlines() if self.path.is_file() else None
        except OSError:
            return ""
        if lines is None:
            return ""
        pid, host, _app = QLockFile(str(self.path)).getLockInfo()
        if not pid:
            return "names no owner (a power cut as it was written?)" if abs(age) > UNREADABLE_STALE else ""
        recorded = next((line[len(STARTED):] for line in lines[1:] if line.startswith(STARTED)), None)
        if recorded is None or host != QSysInfo.machineHostName():
            return ""  # an older lock, or another host's: Qt's rule stands
        started = process_start(pid)
        if started is None or started == recorded:
            return ""
        return f"names pid {pid}, now another process's (started after the owner died)"

    def _add_start_time(self) -> None:
        started = process_start(os.getpid())
        if started is None:
            return
        try:
            with self.path.open("a") as lock:
                lock.write(f"{STARTED}{started}\n")
        except OSError:
            pass  # Qt's lines are there: a lock as older kiosks wrote it

    def held(self) -> bool:
        """Whether a live process holds the lock, found without taking it (for `check`): Qt's
        rule is tried on a copy of the file, then ours on the file itself."""
        with tempfile.TemporaryDirectory(prefix="cxkiosk-lock-") as folder:
            copy = Path(folder) / self.path.name
            try:
                shutil.copyfile(self.path, copy)
            except FileNotFoundError:
                return False
            except OSError:
                return True  # unreadable: it may be held
            probe = QLockFile(str(copy))
            probe.setStaleLockTime(0)
            if probe.tryLock(0):  # Qt took it as stale
                probe.unlock()
                return False
        return not self._not_held()

    def release(self) -> None:
        self._lock.unlock()


def process_start(pid: int) -> str | None:
    """When process `pid` started, in clock ticks since boot (/proc/PID/stat field 22), which a
    reused PID does not share; None when gone or unreadable. Linux only: on other systems (no
    /proc, and psutil is no dependency) Qt's rule stands alone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat.rpartition(")")[2].split()  # after the program name, which may hold spaces
    return fields[19] if len(fields) > 19 else None


def holder(path: Path) -> str:
    """Who holds the lock at `path`, in words ("pid 123 on host x")."""
    pid, host, _app = QLockFile(str(path)).getLockInfo()
    return f"pid {pid} on {host}" if pid else "its lock file cannot be read"

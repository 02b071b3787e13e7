"""Can the kiosk write where it keeps things? The one place that decides what a storage fault is
(a folder that cannot be written, a disk nearly full), for `check`, the commands and the
running kiosk alike."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# Below this the database, the log and settings saves start to fail within days of plays.
MIN_FREE_MB = 50


def free_mb(path: Path) -> float | None:
    """Free space on the disk holding `path` (or its nearest existing parent), in MB."""
    probe = Path(path)
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free / (1024 * 1024)
    except OSError:
        return None


def folder_problem(path: Path) -> str:
    """Why the kiosk cannot keep files in `path` ("" when it can): missing and not creatable,
    read-only (a mount, permissions), or a disk nearly full. Tried for real: a temporary file is
    written and removed, because permissions alone do not tell about a read-only mount."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path, prefix=".cxkiosk-probe-")
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        return f"{path} cannot be written ({exc.strerror or exc})"
    free = free_mb(path)
    if free is not None and free < MIN_FREE_MB:
        return f"{path} has only {free:.0f} MB free (the kiosk needs {MIN_FREE_MB} MB to keep its records)"
    return ""

"""How the kiosk's process takes memory from the C library, set once at start.

glibc gives each thread that allocates its own malloc arena, up to eight per core, and keeps
what each arena freed. A kiosk runs some forty threads (Qt, Chromium, FFmpeg, OpenCV,
its own workers), so its memory grew for minutes after start and settled high: a soak kiosk sat
at 560-610 MB, with two arenas at 480-500 MB, the same work (bench: 4 runs of 2 minutes side
by side). Two arenas is what `MALLOC_ARENA_MAX=2` gives; set through mallopt so an installed
kiosk, started by a desktop entry or the Start menu, has it too. Elsewhere (Windows, macOS,
musl) there is nothing to set.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Before the threads start: at most `arenas` malloc arenas. False where it does not apply
    (not glibc) or the environment already says (MALLOC_ARENA_MAX, an operator's choice)."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))

"""Keep the screen on while the kiosk plays: hold off the screen saver and display sleep.

One branch per OS, each the OS's own way of saying "a presentation is running":
Linux: `org.freedesktop.ScreenSaver.Inhibit` on the D-Bus session bus (GNOME, KDE, Xfce and
most desktops answer it; the inhibition ends by itself when the process dies). Windows:
`SetThreadExecutionState(ES_CONTINUOUS | ES_DISPLAY_REQUIRED | ES_SYSTEM_REQUIRED)` from the
GUI thread. macOS: `caffeinate -d -i -w <pid>`, which ends with the kiosk.
Where none works (no session bus, no desktop answering) the status line says so and what to do;
the kiosk plays on.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("cxkiosk.awake")

SERVICE = "org.freedesktop.ScreenSaver"
PATHS = ("/org/freedesktop/ScreenSaver", "/ScreenSaver")  # GNOME's proxy and freedesktop; older KDE
ES_CONTINUOUS, ES_SYSTEM_REQUIRED, ES_DISPLAY_REQUIRED = 0x80000000, 0x00000001, 0x00000002
WINDOWS_FLAGS = ES_CONTINUOUS | ES_DISPLAY_REQUIRED | ES_SYSTEM_REQUIRED
HELD = "screen saver and display sleep held off while the kiosk plays"
ADVICE = "turn it off in the OS settings"


def cannot(why: str) -> str:
    return f"screen saver: cannot inhibit ({why}); {ADVICE}"


def macos_command(pid: int) -> list[str]:
    """caffeinate: -d the display stays on, -i the system stays up, -w until `pid` ends."""
    return ["caffeinate", "-d", "-i", "-w", str(pid)]


class Awake:
    """Holds the screen on from `start()` to `stop()`; `status` is the operator's line."""

    def __init__(self, platform: str = sys.platform) -> None:
        self.platform = platform
        self.status = ""
        self._undo: Any = None

    def start(self) -> str:
        if self.platform.startswith("linux") or "bsd" in self.platform:
            self.status = self._dbus()
        elif self.platform == "win32":
            self.status = self._windows()
        elif self.platform == "darwin":
            self.status = self._macos()
        else:
            self.status = cannot(f"no way known on {self.platform}")
        return self.status

    def stop(self) -> None:
        undo, self._undo = self._undo, None
        if undo is not None:
            try:
                undo()
            except Exception as exc:  # the kiosk is quitting: a failed release is only a log line
                log.info("screen saver: release failed (%s)", exc)

    def _dbus(self) -> str:
        from PySide6.QtDBus import QDBus, QDBusConnection, QDBusMessage

        bus = QDBusConnection.sessionBus()
        if not bus.isConnected():
            return cannot("no session bus")
        error = ""
        for path in PATHS:
            call = QDBusMessage.createMethodCall(SERVICE, path, SERVICE, "Inhibit")
            call.setArguments(["cxkiosk", "showroom kiosk playing"])
            reply = bus.call(call, QDBus.CallMode.Block, 3000)
            if reply.type() == QDBusMessage.MessageType.ReplyMessage and reply.arguments():
                cookie = reply.arguments()[0]

                def uninhibit(path: str = path, cookie: Any = cookie) -> None:
                    release = QDBusMessage.createMethodCall(SERVICE, path, SERVICE, "UnInhibit")
                    release.setArguments([cookie])
                    bus.call(release, QDBus.CallMode.Block, 3000)

                self._undo = uninhibit
                return f"{HELD} (D-Bus {SERVICE})"
            error = error or reply.errorName().rsplit(".", 1)[-1] or "no answer"
            if error == "ServiceUnknown":
                break  # nobody on the bus provides it: the second path will not either
        return cannot(f"no {SERVICE} on the session bus ({error})")

    def _windows(self) -> str:
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        if not kernel32.SetThreadExecutionState(WINDOWS_FLAGS):
            return cannot("SetThreadExecutionState refused")
        self._undo = lambda: kernel32.SetThreadExecutionState(ES_CONTINUOUS)
        return f"{HELD} (SetThreadExecutionState)"

    def _macos(self) -> str:
        try:
            child = subprocess.Popen(macos_command(os.getpid()), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        except OSError as exc:
            return cannot(f"caffeinate: {exc.strerror or exc}")

        def release() -> None:
            child.terminate()
            child.wait(5)

        self._undo = release
        return f"{HELD} (caffeinate)"


def plan(platform: str = sys.platform, environ: dict[str, str] | None = None) -> tuple[bool, str]:
    """What the kiosk will do about the screen saver, for `check` (without asking the desktop)."""
    env = os.environ if environ is None else environ
    if platform.startswith("linux") or "bsd" in platform:
        runtime_bus = Path(env.get("XDG_RUNTIME_DIR", "/nonexistent")) / "bus"
        if env.get("DBUS_SESSION_BUS_ADDRESS") or runtime_bus.exists():
            return True, f"the kiosk asks {SERVICE} on the session bus to hold off the screen saver " \
                         "(the admin panel's Status says whether the desktop agreed)"
        return False, cannot("no session bus")
    if platform == "win32":
        return True, "the kiosk keeps the display on with SetThreadExecutionState while it plays"
    if platform == "darwin":
        return True, "the kiosk runs caffeinate -d -i while it plays"
    return False, cannot(f"no way known on {platform}")

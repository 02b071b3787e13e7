"""Start `supervise` (with this data folder) when the user logs in: the OS's own entry.

Per OS, the user's own start-up entry, no administrator rights: Linux an XDG autostart file
(`$XDG_CONFIG_HOME/autostart/cxkiosk.desktop`, ~/.config by default), Windows a value under
`HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`, macOS a LaunchAgent
(`~/Library/LaunchAgents/org.cxkiosk.supervise.plist`, RunAtLoad). The setting
`start_at_login` records the choice; `autostart on|off` and the admin panel write both.
"""

from __future__ import annotations

import getpass
import logging
import os
import plistlib
import subprocess
import sys
from pathlib import Path

from cxkiosk.supervisor import kiosk_command

log = logging.getLogger("cxkiosk.autostart")

NAME = "cxkiosk"
LABEL = "org.cxkiosk.supervise"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def login_command(data_dir: Path) -> list[str]:
    """What runs at login: `supervise` on this data folder, frozen or from source."""
    command = kiosk_command([], str(data_dir))
    command[command.index("run")] = "supervise"
    if sys.platform == "win32" and not getattr(sys, "frozen", False):
        pythonw = Path(command[0]).with_name("pythonw.exe")  # no console window at login
        if pythonw.exists():
            command[0] = str(pythonw)
    return command


# --- the entries, as pure functions of the command ----------------------------------------------

def _desktop_quote(arg: str) -> str:
    """One Exec= argument by the Desktop Entry spec: quoted when it holds a reserved character,
    with \\ " ` $ escaped inside the quotes, then every backslash doubled (the value is a
    string with escapes of its own, where a line break is \\n: a raw one would end the line
    and start a key of its own), and % written %%."""
    if arg and not any(c in arg for c in ' \t\n\r"\'\\><~|&;$*?#()`'):
        quoted = arg
    else:
        quoted = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    return quoted.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("%", "%%")


def desktop_entry(command: list[str]) -> str:
    return "\n".join([
        "[Desktop Entry]", "Type=Application", "Name=cxkiosk",
        "Comment=Showroom kiosk, restarted by its supervisor when it crashes",
        "Exec=" + " ".join(_desktop_quote(a) for a in command),  # as_written must match
        "Terminal=false", "X-GNOME-Autostart-enabled=true", ""])


def launch_agent(command: list[str]) -> bytes:
    """A LaunchAgent that starts the command once at login. No KeepAlive: the supervisor does
    the restarting, and its exit (the operator quit, or exit 2) must be respected."""
    return plistlib.dumps({"Label": LABEL, "ProgramArguments": command, "RunAtLoad": True,
                           "KeepAlive": False, "ProcessType": "Interactive",
                           "LimitLoadToSessionType": "Aqua"})


def windows_run_value(command: list[str]) -> str:
    """The Run value: one command line as Windows parses it (CommandLineToArgvW rules)."""
    return subprocess.list2cmdline(command)


# --- where each OS keeps it ---------------------------------------------------------------------

def entry_path(platform: str = sys.platform, environ: dict[str, str] | None = None) -> Path | None:
    """The file that holds the entry; None on Windows (a registry value)."""
    env = os.environ if environ is None else environ
    if platform == "win32":
        return None
    if platform == "darwin":
        return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    config = env.get("XDG_CONFIG_HOME") or ""
    # the Base Directory spec: a relative XDG_CONFIG_HOME is ignored
    base = Path(config) if Path(config).is_absolute() else Path.home() / ".config"
    return base / "autostart" / f"{NAME}.desktop"


def install(command: list[str]) -> str:
    """Write the entry; returns where."""
    path = entry_path()
    if path is None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:  # type: ignore[attr-defined,unused-ignore]
            winreg.SetValueEx(key, NAME, 0, winreg.REG_SZ, windows_run_value(command))  # type: ignore[attr-defined,unused-ignore]
        return f"HKCU\\{RUN_KEY}\\{NAME}"
    from cxkiosk.config import write_atomically

    path.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform == "darwin":
        path.write_bytes(launch_agent(command))
    else:
        write_atomically(path, desktop_entry(command))
    return str(path)


def remove() -> str:
    """Remove the entry; returns where it was ("" when there was none)."""
    path = entry_path()
    if path is None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:  # type: ignore[attr-defined,unused-ignore]
                winreg.DeleteValue(key, NAME)  # type: ignore[attr-defined,unused-ignore]
        except FileNotFoundError:
            return ""
        return f"HKCU\\{RUN_KEY}\\{NAME}"
    if not path.exists():
        return ""
    path.unlink()
    return str(path)


def as_written(command: list[str]) -> str:
    """The command as `installed` reads it back from this OS's entry."""
    if entry_path() is None:
        return windows_run_value(command)
    if sys.platform == "darwin":
        return " ".join(command)
    return " ".join(_desktop_quote(a) for a in command)


def installed() -> str:
    """The entry's command as written ("" when there is none)."""
    path = entry_path()
    if path is None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:  # type: ignore[attr-defined,unused-ignore]
                return str(winreg.QueryValueEx(key, NAME)[0])  # type: ignore[attr-defined,unused-ignore]
        except FileNotFoundError:
            return ""
    try:
        text = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return ""
    if path.suffix == ".plist":
        try:
            return " ".join(plistlib.loads(text).get("ProgramArguments", []))
        except (plistlib.InvalidFileException, ValueError, AttributeError):
            return "(unreadable)"
    lines = text.decode("utf-8", "replace").splitlines()
    return next((line[5:] for line in lines if line.startswith("Exec=")), "(no Exec line)")


def place() -> str:
    """Where this OS keeps the entry: a file's path, or the registry value on Windows."""
    path = entry_path()
    return str(path) if path else f"HKCU\\{RUN_KEY}\\{NAME}"


def login_user() -> str:
    """Whose login starts the kiosk (the entry is this user's own)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no USER/LOGNAME and no passwd entry
        return "this user"


def _tilde(where: str) -> str:
    home = str(Path.home())
    return "~" + where[len(home):] if where.startswith(home + os.sep) else where


def follow(on: bool, data_dir: Path) -> tuple[bool, str]:
    """Write (on) or remove (off) the entry as `autostart on|off` does, for a setting just changed
    in the admin panel: (done, one line for the operator). Not done: the setting keeps its old
    value, so it never claims an entry that is not there."""
    try:
        where = install(login_command(data_dir)) if on else remove()
    except OSError as exc:
        log.warning("start at login not turned %s: %s", "on" if on else "off", exc)
        return False, (f"Start at login NOT turned {'on' if on else 'off'}: cannot "
                       f"{'write' if on else 'remove'} {_tilde(place())} ({exc.strerror or exc}).")
    if on:
        return True, f"Start at login: {_tilde(where)}."
    return True, f"Start at login off{f' (removed {_tilde(where)})' if where else ''}."


def describe(data_dir: Path, setting: bool) -> tuple[bool, str]:
    """(in agreement, one line) on the entry and the setting, for `status` and `check`."""
    shown = place()
    try:
        current = installed()
    except OSError as exc:
        return False, f"start at login: {shown} cannot be read ({exc.strerror or exc})"
    if not current:
        return not setting, ("start at login is off" if not setting else
                             f"start_at_login is on but {shown} is missing: run 'autostart on'")
    mine = current == as_written(login_command(data_dir))
    what = f"start at login: {shown} starts supervise" + (
        "" if mine else f" differently ({current[:200]}): for another data folder or install")
    return setting and mine, what + ("" if setting else " (start_at_login is off: run 'autostart off')")

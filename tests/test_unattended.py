"""Unattended for weeks: started at login, and what the operator sees of it in the admin panel.
The lock, supervise's process tree, the daily restart and the screen have files of their own
(test_instance_lock, test_supervise_process, test_daily_restart, test_awake).

Real processes where it matters: `autostart` and what it writes run as the operator's login would.
"""

from __future__ import annotations

import configparser
import json
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from cxkiosk import autostart
from tests.kiosk_processes import KIOSK, MAIN, env, main

# --- start at login -----------------------------------------------------------------------------

def desktop_exec_argv(value: str) -> list[str]:
    """An Exec= value back to its arguments, by the Desktop Entry spec (independent of the writer):
    string escapes first, then the quoting rules, then %% as %."""
    unescaped, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            escapes = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
            unescaped.append(escapes.get(value[i + 1], "\\" + value[i + 1]))
            i += 2
        else:
            unescaped.append(value[i])
            i += 1
    text, args, current, quoted, i = "".join(unescaped), [], "", False, 0
    started = False
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\" and i + 1 < len(text) and text[i + 1] in '"`$\\':
                current += text[i + 1]
                i += 1
            elif c == '"':
                quoted = False
            else:
                current += c
        elif c == '"':
            quoted, started = True, True
        elif c == " ":
            if started or current:
                args.append(current)
            current, started = "", False
        else:
            current += c
        i += 1
    if started or current:
        args.append(current)
    return [a.replace("%%", "%") for a in args]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart is the Linux entry")
def test_autostart_writes_an_xdg_entry_that_starts_supervise_on_this_data_folder(tmp_path):
    data = tmp_path / "show room $HOME 100%"  # a space, a dollar and a percent, all to survive
    config = tmp_path / "config"
    on = main("autostart", "on", "--data-dir", str(data), XDG_CONFIG_HOME=str(config))
    assert on.returncode == 0, on.stderr
    entry = config / "autostart" / "cxkiosk.desktop"
    assert on.stdout.strip() == f"supervise starts at login from {entry}"
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.optionxform = str  # type: ignore[assignment,method-assign]
    parsed.read(entry)
    desktop = parsed["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Terminal"] == "false"
    argv = desktop_exec_argv(desktop["Exec"])
    assert argv == [sys.executable, MAIN, "supervise", "--data-dir", str(data)]
    assert json.loads((data / "settings.json").read_text())["start_at_login"] is True
    status = main("autostart", "status", "--data-dir", str(data), XDG_CONFIG_HOME=str(config))
    assert status.returncode == 0 and status.stdout.startswith(f"start at login: {entry} starts supervise")

    # what the desktop runs at login, run here with no display: supervise starts on that folder
    # and stops at once when the kiosk refuses (exit 2), saying so in that folder's log
    login_env = {k: v for k, v in env().items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    ran = subprocess.run(argv, capture_output=True, text=True, env=login_env, timeout=90)
    assert ran.returncode == 2 and "no display" in ran.stderr
    assert "refused to start" in (data / "logs" / "supervise.log").read_text()

    off = main("autostart", "off", "--data-dir", str(data), XDG_CONFIG_HOME=str(config))
    assert off.returncode == 0 and off.stdout.strip() == f"start at login is off (removed {entry})"
    assert not entry.exists()
    assert json.loads((data / "settings.json").read_text())["start_at_login"] is False
    again = main("autostart", "status", "--data-dir", str(data), XDG_CONFIG_HOME=str(config))
    assert again.returncode == 0 and again.stdout.strip() == "start at login is off"


def test_a_data_folder_name_with_a_line_break_stays_inside_the_exec_line():
    """A folder named with a newline (pasted, or chosen on purpose) used to split the Exec line
    and put whatever followed it in the entry as a key of its own: "Exec=/bin/evil" ran at login
    instead, since the last of two keys wins. The spec's string escape \\n keeps it one line."""
    command = ["/usr/bin/cxkiosk", "supervise", "--data-dir", "/srv/show\nExec=/bin/evil\r\nHidden=true"]
    entry = autostart.desktop_entry(command)
    exec_lines = [line for line in entry.splitlines() if line.startswith("Exec=")]
    assert len(exec_lines) == 1 and "Hidden=true" not in entry.splitlines()
    assert desktop_exec_argv(exec_lines[0][len("Exec="):]) == command


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart is the Linux entry")
def test_autostart_on_where_the_entry_cannot_be_written_names_the_place_and_keeps_the_setting(tmp_path):
    """A home folder that cannot be written (a locked-down account; here a file in the way, which
    stops root too): one line naming the file it could not write, and the setting stays off."""
    blocked = tmp_path / "config"
    blocked.write_text("")
    data = tmp_path / "data"
    on = main("autostart", "on", "--data-dir", str(data), XDG_CONFIG_HOME=str(blocked))
    assert on.returncode == 2
    assert on.stderr.strip().splitlines() == [
        f"cxkiosk: error: autostart on: cannot write {blocked / 'autostart' / 'cxkiosk.desktop'} "
        "(Not a directory)"]
    settings = data / "settings.json"
    assert not settings.exists() or "start_at_login" not in settings.read_text()

def test_status_and_check_name_an_entry_the_setting_does_not_know_of(tmp_path):
    data, config = tmp_path / "data", tmp_path / "config"
    assert main("autostart", "on", "--data-dir", str(data), XDG_CONFIG_HOME=str(config)).returncode == 0
    (data / "settings.json").write_text('{"version": 1, "start_at_login": false}\n')  # edited by hand
    status = main("autostart", "status", "--data-dir", str(data), XDG_CONFIG_HOME=str(config))
    assert status.returncode == 1 and "start_at_login is off: run 'autostart off'" in status.stdout
    check = main("check", "--data-dir", str(data), "--no-network", *KIOSK, XDG_CONFIG_HOME=str(config))
    assert "--   autostart start at login:" in check.stdout
    assert check.returncode == 0  # the kiosk can still run


def test_the_macos_launch_agent_runs_supervise_once_at_login():
    command = ["/Applications/cxkiosk.app/Contents/MacOS/cxkiosk", "supervise", "--data-dir",
               "/Users/shop/Library/Application Support/cxkiosk"]
    agent = plistlib.loads(autostart.launch_agent(command))
    assert agent["ProgramArguments"] == command
    assert agent["RunAtLoad"] is True and agent["KeepAlive"] is False  # the supervisor restarts, not launchd
    assert agent["Label"] == "org.cxkiosk.supervise"
    path = autostart.entry_path("darwin")
    assert path is not None and path.parts[-3:] == ("Library", "LaunchAgents", "org.cxkiosk.supervise.plist")


def test_the_windows_run_value_is_one_command_line_windows_splits_back():
    command = [r"C:\Program Files\cxkiosk\cxkiosk.exe", "supervise", "--data-dir",
               r"C:\Users\shop floor\AppData\Local\cxkiosk"]
    assert autostart.windows_run_value(command) == (
        r'"C:\Program Files\cxkiosk\cxkiosk.exe" supervise --data-dir '
        r'"C:\Users\shop floor\AppData\Local\cxkiosk"')
    assert autostart.entry_path("win32") is None  # a registry value, not a file


def test_the_login_command_is_supervise_on_the_data_folder(tmp_path):
    expected = [sys.executable, MAIN, "supervise", "--data-dir", str(tmp_path)]
    assert autostart.login_command(tmp_path) == expected


def test_a_relative_xdg_config_home_is_ignored_as_the_spec_says():
    assert autostart.entry_path("linux", {"XDG_CONFIG_HOME": "cfg"}) == \
        Path.home() / ".config" / "autostart" / "cxkiosk.desktop"


# --- what the operator sees -----------------------------------------------------------------

def test_a_kiosk_started_after_a_crash_loop_says_so_in_the_admin_panel(qtbot, data_dir, monkeypatch):
    """The supervisor waited out a crash loop: the kiosk it starts next shows why on the panel's
    Status (for the operator, behind the PIN; the billboard shows the public nothing alarming)."""
    from types import SimpleNamespace

    from PySide6.QtWidgets import QApplication

    from cxkiosk.config import Paths, Settings
    from cxkiosk.content import database
    from cxkiosk.content.playlist import Playlist
    from cxkiosk.pin import hash_pin
    from cxkiosk.runtime.status import StatusBoard
    from tests.test_admin_wiring import PIN, unlock
    from ui.admin.opener import AdminOpener
    from ui.app import _unattended
    from ui.billboard import Billboard

    (data_dir / "supervisor-state.json").write_text(json.dumps({
        "state": "running", "restarts": 5, "last_reasons": ["exited with code -11"],
        "paused": {"crashes": 5, "minutes": 10, "seconds": 600, "at": "2026-12-02T03:40:00"},
        "waiting_until": None}))
    monkeypatch.setenv("CXKIOSK_HEARTBEAT", str(data_dir / "heartbeat"))  # started by supervise
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    database.open_database(str(data_dir / "content.db"))
    try:
        settings = Settings(admin_pin_hash=hash_pin(PIN))
        billboard = Billboard()
        qtbot.addWidget(billboard)
        status = StatusBoard()
        awake, _daily = _unattended(QApplication.instance(), settings, status, data_dir)
        runtime = SimpleNamespace(capture=None, nfc=None, selector=SimpleNamespace(max_per_hour=4))
        opener = AdminOpener(Paths.for_data_dir(data_dir), settings, billboard,
                             Playlist(database.playlist()), status, runtime)
        panel = unlock(opener)
        labels = panel.devices.status_labels
        assert labels["supervisor"].text() == (
            "restarted after 5 crashes in 10 min (waited 10 min from 2026-12-02 03:40); "
            "last: exited with code -11; see logs/supervise.log")
        assert labels["screen"].text().startswith("screen saver: ")
        panel.close()
        awake.stop()
    finally:
        database.close_database()


# --- unattended running in the admin panel (the Devices tab) ------------------------------------

@pytest.fixture
def open_panel(qtbot, paths, db, answers, monkeypatch, tmp_path):
    """An unlocked admin panel on `paths` whose user's home is the test's own: the XDG entry goes
    to <home>/.config/autostart, shown as ~/.config/autostart."""
    from cxkiosk.config import Settings
    from cxkiosk.pin import PinGuard, hash_pin
    from ui.admin.panel import AdminPanel

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)

    def opened(**settings):
        panel = AdminPanel(paths, Settings(admin_pin_hash=hash_pin("4711"), **settings), guard=PinGuard())
        qtbot.addWidget(panel)
        panel.show()
        panel.pin_dialog.pin.setText("4711")
        panel.pin_dialog.submit()
        assert panel.unlocked
        panel.tabs.setCurrentWidget(panel.devices)
        return panel

    opened.home = home  # type: ignore[attr-defined]
    return opened


def saved(paths) -> dict:
    return json.loads(paths.settings_file.read_text())


def test_the_devices_tab_shows_the_unattended_settings(open_panel):
    import getpass

    devices = open_panel(daily_restart_hour=4, web_reload_hours=12.0).devices
    assert devices.start_at_login.text() == f"Start cxkiosk when {getpass.getuser()} logs in"
    assert not devices.start_at_login.isChecked()
    assert devices.login_entry.text() == "Now: start at login is off"
    assert devices.daily_restart.currentText() == "04:00"
    hours = [devices.daily_restart.itemText(i) for i in range(devices.daily_restart.count())]
    assert hours[:2] == ["Off", "00:00"] and hours[-1] == "23:00" and len(hours) == 25
    assert devices.web_reload.value() == 12.0
    assert (devices.web_reload.minimum(), devices.web_reload.maximum()) == (0.05, 168)  # the setting's bounds

    # a setting that says on while the OS entry is missing (deleted by hand) is named as such
    devices = open_panel(start_at_login=True).devices
    assert devices.start_at_login.isChecked()
    assert "is missing" in devices.login_entry.text() and devices.daily_restart.currentText() == "Off"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart is the Linux entry")
def test_ticking_start_at_login_and_saving_writes_the_entry_and_unticking_removes_it(open_panel, paths):
    panel = open_panel()
    entry = open_panel.home / ".config" / "autostart" / "cxkiosk.desktop"
    panel.devices.start_at_login.setChecked(True)
    assert panel.save()
    assert panel.save_status.text() == (
        "Saved and applied. Start at login: ~/.config/autostart/cxkiosk.desktop.")
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.optionxform = str  # type: ignore[assignment,method-assign]
    parsed.read(entry)
    assert desktop_exec_argv(parsed["Desktop Entry"]["Exec"]) == [
        sys.executable, MAIN, "supervise", "--data-dir", str(paths.data.resolve())]
    assert saved(paths)["start_at_login"] is True
    assert panel.devices.login_entry.text() == f"Now: start at login: {entry} starts supervise"
    # the command line reads it as its own: the panel wrote what `autostart on` writes
    status = main("autostart", "status", "--data-dir", str(paths.data))
    assert status.returncode == 0, status.stdout

    panel.devices.start_at_login.setChecked(False)
    assert panel.save()
    assert not entry.exists() and saved(paths)["start_at_login"] is False
    assert panel.save_status.text() == (
        "Saved and applied. Start at login off (removed ~/.config/autostart/cxkiosk.desktop).")
    assert panel.devices.login_entry.text() == "Now: start at login is off"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart is the Linux entry")
@pytest.mark.expect_log(r"start at login not turned on")
@pytest.mark.parametrize("blocked", ["read-only disk", "a file where the folder goes"])
def test_an_entry_that_cannot_be_written_says_so_and_the_setting_stays_off(open_panel, paths, request,
                                                                         monkeypatch, tmp_path, blocked):
    if blocked == "read-only disk":
        disk = request.getfixturevalue("small_disk")
        config, reason = disk.path, "Read-only file system"
        disk.read_only()
    else:
        config, reason = tmp_path / "config", "File exists"
        config.mkdir()
        (config / "autostart").write_text("not a folder")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    panel = open_panel()
    panel.devices.start_at_login.setChecked(True)
    panel.devices.daily_restart.setCurrentIndex(panel.devices.daily_restart.findData(3))
    assert panel.save()  # the other settings are saved
    line = panel.save_status.text()
    assert line.endswith(f"Start at login NOT turned on: cannot write {config}/autostart/cxkiosk.desktop "
                         f"({reason}).")
    assert "\n" not in line and "#b00020" in panel.save_status.styleSheet()  # the error colour
    stored = saved(paths)
    assert stored.get("start_at_login", False) is False and stored["daily_restart_hour"] == 3
    assert not panel.devices.start_at_login.isChecked()  # the box shows what is true
    assert not panel._unsaved()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart is the Linux entry")
def test_settings_that_cannot_be_saved_take_the_new_entry_back(qtbot, db, answers, monkeypatch, tmp_path,
                                                                 small_disk):
    """The entry is written before settings.json; when settings.json then cannot be written (a
    read-only data folder), the entry goes again, so the two still agree."""
    from cxkiosk.config import Paths, Settings
    from cxkiosk.pin import PinGuard, hash_pin
    from ui.admin.panel import AdminPanel

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    entry = tmp_path / "config" / "autostart" / "cxkiosk.desktop"
    paths = Paths.for_data_dir(small_disk.path)
    panel = AdminPanel(paths, Settings(admin_pin_hash=hash_pin("4711")), guard=PinGuard())
    qtbot.addWidget(panel)
    panel.show()
    panel.pin_dialog.pin.setText("4711")
    panel.pin_dialog.submit()
    small_disk.read_only()
    panel.devices.start_at_login.setChecked(True)
    assert not panel.save()
    assert panel.save_status.text().startswith(f"Not saved: cannot write {paths.settings_file}")
    assert not entry.exists() and not paths.settings_file.exists()
    assert panel.devices.start_at_login.isChecked()  # the edit is kept, to save once it can be


def test_the_daily_restart_and_web_renewal_are_saved_and_need_a_restart(open_panel, paths):
    panel = open_panel()
    panel.devices.daily_restart.setCurrentIndex(panel.devices.daily_restart.findText("04:00"))
    panel.devices.web_reload.setValue(2.5)
    assert panel.save()
    assert (saved(paths)["daily_restart_hour"], saved(paths)["web_reload_hours"]) == (4, 2.5)
    assert panel.save_status.text() == "Saved. Restart the kiosk to apply: daily restart, web reload."
    panel.devices.daily_restart.setCurrentIndex(panel.devices.daily_restart.findText("Off"))
    assert panel.save()
    assert saved(paths)["daily_restart_hour"] == -1
    assert "start_at_login" not in saved(paths)  # untouched, so not written (nor any OS entry)


def test_a_fleet_kiosks_status_shows_on_the_devices_tab(open_panel):
    from PySide6.QtWidgets import QLabel

    from cxkiosk.runtime.status import PARTS

    panel = open_panel()
    line = "connected to db.showroom.example; content revision 12"
    panel.set_status("fleet", line)
    assert panel.devices.status_labels["fleet"].text() == line
    titles = {label.text() for label in panel.devices.findChildren(QLabel)}
    assert "<b>Fleet database</b>" in titles
    assert set(panel.devices.status_labels) == set(PARTS)  # every part the kiosk reports has a line


"""The screen kept on while the kiosk plays, or one line saying it cannot be and what to do:
a private D-Bus session bus with a stand-in screen saver where one is needed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from cxkiosk.runtime.awake import Awake, macos_command
from tests.kiosk_processes import KIOSK, main


def test_without_a_session_bus_the_line_says_to_turn_it_off_in_the_os(qapp, monkeypatch):
    for name in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")
    awake = Awake("linux")
    assert awake.start() == "screen saver: cannot inhibit (no session bus); turn it off in the OS settings"
    awake.stop()


def test_on_an_unknown_os_or_without_caffeinate_the_line_says_so(qapp, monkeypatch):
    assert Awake("sunos5").start().startswith("screen saver: cannot inhibit (no way known on sunos5)")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert Awake("darwin").start().startswith("screen saver: cannot inhibit (caffeinate: ")
    assert macos_command(123) == ["caffeinate", "-d", "-i", "-w", "123"]


FAKE_SCREENSAVER = textwrap.dedent("""
    import sys
    from jeepney import HeaderFields, MessageType, new_method_return
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    conn = open_dbus_connection(bus="SESSION")
    conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.ScreenSaver"))
    print("ready", flush=True)
    while True:
        msg = conn.receive()
        if msg.header.message_type != MessageType.method_call:
            continue
        member = msg.header.fields.get(HeaderFields.member)
        path = msg.header.fields.get(HeaderFields.path)
        print(member, path, *msg.body, flush=True)
        if member == "Inhibit":
            conn.send(new_method_return(msg, "u", (4242,)))
        elif member == "UnInhibit":
            conn.send(new_method_return(msg))
""")


@pytest.fixture
def session_bus(tmp_path) -> Iterator[str]:
    """A private D-Bus session bus (dbus-daemon, if installed), gone after the test."""
    if not shutil.which("dbus-daemon"):
        pytest.skip("dbus-daemon not installed")
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1",
                               f"--address=unix:path={tmp_path / 'bus'}"], stdout=subprocess.PIPE, text=True)
    try:
        address = daemon.stdout.readline().strip()  # type: ignore[union-attr]
        assert address, "dbus-daemon gave no address"
        yield address
    finally:
        daemon.terminate()
        daemon.wait(10)


def test_the_running_kiosk_holds_off_the_screen_saver_and_lets_go_when_it_quits(session_bus, data_dir):
    pytest.importorskip("jeepney")
    saver = subprocess.Popen([sys.executable, "-c", FAKE_SCREENSAVER], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": session_bus})
    try:
        assert saver.stdout.readline().strip() == "ready"  # type: ignore[union-attr]
        ran = main("run", "--data-dir", str(data_dir), *KIOSK, "--quit-after", "2",
                   DBUS_SESSION_BUS_ADDRESS=session_bus)
        assert ran.returncode == 0, ran.stderr
    finally:
        saver.terminate()
        out, _ = saver.communicate(timeout=10)
    calls = [line for line in out.splitlines() if line.split()[0] in ("Inhibit", "UnInhibit")]
    assert calls == ["Inhibit /org/freedesktop/ScreenSaver cxkiosk showroom kiosk playing",
                     "UnInhibit /org/freedesktop/ScreenSaver 4242"]
    log = (data_dir / "logs" / "cxkiosk.log").read_text()
    assert "screen: screen saver and display sleep held off while the kiosk plays " \
           "(D-Bus org.freedesktop.ScreenSaver)" in log


def test_a_session_bus_without_a_screen_saver_says_so(session_bus, data_dir):
    ran = main("run", "--data-dir", str(data_dir), *KIOSK, "--quit-after", "1",
               DBUS_SESSION_BUS_ADDRESS=session_bus)
    assert ran.returncode == 0, ran.stderr
    log = (data_dir / "logs" / "cxkiosk.log").read_text()
    assert "screen: screen saver: cannot inhibit (no org.freedesktop.ScreenSaver on the session bus " \
           "(ServiceUnknown)); turn it off in the OS settings" in log

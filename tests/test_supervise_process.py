"""`supervise` as a real process tree: brought back after a power cut, stopped by Ctrl+C or
SIGTERM, started twice on one folder, and SIGKILLed alone."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.kiosk_processes import KIOSK, POSIX, kiosk_started, main, power_cut, start, wait_for


@POSIX
def test_after_a_power_cut_supervise_brings_the_kiosk_back_with_its_database(data_dir):
    """SIGKILL of the supervisor and the kiosk together (the whole process group, as a power cut
    does): `check` says no supervise runs, the next `supervise` starts a kiosk (the stale lock does
    not block it), the database opens intact, and `check` passes."""
    heartbeat = data_dir / "heartbeat"
    first = start("supervise", "--data-dir", str(data_dir), "--", *KIOSK, "--quit-after", "300")
    try:
        wait_for(lambda: heartbeat.exists() and (data_dir / "kiosk.lock").exists()
                 and kiosk_started(data_dir), first)
    finally:
        power_cut(first)
    state = json.loads((data_dir / "supervisor-state.json").read_text())
    assert state["state"] == "running"  # what the cut left: it never wrote an end
    # `check` before the next supervise used to read that as "supervised; 0 restarts"
    cut = main("check", "--data-dir", str(data_dir), "--no-network", *KIOSK)
    said = [line for line in cut.stdout.splitlines() if " supervisor " in line]
    assert len(said) == 1 and said[0].startswith(
        f"--   supervisor not running: supervise (pid {first.pid}), last heard of at ")
    assert said[0].endswith(", is gone (a power cut, or killed); python main.py supervise starts it again")
    assert cut.returncode == 0  # the kiosk can still run, unsupervised

    again = main("supervise", "--data-dir", str(data_dir), "--", *KIOSK, "--quit-after", "3", timeout=120)
    assert again.returncode == 0, again.stderr[-800:]
    assert "already running" not in again.stderr
    assert kiosk_started(data_dir, times=2)
    assert "kiosk exited normally" in (data_dir / "logs" / "supervise.log").read_text()
    with sqlite3.connect(data_dir / "content.db") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check = main("check", "--data-dir", str(data_dir), "--no-network", *KIOSK)
    assert check.returncode == 0, check.stdout
    assert "the kiosk can run" in check.stdout
    assert "supervisor the kiosk was quit" in check.stdout



@POSIX
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_stopping_supervise_quits_the_kiosk_cleanly(data_dir, sig):
    """Ctrl+C or SIGTERM to the supervisor alone: the kiosk is asked to quit and does so cleanly
    (its lock let go, proof of play written), and supervise exits 0. Ctrl+C used to end the
    supervisor with KeyboardInterrupt and SIGKILL the kiosk in the middle of its show."""
    first = start("supervise", "--data-dir", str(data_dir), "--", *KIOSK, "--quit-after", "300")
    try:
        log = data_dir / "logs" / "cxkiosk.log"  # playing: past its start-up, where SIGTERM still kills
        wait_for(lambda: kiosk_started(data_dir) and "playing item" in log.read_text(), first)
        os.kill(first.pid, getattr(signal, sig))
        assert first.wait(30) == 0, first.stderr.read()[-800:] if first.stderr else ""
    finally:
        if first.poll() is None:
            power_cut(first)
    assert not (data_dir / "kiosk.lock").exists()  # only a kiosk that quit cleanly lets it go
    assert "Traceback" not in (first.stderr.read() if first.stderr else "")
    state = json.loads((data_dir / "supervisor-state.json").read_text())
    assert state["state"] == "ended: supervision was stopped"


@POSIX
def test_a_second_supervise_on_the_folder_says_so_and_leaves_the_first_ones_state(data_dir):
    """`supervise` started twice (autostart and by hand): the second used to start a kiosk that
    refused, then wrote "ended: the kiosk refused to start" over the running one's state, so
    `check` said supervision had ended while it ran."""
    first = start("supervise", "--data-dir", str(data_dir), "--", *KIOSK, "--quit-after", "300")
    try:
        wait_for(lambda: (data_dir / "heartbeat").exists() and kiosk_started(data_dir), first)
        second = main("supervise", "--data-dir", str(data_dir), "--", *KIOSK)
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"cxkiosk: error: another supervise is already running on this data folder (pid {first.pid} "
            f"on {os.uname().nodename}); stop it first, or give this one its own --data-dir"]
        assert json.loads((data_dir / "supervisor-state.json").read_text())["state"] == "running"
        live = main("check", "--data-dir", str(data_dir), "--no-network", *KIOSK)
        assert "ok   supervisor supervised; 0 restarts since it started" in live.stdout.splitlines()
        assert first.poll() is None
    finally:
        power_cut(first)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_killed_supervisor_takes_its_kiosk_with_it(data_dir):
    """`kill -9` of supervise alone (an impatient operator, the OOM killer): its kiosk used to
    play on as an orphan nobody supervised, and the next supervise's kiosk refused to start. The
    kiosk now gets SIGTERM when its supervisor dies, and quits cleanly."""
    first = start("supervise", "--data-dir", str(data_dir), "--", *KIOSK, "--quit-after", "300")
    lock = data_dir / "kiosk.lock"
    try:
        log = data_dir / "logs" / "cxkiosk.log"
        wait_for(lambda: kiosk_started(data_dir) and "playing item" in log.read_text(), first)
        kiosk = int(lock.read_text().split()[0])
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        wait_for(lambda: not Path(f"/proc/{kiosk}").exists(), limit=30)
    finally:
        try:
            power_cut(first)  # whatever is left of the group
        except ProcessLookupError:
            pass  # nothing: the kiosk went with its supervisor
    assert not lock.exists()  # it quit cleanly, letting its lock go

"""`main.py` started as the operator would and SIGKILLed as a power cut would, for the tests of
unattended running (test_unattended, test_instance_lock, test_supervise_process, test_awake)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAIN = str(ROOT / "main.py")
POSIX = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL and process groups")
KIOSK = ("--source", "none", "--nfc", "none")


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("CXKIOSK_HEARTBEAT", "DBUS_SESSION_BUS_ADDRESS")}
    return {**base, "QT_QPA_PLATFORM": "offscreen", **extra}


def main(*args: str, timeout: float = 90, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, MAIN, *args], capture_output=True, text=True, timeout=timeout,
                          env=env(**extra), cwd=ROOT)


def start(*args: str, **extra: str) -> subprocess.Popen:
    """In its own process group, so the test can cut the power of the whole tree."""
    return subprocess.Popen([sys.executable, MAIN, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env(**extra), cwd=ROOT,
                            start_new_session=True)


def wait_for(what, proc: subprocess.Popen | None = None, limit: float = 60) -> None:
    """Until `what()` is true; a guard against a stuck child, not a timing assertion."""
    deadline = time.monotonic() + limit
    while not what():
        if proc is not None and proc.poll() is not None:
            said = proc.stderr.read()[-800:] if proc.stderr else ""
            raise AssertionError(f"exited {proc.returncode}: {said}")
        assert time.monotonic() < deadline, "the kiosk did not get that far"
        time.sleep(0.1)


def power_cut(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def kiosk_started(data: Path, times: int = 1) -> bool:
    log = data / "logs" / "cxkiosk.log"
    return log.exists() and log.read_text().count("starting cxkiosk") >= times


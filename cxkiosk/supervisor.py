"""Keeps the kiosk running for days: restarts it when it crashes or hangs.

The kiosk touches a heartbeat file from its GUI thread every few seconds (when the supervisor
asks it to, through CXKIOSK_HEARTBEAT); a frozen event loop stops the heartbeat, and the
supervisor kills and restarts it. A clean exit (code 0, the operator quit) ends supervision, and
so does a usage error (code 2: a bad flag or a configuration the kiosk refuses), which no restart
can mend.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("cxkiosk.supervise")

HEARTBEAT_ENV = "CXKIOSK_HEARTBEAT"
USAGE_ERROR = 2  # what the kiosk exits with when its arguments or settings cannot run


@dataclass
class Outcome:
    restarts: int
    exit_code: int
    reasons: list[str]


class Supervisor:
    def __init__(self, command: Sequence[str], heartbeat: Path, *, hang_seconds: float = 60.0,
                 start_grace: float = 60.0, max_backoff: float = 60.0, healthy_after: float = 600.0,
                 max_restarts: int | None = None, poll: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.command = list(command)
        self.heartbeat = heartbeat
        self.hang_seconds = hang_seconds
        self.start_grace = start_grace  # a starting kiosk gets this long before its first beat
        self.max_backoff = max_backoff
        self.healthy_after = healthy_after  # a run this long resets the backoff
        self.max_restarts = max_restarts
        self.poll = poll
        self._sleep = sleep
        self._stop = False

    def stop(self) -> None:
        self._stop = True

    def run(self) -> Outcome:
        restarts, backoff = 0, 1.0
        reasons: list[str] = []
        while True:
            started = time.monotonic()
            code, reason = self._run_once()
            if code == 0 or self._stop:
                log.info("kiosk exited normally; supervision ends")
                return Outcome(restarts, code, reasons)
            if code == USAGE_ERROR:
                log.error("kiosk refused its arguments or settings (exit 2; its own line says why); "
                          "not restarting: fix them and start again")
                return Outcome(restarts, code, [*reasons, "refused its arguments"])
            reasons.append(reason)
            if self.max_restarts is not None and restarts >= self.max_restarts:
                log.error("kiosk %s; giving up after %d restarts", reason, restarts)
                return Outcome(restarts, code, reasons)
            if time.monotonic() - started >= self.healthy_after:
                backoff = 1.0
            log.error("kiosk %s; restarting in %.0f s", reason, backoff)
            self._sleep(backoff)
            backoff = min(self.max_backoff, backoff * 2)
            restarts += 1

    def _run_once(self) -> tuple[int, str]:
        self.heartbeat.parent.mkdir(parents=True, exist_ok=True)
        self.heartbeat.unlink(missing_ok=True)
        env = {**os.environ, HEARTBEAT_ENV: str(self.heartbeat)}
        child = subprocess.Popen(self.command, env=env)
        launched = time.monotonic()
        try:
            while True:
                code = child.poll()
                if code is not None:
                    return code, f"exited with code {code}"
                if self._stop:
                    child.terminate()
                    return child.wait(10), "stopped"
                if self._hung(launched):
                    log.error("no heartbeat for %.0f s: the kiosk is hung", self.hang_seconds)
                    child.kill()
                    child.wait(10)
                    return -9, f"hung (no heartbeat for {self.hang_seconds:.0f} s)"
                self._sleep(self.poll)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)

    def _hung(self, launched: float) -> bool:
        try:
            age = time.time() - self.heartbeat.stat().st_mtime
        except FileNotFoundError:
            return time.monotonic() - launched > self.start_grace
        return age > self.hang_seconds


def beat(path: str | None) -> None:
    """Called by the kiosk's GUI thread: one touch of the heartbeat file."""
    if path:
        try:
            Path(path).touch()
        except OSError:
            pass  # a full disk must not stop the show; the supervisor will notice

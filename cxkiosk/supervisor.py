"""Keeps the kiosk running for days: restarts it when it crashes or hangs.

The kiosk touches a heartbeat file from its GUI thread every few seconds (when the supervisor
asks it to, through CXKIOSK_HEARTBEAT); a frozen event loop stops the heartbeat, and the
supervisor kills and restarts it. A clean exit (code 0, the operator quit) ends supervision, and
so does exit 2: a bad flag, a configuration the kiosk refuses, or another kiosk already running
on the same data folder; no restart can mend those. Exit 75 is the kiosk's own daily restart:
started again at once, not counted as a crash.

A kiosk that keeps crashing (5 times in 10 minutes) is not restarted every minute all day: the
supervisor waits 10 minutes, then tries again. What it did is in `supervisor-state.json` in the
data folder, which the next kiosk (its admin panel) and `check` read.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cxkiosk.config import read_small_file, write_atomically
from cxkiosk.resources import install_root

log = logging.getLogger("cxkiosk.supervise")

HEARTBEAT_ENV = "CXKIOSK_HEARTBEAT"
USAGE_ERROR = 2  # the kiosk cannot run as asked (its own line says why): not restarted
DAILY_RESTART = 75  # the kiosk quit for its daily restart (EX_TEMPFAIL: "try again")
STATE_NAME = "supervisor-state.json"


@dataclass
class Outcome:
    restarts: int
    exit_code: int
    reasons: list[str]
    daily_restarts: int = 0


def run_data_dir(run_args: list[str]) -> str | None:
    """The kiosk's --data-dir among the arguments after -- (the last one given, as argparse takes it)."""
    found = None
    for i, arg in enumerate(run_args):
        if arg == "--data-dir" and i + 1 < len(run_args):
            found = run_args[i + 1]
        elif arg.startswith("--data-dir="):
            found = arg[len("--data-dir="):]
    return found


def kiosk_command(run_args: list[str], data_dir: str | None) -> list[str]:
    """The command that starts the kiosk: this program itself, frozen or from source."""
    args = [a for a in run_args if a != "--"]
    if data_dir and run_data_dir(args) is None:
        args += ["--data-dir", data_dir]
    if getattr(sys, "frozen", False):
        return [sys.executable, "run", *args]
    main = Path(__file__).resolve().parents[1] / "main.py"
    if install_root() == main.parent and main.is_file():  # a source checkout
        return [sys.executable, str(main), "run", *args]
    return [sys.executable, "-m", "ui.main", "run", *args]  # installed: importable from any folder


class Supervisor:
    def __init__(self, command: Sequence[str], heartbeat: Path, *, hang_seconds: float = 60.0,
                 start_grace: float = 60.0, max_backoff: float = 60.0, healthy_after: float = 600.0,
                 max_restarts: int | None = None, poll: float = 0.5, stop_grace: float = 10.0,
                 crash_limit: int = 5, crash_window: float = 600.0, pause: float = 600.0,
                 state: Path | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.command = list(command)
        self.heartbeat = heartbeat
        self.hang_seconds = hang_seconds
        self.start_grace = start_grace  # a starting kiosk gets this long before its first beat
        self.max_backoff = max_backoff
        self.healthy_after = healthy_after  # a run this long resets the backoff
        self.max_restarts = max_restarts
        self.poll = poll
        self.stop_grace = stop_grace  # a kiosk asked to quit gets this long, then it is killed
        # crash_limit crashes within crash_window seconds: wait `pause` seconds before the next start
        self.crash_limit = crash_limit
        self.crash_window = crash_window
        self.pause = pause
        self.state = state
        self._sleep = sleep
        self._clock = clock
        self._wall = wall
        self._stop = False
        self._own_folder: Path | None = None  # a temporary heartbeat folder, removed at the end

    def stop(self) -> None:
        self._stop = True

    def run(self) -> Outcome:
        try:
            return self._supervise()
        finally:
            if self._own_folder is not None:
                shutil.rmtree(self._own_folder, ignore_errors=True)

    def _supervise(self) -> Outcome:
        restarts, daily, backoff = 0, 0, 1.0
        reasons: list[str] = []
        crashes: list[float] = []  # clock times of the crashes within the window
        paused: dict[str, Any] | None = None  # the last long wait, until a healthy run
        while True:
            self._write_state("running", restarts, reasons, paused)
            started = self._clock()
            code, reason = self._run_once()
            if self._stop:  # SIGTERM or Ctrl+C: what was asked for, whatever the kiosk's last code
                log.info("supervision was stopped; the kiosk with it")
                self._write_state("ended: supervision was stopped", restarts, reasons, paused)
                return Outcome(restarts, 0, reasons, daily)
            if code == 0:
                log.info("kiosk exited normally; supervision ends")
                self._write_state("ended: the kiosk was quit", restarts, reasons, paused)
                return Outcome(restarts, code, reasons, daily)
            if code == USAGE_ERROR:
                log.error("kiosk refused to start (exit 2: a bad flag or setting, or another kiosk "
                          "already runs on this data folder; its own line says which); "
                          "not restarting: fix it and start again")
                reasons = [*reasons, "refused to start (exit 2)"]
                self._write_state("ended: the kiosk refused to start (exit 2)", restarts, reasons, paused)
                return Outcome(restarts, code, reasons, daily)
            now = self._clock()
            if now - started >= self.healthy_after:
                backoff, paused, crashes = 1.0, None, []
            if code == DAILY_RESTART:
                log.info("kiosk quit for its daily restart; starting it again")
                daily += 1
                continue
            reasons.append(reason)
            if self.max_restarts is not None and restarts >= self.max_restarts:
                log.error("kiosk %s; giving up after %d restarts", reason, restarts)
                self._write_state(f"ended: gave up after {restarts} restarts", restarts, reasons, paused)
                return Outcome(restarts, code, reasons, daily)
            crashes = [t for t in crashes if now - t < self.crash_window] + [now]
            if len(crashes) >= self.crash_limit:
                wait = self.pause
                paused = {"crashes": len(crashes), "minutes": round(self.crash_window / 60),
                          "seconds": round(wait), "at": _iso(self._wall())}
                crashes = []
                log.error("kiosk %s: %d crashes within %.0f min; waiting %.0f min before the next start",
                          reason, paused["crashes"], self.crash_window / 60, wait / 60)
            else:
                wait = backoff
                backoff = min(self.max_backoff, backoff * 2)
                log.error("kiosk %s; restarting in %.0f s", reason, wait)
            self._write_state("waiting", restarts, reasons, paused, until=self._wall() + wait)
            self._wait(wait)
            if self._stop:
                self._write_state("ended: supervision was stopped", restarts, reasons, paused)
                return Outcome(restarts, 0, reasons, daily)
            restarts += 1

    def _wait(self, seconds: float) -> None:
        """Sleep, in steps, so SIGTERM ends a 10-minute wait promptly."""
        left = seconds
        while left > 0 and not self._stop:
            step = min(1.0, left)
            self._sleep(step)
            left -= step

    def _write_state(self, state: str, restarts: int, reasons: list[str], paused: dict[str, Any] | None,
                     until: float | None = None) -> None:
        if self.state is None:
            return
        data = {"state": state, "updated": _iso(self._wall()), "supervisor_pid": os.getpid(),
                "restarts": restarts, "last_reasons": reasons[-5:], "paused": paused,
                "waiting_until": _iso(until) if until is not None else None}
        try:
            write_atomically(self.state, json.dumps(data, indent=2) + "\n")
        except OSError as exc:  # a full disk must not stop supervision; only the report is lost
            log.warning("cannot write %s: %s", self.state, exc.strerror or exc)

    def _prepare_heartbeat(self) -> None:
        """A fresh heartbeat file's place; a data folder that cannot hold it (read-only, full,
        gone) gets one in a private temporary folder: the kiosk plays on such a folder too."""
        try:
            self.heartbeat.parent.mkdir(parents=True, exist_ok=True)
            self.heartbeat.unlink(missing_ok=True)
            self.heartbeat.touch()  # can the kiosk write here?
            self.heartbeat.unlink()
        except OSError as exc:
            self._own_folder = Path(tempfile.mkdtemp(prefix="cxkiosk-heartbeat-"))
            elsewhere = self._own_folder / "heartbeat"
            log.warning("cannot write the heartbeat at %s (%s); using %s", self.heartbeat,
                        exc.strerror or exc, elsewhere)
            self.heartbeat = elsewhere

    def _run_once(self) -> tuple[int, str]:
        self._prepare_heartbeat()
        env = {**os.environ, HEARTBEAT_ENV: str(self.heartbeat)}
        child = subprocess.Popen(self.command, env=env, preexec_fn=_with_parent_death_signal())
        # Beats are timed on the monotonic clock, when the file's mtime changes: the wall clock
        # jumps (NTP setting a kiosk with no clock battery right) and must not read as silence.
        last_beat, mtime = time.monotonic(), None
        try:
            while True:
                code = child.poll()
                if code is not None:
                    return code, f"exited with code {code}"
                if self._stop:
                    return self._ask_to_quit(child), "stopped"
                try:
                    seen = self.heartbeat.stat().st_mtime_ns
                except FileNotFoundError:
                    if mtime is not None and not self.heartbeat.parent.is_dir():  # it beat; its folder went
                        log.error("the heartbeat file %s vanished (was the data folder removed?); "
                                  "asking the kiosk to quit", self.heartbeat)
                        self._ask_to_quit(child)  # even a clean exit 0 here is no operator's quit
                        return -15, "lost its heartbeat file (was the data folder removed?)"
                    seen = None
                if seen is not None and seen != mtime:
                    last_beat, mtime = time.monotonic(), seen
                silent = time.monotonic() - last_beat
                if silent > (self.hang_seconds if mtime is not None else self.start_grace):
                    log.error("no heartbeat for %.0f s: the kiosk is hung", silent)
                    child.kill()
                    child.wait(10)
                    return -9, f"hung (no heartbeat for {silent:.0f} s)"
                time.sleep(self.poll)  # a real child in real time; the injected sleep is for waits
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)

    def _ask_to_quit(self, child: subprocess.Popen[bytes]) -> int:
        """SIGTERM: the kiosk quits cleanly (proof of play written, lock let go); killed after the grace."""
        child.terminate()
        try:
            return child.wait(self.stop_grace)
        except subprocess.TimeoutExpired:
            log.error("kiosk did not quit within %g s of SIGTERM; killing it", self.stop_grace)
            return -9  # the caller's finally kills it


def _with_parent_death_signal() -> Callable[[], None] | None:
    """Linux: the kiosk gets SIGTERM (and quits cleanly) when its supervisor dies, even by
    SIGKILL, instead of playing on as an orphan that the next supervise's kiosk cannot replace."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import signal

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: only a call after the fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def set_it() -> None:
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # it died before the line above
            os.kill(os.getpid(), signal.SIGTERM)

    return set_it


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t).isoformat(timespec="seconds")


def read_state(path: Path) -> dict[str, Any] | None:
    """What the supervisor last wrote; None when it never ran here or the file is unreadable."""
    try:
        data = json.loads(read_small_file(path))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe_state(state: dict[str, Any] | None, now: datetime | None = None, *,
                   supervisor_alive: bool = True) -> tuple[bool, str]:
    """(all is well, one operator line) for the admin panel and `check`; `supervisor_alive`
    False when no process holds supervise.lock (a power cut or kill -9 left "running")."""
    try:
        return _describe(state, now, supervisor_alive)
    except (KeyError, TypeError, ValueError):  # edited by hand, or another version's: not this one's
        return True, f"{STATE_NAME} cannot be read; the next supervise writes it anew"


def _describe(state: dict[str, Any] | None, now: datetime | None, alive: bool) -> tuple[bool, str]:
    from cxkiosk.resources import command_line

    if not state:
        return True, f"not run under supervise here ({command_line('supervise')} restarts a crashed kiosk)"
    if not alive and state.get("state") in ("running", "waiting"):  # it never wrote its end
        pid, updated = state.get("supervisor_pid"), _when(state.get("updated"))
        heard = f", last heard of at {updated:%Y-%m-%d %H:%M}," if updated else ""
        return False, (f"not running: supervise{f' (pid {pid})' if isinstance(pid, int) else ''}{heard} "
                       f"is gone (a power cut, or killed); {command_line('supervise')} starts it again")
    now = now or datetime.now()
    reasons = [str(r) for r in state.get("last_reasons") or []]
    last = f"; last: {reasons[-1]}" if reasons else ""
    paused = state.get("paused") if isinstance(state.get("paused"), dict) else None
    until = _when(state.get("waiting_until"))
    what = str(state.get("state", ""))
    if what == "waiting" and until is not None and until > now:
        why = f" after {paused['crashes']} crashes in {paused['minutes']} min" if paused else ""
        day = "" if until.date() == now.date() else f"{until:%Y-%m-%d} "  # past midnight, or long
        return paused is None, f"waiting until {day}{until:%H:%M}{why} before starting the kiosk again{last}"
    if paused:
        at = _when(paused.get("at"))
        return False, (f"restarted after {paused['crashes']} crashes in {paused['minutes']} min "
                       f"(waited {round(paused['seconds'] / 60)} min"
                       f"{f' from {at:%Y-%m-%d %H:%M}' if at else ''}){last}; see logs/supervise.log")
    restarts = int(state.get("restarts") or 0)
    if what.startswith("ended"):
        ended = what[len("ended: "):] or "ended"
        return True, f"{ended} ({state.get('updated', '')}); {restarts} restarts{last}"
    return True, f"supervised; {restarts} restart{'s' if restarts != 1 else ''} since it started{last}"


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def next_daily_restart(start: datetime, hour: int) -> datetime | None:
    """The first time at `hour`:00 (local) after `start`; None when the daily restart is off."""
    if not 0 <= hour <= 23:
        return None
    due = start.replace(hour=hour, minute=0, second=0, microsecond=0)
    return due if due > start else due + timedelta(days=1)


def beat(path: str | None) -> None:
    """Called by the kiosk's GUI thread: one touch of the heartbeat file."""
    if path:
        try:
            Path(path).touch()
        except OSError:
            pass  # a full disk must not stop the show; the supervisor will notice

"""Unattended for days: a crashed or hung kiosk is restarted; a clean quit is respected."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from cxkiosk.supervisor import DAILY_RESTART, Supervisor, describe_state, read_state


def child(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "child.py"
    script.write_text("import os, sys, time\nfrom pathlib import Path\n"
                      "beat = os.environ['CXKIOSK_HEARTBEAT']\n" + textwrap.dedent(body))
    return [sys.executable, str(script)]


@pytest.mark.expect_log('kiosk exited with code')
def test_a_crashing_kiosk_is_restarted_until_it_exits_cleanly(tmp_path):
    runs = tmp_path / "runs"
    cmd = child(tmp_path, f"""
        runs = Path({str(runs)!r})
        n = int(runs.read_text()) if runs.exists() else 0
        runs.write_text(str(n + 1))
        sys.exit(3 if n < 2 else 0)   # crash twice, then the operator quits
    """)
    outcome = Supervisor(cmd, tmp_path / "hb", poll=0.05, sleep=lambda s: None).run()
    assert runs.read_text() == "3"
    assert outcome.restarts == 2 and outcome.exit_code == 0
    assert outcome.reasons == ["exited with code 3", "exited with code 3"]


@pytest.mark.expect_log('kiosk hung', 'no heartbeat')
def test_a_hung_kiosk_is_killed_and_restarted(tmp_path):
    runs = tmp_path / "runs"
    cmd = child(tmp_path, f"""
        runs = Path({str(runs)!r})
        n = int(runs.read_text()) if runs.exists() else 0
        runs.write_text(str(n + 1))
        Path(beat).touch()
        if n == 0:
            time.sleep(60)            # the event loop froze: no more heartbeats
        sys.exit(0)
    """)
    outcome = Supervisor(cmd, tmp_path / "hb", hang_seconds=0.8, poll=0.05).run()
    assert runs.read_text() == "2"
    assert outcome.restarts == 1 and outcome.reasons[0].startswith("hung")


@pytest.mark.expect_log('kiosk exited with code')
def test_gives_up_after_max_restarts(tmp_path):
    cmd = child(tmp_path, "sys.exit(5)\n")
    outcome = Supervisor(cmd, tmp_path / "hb", poll=0.05, max_restarts=2, sleep=lambda s: None).run()
    assert outcome.restarts == 2 and outcome.exit_code == 5


def test_a_usage_error_is_not_restarted(tmp_path, data_dir):
    """`supervise -- --bogus-flag`: the real kiosk exits 2 at once; restarting it forever with
    backoff would never mend a typo, so supervision stops with that code and says why, in the
    supervisor's own log file (the kiosk writes cxkiosk.log)."""
    from tests.test_cli import run_main

    result = run_main("supervise", "--data-dir", str(data_dir), "--", "--bogus-flag", timeout=60)
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus-flag" in result.stderr
    assert "not restarting" in result.stderr
    assert result.stderr.count("unrecognized arguments") == 1  # started once
    log = (data_dir / "logs" / "supervise.log").read_text()
    assert "refused to start" in log
    ok, line = describe_state(read_state(data_dir / "supervisor-state.json"))
    assert line.startswith("the kiosk refused to start (exit 2)")


class FakeTime:
    """The supervisor's clock and sleep: a wait of ten minutes passes at once, and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_800_000_000.0 + self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def runs_counter(tmp_path: Path, exits: str) -> tuple[list[str], Path]:
    """A child that exits with exits[n] on its n-th start (the state file is copied per run)."""
    runs = tmp_path / "runs"
    state = tmp_path / "supervisor-state.json"
    cmd = child(tmp_path, f"""
        runs = Path({str(runs)!r})
        n = int(runs.read_text()) if runs.exists() else 0
        runs.write_text(str(n + 1))
        state = Path({str(state)!r})
        if state.exists():
            Path(str(runs) + f"-{{n}}.json").write_text(state.read_text())   # what this start saw
        sys.exit({exits}[n] if n < len({exits}) else 9)
    """)
    return cmd, runs


@pytest.mark.expect_log('kiosk exited with code', 'crashes within 10 min')
def test_a_crash_loop_waits_ten_minutes_and_the_next_start_says_so(tmp_path):
    """Five crashes within ten minutes: the supervisor stops hammering (1, 2, 4, 8 s between
    starts), waits ten minutes, and the kiosk it then starts reads why in the state file, which
    the admin panel's Status and `check` show."""
    cmd, runs = runs_counter(tmp_path, "[1, 1, 1, 1, 1, 0]")
    fake = FakeTime()
    state = tmp_path / "supervisor-state.json"
    outcome = Supervisor(cmd, tmp_path / "hb", poll=0.05, state=state, sleep=fake.sleep,
                         clock=fake.clock, wall=fake.wall).run()
    assert runs.read_text() == "6" and outcome.exit_code == 0 and outcome.restarts == 5
    assert sum(fake.slept) == 1 + 2 + 4 + 8 + 600  # backoff, then the ten-minute pause, not 16 s
    before_pause = read_state(tmp_path / "runs-4.json")
    assert before_pause["paused"] is None and before_pause["restarts"] == 4
    seen = read_state(tmp_path / "runs-5.json")  # the start after the pause
    assert seen["paused"]["crashes"] == 5 and seen["state"] == "running"
    ok, line = describe_state(seen)
    assert not ok
    assert line.startswith("restarted after 5 crashes in 10 min (waited 10 min")
    assert "last: exited with code 1" in line
    assert read_state(state)["state"] == "ended: the kiosk was quit"


@pytest.mark.expect_log('kiosk exited with code', 'crashes within 10 min')
def test_while_it_waits_check_says_until_when(tmp_path):
    """`check` during the pause: the kiosk is not running and the line says until when and why."""
    state = tmp_path / "supervisor-state.json"
    seen: list[tuple[bool, str]] = []
    fake = FakeTime()

    def sleep(seconds: float) -> None:
        if seconds == 1.0 and sum(fake.slept) > 15 and not seen:  # inside the long pause
            from datetime import datetime
            seen.append(describe_state(read_state(state), datetime.fromtimestamp(fake.wall())))
        fake.sleep(seconds)

    cmd, _runs = runs_counter(tmp_path, "[3, 3, 3, 3, 3, 0]")
    Supervisor(cmd, tmp_path / "hb", poll=0.05, state=state, sleep=sleep, clock=fake.clock,
               wall=fake.wall).run()
    ok, line = seen[0]
    assert not ok and line.startswith("waiting until ") and "after 5 crashes in 10 min" in line


@pytest.mark.parametrize("now, said", [("2026-12-02T23:58:00", "waiting until 2026-12-03 00:05 after"),
                                       ("2026-12-03T00:01:00", "waiting until 00:05 after")])
def test_a_wait_that_ends_on_another_day_names_the_day(now, said):
    """A crash loop at 23:55: "waiting until 00:05" read as five past midnight of today, gone."""
    from datetime import datetime

    state = {"state": "waiting", "waiting_until": "2026-12-03T00:05:00",
             "last_reasons": ["exited with code 1"],
             "paused": {"crashes": 5, "minutes": 10, "seconds": 600, "at": "2026-12-02T23:55:00"}}
    ok, line = describe_state(state, datetime.fromisoformat(now))
    assert not ok
    assert line == f"{said} 5 crashes in 10 min before starting the kiosk again; last: exited with code 1"


@pytest.mark.expect_log('kiosk exited with code')
def test_crashes_spread_over_the_day_never_pause(tmp_path):
    """A crash every half hour is not a crash loop: each restart comes after the short backoff."""
    cmd, runs = runs_counter(tmp_path, "[1, 1, 1, 1, 1, 1, 1, 0]")
    fake = FakeTime()

    class Slow(Supervisor):
        def _run_once(self):  # each run lasts half an hour on the fake clock
            result = super()._run_once()
            fake.now += 1800
            return result

    outcome = Slow(cmd, tmp_path / "hb", poll=0.05, sleep=fake.sleep, clock=fake.clock,
                   wall=fake.wall, max_restarts=20).run()
    assert runs.read_text() == "8" and outcome.restarts == 7
    assert max(fake.slept) == 1.0 and sum(fake.slept) == 7  # healthy runs reset the backoff


def test_the_daily_restart_starts_again_at_once_and_is_no_crash(tmp_path):
    cmd, runs = runs_counter(tmp_path, f"[{DAILY_RESTART}, {DAILY_RESTART}, 0]")
    fake = FakeTime()
    outcome = Supervisor(cmd, tmp_path / "hb", poll=0.05, state=tmp_path / "supervisor-state.json",
                         sleep=fake.sleep, clock=fake.clock, wall=fake.wall).run()
    assert runs.read_text() == "3"
    assert outcome.daily_restarts == 2 and outcome.restarts == 0 and outcome.reasons == []
    assert fake.slept == []  # no backoff



@pytest.mark.expect_log('cannot write the heartbeat')
def test_a_data_folder_that_cannot_hold_the_heartbeat_still_supervises(tmp_path):
    """`supervise --data-dir` on a read-only folder (a locked-down image, a full disk) used to
    stop with 'unexpected OSError ... heartbeat'; the kiosk itself plays on such a folder, so
    the supervisor keeps its heartbeat elsewhere and the kiosk is not taken for hung."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # nobody, root included, can create a file under it
    where = tmp_path / "beat-was"
    cmd = child(tmp_path, f"""
        Path({str(where)!r}).write_text(beat)
        for _ in range(15):
            Path(beat).touch()
            time.sleep(0.1)
        sys.exit(0)
    """)
    outcome = Supervisor(cmd, blocked / "heartbeat", hang_seconds=0.5, start_grace=0.5, poll=0.05).run()
    assert outcome.exit_code == 0 and outcome.restarts == 0, outcome.reasons
    assert not Path(where.read_text()).parent.exists()  # its temporary folder goes with it


@pytest.mark.expect_log('did not quit within')
def test_stopping_the_supervisor_leaves_no_kiosk_behind_and_ends_cleanly(tmp_path):
    """SIGTERM to `supervise` while the kiosk is starting, and the kiosk does not quit: the
    supervisor kills it after a grace period instead of dying of a timeout with a traceback and
    an orphan; a requested stop ends with exit 0, whatever the kiosk's last code was."""
    import os
    import threading
    import time

    pid_file = tmp_path / "pid"
    cmd = child(tmp_path, f"""
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # deaf to SIGTERM, as a stuck start-up is
        Path({str(pid_file)!r}).write_text(str(os.getpid()))
        time.sleep(60)
    """)
    supervisor = Supervisor(cmd, tmp_path / "hb", poll=0.05, stop_grace=0.5)

    def stop_once_started() -> None:
        while not pid_file.exists():
            time.sleep(0.05)
        supervisor.stop()

    threading.Thread(target=stop_once_started, daemon=True).start()
    outcome = supervisor.run()
    assert outcome.exit_code == 0
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_data_dir_after_the_double_dash_is_the_supervisors_folder_too(tmp_path):
    """`supervise -- --data-dir D`: the supervisor's log, state and heartbeat used to go to the
    user's default data folder, so `check --data-dir D` and the kiosk never saw a crash loop."""
    from tests.test_cli import run_main

    data = tmp_path / "kiosk data"
    xdg = {"XDG_DATA_HOME": str(tmp_path / "xdg-data"), "XDG_STATE_HOME": str(tmp_path / "xdg-state")}
    result = run_main("supervise", "--", "--data-dir", str(data), "--bogus-flag", env=xdg, timeout=60)
    assert result.returncode == 2
    assert "refused to start" in (data / "logs" / "supervise.log").read_text()
    assert read_state(data / "supervisor-state.json")["state"].startswith("ended: the kiosk refused")
    assert not (tmp_path / "xdg-data").exists() and not (tmp_path / "xdg-state").exists()
    both = run_main("supervise", "--data-dir", str(tmp_path / "a"), "--", f"--data-dir={tmp_path / 'b'}",
                    env=xdg, timeout=60)
    assert both.returncode == 2
    assert both.stderr.strip().splitlines() == [
        f"cxkiosk: error: two data folders: --data-dir {tmp_path / 'a'} before -- and "
        f"{tmp_path / 'b'} after it; give it once"]


@pytest.mark.parametrize("state", [
    {"state": "running", "paused": {"crashes": 5}},
    {"state": "waiting", "waiting_until": "2099-01-01T00:00:00", "paused": {"minutes": "x"}},
    {"state": "ended: the kiosk was quit", "restarts": "many"},
    {"state": "running", "paused": {"crashes": 5, "minutes": 10, "seconds": "600"}},
    {"state": "waiting", "waiting_until": "2099-01-01T00:00:00+05:00"},
])
def test_a_garbled_state_file_is_one_line_in_check_not_a_crash(tmp_path, state):
    """A state file edited by hand or left by another version: `check` used to stop with
    'unexpected KeyError'/'TypeError' and say nothing else about the kiosk."""
    import json

    from tests.test_cli import run_main

    (tmp_path / "supervisor-state.json").write_text(json.dumps(state))
    ok, line = describe_state(read_state(tmp_path / "supervisor-state.json"))
    assert line == "supervisor-state.json cannot be read; the next supervise writes it anew"
    if "restarts" in state:  # one real `check`, as the operator runs it
        check = run_main("check", "--data-dir", str(tmp_path), "--no-network", "--source", "none",
                         "--nfc", "none", timeout=60)
        assert "unexpected" not in check.stderr and check.returncode == 0, check.stderr
        assert "supervisor-state.json cannot be read" in check.stdout



def test_supervise_without_the_double_dash_says_where_the_kiosks_arguments_go(tmp_path):
    """`supervise --source none`, the -- forgotten: the line says where those arguments go."""
    from tests.test_cli import run_main

    result = run_main("supervise", "--data-dir", str(tmp_path), "--source", "none", "--quit-after", "3")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "cxkiosk: error: supervise: unrecognized arguments: --source; the kiosk's own arguments "
        "go after --, e.g. supervise --data-dir DIR -- --source none"]


def test_a_wall_clock_that_jumps_is_no_hang(tmp_path, monkeypatch):
    """A kiosk with no clock battery boots an hour behind and NTP sets it right: the heartbeat's
    age was taken on the wall clock, so the jump read as an hour's silence and a healthy kiosk
    was killed as hung. Beats are timed on the monotonic clock now."""
    import time

    cmd = child(tmp_path, """
        for _ in range(20):
            Path(beat).touch()
            time.sleep(0.1)
        sys.exit(0)
    """)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)  # the supervisor's clock, set forward
    outcome = Supervisor(cmd, tmp_path / "hb", hang_seconds=0.6, start_grace=5, poll=0.05).run()
    assert outcome.restarts == 0 and outcome.exit_code == 0, outcome.reasons


@pytest.mark.expect_log('vanished', 'giving up')
def test_a_data_folder_removed_under_the_kiosk_is_said_and_the_kiosk_asked_to_quit(tmp_path):
    """The data folder deleted (or its USB stick pulled) while the kiosk plays: its heartbeat has
    nowhere to go. The supervisor used to wait out the 60 s start grace, log 'the kiosk is hung'
    and SIGKILL it; it now says what it saw and lets the kiosk quit cleanly."""
    import shutil
    import time

    data = tmp_path / "data"
    quit_cleanly = tmp_path / "quit-cleanly"
    cmd = child(tmp_path, f"""
        import shutil, signal
        signal.signal(signal.SIGTERM, lambda *_: (Path({str(quit_cleanly)!r}).write_text("yes"), sys.exit(0)))
        for _ in range(5):
            Path(beat).touch()
            time.sleep(0.1)
        shutil.rmtree({str(data)!r})
        time.sleep(30)
    """)
    started = time.monotonic()
    outcome = Supervisor(cmd, data / "heartbeat", hang_seconds=0.5, start_grace=60, poll=0.05,
                         max_restarts=0).run()
    assert time.monotonic() - started < 20
    assert outcome.reasons == ["lost its heartbeat file (was the data folder removed?)"]
    assert quit_cleanly.read_text() == "yes"
    shutil.rmtree(data, ignore_errors=True)


def test_a_second_supervise_on_the_folder_does_not_get_the_first_ones_kiosk_killed(tmp_path):
    """A second `supervise` on the same folder clears the heartbeat file before its own kiosk
    refuses to start; the first supervisor took the missing file for a kiosk that never beat
    and killed its healthy, long-running kiosk as hung."""
    import threading
    import time

    heartbeat = tmp_path / "heartbeat"
    cmd = child(tmp_path, """
        for _ in range(12):
            Path(beat).touch()
            time.sleep(0.25)
        sys.exit(0)
    """)

    def second_supervise_starts() -> None:
        while not heartbeat.exists():
            time.sleep(0.02)
        time.sleep(0.1)
        heartbeat.unlink()

    threading.Thread(target=second_supervise_starts, daemon=True).start()
    outcome = Supervisor(cmd, heartbeat, hang_seconds=1.5, start_grace=0.2, poll=0.02).run()
    assert outcome.restarts == 0 and outcome.exit_code == 0, outcome.reasons


@pytest.mark.expect_log('the kiosk is hung', 'giving up')
def test_a_kiosk_that_hangs_in_its_start_up_is_killed_after_the_start_grace(tmp_path):
    """Never a first beat (a camera driver that blocks the start-up): killed once the start
    grace is over, counted as a hang."""
    import time

    cmd = child(tmp_path, "time.sleep(60)\n")
    started = time.monotonic()
    outcome = Supervisor(cmd, tmp_path / "hb", hang_seconds=30, start_grace=0.8, poll=0.05,
                         max_restarts=0).run()
    assert 0.8 <= time.monotonic() - started < 10
    assert outcome.reasons == ["hung (no heartbeat for 1 s)"]

"""Unattended for days: a crashed or hung kiosk is restarted; a clean quit is respected."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from cxkiosk.supervisor import Supervisor


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
    assert "refused its arguments" in log

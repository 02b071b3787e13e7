"""bench/bench_fleet.py in its smallest run (2 kiosks, 5 seconds) against a real PostgreSQL, so
the benchmark does not rot: it runs, and every row the kiosks wrote reached the server once."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def server(pg_server):
    return pg_server


def test_the_fleet_bench_runs_and_every_row_arrives_once(server):
    done = subprocess.run([sys.executable, str(REPO / "bench" / "bench_fleet.py"), "--db", server.url,
                           "--kiosks", "2", "--seconds", "5", "--processes", "1", "--repeat", "1"],
                          capture_output=True, text=True, timeout=240, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "MISMATCH" not in done.stdout
    found = re.search(r"^exactly once: (\d+) rows written, (\d+) in the kiosks' files, (\d+) on the server; "
                      r"0 missing, 0 extra, 0 doubled, 0 kiosks' counts differ, 0 rows stamped",
                      done.stdout, re.M)
    assert found, done.stdout
    written, local, on_server = map(int, found.groups())
    assert written == local == on_server > 0
    assert "report --format json (subprocess" in done.stdout

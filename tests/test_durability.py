"""A kiosk loses power or is killed mid-write: every committed edit must survive, the file intact.

A child process makes many small committed edits (inserts, updates, log rows) through the real
`open_database` (WAL, synchronous=FULL), printing each id only after its commit returns. The test
SIGKILLs it mid-stream, twice, and checks `PRAGMA integrity_check` and that every printed edit is
in the file.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

REPO = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime
    from cxkiosk.content.database import Content, PlayLog, database, log_play, open_database

    open_database(sys.argv[1])
    prefix = sys.argv[2]
    anchor, _ = Content.get_or_create(url="https://example.com/anchor", path="",
                                      defaults={"title": "anchor", "kind": "web"})
    n = 0
    while True:
        n += 1
        with database.atomic():
            item = Content.create(title=f"{prefix}-{n}", url=f"https://example.com/{prefix}/{n}", kind="web")
            Content.update(weight=n).where(Content.id == anchor.id).execute()
        log_play(item.id, item.id, datetime.now(), None, "completed", reason=f"{prefix}-{n}")
        print(f"{prefix}-{n}", flush=True)
""")


def run_and_kill(db: Path, prefix: str, commits: int, tmp_path: Path) -> list[str]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, str(script), str(db), prefix], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    done: list[str] = []
    deadline = time.monotonic() + 30  # a guard against a stuck child, not a timing assertion
    try:
        while len(done) < commits and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            done.append(line.strip())
        assert len(done) >= commits // 2, f"writer stopped early: {child.stderr.read()[-500:]}"
        os.kill(child.pid, signal.SIGKILL)  # in the middle of the next edits
    finally:
        child.kill()
        out, _err = child.communicate(timeout=10)
    # lines already printed before the kill were also committed
    done.extend(line.strip() for line in out.splitlines() if line.strip())
    assert child.returncode == -signal.SIGKILL
    return done


def check(db: Path, committed: list[str]) -> None:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        titles = {t for (t,) in con.execute("SELECT title FROM content")}
        reasons = {r for (r,) in con.execute("SELECT reason FROM play_log")}
        missing = [c for c in committed if c not in titles or c not in reasons]
        assert not missing, f"{len(missing)} committed edits lost, e.g. {missing[:3]}"
        last = int(committed[-1].rsplit("-", 1)[1])
        weight = con.execute("SELECT weight FROM content WHERE title = 'anchor'").fetchone()[0]
        assert weight >= last  # the update committed with the last printed insert is there
    finally:
        con.close()


def test_sigkill_during_edits_loses_no_committed_edit(tmp_path):
    db = tmp_path / "content.db"
    first = run_and_kill(db, "first", 150, tmp_path)
    check(db, first)
    # the killed file opens again through the normal path and takes more edits
    second = run_and_kill(db, "second", 150, tmp_path)
    check(db, first + second)

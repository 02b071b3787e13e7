"""A kiosk loses power or is killed mid-write: every committed edit must survive, the file intact.

A child process makes many small committed edits (inserts, updates, log rows) through the real
`open_database` (WAL, synchronous=FULL), printing each id only after its commit returns. The test
SIGKILLs it mid-stream, twice, and checks `PRAGMA integrity_check` and that every printed edit is
in the file.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest

from cxkiosk.content import database

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

REPO = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime
    from cxkiosk.content.database import Content, PlayLog, database, open_database
    from cxkiosk.content.records import log_play

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


# --- proof of play through a power cut ---------------------------------------------------------


def _rows(db: Path) -> list[tuple]:
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute('SELECT id, start, "end", outcome, reason FROM play_log ORDER BY id').fetchall()
    finally:
        con.close()


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.timeout(240)
def test_a_kiosk_killed_mid_play_keeps_the_play_and_the_next_start_counts_it(tmp_path):
    """SIGKILL as a power cut: the play on screen is in the log from its first frame, its end
    within a stamp (5 s) of the cut; the next start closes it as cut short and the report counts
    it as a play, with its seconds."""
    data = tmp_path / "kiosk"
    db = data / "content.db"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    kiosk = subprocess.Popen([sys.executable, str(REPO / "main.py"), "--source", "none", "--windowed",
                              "--nfc", "none", "--data-dir", str(data)], env=env, cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120  # a guard against a kiosk that never plays, not a timing
        stamped = False
        while time.monotonic() < deadline and not stamped:
            time.sleep(0.5)
            if db.exists():
                stamped = any(o == "playing" and e and _when(e) > _when(s) for _i, s, e, o, _r in _rows(db))
        assert stamped, "no play on screen was stamped"
        time.sleep(2.5)  # somewhere between two stamps
        cut = datetime.now()
        os.kill(kiosk.pid, signal.SIGKILL)
        kiosk.wait(10)
    finally:
        kiosk.kill()
        kiosk.wait(10)

    left = [r for r in _rows(db) if r[3] == "playing"]
    assert len(left) == 1, _rows(db)
    row_id, start, end, _outcome, _reason = left[0]
    assert _when(start) <= _when(end) <= cut
    assert (cut - _when(end)).total_seconds() <= 5.5  # one stamp, and the moment of the write
    # The next start: a row no kiosk has stamped for 15 s is closed (a live one on a shared
    # database is not), as a play up to its last stamp.
    time.sleep(max(0.0, 16 - (datetime.now() - _when(end)).total_seconds()))
    again = subprocess.run([sys.executable, str(REPO / "main.py"), "--source", "none", "--windowed",
                            "--nfc", "none", "--data-dir", str(data), "--quit-after", "2"], env=env,
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-1500:]
    closed = {r[0]: r for r in _rows(db)}[row_id]
    assert closed[1:4] == (start, end, "cut-short") and "power cut" in closed[4]

    report = subprocess.run([sys.executable, str(REPO / "main.py"), "report", "--format", "json",
                             "--include-demo", "--data-dir", str(data)], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert report.returncode == 0, report.stderr[-1500:]
    totals = json.loads(report.stdout)["totals"]
    on_screen = [r for r in _rows(db) if r[3] != "failed" or (r[2] and r[2] > r[1])]
    assert totals["plays"] == len(on_screen)
    cut_seconds = (_when(end) - _when(start)).total_seconds()
    others = sum((_when(e) - _when(s)).total_seconds() for i, s, e, _o, _r in on_screen if i != row_id and e)
    assert totals["seconds"] == pytest.approx(others + cut_seconds, abs=0.2)


def test_the_play_on_screen_is_stamped_and_its_outcome_ends_the_same_row(qtbot, db):
    from cxkiosk.content.playlist import Playlist
    from cxkiosk.runtime.build import record_play
    from cxkiosk.runtime.programme import Programme
    from cxkiosk.values import Item

    content = database.Content.create(title="Film", url="https://example.com/film", kind="video",
                                      path="a.mp4")
    item = Item(content.id, "Film", content.url, kind="video", path="a.mp4")
    programme = Programme(Playlist([item]), record=record_play, stamp_seconds=0.2)
    try:
        programme.on_started(item)
        rows = list(database.PlayLog.select())
        assert [(r.outcome, r.end) for r in rows] == [("playing", rows[0].start)]  # from the first frame
        first = rows[0]
        qtbot.waitUntil(lambda: database.PlayLog.get_by_id(first.id).end > first.start, timeout=5000)
        programme.on_finished(item)
        done = database.PlayLog.get_by_id(first.id)
        assert done.outcome == "completed" and done.end > first.start
        assert [r.outcome for r in database.PlayLog.select()] == ["completed"]
    finally:
        programme.stop()
    assert database.PlayLog.select().count() == 1

"""Storage faults as an unattended kiosk meets them, on real file systems: a data folder on a
mount gone read-only, a disk that fills up mid-show, a log folder that cannot be written. Every
command says what is wrong in one line, `check` names each fault and fails, the kiosk keeps
playing, and once space is back nothing confirmed is lost and writing goes on without a restart."""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cxkiosk.content import database, records
from cxkiosk.log import FileLog, setup_logging
from tests.test_cli import run_main

REPO = Path(__file__).resolve().parent.parent

QUIET = {"CXKIOSK_PRIVACY": "off", "CXKIOSK_NFC_DEVICE": "none"}


def _one_clear_line(done) -> None:
    said = done.stdout + done.stderr
    assert "Traceback" not in said and "Logging error" not in said, said[-2000:]


@pytest.fixture
def read_only_kiosk(small_disk):
    """A kiosk that ran once (its own content, settings) and whose data folder then went read-only."""
    data = small_disk.path / "data"
    items = json.dumps([{"title": "Operator's own", "url": "https://example.com/own", "kind": "web"}])
    (small_disk.path / "own.json").write_text(items)
    done = run_main("content", "import", str(small_disk.path / "own.json"), "--data-dir", str(data))
    assert done.returncode == 0
    (data / "settings.json").write_text('{"version": 1, "kiosk_id": "hall-2"}')
    small_disk.read_only()
    yield data
    small_disk.writable()


def test_check_names_each_fault_of_a_read_only_data_folder_and_fails(read_only_kiosk):
    done = run_main("check", "--no-network", "--data-dir", str(read_only_kiosk), env=QUIET)
    _one_clear_line(done)
    assert done.returncode == 1
    lines = {line.split()[1]: line for line in done.stdout.splitlines()
             if line[:4] in ("ok  ", "FAIL", "--  ")}
    assert lines["storage"].startswith("FAIL") and "cannot be written" in lines["storage"]
    assert lines["database"].startswith("FAIL") and "read-only" in lines["database"]
    assert "cannot write logs" in done.stderr  # said once; the command went on


def test_commands_on_a_read_only_data_folder_say_so_in_one_line(read_only_kiosk, tmp_path):
    listed = run_main("content", "list", "--data-dir", str(read_only_kiosk))
    _one_clear_line(listed)
    assert listed.returncode == 0 and "Operator's own" in listed.stdout  # its own content, read-only
    rows = tmp_path / "more.json"
    rows.write_text(json.dumps([{"title": "new", "url": "https://example.com/new", "kind": "web"}]))
    imported = run_main("content", "import", str(rows), "--data-dir", str(read_only_kiosk))
    _one_clear_line(imported)
    assert imported.returncode == 1 and "read-only" in imported.stderr
    report = run_main("report", "--format", "json", "--data-dir", str(read_only_kiosk))
    _one_clear_line(report)
    assert report.returncode == 0 and json.loads(report.stdout)["totals"]["plays"] == 0


def test_the_kiosk_plays_on_a_read_only_data_folder(read_only_kiosk):
    done = run_main("--windowed", "--quit-after", "4", "--data-dir", str(read_only_kiosk), "--source", "none",
                    "--nfc", "none", env={**QUIET, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    _one_clear_line(done)
    assert done.returncode == 0, done.stderr[-1500:]
    assert "read-only" in done.stderr



def test_a_first_start_on_a_read_only_folder_plays_the_shipped_content(small_disk):
    """A fresh data folder on a read-only mount (an image written once, a share): the first start
    copies the shipped database in, which cannot be done; it stopped with "unexpected OSError ...
    please report it", and under `supervise` crashed in a loop. It plays the shipped content."""
    data = small_disk.path / "fresh"
    data.mkdir()
    small_disk.read_only()
    try:
        done = run_main("--windowed", "--quit-after", "3", "--data-dir", str(data), "--source", "none",
                        "--nfc", "none", env={**QUIET, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    finally:
        small_disk.writable()
    _one_clear_line(done)
    assert done.returncode == 0, done.stderr[-1500:]
    assert "unexpected" not in done.stderr
    assert "Playing the shipped content read-only" in done.stderr

def _plays(db_file) -> int:
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        return con.execute("SELECT COUNT(*) FROM play_log").fetchone()[0]
    finally:
        con.close()


@pytest.mark.expect_log("cannot store a play", "records stored again")
def test_a_full_disk_keeps_records_in_memory_and_writes_them_once_space_is_back(small_disk):
    db_file = small_disk.path / "content.db"
    database.open_database(str(db_file))
    try:
        item = database.Content.create(title="x", url="https://example.com/x", kind="web")
        start = datetime(2026, 12, 1, 10)
        for n in range(20):  # confirmed before the disk fills
            records.log_play(item.id, None, start + timedelta(minutes=n), None, "completed")
        filler = small_disk.fill()
        for n in range(20, 400):  # the show goes on while nothing can be written
            records.log_play(item.id, None, start + timedelta(minutes=n), None, "completed",
                             reason="x" * 400)
        assert records.pending_records() > 0
        filler.unlink()  # an operator frees space; no restart
        records.log_play(item.id, None, start + timedelta(minutes=400), None, "completed")
        assert records.pending_records() == 0
        assert database.PlayLog.select().count() == 401
    finally:
        database.close_database()
    assert _plays(db_file) == 401  # and on disk, for the next start


def test_an_import_that_meets_a_full_disk_changes_nothing_and_says_so(small_disk, tmp_path):
    data = small_disk.path / "data"
    first = tmp_path / "first.json"
    first.write_text(json.dumps([{"title": "kept", "url": "https://example.com/kept", "kind": "web"}]))
    assert run_main("content", "import", str(first), "--data-dir", str(data)).returncode == 0
    rows = [{"title": f"item {n}", "url": f"https://example.com/{n}", "kind": "web",
             "description": "d" * 1900} for n in range(20000)]
    big = tmp_path / "big.json"
    big.write_text(json.dumps(rows))
    filler = small_disk.fill()
    with open(filler, "r+b") as fh:  # leave 3 MB: the import fails part way, not at once
        fh.truncate(max(0, filler.stat().st_size - 3 * 1024 * 1024))
    done = run_main("content", "import", str(big), "--data-dir", str(data))
    _one_clear_line(done)
    assert done.returncode == 1 and "full" in done.stderr
    filler.unlink()
    listed = run_main("content", "list", "--data-dir", str(data))
    assert "kept" in listed.stdout and "item 0" not in listed.stdout  # all or nothing


def test_logs_fall_back_to_the_console_and_return_when_the_disk_has_room(small_disk, capsys):
    logs = small_disk.path / "logs"
    setup_logging(logs, console=False)
    try:
        logging.getLogger("cxkiosk.test").info("before")
        filler = small_disk.fill()
        for n in range(2000):
            logging.getLogger("cxkiosk.test").info("while full %d %s", n, "y" * 200)
        err = capsys.readouterr().err
        assert err.count("cannot write the log file") == 1 and "while full 1999" in err
        filler.unlink()
        logging.getLogger("cxkiosk.test").info("after")
        assert "written again" in capsys.readouterr().err
        text = (logs / "cxkiosk.log").read_text()
        assert "before" in text and "after" in text
    finally:
        setup_logging(None, console=False)


@pytest.mark.expect_log("still running")
def test_an_unwritable_log_folder_is_said_once_and_nothing_breaks(small_disk, capsys):
    small_disk.read_only()
    try:
        setup_logging(small_disk.path / "logs", console=False)
        logging.getLogger("cxkiosk.test").warning("still running")
        assert "cannot write logs" in capsys.readouterr().err
    finally:
        small_disk.writable()
        setup_logging(None, console=False)


def test_filelog_survives_a_stream_that_fails(tmp_path, capsys):
    handler = FileLog(tmp_path / "x.log")
    handler.setFormatter(logging.Formatter("%(message)s"))

    class Broken(io.StringIO):
        def write(self, _text):
            raise OSError(28, "No space left on device")

    handler.stream = Broken()
    handler.emit(logging.LogRecord("cxkiosk", logging.INFO, __file__, 1, "lost?", None, None))
    assert "No space left" in capsys.readouterr().err
    handler.close()


def test_the_running_kiosk_records_on_a_thread_of_its_own_so_a_slow_disk_never_holds_the_screen(tmp_path):
    """Another program holds the database's write lock (as a slow disk or a backup would hold
    a commit): a play is recorded at once, waits, and is written when the lock goes; closing
    writes what still waits."""
    db_file = tmp_path / "content.db"
    database.open_database(str(db_file))
    records.write_in_background(True)
    other = sqlite3.connect(db_file, timeout=0)
    try:
        start = datetime(2026, 12, 1, 10)
        other.execute("BEGIN IMMEDIATE")  # the write lock, held
        records.log_play(None, None, start, start + timedelta(seconds=5), "completed", code="a")
        assert records.pending_records() == 1  # returned without its commit
        other.rollback()
        assert records.flush(10) and _plays(db_file) == 1
        other.execute("BEGIN IMMEDIATE")
        records.log_play(None, None, start, start + timedelta(seconds=9), "completed", code="b")
        other.rollback()
    finally:
        other.close()
        database.close_database()
    assert _plays(db_file) == 2 and records.pending_records() == 0


def _handles_on(path) -> int:
    fds = os.listdir("/proc/self/fd")
    return sum(1 for fd in fds if os.path.realpath(f"/proc/self/fd/{fd}") == str(path))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts handles in /proc")
def test_an_event_worker_reads_through_one_connection_however_many_calls_it_answers(db, qtbot):
    """A classifier-like worker answers many queued calls on its QThread: weeks of visits must
    not leave a database handle open per visit (PySide6 gives each slot call fresh thread-locals)."""
    from PySide6.QtCore import QObject, Signal, Slot

    from cxkiosk.runtime.threads import Worker, WorkerThread

    class Reader(Worker):
        done = Signal(int)

        @Slot(int)
        def read(self, n: int) -> None:
            self.done.emit(database.Content.select().count() + n)

    class Asker(QObject):
        ask = Signal(int)

    path = Path(db.database).resolve()
    before = _handles_on(path)
    reader, asker = Reader(), Asker()
    thread = WorkerThread(reader, "reader")
    asker.ask.connect(reader.read)
    answers: list[int] = []
    reader.done.connect(answers.append)
    thread.start()
    try:
        for n in range(40):
            asker.ask.emit(n)
        qtbot.waitUntil(lambda: len(answers) == 40, timeout=20000)
        assert _handles_on(path) <= before + 1  # one connection for the worker, however many calls
    finally:
        assert thread.stop(5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_the_kiosk_asks_glibc_for_two_malloc_arenas_unless_the_environment_says_otherwise():
    """Forty threads with an arena each kept freed memory: two is what bench_memory.py measured
    60-75 MB smaller at two minutes. An operator's MALLOC_ARENA_MAX wins."""
    code = "from cxkiosk.memory import limit_malloc_arenas; print(limit_malloc_arenas())"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    asked = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=REPO)
    kept = subprocess.run([sys.executable, "-c", code], env={**env, "MALLOC_ARENA_MAX": "8"},
                          capture_output=True, text=True, cwd=REPO)
    assert (asked.stdout.strip(), kept.stdout.strip()) == ("True", "False")

"""Demo kept apart from production, and one argument policy for `run` and the other commands.

Each test runs the real program (main.py in a subprocess, offscreen) on a real data folder, as an
operator would from a terminal.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from tests.test_cli import ROOT, run_main


def rows(db_path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


def test_a_demo_run_is_recorded_as_demo_and_leaves_nothing_on_disk(data_dir):
    """`--demo` then a production start: the demo clip's visitor and plays are marked demo, the
    settings file never names the clip, and production's `auto` waits for a camera (this machine
    has none) instead of playing the clip as a visitor."""
    demo = run_main("--demo", "--nfc", "none", "--quit-after", "12", "--data-dir", str(data_dir),
                    timeout=120)
    assert demo.returncode == 0, demo.stderr
    db = data_dir / "content.db"
    visits = rows(db, "SELECT demo FROM audience_log")
    plays = rows(db, "SELECT demo, trigger FROM play_log")
    assert visits, "the demo clip's visitor was not seen in 12 s"
    assert all(flag == 1 for (flag,) in visits)
    assert plays and all(flag == 1 for flag, _ in plays)
    settings = data_dir / "settings.json"
    assert not settings.exists() or "visitor.mp4" not in settings.read_text()

    production = run_main("--nfc", "none", "--quit-after", "8", "--data-dir", str(data_dir), timeout=120)
    assert production.returncode == 0, production.stderr
    assert rows(db, "SELECT COUNT(*) FROM audience_log WHERE demo = 0") == [(0,)]  # nobody came
    assert rows(db, "SELECT COUNT(*) FROM play_log WHERE demo = 0")[0][0] >= 1  # the playlist played
    log = (data_dir / "logs" / "cxkiosk.log").read_text()
    assert "camera 0 not found" in log
    second_run = log[log.rindex("starting cxkiosk"):]
    assert "visitor.mp4" not in second_run


def test_check_says_what_run_does_without_a_camera(data_dir):
    result = run_main("check", "--no-network", "--nfc", "none", "--data-dir", str(data_dir))
    line = next(ln for ln in result.stdout.splitlines() if " source " in ln)
    assert "no camera found" in line and "waits for one" in line and "--demo" in line
    assert result.returncode == 0  # a missing camera does not stop the kiosk
    assert "retrying" not in result.stderr, result.stderr  # the line above says it, once


@pytest.mark.parametrize("flags, words", [
    (["--provider", "foo"], "unknown provider 'foo'"),
    (["--provider", "custom"], "needs a base URL"),
    (["--nfc", "bogus"], "NFC device 'bogus'"),
    (["--source", "bogus"], "unknown source 'bogus'"),
    (["--source", "file:/no/such/clip.mp4"], "does not exist"),
    (["--privacy", "thermal", "--source", "camera:0"], "infrared sensor only"),
])
def test_run_refuses_what_check_would_flag(flags, words, data_dir):
    """Exit 2 and one line, before any window opens, as every other command does."""
    result = run_main("run", *flags, "--quit-after", "1", "--data-dir", str(data_dir))
    assert result.returncode == 2
    lines = [ln for ln in result.stderr.strip().splitlines() if ln.startswith("cxkiosk:")]
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (data_dir / "content.db").exists()  # refused before anything was opened


def test_a_bad_flag_is_named_before_a_missing_display(data_dir):
    """Over ssh with no display, `run --provider foo` names the typo, not the screen."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "run", "--provider", "foo", "--data-dir",
                             str(data_dir)], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "cxkiosk: error: --provider: unknown provider 'foo'; choose from openai, ollama, llamacpp, vllm, "
        "lmstudio, custom"]


def test_a_corrupt_db_named_on_the_command_line_gets_the_default_databases_fallback(data_dir, tmp_path):
    corrupt = tmp_path / "named.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    check = run_main("check", "--no-network", "--nfc", "none", "--db", str(corrupt),
                     "--data-dir", str(data_dir))
    line = next(ln for ln in check.stdout.splitlines() if " database " in ln)
    assert line.startswith("FAIL") and "shipped content read-only" in line
    assert check.returncode == 1
    shot = tmp_path / "shot.png"
    run = run_main("run", "--nfc", "none", "--source", "none", "--db", str(corrupt),
                   "--data-dir", str(data_dir), "--screenshot", str(shot), "--quit-after", "4")
    assert run.returncode == 0, run.stderr  # the shipped content plays
    assert corrupt.read_bytes().startswith(b"SQLite format 3\x00" + b"\xff" * 16)  # left as it was
    imported = run_main("content", "import", str(tmp_path / "x.csv"), "--db", str(corrupt),
                        "--data-dir", str(data_dir))
    assert imported.returncode == 1 and "corrupt" in imported.stderr  # a writer is refused


def test_a_database_in_a_missing_folder_is_refused_not_created(data_dir, tmp_path):
    missing = tmp_path / "no" / "such" / "x.db"
    for command in (["content", "list"], ["run", "--source", "none", "--quit-after", "1"]):
        result = run_main(*command, "--db", str(missing), "--data-dir", str(data_dir))
        assert result.returncode == 2, result.stderr
        assert "does not exist" in result.stderr
    assert not (tmp_path / "no").exists()


def test_import_names_a_local_file_that_is_not_there(data_dir, tmp_path):
    sheet = tmp_path / "items.csv"
    sheet.write_text("title,path\nMissing clip,nosuch.mp4\nShipped clip,media/city.mp4\n")
    result = run_main("content", "import", str(sheet), "--data-dir", str(data_dir))
    assert result.returncode == 0
    warnings = [ln for ln in result.stderr.splitlines() if "warning" in ln]
    assert len(warnings) == 1 and "line 2" in warnings[0] and "nosuch.mp4" in warnings[0]
    assert "added 2" in result.stdout  # taken: the file may be copied in later


@pytest.mark.parametrize("person, words", [
    ({"gender": "robot", "age": 30}, "gender 'robot'"),
    ({"gender": "female", "age": -5}, "age -5"),
    ({"age": 150}, "age 150"),
    ({"glasses": "maybe"}, "glasses 'maybe'"),
])
def test_select_refuses_an_audience_it_would_silently_change(person, words, data_dir):
    audience = json.dumps({"count": 1, "people": [person]})
    result = run_main("select", "--audience", audience, "--data-dir", str(data_dir))
    assert result.returncode == 2
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("audience, words", [
    ({"gender": "female", "age": 30}, "unknown key(s) 'age', 'gender'"),  # a person, not an audience
    ({"cuont": 1}, "unknown key(s) 'cuont'"),
    ({"count": "x"}, '"count" must be a whole number'),
    ({"count": -1}, '"count" must be a whole number'),
])
def test_select_refuses_an_audience_it_would_read_as_nobody(audience, words, data_dir):
    result = run_main("select", "--audience", json.dumps(audience), "--data-dir", str(data_dir))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr


def test_select_still_reads_what_a_person_writes(data_dir):
    audience = json.dumps({"count": 1, "people": [{"gender": "Woman", "age": "30s", "glasses": "yes"}]})
    result = run_main("select", "--audience", audience, "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["trigger"] == "targeted"

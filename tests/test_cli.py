"""The command line as scripts and integrators use it: real processes, real files."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_main(*args: str, env: dict | None = None, timeout: float = 90,
             input_text: str | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=ROOT, input=input_text)


def looks_like_content(path: Path) -> None:
    image = cv2.imread(str(path))
    assert image is not None, f"{path} is not an image"
    assert image.std() > 15, "screenshot is blank"
    assert (image.max(axis=2) < 16).mean() < 0.9, "screenshot is mostly black"


@pytest.mark.parametrize("argv, words", [
    (["bogus"], "unknown command"),
    (["--screenshot", "x.png"], "--quit-after"),
    (["--privacy", "sometimes"], "invalid choice"),
    (["run", "--quit-after", "soon"], "invalid float"),
])
def test_bad_arguments_give_one_line_and_exit_2(argv, words, tmp_path):
    result = run_main(*argv, "--data-dir", str(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]
    assert "Traceback" not in result.stderr


def test_help_lists_the_commands():
    result = run_main("--help")
    assert result.returncode == 0
    for command in ("run", "check", "content", "select", "report"):
        assert command in result.stdout


def test_screenshot_offscreen_shows_the_playlist_and_never_writes_the_install_folder(tmp_path):
    shipped = ROOT / "content.db"
    before = hashlib.sha256(shipped.read_bytes()).hexdigest()
    data = tmp_path / "kiosk"
    shot = tmp_path / "shot.png"
    result = run_main("--windowed", "--data-dir", str(data), "--source", "none", "--nfc", "none",
                      "--screenshot", str(shot), "--quit-after", "4")
    assert result.returncode == 0, result.stderr[-2000:]
    looks_like_content(shot)
    assert (data / "content.db").is_file()  # first run copied the shipped content
    log = (data / "logs" / "cxkiosk.log").read_text()
    assert log.count("playing item") >= 1
    if os.geteuid() == 0:  # QtWebEngine needs --no-sandbox as root; the kiosk says it turned it off
        assert "running as root: QtWebEngine runs without its sandbox" in log
    assert hashlib.sha256(shipped.read_bytes()).hexdigest() == before


def test_fullscreen_under_a_real_x_server(tmp_path, xvfb):
    shot = tmp_path / "shot.png"
    result = run_main("--data-dir", str(tmp_path / "kiosk"), "--source", "none", "--nfc", "none",
                      "--screenshot", str(shot), "--quit-after", "6",
                      env={"QT_QPA_PLATFORM": "xcb", "DISPLAY": xvfb})
    assert result.returncode == 0, result.stderr[-2000:]
    image = cv2.imread(str(shot))
    assert image.shape[:2] == (800, 1280)  # fullscreen on the 1280x800 screen
    looks_like_content(shot)


def test_check_explains_what_is_connected(tmp_path):
    result = run_main("check", "--data-dir", str(tmp_path), "--source", "none", "--nfc", "none")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "database" in out and "items" in out
    assert "nfc" in out and "the kiosk can run" in out


def test_check_says_what_the_camera_sees(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    photo = ROOT / "tests" / "data" / "faces" / "two_women_phones_far.jpg"
    (folder / "a.jpg").write_bytes(photo.read_bytes())
    result = run_main("check", "--data-dir", str(tmp_path), "--source", f"images:{folder}", "--nfc", "none",
                      "--no-network")
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if " faces " in x)
    assert "searched at 768x507" in line and "local age/gender ready" in line
    assert "2 face(s) in the first frame, 1 facing the screen" in line


def test_check_fails_clearly_on_a_corrupt_database_path(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 200)
    result = run_main("check", "--data-dir", str(tmp_path), "--db", str(bad), "--source", "none",
                      "--nfc", "none")
    assert result.returncode == 1
    assert "FAIL database" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_quitting_after_a_youtube_item_exits_cleanly(tmp_path):
    """Web views must be deleted while Qt is whole; left to the interpreter's exit they segfault."""
    from cxkiosk.content import database

    db = tmp_path / "content.db"
    database.open_database(str(db))
    database.Content.create(title="Offline clip", kind="youtube", url="https://youtu.be/aqz-KE-bpKQ")
    database.Content.create(title="Slide", kind="slide", url="https://example.com/s",
                            path=str(ROOT / "resources" / "slides" / "welcome.html"), duration=2)
    database.close_database()
    result = run_main("--windowed", "--data-dir", str(tmp_path / "kiosk"), "--db", str(db),
                      "--source", "none", "--nfc", "none", "--quit-after", "4")
    assert result.returncode == 0, (result.returncode, result.stderr[-1500:])


def test_sigterm_stops_the_kiosk_cleanly_with_proof_of_play(tmp_path):
    import signal

    data = tmp_path / "kiosk"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--windowed", "--data-dir", str(data),
                             "--source", "none", "--nfc", "none"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = data / "logs" / "cxkiosk.log"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (log.exists() and "playing item" in log.read_text()):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    from cxkiosk.content import database

    database.open_database(str(data / "content.db"))
    try:
        assert database.PlayLog.select().where(database.PlayLog.reason == "kiosk stopped").count() == 1
    finally:
        database.close_database()

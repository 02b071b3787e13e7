"""Bad luck as a kiosk meets it: a database server that accepts and never answers, a database
URL of the wrong kind, a pipe closed by `head`. One clear line each, never a hang or a traceback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.test_cli import ROOT, run_main


@pytest.fixture
def silent_server():
    """Accepts TCP connections and never says a word (a wedged database server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, name="silent-server")
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()


@pytest.mark.parametrize("command", [["check"], ["content", "list"], ["report"]])
def test_a_database_server_that_never_answers_is_named_within_seconds(data_dir, silent_server, command):
    pytest.importorskip("psycopg2")
    url = f"postgresql://kiosk@127.0.0.1:{silent_server}/kiosk"
    started = time.monotonic()
    done = run_main(*command, "--data-dir", str(data_dir), "--db", url, env={"CXKIOSK_PRIVACY": "off",
                                                                              "CXKIOSK_NFC_DEVICE": "none"})
    assert time.monotonic() - started < 30
    said = done.stdout + done.stderr  # check reports on stdout, the other commands on stderr
    assert done.returncode != 0 and "Traceback" not in said
    assert "timeout" in said.lower() or "cannot open database" in said
    assert "kiosk@127.0.0.1" in said  # names the server (never a password)


@pytest.mark.parametrize("url", ["http://example.com/db", "mysql://u@h/db", "ftp://x/y", "postgresql+x://u@h/d"])
def test_a_database_url_of_an_unknown_kind_is_one_line(data_dir, url):
    done = run_main("content", "list", "--data-dir", str(data_dir), "--db", url)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "unknown kind" in done.stderr


def test_a_password_in_a_database_url_never_reaches_the_screen(data_dir, silent_server):
    pytest.importorskip("psycopg2")
    done = run_main("content", "list", "--data-dir", str(data_dir),
                    "--db", f"postgresql://kiosk:hunter2@127.0.0.1:{silent_server}/kiosk")
    assert "hunter2" not in done.stderr + done.stdout


def test_piping_into_head_ends_quietly(data_dir):
    rows = [{"title": f"item {n}", "url": f"https://example.com/{n}", "kind": "web"} for n in range(3000)]
    many = data_dir / "many.json"
    many.write_text(json.dumps(rows))
    assert run_main("content", "import", str(many), "--data-dir", str(data_dir)).returncode == 0
    command = f"{sys.executable} {ROOT / 'main.py'} content list --data-dir {data_dir} | head -1"
    pipeline = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=90)
    assert pipeline.stdout.count("\n") == 1
    assert "Traceback" not in pipeline.stderr and "BrokenPipe" not in pipeline.stderr
    assert pipeline.stderr.strip() == ""

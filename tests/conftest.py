"""Test set-up shared by every test: headless Qt, isolated data folders, no dangling threads."""

from __future__ import annotations

import logging
import os

# Qt reads these at start-up; pytest aborts if neither a display nor a platform is set.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
# Tests never reach the user's keyring or settings.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

import ui.webpage  # noqa: E402,F401 - declares the slides' URL scheme before any QApplication exists


@pytest.fixture
def data_dir(tmp_path):
    """A fresh data folder, as `--data-dir` would give."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def pg_server():
    """A throw-away PostgreSQL server on loopback for one test module (tests/postgres.py), which
    a test may stop and start; skipped, saying why, where none can run here."""
    pytest.importorskip("psycopg2")
    from tests.postgres import PostgresUnavailable, postgres_server

    try:
        with postgres_server() as running:
            yield running
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def postgres_url(pg_server):
    """The throw-away server's URL (its `postgres` database, as its superuser)."""
    return pg_server.url


@pytest.fixture
def db(tmp_path):
    """A fresh content database file (schema and shipped prompts, no content), bound for the
    test and closed after it, as the kiosk opens its own."""
    from cxkiosk.content import database, prompt_store

    opened = database.open_database(str(tmp_path / "content.db"))
    prompt_store.seed_default_prompts()
    yield opened
    database.close_database()


@pytest.fixture
def answers(monkeypatch):
    """The yes/no questions the admin panel and the set-up ask, answered 'yes' unless a test sets
    `answers.state["answer"]`; every title asked is kept in `answers.asked`."""
    from ui.admin import widgets

    asked: list[str] = []
    state = {"answer": True}

    def fake_ask(_parent, title, _text):
        asked.append(title)
        return state["answer"]

    monkeypatch.setattr(widgets, "ask", fake_ask)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return type("Answers", (), {"asked": asked, "state": state})


@pytest.fixture
def paths(data_dir):
    """The data folder's paths, as `--data-dir` gives them."""
    from cxkiosk.config import Paths

    return Paths.for_data_dir(data_dir)


@pytest.fixture
def memory_keyring():
    """An OS keyring in memory for the test (the real one is never touched)."""
    import keyring

    from tests.test_secrets import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


class Mount:
    """A real small file system (tmpfs) the test can fill or make read-only, as a full disk or a
    read-only share would be; mounting needs root (the CI machine), so without it the test skips."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def remount(self, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(self.path)], check=True, capture_output=True)

    def read_only(self) -> None:
        self.remount("ro")

    def writable(self) -> None:
        self.remount("rw")

    def fill(self) -> Path:
        """Take every free byte; remove the returned file to free the space again."""
        filler = self.path / "filler.bin"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (1 << 20, 65536, 4096, 512, 1):  # down to the last bytes
                try:
                    while os.write(fd, b"\0" * size):
                        pass
                except OSError:
                    continue
        finally:
            os.close(fd)
        return filler


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs at tmp_path/disk: fill() it, or read_only() it."""
    path = tmp_path / "disk"
    path.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()[:80]})")
    yield Mount(path)
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture(autouse=True)
def _no_dangling_qthreads(request):
    """Fail a test that leaves a QThread running (napari's _dangling_qthreads idea)."""
    yield
    if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
        return
    from PySide6.QtCore import QThread
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    # Widgets the test closed are deleted now, not when the application is torn down at exit:
    # QtWebEngine crashes the process (SIGSEGV, exit 139) destroying a web view that late.
    from PySide6.QtCore import QEvent

    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    leftovers = [t for t in app.findChildren(QThread) if t.isRunning()]
    leftovers += [t for t in _live_qthreads() if t.isRunning() and t not in leftovers]
    if leftovers:
        for thread in leftovers:
            thread.quit()
            thread.wait(2000)
        pytest.fail(f"test left {len(leftovers)} QThread(s) running: "
                    f"{[t.objectName() for t in leftovers]}")


def _live_qthreads():
    import gc

    from PySide6.QtCore import QThread

    return [o for o in gc.get_objects() if isinstance(o, QThread)]


@pytest.fixture(autouse=True)
def _no_dangling_threads():
    """Fail a test that leaves any Python thread running (a server, a reader loop, a worker):
    a kiosk that runs for weeks cannot afford one thread leaked per visit."""
    import threading

    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()
                and not t.name.startswith(("QThread", "Dummy-"))]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    if left:
        pytest.fail(f"test left {len(left)} thread(s) running: {[t.name for t in left]}")


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _logfail(request):
    """Fail a test on an unexpected WARNING or ERROR from the kiosk's own loggers (qutebrowser's
    logfail idea): a warning nobody expected is a bug or an untested path. A test that provokes
    one says so: @pytest.mark.expect_log("regex", ...)."""
    import re

    marker = request.node.get_closest_marker("expect_log")
    expected = [re.compile(p) for p in (marker.args if marker else ())]
    handler = _Records()
    logger = logging.getLogger("cxkiosk")
    logger.addHandler(handler)
    yield
    logger.removeHandler(handler)
    unexpected = [f"{r.levelname} {r.name}: {r.getMessage()}" for r in handler.records
                  if not any(p.search(r.getMessage()) for p in expected)]
    if unexpected:
        pytest.fail("unexpected log lines (mark the test with expect_log if they are meant):\n  "
                    + "\n  ".join(unexpected[:10]))


@pytest.fixture(autouse=True)
def _quiet_libraries():
    logging.getLogger("nfc").setLevel(logging.WARNING)
    yield


def _free_display() -> int:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    pytest.skip("no free X display number")


@pytest.fixture
def xvfb():
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb not installed (.ci/debian-packages installs it)")
    display = _free_display()
    proc = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socket_path = Path(f"/tmp/.X11-unix/X{display}")
    deadline = time.monotonic() + 10
    while not socket_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f":{display}"
    proc.terminate()
    proc.wait(5)

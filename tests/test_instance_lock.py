"""One kiosk per data folder (`kiosk.lock`): a second start says so, and a lock that no live
kiosk holds (SIGKILLed, a power cut) never blocks the next one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.kiosk_processes import KIOSK, POSIX, kiosk_started, main, power_cut, start, wait_for


@POSIX
def test_a_second_kiosk_on_the_same_folder_says_so_and_a_killed_ones_lock_is_no_obstacle(data_dir):
    first = start("run", "--data-dir", str(data_dir), *KIOSK, "--quit-after", "120")
    try:
        wait_for(lambda: (data_dir / "kiosk.lock").exists() and kiosk_started(data_dir), first)
        hour_ago = time.time() - 3600  # a kiosk runs for days without touching its lock: still held
        os.utime(data_dir / "kiosk.lock", (hour_ago, hour_ago))
        second = main("run", "--data-dir", str(data_dir), *KIOSK, "--quit-after", "5")
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"cxkiosk: error: another kiosk is already running on this data folder (pid {first.pid} on "
            f"{os.uname().nodename}); stop it first, or give this one its own --data-dir"]
        supervised = main("supervise", "--data-dir", str(data_dir), "--", *KIOSK)
        assert supervised.returncode == 2  # a second supervisor stops at once, never restarts forever
        assert supervised.stderr.count("another kiosk is already running") == 1
        assert "not restarting" in supervised.stderr
        other = data_dir.parent / "other"  # another data folder is another kiosk: it runs
        assert main("run", "--data-dir", str(other), *KIOSK, "--quit-after", "1").returncode == 0
    finally:
        power_cut(first)
    assert (data_dir / "kiosk.lock").exists()  # left behind by the killed kiosk
    third = main("run", "--data-dir", str(data_dir), *KIOSK, "--quit-after", "2")
    assert third.returncode == 0, third.stderr
    assert "already running" not in third.stderr
    assert not (data_dir / "kiosk.lock").exists()  # a clean quit lets it go
    # with no session bus here, the screen saver line says what to do instead
    assert "screen: screen saver: cannot inhibit (no session bus); turn it off in the OS settings" \
        in (data_dir / "logs" / "cxkiosk.log").read_text()


@pytest.mark.parametrize("left", [b"", b"\x00\x00\x00\x00", b"garbage\n"])
def test_a_lock_file_a_power_cut_left_empty_or_garbled_does_not_block_the_kiosk(data_dir, left):
    """A power cut right after the lock was created leaves it empty (the data never reached the
    disk) or zeroed: no kiosk holds it, yet it used to refuse every start ("another kiosk is
    already running ... its lock file cannot be read"), and so the supervisor stopped for good."""
    lock = data_dir / "kiosk.lock"
    lock.write_bytes(left)
    yesterday = time.time() - 86400
    os.utime(lock, (yesterday, yesterday))
    result = main("run", "--data-dir", str(data_dir), *KIOSK, "--quit-after", "1")
    assert result.returncode == 0, result.stderr[-800:]
    assert "already running" not in result.stderr
    assert not lock.exists()  # taken over, and let go at the clean quit


def test_a_lock_file_being_written_this_instant_is_left_to_its_writer(data_dir):
    """Two kiosks started at the same instant: the second may read the first's lock before its
    owner line is in it; that young lock is not taken over, so only one of them runs."""
    from cxkiosk.runtime.instance import InstanceLock

    (data_dir / "kiosk.lock").write_bytes(b"")
    assert "another kiosk is already running" in InstanceLock(data_dir).acquire()
    assert (data_dir / "kiosk.lock").exists()


@pytest.fixture
def other_python() -> Iterator[Callable[[], subprocess.Popen]]:
    """Starts a live process of the kiosk's program (this Python) that is no kiosk: what a PID
    reused after the kiosk died may belong to."""
    started: list[subprocess.Popen] = []

    def another() -> subprocess.Popen:
        started.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]))
        return started[-1]

    yield another
    for proc in started:
        proc.kill()
        proc.wait(10)


def with_pid(lock: Path, pid: int) -> None:
    """The lock as its writer left it, but for the PID: what the kernel's reuse of it amounts to."""
    lines = lock.read_text().splitlines(keepends=True)
    lock.write_text("".join([f"{pid}\n", *lines[1:]]))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process start times are read from /proc")
def test_a_killed_kiosks_lock_whose_pid_another_program_has_now_does_not_block_it(data_dir, other_python):
    """A kiosk SIGKILLed (a crash, the OOM killer, a container restarted, where PIDs start low
    again), and its PID soon another Python program's: Qt saw a live process of the same name and
    took the lock as held, so the kiosk refused every start until someone deleted kiosk.lock."""
    lock = data_dir / "kiosk.lock"
    first = start("run", "--data-dir", str(data_dir), *KIOSK, "--quit-after", "120")
    try:
        log = data_dir / "logs" / "cxkiosk.log"  # playing: its lock long written
        wait_for(lambda: kiosk_started(data_dir) and "playing item" in log.read_text(), first)
    finally:
        power_cut(first)
    other = other_python()  # started after the kiosk died, as a process that gets its PID is
    with_pid(lock, other.pid)
    again = main("run", "--data-dir", str(data_dir), *KIOSK, "--quit-after", "2")
    assert again.returncode == 0, again.stderr[-800:]
    assert "already running" not in again.stderr
    assert kiosk_started(data_dir, times=2)
    assert not lock.exists()  # taken over, and let go at the clean quit
    assert other.poll() is None  # the other program is left alone


@POSIX
def test_an_older_lock_without_a_start_time_is_held_while_its_pid_lives(data_dir, other_python):
    """Qt's own lines alone, as kiosks before the start time wrote them: the PID's process,
    alive, holds it; gone, it does not."""
    from PySide6.QtCore import QLockFile

    from cxkiosk.runtime.instance import InstanceLock

    lock = data_dir / "kiosk.lock"
    plain = QLockFile(str(lock))
    assert plain.tryLock(0)
    older = lock.read_text()
    plain.unlock()
    lock.write_text(older)
    other = other_python()
    with_pid(lock, other.pid)
    assert InstanceLock(data_dir).acquire() == (
        f"another kiosk is already running on this data folder (pid {other.pid} on "
        f"{os.uname().nodename}); stop it first, or give this one its own --data-dir")
    other.kill()
    other.wait(10)
    taken = InstanceLock(data_dir)
    assert taken.acquire() == ""
    taken.release()

"""One way to run a worker on a thread: a QObject moved to a QThread, stopped cooperatively.

Two kinds of worker use it:
- loop workers (capture, NFC) override `work()` and check `self.stopping` often;
- event workers (classification) leave `work()` empty and do their job in slots that other
  threads reach through queued signals.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

log = logging.getLogger("cxkiosk.runtime")


class Worker(QObject):
    finished = Signal()
    failed = Signal(str)  # a human-readable reason; the billboard keeps playing

    def __init__(self) -> None:
        super().__init__()
        self._stop = threading.Event()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def request_stop(self) -> None:
        """Thread-safe: only sets a flag the worker's own thread reads."""
        self._stop.set()

    def wait_stop(self, seconds: float) -> bool:
        """Sleep that wakes at once on stop; True when stopping."""
        return self._stop.wait(seconds)

    @Slot()
    def run(self) -> None:
        try:
            self.work()
        except Exception as exc:  # a worker never takes the app down
            log.exception("%s crashed", type(self).__name__)
            self.failed.emit(f"{type(self).__name__}: {exc}")
        finally:
            if not self.is_event_worker():
                self.finished.emit()

    def work(self) -> None:
        """Loop workers override this; event workers keep it empty."""

    def is_event_worker(self) -> bool:
        return type(self).work is Worker.work


class WorkerThread:
    """Owns one QThread and one worker; `stop()` joins within a bound."""

    def __init__(self, worker: Worker, name: str) -> None:
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued call would wait for a GUI thread that may
        # itself be blocked in stop().
        worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        # Emitted on the thread itself as it ends: its database connection goes with it.
        self.thread.finished.connect(_close_connection, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """Ask the worker to stop, end the thread's event loop, and wait. True if it ended."""
        self.worker.request_stop()
        self.thread.quit()  # remembered if the loop worker has not reached exec() yet
        ended = self.thread.wait(int(timeout * 1000))
        if not ended:
            log.error("thread %s did not stop within %.1f s", self.thread.objectName(), timeout)
        return ended

    @property
    def running(self) -> bool:
        return self.thread.isRunning()


def _close_connection() -> None:
    from cxkiosk.content import database

    db = database.current_database()
    if db is not None:
        try:
            db.close()  # this thread's own; none open: nothing to do
        except Exception:  # a transaction left open by a crashed worker: the process's end closes it
            log.debug("a worker thread's database connection could not be closed", exc_info=True)

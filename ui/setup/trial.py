"""A test the operator starts from a set-up page (the NFC reader, the model provider): one worker
on its own thread at a time, its button off while it runs, its outcome on a status line."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QLabel, QPushButton

from cxkiosk.runtime.threads import Worker, WorkerThread
from ui.admin.widgets import message


class Trial(QObject):
    """Runs workers with a `done(str, bool)` signal (and optionally `progress(str)`)."""

    def __init__(self, button: QPushButton, line: QLabel, name: str) -> None:
        super().__init__(button)
        self.button, self.line, self.name = button, line, name
        self._run: WorkerThread | None = None

    @property
    def running(self) -> bool:
        return self._run is not None

    def start(self, worker: Worker, first_line: str) -> bool:
        if self._run is not None:
            return False
        # Bound methods of this QObject: Qt queues their calls to the GUI thread.
        worker.done.connect(self._done)
        if hasattr(worker, "progress"):
            worker.progress.connect(self._progress)
        worker.failed.connect(self._failed)
        worker.finished.connect(self._finished)
        self._run = WorkerThread(worker, self.name)
        self.button.setEnabled(False)
        message(self.line, first_line)
        self._run.start()
        return True

    @Slot(str, bool)
    def _done(self, text: str, ok: bool) -> None:
        message(self.line, text, ok)

    @Slot(str)
    def _progress(self, text: str) -> None:
        message(self.line, text)

    @Slot(str)
    def _failed(self, text: str) -> None:
        message(self.line, f"The test failed: {text}", False)

    @Slot()
    def _finished(self) -> None:
        self.stop()

    def stop(self, timeout: float = 5.0) -> None:
        run, self._run = self._run, None
        if run is not None:
            run.stop(timeout)
            self.button.setEnabled(True)

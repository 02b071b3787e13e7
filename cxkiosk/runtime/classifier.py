"""The classifier on its own thread: one model call in flight, the newest request wins.

The capture thread's `profile_request` signal (a `ProfileRequest`: visit id, frame, boxes,
local audience) reaches `request` queued, straight from the capture thread. Requests that
arrive while a call is in flight do not queue up behind it: each one replaces the pending
request, so when the call returns only the newest visit is profiled. A `VisitGate` drops
requests that are not worth a call (same visit, same group, no refresh due) and holds a
changed group until the change has settled (a timer looks again, so one "changed" request is
enough). Images live in memory only.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal, Slot

from cxkiosk.profiling.client import Classifier, ClassifyResult
from cxkiosk.runtime.threads import Worker
from cxkiosk.sensing.gate import VisitGate
from cxkiosk.sensing.tracking import ProfileRequest
from cxkiosk.values import Audience

log = logging.getLogger("cxkiosk.model")


@dataclass(frozen=True)
class ClassifiedVisit:
    visit_id: Any
    result: ClassifyResult


class ClassifierWorker(Worker):
    classified = Signal(object)  # ClassifiedVisit
    recovered = Signal(str)  # the model answers again after a failure: the status line says so
    _wake = Signal()  # posts a drain to this worker's thread, from whichever thread requested
    _schedule = Signal(int)  # (re)starts the settle timer on this worker's thread

    def __init__(self, classifier: Classifier, source: str = "camera", gate: VisitGate | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.classifier = classifier
        self.source = source
        self.gate = gate or VisitGate(classifier.settings.refresh_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: tuple[Any, Any, list, Audience | None] | None = None
        self._current_visit: Any = None  # the visit a result must belong to, to be emitted
        self._drain_posted = False
        self._busy = False
        self._failing = False
        self._deferred: tuple[Any, Any, list, Audience | None] | None = None
        self._last: ClassifiedVisit | None = None  # the newest answer, repeated for its visit
        self._recheck = QTimer(self)  # moves to the worker's thread with its parent
        self._recheck.setSingleShot(True)
        self._recheck.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may fire early
        self._recheck.timeout.connect(self._recheck_deferred)
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)
        self._schedule.connect(self._recheck.start, Qt.ConnectionType.QueuedConnection)

    @Slot()
    def run(self) -> None:
        self.classifier.warm_up()  # on this thread, before the first visitor arrives
        super().run()

    @Slot(object)
    def request(self, request: ProfileRequest) -> None:
        """Ask for a profile of this visit; replaces any request not yet started."""
        local = request.audience if isinstance(request.audience, Audience) else None
        self._submit(request.visit_id, request.image, list(request.boxes or []), local, repeat=True)

    def _submit(self, visit_id: Any, image: Any, boxes: list, local: Audience | None, repeat: bool) -> None:
        if self.stopping:
            return
        count = len(boxes) or (local.count if local else 0)
        again = None
        post = False
        with self._lock:
            wait = self.gate.check(visit_id, count, self._clock())
            if wait == 0:
                if self._pending is not None:
                    log.debug("request for visit %s superseded by visit %s", self._pending[0], visit_id)
                self._pending = (visit_id, image, boxes, local)
                self._deferred = None
                self._current_visit = visit_id
                post, self._drain_posted = not self._drain_posted, True
            else:
                # A change still settling keeps its newest frame and is looked at again later;
                # anything else is not worth a call. Whoever asked still gets an answer: the
                # last profile of this visit, if there is one.
                self._deferred = (visit_id, image, boxes, local) if wait else None
                if wait:
                    self._schedule.emit(math.ceil(wait * 1000) + 5)
                if repeat and self._last is not None and self._last.visit_id == visit_id:
                    again = self._last
        if post:
            self._wake.emit()
        if again is not None:
            self.classified.emit(again)

    @Slot()
    def _recheck_deferred(self) -> None:
        with self._lock:
            job, self._deferred = self._deferred, None
        if job is not None:
            self._submit(*job, repeat=False)

    @Slot(object)
    def visit_ended(self, visit_id: Any) -> None:
        """The visitor left: drop its pending request and any late result."""
        with self._lock:
            if self._deferred is not None and self._deferred[0] == visit_id:
                self._deferred = None
            if self._pending is not None and self._pending[0] == visit_id:
                self._pending = None
            if self._current_visit == visit_id:
                self._current_visit = None
                self.gate.forget()
            if self._last is not None and self._last.visit_id == visit_id:
                self._last = None

    @Slot()
    def _drain(self) -> None:
        if self._busy:  # re-entered from sendPostedEvents below: the loop there takes the job
            return
        self._busy = True
        try:
            while not self.stopping:
                with self._lock:
                    job, self._pending, self._drain_posted = self._pending, None, False
                if job is None:
                    return
                self._run(*job)
        finally:
            self._busy = False

    def _run(self, visit_id: Any, image: Any, boxes: list, local: Audience | None) -> None:
        try:
            result = self.classifier.classify(image, boxes, local, self.source)
        except Exception as exc:  # classify() does not raise for model trouble; this is a bug
            log.exception("classifier crashed")
            self.failed.emit(f"classifier: {type(exc).__name__}: {exc}")
            return
        # Requests queued while the call was in flight tell whether its visit is still current.
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        with self._lock:
            stale = self._current_visit != visit_id
        if stale or self.stopping:
            log.debug("result for visit %s dropped: the visit is over or superseded", visit_id)
            return
        if result.error:
            self._failing = True
            self.failed.emit(result.error)
        elif self._failing and not result.used_fallback:  # a model answer, not the local guess
            self._failing = False  # once, not at every call: the status board logs each change
            self.recovered.emit(f"{self.classifier.settings.provider}: ready (answering again)")
        classified = ClassifiedVisit(visit_id, result)
        with self._lock:
            self._last = classified
        self.classified.emit(classified)

    def request_stop(self) -> None:
        super().request_stop()
        self.classifier.abort()  # a hanging call returns now, so the thread joins promptly

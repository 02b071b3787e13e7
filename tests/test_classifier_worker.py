"""The classifier worker: its own thread, one call in flight, newest visit wins, prompt shutdown."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QObject, QTimer, Signal

from cxkiosk.config import Settings
from cxkiosk.profiling.client import Classifier
from cxkiosk.runtime.classifier import ClassifierWorker
from cxkiosk.runtime.threads import WorkerThread
from cxkiosk.sensing.gate import VisitGate
from cxkiosk.sensing.tracking import ProfileRequest
from cxkiosk.values import Audience, Person
from tests.fake_openai import FakeOpenAI, hang, reply, status

FRAME = np.full((480, 640, 3), 120, np.uint8)
BOX = [(300, 100, 80, 90)]
LOCAL = Audience(count=1, people=(Person(gender="female", age=30),), source="local")


class Tracker(QObject):
    """Stands in for the capture thread: emits profile requests across threads."""

    request = Signal(object)
    ended = Signal(object)

    def visit(self, visit_id, image, boxes, local) -> None:
        self.request.emit(ProfileRequest(visit_id, image, tuple(boxes), local))


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def running(qtbot, server):
    started = []

    def start(timeout: float = 1.0, gate: VisitGate | None = None,
              **settings) -> tuple[ClassifierWorker, Tracker]:
        values = dict(privacy="full", provider="custom", base_url=server.base_url, model="m",
                      model_timeout=timeout)
        values.update(settings)
        worker = ClassifierWorker(Classifier(Settings(**values)), gate=gate)
        thread = WorkerThread(worker, "classifier")
        tracker = Tracker()
        tracker.request.connect(worker.request)  # queued: different threads
        tracker.ended.connect(worker.visit_ended)
        thread.start()
        started.append(thread)
        return worker, tracker

    yield start
    for thread in started:
        assert thread.stop(5)


def wait_for_requests(qtbot, server, n: int) -> None:
    qtbot.waitUntil(lambda: len(server.requests) >= n, timeout=5000)


@pytest.mark.expect_log('model call failed')
def test_gui_thread_keeps_running_while_a_call_hangs(qtbot, server, running):
    server.script(hang(60), hang(60))
    worker, tracker = running(timeout=2.0)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    with qtbot.waitSignal(worker.classified, timeout=15000) as done, \
            qtbot.waitSignal(worker.failed, timeout=15000) as failed:
        tracker.visit("v1", FRAME, BOX, LOCAL)
        wait_for_requests(qtbot, server, 1)
        ticks.clear()  # count only ticks while the model call is in flight
    timer.stop()
    result = done.args[0].result
    assert result.used_fallback and result.audience == LOCAL  # targeting continues on local values
    assert "no answer" in failed.args[0]
    assert len(ticks) >= 10  # the GUI event loop ran all along (a blocked loop gives ~1)


def test_newer_visit_supersedes_requests_queued_behind_a_slow_call(qtbot, server, running):
    server.script(reply(delay=1.0), reply())
    worker, tracker = running(timeout=5.0)
    results = []
    worker.classified.connect(lambda v: results.append(v.visit_id))
    tracker.visit("v1", FRAME, BOX, LOCAL)
    wait_for_requests(qtbot, server, 1)
    tracker.visit("v2", FRAME, BOX, LOCAL)
    tracker.visit("v3", FRAME, BOX, LOCAL)
    qtbot.waitUntil(lambda: results == ["v3"], timeout=10000)
    qtbot.wait(200)
    assert results == ["v3"]  # v1's late answer is stale, v2 was never sent
    assert len(server.requests) == 2


def test_same_visit_is_profiled_once_and_asking_again_repeats_the_answer(qtbot, server, running):
    worker, tracker = running()
    results = []
    worker.classified.connect(lambda v: results.append(v))
    for _ in range(5):
        tracker.visit("v1", FRAME, BOX, LOCAL)
    qtbot.waitUntil(lambda: len(results) == 1, timeout=5000)
    assert results[0].result.audience.people[0].gender == "female"  # from the model's reply
    tracker.visit("v1", FRAME, BOX, LOCAL)  # e.g. the tracker says "changed" for a small thing
    qtbot.waitUntil(lambda: len(results) == 2, timeout=5000)
    assert results[1] == results[0]  # the model profile again, not a local fallback
    assert len(server.requests) == 1


def test_a_group_change_that_holds_is_profiled_again_without_more_requests(qtbot, server, running):
    worker, tracker = running(timeout=10.0, gate=VisitGate(settle=0.3, min_gap=0.3))
    results = []
    worker.classified.connect(results.append)
    tracker.visit("v1", FRAME, BOX, LOCAL)
    qtbot.waitUntil(lambda: len(results) == 1, timeout=5000)
    tracker.visit("v1", FRAME, BOX * 2, LOCAL)  # a friend joins; the tracker says so once
    qtbot.waitUntil(lambda: len(results) == 3, timeout=5000)
    assert results[1] is results[0]  # meanwhile: the profile we have
    assert results[2].visit_id == "v1" and results[2] is not results[0]  # then: a new call
    assert len(server.requests) == 2


def test_a_visit_that_ended_gets_no_late_result(qtbot, server, running):
    server.script(reply(delay=0.8))
    worker, tracker = running(timeout=5.0)
    results = []
    worker.classified.connect(lambda v: results.append(v))
    tracker.visit("v1", FRAME, BOX, LOCAL)
    wait_for_requests(qtbot, server, 1)
    tracker.ended.emit("v1")
    qtbot.wait(1500)
    assert results == []


@pytest.mark.expect_log('model call failed')
def test_stop_returns_promptly_while_a_call_hangs(qtbot, server):
    server.script(hang(60), hang(60))
    settings = Settings(privacy="full", provider="custom", base_url=server.base_url, model="m",
                        model_timeout=60.0)
    worker = ClassifierWorker(Classifier(settings))
    thread = WorkerThread(worker, "classifier")
    tracker = Tracker()
    tracker.request.connect(worker.request)
    results = []
    worker.classified.connect(results.append)
    thread.start()
    tracker.visit("v1", FRAME, BOX, LOCAL)
    wait_for_requests(qtbot, server, 1)
    assert thread.stop(3.0)  # the server would hang 60 s; stop cuts the call instead
    assert worker.classifier.stats.last_error == "classifier stopped"
    assert results == []  # nothing is emitted from a stopping worker


@pytest.mark.expect_log('model call failed')
def test_the_model_line_says_ready_again_once_the_model_answers_after_a_failure(qtbot, server, running):
    """The operator's Devices tab (and a fleet's list) must not show last night's error all day."""
    server.script(status(500), status(500), reply(), reply())  # the client retries once
    worker, tracker = running(timeout=5.0, refresh_seconds=0.0)
    lines: list[str] = []
    worker.failed.connect(lines.append)
    worker.recovered.connect(lines.append)
    results = []
    worker.classified.connect(results.append)
    tracker.visit("v1", FRAME, BOX, LOCAL)
    qtbot.waitUntil(lambda: len(results) == 1, timeout=10000)
    tracker.visit("v2", FRAME, BOX, LOCAL)
    qtbot.waitUntil(lambda: len(results) == 2, timeout=10000)
    tracker.visit("v3", FRAME, BOX, LOCAL)
    qtbot.waitUntil(lambda: len(results) == 3, timeout=10000)
    assert len(lines) == 2 and "custom: ready (answering again)" == lines[1]  # once, not per call
    assert results[1].result.error == "" and not results[1].result.used_fallback

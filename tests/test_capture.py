"""The capture thread end to end: a video of a visitor -> one visit; unplug; prompt stop; privacy."""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from cxkiosk.resources import resource
from cxkiosk.runtime.capture import CaptureWorker
from cxkiosk.runtime.threads import WorkerThread
from cxkiosk.sensing.sources.camera import Backoff, CameraSource
from cxkiosk.sensing.sources.video import VideoFileSource
from cxkiosk.values import AudienceChanged, VisitEnded, VisitProgress, VisitStarted


def _make_demo():
    spec = importlib.util.spec_from_file_location("make_demo", resource("demo", "make_demo.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_demo = _make_demo()
FPS = 15
# The visitor in the short test clip: 0.8 s empty, walks in 0.8 s, stays 2.4 s, walks out 0.8 s.
TIMING = dict(empty_s=0.8, walk_s=0.8, stay_s=2.4, tail_s=1.2)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "visitor.avi"
    make_demo.write_clip(path, fps=FPS, **TIMING)
    return path


class Recorder:
    def __init__(self, worker: CaptureWorker) -> None:
        self.events, self.statuses, self.previews, self.failures = [], [], [], []
        self.requests, self.progress = [], []
        worker.visit_event.connect(self._event)
        worker.profile_request.connect(self.requests.append)
        worker.status.connect(self.statuses.append)
        worker.preview.connect(self.previews.append)
        worker.failed.connect(self.failures.append)

    def _event(self, event) -> None:
        # A VisitProgress only brings a visit's figures up to date; the rest change the visit.
        (self.progress if isinstance(event, VisitProgress) else self.events).append(event)


@pytest.fixture
def start(qtbot):
    """Start a worker on its thread; whatever a test does, the thread is stopped at the end."""
    threads = []

    def starter(worker: CaptureWorker) -> tuple[WorkerThread, Recorder]:
        recorder = Recorder(worker)
        thread = WorkerThread(worker, "capture-test")
        threads.append(thread)
        thread.start()
        return thread, recorder

    yield starter
    for thread in threads:
        thread.stop(2.0)
    import gc
    gc.collect()


def test_video_of_a_visitor_gives_exactly_one_visit(qtbot, start, clip):
    worker = CaptureWorker(lambda: VideoFileSource(clip, realtime=False, loop=False))
    thread, rec = start(worker)
    qtbot.waitUntil(lambda: any(isinstance(e, VisitEnded) for e in rec.events), timeout=30000)
    assert thread.stop(1.0)
    assert [type(e) for e in rec.events] == [VisitStarted, VisitEnded]
    started, ended = rec.events
    # Seen from the middle of the walk-in to the middle of the walk-out: about 2.4 + 0.8 s.
    assert 2.4 <= ended.dwell <= 4.0
    assert ended.ots == 1 and ended.watchers == 1
    assert ended.visitors[0].attention >= 2.0
    person = started.audience.people[0]
    assert started.audience.count == 1 and person.facing is True
    assert person.gender == "female" and 20 <= person.age <= 55  # the local model, no server
    assert ended.audience.count == 0


def test_file_spec_plays_in_real_time(qtbot, start, clip):
    worker = CaptureWorker(f"file:{clip}", profile_crops=True)
    thread, rec = start(worker)
    qtbot.waitUntil(lambda: bool(rec.requests), timeout=10000)
    started = next(e for e in rec.events if isinstance(e, VisitStarted))
    assert abs(started.t - time.monotonic()) < 5  # wall-clock stamps, not media time
    # The model's picture travels from the capture thread with the visit: its own read-only
    # copy of the frame, the visitor's box in it, the local audience as the fallback.
    (request, *_) = rec.requests
    assert request.visit_id == started.visit_id and request.audience == started.audience
    assert request.image.shape == (360, 640, 3) and not request.image.flags.writeable
    assert len(request.boxes) == 1
    assert thread.stop(1.0)
    assert any("playing 640x360 at 15 fps" in s for s in rec.statuses)
    assert isinstance(rec.events[-1], VisitEnded)  # stopping closes the open visit


def test_preview_only_while_asked_and_downscaled(qtbot, start, clip):
    worker = CaptureWorker(lambda: VideoFileSource(clip, realtime=False, loop=True), attributes=False)
    thread, rec = start(worker)
    qtbot.waitUntil(lambda: worker.frames_processed > 5, timeout=10000)
    assert rec.previews == []
    worker.set_preview(True)
    qtbot.waitUntil(lambda: len(rec.previews) >= 3, timeout=10000)
    worker.set_preview(False)
    assert thread.stop(1.0)
    assert rec.previews[0].shape == (180, 320, 3)


@pytest.mark.expect_log('unknown source')
def test_bad_source_is_a_clear_message_and_the_thread_ends(qtbot, start):
    worker = CaptureWorker("webcam")
    thread, rec = start(worker)
    qtbot.waitUntil(lambda: not thread.running, timeout=5000)
    assert rec.failures and "unknown source 'webcam'" in rec.failures[0]
    assert thread.stop(1.0)


class FlakyCapture:
    """A webcam showing the demo face that goes away after a while and comes back."""

    plugged = True
    face = cv2.imread(str(resource("demo", "face.png")))

    def isOpened(self) -> bool:  # noqa: N802 - cv2.VideoCapture's name
        return FlakyCapture.plugged

    def set(self, prop, value) -> bool:
        return True

    def get(self, prop) -> float:
        return 0

    def read(self):
        time.sleep(1 / 30)  # a real camera blocks until its next frame
        if not FlakyCapture.plugged:
            return False, None
        image = np.full((360, 640, 3), 170, np.uint8)
        image[60:300, 220:420] = FlakyCapture.face
        return True, image

    def release(self) -> None:
        pass


@pytest.mark.expect_log(r'camera \d+ (unplugged|not found)')
def test_unplugged_camera_is_reported_and_picked_up_again(qtbot, start):
    FlakyCapture.plugged = True
    worker = CaptureWorker(lambda: CameraSource("0", factory=lambda dev, api: FlakyCapture(),
                                                backoff=Backoff(0.2, 0.4), platform="linux"),
                           attributes=False)
    thread, rec = start(worker)
    qtbot.waitUntil(lambda: worker.frames_processed >= 3, timeout=5000)
    FlakyCapture.plugged = False
    qtbot.waitUntil(lambda: any("unplugged, retrying" in s for s in rec.statuses), timeout=5000)
    seen = worker.frames_processed
    FlakyCapture.plugged = True
    qtbot.waitUntil(lambda: worker.frames_processed > seen + 3, timeout=5000)
    assert rec.statuses[-1].startswith("camera 0 open")
    assert thread.stop(1.0)
    assert not rec.failures
    # The visitor stood there the whole time: the short outage did not end the visit.
    visits = [e for e in rec.events if isinstance(e, VisitStarted)]
    assert len(visits) == 1


@pytest.mark.expect_log(r'camera \d+ (unplugged|not found)')
def test_stop_is_prompt_even_while_the_camera_is_gone(qtbot, start):
    FlakyCapture.plugged = False
    worker = CaptureWorker(lambda: CameraSource("0", factory=lambda dev, api: FlakyCapture(),
                                                platform="linux"))
    thread, rec = start(worker)
    qtbot.waitUntil(lambda: any("not found" in s for s in rec.statuses), timeout=5000)
    began = time.monotonic()
    assert thread.stop(1.0)
    assert time.monotonic() - began < 1.0
    assert not thread.running


def test_no_frame_is_written_anywhere(qtbot, start, clip, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a frame was about to be written")

    monkeypatch.setattr(cv2, "imwrite", refuse)
    monkeypatch.setattr(cv2, "VideoWriter", refuse)
    monkeypatch.chdir(tmp_path)
    before = {p: p.stat().st_mtime for p in clip.parent.iterdir()}
    worker = CaptureWorker(lambda: VideoFileSource(clip, realtime=False, loop=False))
    worker.set_preview(True)
    thread, rec = start(worker)
    qtbot.waitUntil(lambda: any(isinstance(e, VisitEnded) for e in rec.events), timeout=30000)
    assert thread.stop(1.0)
    assert list(tmp_path.iterdir()) == []
    assert {p: p.stat().st_mtime for p in clip.parent.iterdir()} == before
    assert not rec.failures
    assert not any(isinstance(e, AudienceChanged) for e in rec.events)
    assert os.path.exists(clip)


def test_thermal_sensor_counts_people_into_visits(qtbot, start):
    import threading

    master, slave = os.openpty()
    stop = threading.Event()

    def sensor() -> None:
        """An AMG8833 printing 10 frames a second: one person, then two, then nobody."""
        i = 0
        while not stop.is_set():
            temps = np.full((8, 8), 22.0)
            if 5 <= i < 45:
                temps[2:4, 1:3] = 30.0
            if 15 <= i < 30:
                temps[3:5, 5:7] = 31.0
            line = ",".join(f"{v:.2f}" for v in temps.flat) + "\n"
            os.write(master, (b"garbled\n" if i % 7 == 0 else b"") + line.encode())
            i += 1
            stop.wait(0.1)

    writer = threading.Thread(target=sensor, daemon=True)
    writer.start()
    try:
        worker = CaptureWorker(f"thermal:{os.ttyname(slave)}", attributes=False, profile_crops=True)
        thread, rec = start(worker)
        qtbot.waitUntil(lambda: any(isinstance(e, VisitEnded) for e in rec.events), timeout=15000)
        assert thread.stop(1.0)
    finally:
        stop.set()
        writer.join(2)
        os.close(master)
        os.close(slave)
    assert [type(e) for e in rec.events] == [VisitStarted, AudienceChanged, AudienceChanged, VisitEnded]
    assert [e.people for e in rec.events] == [1, 2, 1, 0]
    assert rec.events[1].audience.source == "thermal" and rec.events[1].audience.count == 2
    assert rec.events[-1].ots == 2 and rec.events[-1].watchers == 0
    assert 3.0 <= rec.events[-1].dwell <= 4.5  # 4 s of a warm body, give or take the grid's blur
    # The model (privacy mode thermal) gets the rendered heat map, never a camera image.
    assert [r.visit_id for r in rec.requests] == [1, 1, 1]
    assert rec.requests[0].image.shape == (320, 320, 3)


@pytest.mark.expect_log('frame skipped')
def test_a_frame_that_breaks_detection_is_skipped_not_fatal(qtbot, start, clip, caplog):
    from cxkiosk.sensing.faces import FaceDetector

    class Flaky(FaceDetector):
        calls = 0

        def detect(self, image):
            Flaky.calls += 1
            if Flaky.calls % 5 == 0:
                raise cv2.error("odd frame")
            return super().detect(image)

    worker = CaptureWorker(lambda: VideoFileSource(clip, realtime=False, loop=False), attributes=False,
                           detector_factory=Flaky)
    thread, rec = start(worker)
    qtbot.waitUntil(lambda: any(isinstance(e, VisitEnded) for e in rec.events), timeout=30000)
    assert thread.stop(1.0)
    assert not rec.failures and [type(e) for e in rec.events] == [VisitStarted, VisitEnded]
    assert "frame skipped" in caplog.text


def test_emitting_every_frame_does_not_eat_references_to_true(qtbot, start, clip):
    """PySide6 6.12's emit() drops a reference to True each call; unchecked, a kiosk running for
    hours aborts with "bool_dealloc". The worker gives the reference back."""
    import sys

    worker = CaptureWorker(lambda: VideoFileSource(clip, realtime=False, loop=False), attributes=False)
    worker.set_preview(True)  # one emit per frame
    before = sys.getrefcount(True)
    thread, rec = start(worker)
    qtbot.waitUntil(lambda: any(isinstance(e, VisitEnded) for e in rec.events), timeout=30000)
    assert thread.stop(1.0)
    assert len(rec.previews) > 40  # every analysed frame (every 2nd while a visitor stands)
    assert sys.getrefcount(True) - before > -len(rec.previews) // 2


def write_crossing(path: Path, fps: int = 15) -> None:
    """Two real faces on the showroom wall (1280x720): A (Eileen Collins, NASA, public domain)
    steps in at 1.0 s on the left and walks right; B (inter-faces 073, CC0) steps in at 1.5 s on
    the right and walks left, passing behind A at about 3.7 s, and steps out at 7.0 s; A stays
    on the right and steps out at 9.0 s. Clip ends at 10 s."""
    a_photo = cv2.imread(str(resource("demo", "face.png")))
    b_photo = cv2.imread(str(Path(__file__).parent / "data" / "faces" / "paste_dark_man.jpg"))
    wall = make_demo.background(1280, 720)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (1280, 720))
    for i in range(10 * fps):
        t = i / fps
        frame = wall.copy()
        if 1.5 <= t < 7.0:  # B first: A walks in front of B
            make_demo._paste(frame, b_photo, max(200.0, 1000 - 160 * (t - 1.5)), 230, 140)
        if 1.0 <= t < 9.0:
            make_demo._paste(frame, a_photo, min(900.0, 100 + 200 * (t - 1.0)), 160, 200)
        writer.write(frame)
    writer.release()


def test_two_visitors_crossing_keep_their_attributes_and_dwell(qtbot, start, tmp_path):
    clip = tmp_path / "crossing.avi"
    write_crossing(clip)
    worker = CaptureWorker(lambda: VideoFileSource(clip, realtime=False, loop=False))
    thread, rec = start(worker)
    qtbot.waitUntil(lambda: any(isinstance(e, VisitEnded) for e in rec.events), timeout=60000)
    assert thread.stop(1.0)
    assert sum(isinstance(e, VisitStarted) for e in rec.events) == 1  # one visit, two visitors
    ended = rec.events[-1]
    assert isinstance(ended, VisitEnded) and ended.ots == 2
    by_gender = {v.gender: v for v in ended.visitors}
    assert set(by_gender) == {"female", "male"}  # no swap, no third phantom visitor
    assert by_gender["female"].dwell == pytest.approx(8.0, abs=0.5)
    assert by_gender["male"].dwell == pytest.approx(5.5, abs=0.5)
    assert by_gender["female"].box[0] > 700 and by_gender["male"].box[0] < 400  # ended where they went
    # When B has left, the one still there is A: the woman, on the right.
    (alone, *_) = [e for e in rec.events if isinstance(e, AudienceChanged) and e.people == 1][-1:]
    assert alone.audience.people[0].gender == "female" and alone.audience.people[0].x > 0.5
    assert worker.detections < worker.frames_processed  # the empty wall was not searched every frame


def test_the_change_gate_ignores_sensor_noise_but_not_a_small_visitor_far_away():
    from cxkiosk.runtime.capture import ChangeGate

    wall = make_demo.background(1280, 720)
    gate = ChangeGate()
    assert gate.changed(wall)  # nothing searched yet
    gate.searched()
    noise = np.random.default_rng(1).integers(-4, 5, wall.shape)
    assert not gate.changed(np.clip(wall + noise, 0, 255).astype(np.uint8))
    visitor = wall.copy()
    make_demo._paste(visitor, cv2.imread(str(resource("demo", "face.png"))), 640, 300, 80)  # ~40 px face
    assert gate.changed(visitor)

"""The prompt bench in the admin panel's Prompts tab, as an operator uses it: the prompt in the
editor (saved or not) tried on a real photo or the live camera frame, against the loopback model
server; what was sent, what came back, what the kiosk would choose, and nothing played or stored."""

from __future__ import annotations

import base64
import json
import shutil
from types import SimpleNamespace

import cv2
import pytest
from PySide6.QtWidgets import QApplication

from cxkiosk.config import Paths, Settings
from cxkiosk.content import database, prompt_store
from cxkiosk.content.database import AudienceLog, Content, PlayLog, TapLog
from cxkiosk.content.playlist import Playlist
from cxkiosk.pin import PinGuard, hash_pin
from cxkiosk.profiling.limits import CALLS_FILE, CallBudget
from cxkiosk.runtime.capture import CaptureWorker
from cxkiosk.runtime.status import StatusBoard
from cxkiosk.runtime.threads import WorkerThread
from cxkiosk.sensing.sources.images import ImageFolderSource
from tests.faceset import FACES
from tests.fake_openai import DEFAULT_REPLY, FakeOpenAI, hang, reply
from ui.admin import prompts
from ui.admin.opener import AdminOpener
from ui.admin.panel import AdminPanel

PIN = "4711"
PHOTO = FACES / "single_astronaut_collins.jpg"  # one woman facing the camera (NASA, public domain)
EMPTY = FACES / "empty_kitchen.jpg"


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def paths(data_dir):
    return Paths.for_data_dir(data_dir)


@pytest.fixture
def items(db):
    """Two targeted items and an idle one, as an operator would have them."""
    women = Content.create(title="Travel suits for women", url="https://example.com/women", kind="web",
                           genders="female", age_min=25, age_max=45, idle=False)
    Content.create(title="Men's watches", url="https://example.com/men", kind="web", genders="male",
                   idle=False)
    Content.create(title="Showroom loop", url="https://example.com/loop", kind="web")
    return women


def full_mode(server, **extra) -> Settings:
    return Settings(admin_pin_hash=hash_pin(PIN), privacy="full", provider="custom",
                    base_url=server.base_url, model="test-vl", model_timeout=extra.pop("model_timeout", 5.0),
                    **extra)


def open_panel(qtbot, paths, settings, **running):
    panel = AdminPanel(paths, settings, guard=PinGuard())
    for name, value in running.items():
        setattr(panel, name, value)
    qtbot.addWidget(panel)
    panel.show()
    panel.pin_dialog.pin.setText(PIN)
    panel.pin_dialog.submit()
    assert panel.unlocked
    panel.tabs.setCurrentWidget(panel.prompts)
    return panel


def run_file(qtbot, bench, path=PHOTO, timeout=15000):
    bench.try_file(str(path))
    qtbot.waitUntil(lambda: bench._thread is None, timeout=timeout)


def sent_image(request) -> bytes:
    url = request["body"]["messages"][0]["content"][1]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    return base64.b64decode(url.partition(",")[2])


def nothing_recorded() -> bool:
    return all(log.select().count() == 0 for log in (PlayLog, AudienceLog, TapLog))


def test_a_try_shows_the_crop_the_reply_the_audience_the_choice_and_its_cost(qtbot, paths, items, server):
    panel = open_panel(qtbot, paths, full_mode(server))
    bench = panel.prompts.bench
    assert "counts against the call caps (120 an hour, 1000 a day)" in bench.cost.text()
    run_file(qtbot, bench)
    assert len(server.requests) == 1
    jpeg = sent_image(server.requests[0])
    # The crop shown is the very picture sent, cut around the face (smaller than the photo).
    caption = bench.crop_caption.text()
    assert "sent to the model" in caption and f"{len(jpeg) / 1024:.1f} kB" in caption
    assert not bench.crop.pixmap().isNull()
    width, height = (int(v) for v in caption.split(" px")[0].split("x"))
    photo = cv2.imread(str(PHOTO))
    assert width * height < photo.shape[0] * photo.shape[1] / 2 and max(width, height) <= 512
    assert bench.prompt_used.text() == "profile-json v1, as saved"
    assert bench.sees.text().startswith("1 face:")
    assert bench.reply.toPlainText() == DEFAULT_REPLY
    assert bench.read.text() == "female 34, no glasses, short hair, jacket, facing"
    assert "Travel suits for women" in bench.choice.text()
    assert "female matches" in bench.reasons.text() and "age 34 in 25-45" in bench.reasons.text()
    timing = bench.timing.text()
    assert "model " in timing and " ms" in timing and "tokens (" in timing and " in, " in timing
    assert "calls 1/120 this hour, 1/1000 today" in timing
    assert "read" in bench.status.text() and "error" not in bench.status.text().lower()
    # Nothing played, nothing stored; the call was counted where the kiosk counts its calls.
    assert nothing_recorded()
    assert len(json.loads((paths.data / CALLS_FILE).read_text())["calls"]) == 1
    assert bench.file_button.isEnabled()


def test_the_unsaved_edit_is_what_is_sent(qtbot, paths, items, server):
    panel = open_panel(qtbot, paths, full_mode(server))
    stored = prompt_store.active_prompt("camera")
    panel.prompts.text.setPlainText("Describe each person as JSON. BENCH-EDIT-7")
    run_file(qtbot, panel.prompts.bench)
    sent = server.requests[0]["body"]["messages"][0]["content"][0]["text"]
    assert sent == "Describe each person as JSON. BENCH-EDIT-7"
    assert panel.prompts.bench.prompt_used.text() == "the editor's text, not saved"
    assert prompt_store.active_prompt("camera") == stored  # trying is not saving
    assert len(prompt_store.prompt_versions(panel.prompts.name.text())) == 1


@pytest.mark.expect_log("model call failed")
def test_a_garbage_reply_shows_the_raw_text_and_that_it_could_not_be_read(qtbot, paths, items, server):
    server.script(reply("Sure! The vibe here is very <b>sunny</b> today :)"))
    panel = open_panel(qtbot, paths, full_mode(server))
    bench = panel.prompts.bench
    run_file(qtbot, bench)
    assert bench.reply.toPlainText() == "Sure! The vibe here is very <b>sunny</b> today :)"
    assert "Could not read the reply" in bench.status.text()
    assert "local attributes" in bench.status.text()
    assert bench.read.text().startswith("could not read the reply")
    assert "for 1 person" in bench.choice.text()  # the local audience, as the kiosk would target
    assert nothing_recorded()


@pytest.mark.expect_log("model call failed")
def test_a_hanging_server_gives_a_timeout_line_and_the_panel_stays_responsive(qtbot, paths, items, server):
    server.script(hang(30))
    panel = open_panel(qtbot, paths, full_mode(server, model_timeout=2.0))
    bench = panel.prompts.bench
    bench.try_file(str(PHOTO))
    # The click returned while the call is still out: the GUI thread is free meanwhile.
    assert bench._thread is not None and not bench.file_button.isEnabled()
    qtbot.waitUntil(lambda: "Asking custom" in bench.status.text(), timeout=5000)
    panel.prompts.text.insertPlainText(" still typing")
    assert " still typing" in panel.prompts.text.toPlainText()
    qtbot.waitUntil(lambda: bench._thread is None, timeout=9000)
    assert "No answer within 2 s" in bench.status.text()
    assert bench.reply.toPlainText() == ""
    assert "sent to the model" in bench.crop_caption.text()  # the crop did leave, and is shown
    assert bench.file_button.isEnabled()


@pytest.mark.expect_log("model call failed .*: classifier stopped")
def test_locking_the_panel_ends_a_hanging_try_at_once(qtbot, paths, items, server):
    server.script(hang(60))
    panel = open_panel(qtbot, paths, full_mode(server, model_timeout=60.0))
    bench = panel.prompts.bench
    bench.try_file(str(PHOTO))
    qtbot.waitUntil(lambda: len(server.requests) == 1, timeout=10000)
    thread = bench._thread
    panel.lock()  # the call is aborted, the thread joined (the fixture fails a test leaving one)
    assert thread is not None and not thread.running


def test_a_server_without_token_counts_says_so(qtbot, paths, items, server):
    server.script(reply(usage=False))
    panel = open_panel(qtbot, paths, full_mode(server))
    bench = panel.prompts.bench
    run_file(qtbot, bench)
    assert "the server reported no token count" in bench.timing.text()
    assert "Travel suits for women" in bench.choice.text()


def test_tries_count_against_the_kiosks_own_call_caps(qtbot, paths, items, server):
    budget = CallBudget(paths.data / CALLS_FILE, per_hour=1, per_day=10)  # the running kiosk's
    panel = open_panel(qtbot, paths, full_mode(server, calls_per_hour=1, calls_per_day=10),
                       model_budget=budget)
    bench = panel.prompts.bench
    run_file(qtbot, bench)
    assert budget.counts() == (1, 1) and "calls 1/1 this hour" in bench.timing.text()
    run_file(qtbot, bench)
    assert len(server.requests) == 1  # the cap holds for the bench as for a visitor
    assert "Hourly call cap reached (1 calls)" in bench.status.text()
    assert "not sent" in bench.crop_caption.text()


def test_local_mode_sends_nothing_and_shows_what_the_kiosk_sees(qtbot, paths, items, server):
    settings = full_mode(server)
    settings.privacy = "local"
    panel = open_panel(qtbot, paths, settings)
    bench = panel.prompts.bench
    assert "nothing leaves this PC" in bench.cost.text()
    run_file(qtbot, bench)
    assert server.requests == []
    assert "nothing was sent" in bench.status.text() and bench.read.text() == "nothing was sent"
    assert bench.sees.text().startswith("1 face:")
    assert "not sent" in bench.crop_caption.text() and not bench.crop.pixmap().isNull()
    assert "model " not in bench.timing.text() and "local " in bench.timing.text()
    assert not (paths.data / CALLS_FILE).exists()
    assert nothing_recorded()


def test_an_empty_room_is_nobody_and_the_idle_loop_goes_on(qtbot, paths, items, server):
    settings = full_mode(server)
    settings.privacy = "local"
    panel = open_panel(qtbot, paths, settings)
    bench = panel.prompts.bench
    run_file(qtbot, bench, EMPTY)
    assert bench.sees.text() == "0 faces"
    assert "nothing targets nobody" in bench.choice.text() and "idle playlist" in bench.choice.text()


def test_without_a_live_frame_the_bench_says_so_and_offers_a_file(qtbot, paths, items, server, tmp_path):
    panel = open_panel(qtbot, paths, full_mode(server))
    bench = panel.prompts.bench
    assert not bench.live_button.isEnabled() and bench.file_button.isEnabled()
    assert "No live frame" in bench.status.text() and "Choose an image" in bench.status.text()
    junk = tmp_path / "notes.jpg"
    junk.write_text("not a picture")
    run_file(qtbot, bench, junk)
    assert "Not a picture this kiosk can read: notes.jpg" in bench.status.text()
    assert server.requests == []


def test_a_camera_that_sends_no_frame_is_named_within_a_few_seconds(qtbot, paths, items, server, monkeypatch):
    monkeypatch.setattr(prompts, "STILL_WAIT_MS", 300)
    panel = open_panel(qtbot, paths, full_mode(server), live_frames=True)
    bench = panel.prompts.bench
    with qtbot.waitSignal(panel.still_wanted):
        bench.live_button.click()
    qtbot.waitUntil(lambda: "No frame came from the camera" in bench.status.text(), timeout=3000)
    assert bench.live_button.isEnabled() and server.requests == []


def test_caption_prompts_are_not_tried_here(qtbot, paths, items, server):
    panel = open_panel(qtbot, paths, full_mode(server))
    panel.prompts.source.setCurrentText("caption")
    bench = panel.prompts.bench
    assert not bench.file_button.isEnabled() and "Caption prompts" in bench.status.text()


def test_the_live_frame_comes_from_the_running_camera_and_stays_in_memory(qtbot, data_dir, server, tmp_path):
    """Through the opener, as the running kiosk wires it: a real capture thread on a folder of
    real photos delivers the frame; nothing reaches the billboard, the logs or the disk."""
    from ui.billboard import Billboard

    database.open_database(str(data_dir / "content.db"))
    prompt_store.seed_default_prompts()
    Content.create(title="Travel suits for women", url="https://example.com/women", kind="web",
                   genders="female", age_min=25, age_max=45, idle=False)
    camera = tmp_path / "camera"
    camera.mkdir()
    shutil.copy(PHOTO, camera / "frame.jpg")
    capture = CaptureWorker(lambda: ImageFolderSource(camera, seconds=0.2), attributes=False)
    capture_thread = WorkerThread(capture, "capture")
    billboard = Billboard()
    qtbot.addWidget(billboard)
    settings = full_mode(server)
    budget = CallBudget(data_dir / CALLS_FILE, settings.calls_per_hour, settings.calls_per_day)
    runtime = SimpleNamespace(capture=capture, nfc=None, selector=None,
                              classifier=SimpleNamespace(classifier=SimpleNamespace(budget=budget)))
    opener = AdminOpener(Paths.for_data_dir(data_dir), settings, billboard, Playlist(database.playlist()),
                         StatusBoard(), runtime)
    capture_thread.start()
    try:
        opener.open()
        panel = opener.panel
        panel.pin_dialog.pin.setText(PIN)
        panel.pin_dialog.submit()
        before = sorted(p.name for p in data_dir.rglob("*"))
        panel.tabs.setCurrentWidget(panel.prompts)
        bench = panel.prompts.bench
        assert bench.live_button.isEnabled()
        bench.live_button.click()
        qtbot.waitUntil(lambda: len(server.requests) == 1 and bench._thread is None, timeout=15000)
        assert "Travel suits for women" in bench.choice.text()
        assert bench.sees.text().startswith("1 face")
        assert budget.counts() == (1, 1)  # counted with the kiosk's own calls
        assert billboard.current is None and billboard.loading is None
        assert nothing_recorded()
        after = sorted(p.name for p in data_dir.rglob("*"))
        assert set(after) - set(before) <= {CALLS_FILE, "content.db-wal", "content.db-shm"}
        panel.close()
        QApplication.processEvents()
    finally:
        capture_thread.stop(3.0)
        database.close_database()

"""The first-run set-up: shown once per install, before the billboard; what it saves; its tests of
the camera, the NFC reader and the model provider. Real widgets offscreen, real processes under
Xvfb where the question is what a fresh install shows on a screen."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from cxkiosk import first_run
from cxkiosk.config import Paths, Settings, load_settings, save_settings
from cxkiosk.pin import STATE_FILE, PinGuard, hash_pin, verify_pin
from cxkiosk.push.links import link_in_message
from cxkiosk.push.nfc import Type3TagMemory
from cxkiosk.runtime.nfc_test import TEST_LINK
from tests.fake_openai import FakeOpenAI
from tests.media import write_video
from tests.nfc_helpers import emulated_tag
from ui.setup.wizard import SetupWizard

ROOT = Path(__file__).resolve().parent.parent
PIN = "2468"


# Questions (skip? close? delete?) are answered 'yes' unless a test says otherwise (conftest).
pytestmark = pytest.mark.usefixtures("answers")


def make_wizard(qtbot, paths, settings=None, **overrides):
    wizard = SetupWizard(paths, settings or load_settings(paths, environ={}), **overrides)
    qtbot.addWidget(wizard)
    wizard.resize(1280, 720)
    wizard.show()
    return wizard


def marker(paths) -> dict:
    return json.loads((paths.data / first_run.MARKER).read_text())


def finish(wizard):
    wizard.button(wizard.WizardButton.FinishButton).click()


def to_pin_page(wizard, name="Hall B, by the stairs", privacy="full"):
    wizard.name.name.setText(name)
    wizard.next()
    wizard.camera.source.setEditText("none")
    wizard.next()
    wizard.privacy.page.radios[privacy].setChecked(True)
    wizard.privacy.page.consent.setPlainText("Cameras choose what plays here; nothing is stored.")
    wizard.next()
    assert wizard.currentPage() is wizard.pin


# --- when it shows -------------------------------------------------------------------------------


def test_a_fresh_install_is_pending_and_a_configured_one_is_not(paths):
    assert not first_run.is_done(paths, Settings())
    # a kiosk configured before the set-up existed: saved settings, or a PIN ever set
    save_settings(paths, Settings(kiosk_id="hall-b"), old=Settings())
    assert first_run.is_done(paths, load_settings(paths, environ={}))
    paths.settings_file.unlink()
    PinGuard(paths.data / STATE_FILE).note_pin()
    assert first_run.is_done(paths, Settings())
    (paths.data / STATE_FILE).unlink()
    assert not first_run.is_done(paths, Settings())
    assert first_run.mark_done(paths, first_run.SKIPPED)
    assert first_run.is_done(paths, Settings())  # and a lost settings.json does not bring it back


@pytest.mark.parametrize("demo, timed, platform, shown", [
    (False, False, "xcb", True), (False, False, "windows", True),
    (True, False, "xcb", False), (False, True, "xcb", False), (False, False, "offscreen", False),
])
def test_demo_timed_and_screenless_runs_leave_it_pending(demo, timed, platform, shown):
    reason = first_run.why_not_shown(demo=demo, timed=timed, platform=platform)
    assert (reason == "") is shown


def _kiosk(data: Path, display: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--windowed", "--data-dir", str(data),
                             *extra], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def _wait_for(predicate, seconds: float = 40.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _log(data: Path) -> str:
    path = data / "logs" / "cxkiosk.log"
    return path.read_text() if path.exists() else ""


def _windows(display: str) -> str:
    return subprocess.run(["xwininfo", "-root", "-tree", "-display", display], capture_output=True,
                          text=True).stdout


@pytest.mark.timeout(150)
def test_a_fresh_install_shows_the_setup_on_run_and_once_finished_never_again(tmp_path, xvfb, qtbot):
    data = tmp_path / "kiosk"
    proc = _kiosk(data, xvfb, "--nfc", "none")
    try:
        assert _wait_for(lambda: "first-run set-up shown" in _log(data)), _log(data)[-2000:]
        assert "first-run set-up" in _windows(xvfb)  # the wizard's window is on the screen
        assert "playing item" not in _log(data)  # and the billboard waits behind it
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0, proc.stderr.read()[-2000:]
    assert not (data / first_run.MARKER).exists()  # stopped, not answered: still pending

    # The operator answers it (the same data folder, in this process).
    paths = Paths.for_data_dir(data)
    wizard = make_wizard(qtbot, paths)
    to_pin_page(wizard)
    wizard.pin.dialog.pin.setText(PIN)
    wizard.pin.dialog.confirm.setText(PIN)
    wizard.next()
    wizard.nfc.device.setText("none")
    wizard.next()
    wizard.provider.page.preset.setCurrentIndex(wizard.provider.page.preset.findData("ollama"))
    finish(wizard)
    assert wizard.outcome == first_run.FINISHED

    proc = _kiosk(data, xvfb, "--nfc", "none")
    try:
        assert _wait_for(lambda: _log(data).count("playing item") >= 1), _log(data)[-2000:]
        second_start = _log(data).split("starting cxkiosk")[-1]
        assert "first-run set-up" not in second_start
        assert "kiosk 'Hall B, by the stairs'" in second_start
        assert "cxkiosk — Hall B, by the stairs" in _windows(xvfb)  # the billboard's title
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0


@pytest.mark.timeout(120)
@pytest.mark.parametrize("flags, why", [
    (("--demo", "--quit-after", "4"), "a --demo run"),
    (("--source", "none", "--screenshot", "shot.png", "--quit-after", "4"), "a timed run"),
])
def test_demo_and_screenshot_runs_never_show_it_even_on_a_screen(tmp_path, xvfb, flags, why):
    data = tmp_path / "kiosk"
    flags = tuple(str(tmp_path / f) if f.endswith(".png") else f for f in flags)
    proc = _kiosk(data, xvfb, "--nfc", "none", *flags)
    assert proc.wait(60) == 0, proc.stderr.read()[-2000:]
    log = _log(data)
    assert f"first-run set-up pending; not shown: {why}" in log
    assert "first-run set-up shown" not in log and "playing item" in log
    assert not (data / first_run.MARKER).exists()  # the operator's first real start still gets it


def test_setup_flag_without_a_screen_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "--setup", "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "cxkiosk: error: --setup needs a screen to answer it on (QT_QPA_PLATFORM is offscreen)"]


# --- finishing and skipping ----------------------------------------------------------------------


def test_finishing_saves_the_name_privacy_consent_and_pin_hash_only(qtbot, paths):
    wizard = make_wizard(qtbot, paths)
    to_pin_page(wizard)
    wizard.pin.dialog.pin.setText(PIN)
    wizard.pin.dialog.confirm.setText(PIN)
    wizard.next()
    assert wizard.currentPage() is wizard.nfc
    wizard.nfc.device.setText("none")
    wizard.next()
    page = wizard.provider.page
    page.preset.setCurrentIndex(page.preset.findData("ollama"))
    finish(wizard)
    assert wizard.outcome == first_run.FINISHED and not wizard.isVisible()

    saved = json.loads(paths.settings_file.read_text())
    assert saved["kiosk_name"] == "Hall B, by the stairs"
    assert saved["privacy"] == "full" and saved["source"] == "none" and saved["nfc_device"] == "none"
    assert saved["consent_text"] == "Cameras choose what plays here; nothing is stored."
    assert saved["provider"] == "ollama"
    assert PIN not in paths.settings_file.read_text() and verify_pin(PIN, saved["admin_pin_hash"])
    assert "camera_width" not in saved and "model_timeout" not in saved  # unchanged: not written
    assert marker(paths)["setup"] == "finished"
    assert PinGuard(paths.data / STATE_FILE).had_pin  # the panel never offers a new PIN at the screen now
    assert wizard.settings.kiosk_name == "Hall B, by the stairs"  # what this run goes on with
    assert first_run.is_done(paths, load_settings(paths, environ={}))


def test_skip_marks_it_done_and_keeps_the_defaults(qtbot, paths, answers):
    wizard = make_wizard(qtbot, paths)
    wizard.name.name.setText("Half typed")
    wizard.button(wizard.WizardButton.CustomButton1).click()
    assert answers.asked == ["Skip the set-up?"]
    assert wizard.outcome == first_run.SKIPPED
    assert not paths.settings_file.exists()  # nothing written: the defaults run
    assert wizard.settings == Settings()
    assert marker(paths)["setup"] == "skipped"
    assert first_run.is_done(paths, Settings())


def test_skip_when_run_again_says_it_keeps_the_kiosks_settings(qtbot, paths, answers, monkeypatch):
    """`--setup` on a kiosk that has been set up: skipping keeps what it has, not the defaults,
    and the button and question say so."""
    from ui.setup import wizard as wizard_module

    first_run.mark_done(paths, first_run.FINISHED)
    running = replace(Settings(), kiosk_name="Ginza entrance", privacy="full")
    texts: list[str] = []
    monkeypatch.setattr(wizard_module.widgets, "ask", lambda _p, _t, text: texts.append(text) or True)
    wizard = make_wizard(qtbot, paths, running)
    button = wizard.button(wizard.WizardButton.CustomButton1)
    assert button.text() == "Skip, keep current settings"
    button.click()
    assert wizard.settings == running
    assert "settings it already has" in texts[0] and "--setup" in texts[0]


def test_skip_on_the_first_page_with_no_name_starts_the_kiosk(qtbot, paths, answers):
    """The first moment an operator may skip, before typing anything: the set-up must close (it
    stayed open, "Give the kiosk a name", with the skip already recorded, and the kiosk never
    started). Escape, which asks the same, alike."""
    for press in ("button", "escape"):
        wizard = make_wizard(qtbot, paths)
        assert wizard.currentPage() is wizard.name and not wizard.name.name.text()
        if press == "button":
            wizard.button(wizard.WizardButton.CustomButton1).click()
        else:
            wizard.reject()
        assert wizard.outcome == first_run.SKIPPED
        assert not wizard.isVisible() and wizard.result() == wizard.DialogCode.Accepted
        assert wizard.name.message.text() == ""  # no "Give the kiosk a name" on the way out
        (paths.data / first_run.MARKER).unlink()


@pytest.mark.expect_log("cannot record that the set-up is done")
def test_a_read_only_data_folder_still_starts_the_kiosk_after_a_skip(qtbot, small_disk):
    paths = Paths.for_data_dir(small_disk.path)
    paths.create()
    small_disk.read_only()
    try:
        wizard = make_wizard(qtbot, paths)
        to_pin_page(wizard)
        wizard.pin.dialog.pin.setText(PIN)
        wizard.pin.dialog.confirm.setText(PIN)
        wizard.next()
        wizard.nfc.device.setText("none")
        wizard.next()
        finish(wizard)
        assert wizard.outcome == "" and "Not saved: cannot write" in wizard.provider.message.text()
        wizard.button(wizard.WizardButton.CustomButton1).click()
        assert wizard.outcome == first_run.SKIPPED and not wizard.isVisible()  # the kiosk goes on
        assert not first_run.is_done(paths, Settings())  # and the set-up shows again next time
    finally:
        small_disk.writable()


def test_closing_the_window_asks_and_no_keeps_it_open(qtbot, paths, answers):
    wizard = make_wizard(qtbot, paths)
    answers.state["answer"] = False
    wizard.close()
    assert wizard.isVisible() and wizard.outcome == "" and not (paths.data / first_run.MARKER).exists()
    answers.state["answer"] = True
    wizard.close()
    assert wizard.outcome == first_run.SKIPPED and marker(paths)["setup"] == "skipped"


def test_a_stop_from_outside_records_nothing(qtbot, paths):
    wizard = make_wizard(qtbot, paths)
    wizard.interrupt()
    assert wizard.outcome == "" and not (paths.data / first_run.MARKER).exists()


def test_the_name_is_required_and_bounded(qtbot, paths):
    wizard = make_wizard(qtbot, paths)
    wizard.next()
    assert wizard.currentPage() is wizard.name
    assert wizard.name.message.text() == "Give the kiosk a name (1 to 60 characters)."
    wizard.name.name.setText("Lobby\u200b")  # an invisible character
    wizard.next()
    assert wizard.currentPage() is wizard.name
    assert "control or invisible characters" in wizard.name.message.text()
    wizard.name.name.setText("x" * 80)
    assert len(wizard.name.name.text()) == 60  # the field stops at the setting's limit


# --- the PIN page --------------------------------------------------------------------------------


@pytest.mark.parametrize("first, second, line", [
    ("12", "12", "The PIN must be 4 to 8 digits (0-9)."),
    ("", "", "The PIN must be 4 to 8 digits (0-9)."),
    ("1234", "1235", "The two PINs differ; type the same PIN twice."),
])
def test_the_pin_page_refuses_short_empty_or_mismatched_pins(qtbot, paths, first, second, line):
    wizard = make_wizard(qtbot, paths)
    to_pin_page(wizard)
    wizard.pin.dialog.pin.setText(first)
    wizard.pin.dialog.confirm.setText(second)
    wizard.next()
    assert wizard.currentPage() is wizard.pin
    assert wizard.pin.dialog.message.text() == line
    assert wizard.pin.dialog.message.isVisible()


def test_typing_the_pin_and_enter_goes_on_and_escape_keeps_the_fields(qtbot, paths):
    from PySide6.QtCore import Qt

    wizard = make_wizard(qtbot, paths)
    to_pin_page(wizard)
    qtbot.keyClicks(wizard.pin.dialog.pin, PIN)
    qtbot.keyClick(wizard.pin.dialog.pin, Qt.Key.Key_Escape)  # the page must not empty itself
    assert wizard.pin.dialog.isVisible() and wizard.isVisible()
    qtbot.keyClicks(wizard.pin.dialog.confirm, PIN)
    qtbot.keyClick(wizard.pin.dialog.confirm, Qt.Key.Key_Return)
    assert wizard.currentPage() is wizard.nfc
    assert verify_pin(PIN, wizard.edited_settings().admin_pin_hash)


def test_run_again_a_kiosk_with_a_pin_may_keep_it(qtbot, paths):
    old = hash_pin("9999")
    wizard = make_wizard(qtbot, paths, Settings(admin_pin_hash=old))
    to_pin_page(wizard)
    assert "This kiosk has a PIN" in wizard.pin.intro.text()
    wizard.next()  # both fields empty: keep it
    assert wizard.currentPage() is wizard.nfc
    assert wizard.edited_settings().admin_pin_hash == old


# --- the camera page -----------------------------------------------------------------------------


def test_the_camera_page_without_a_camera_says_so(qtbot, paths):
    wizard = make_wizard(qtbot, paths)  # source auto, and this machine has no camera
    wizard.name.name.setText("Lobby")
    wizard.next()
    assert wizard.currentPage() is wizard.camera
    assert not wizard.camera.has_camera
    text = wizard.camera.preview.text()
    assert text.startswith("No camera found on this computer.")
    # What the kiosk really does with auto and no camera: it waits, it never plays the demo clip.
    assert "when a camera is plugged in" in text and "demo" not in text
    assert not wizard.camera.feed.running
    wizard.next()  # auto stays a valid answer: the kiosk plays its playlist and waits for a camera
    assert wizard.currentPage() is wizard.privacy


def test_the_privacy_page_uses_the_whole_page_for_its_fields(qtbot, paths):
    """Its fields scroll, so they get all the room down to the message line: no empty band."""
    wizard = make_wizard(qtbot, paths)
    wizard.name.name.setText("Lobby")
    wizard.next()
    wizard.next()
    assert wizard.currentPage() is wizard.privacy
    qtbot.wait(100)
    step = wizard.privacy
    gap = step.message.geometry().top() - step.page.geometry().bottom()
    assert gap <= step.body.spacing() + 2, gap
    assert step.height() - step.page.geometry().bottom() < 60


def test_the_camera_page_previews_a_video_source_and_lets_it_go(qtbot, paths, tmp_path):
    clip = write_video(tmp_path / "hall.mp4", seconds=2.0)
    wizard = make_wizard(qtbot, paths, Settings(source=f"file:{clip}"))
    wizard.name.name.setText("Lobby")
    wizard.next()
    qtbot.waitUntil(lambda: wizard.camera.preview.pixmap() is not None
                    and not wizard.camera.preview.pixmap().isNull(), timeout=10000)
    assert "playing" in wizard.camera.status.text()
    wizard.camera.source.setEditText("none")
    wizard.camera.source.lineEdit().editingFinished.emit()
    assert not wizard.camera.feed.running
    assert wizard.camera.preview.text().startswith("No sensing")
    wizard.camera.source.setEditText("webcam")
    wizard.next()
    assert wizard.currentPage() is wizard.camera
    assert "unknown source 'webcam'" in wizard.camera.message.text()
    wizard.interrupt()  # joins the preview's capture thread


# --- the NFC page --------------------------------------------------------------------------------


def _to_nfc_page(wizard):
    to_pin_page(wizard)
    wizard.pin.dialog.pin.setText(PIN)
    wizard.pin.dialog.confirm.setText(PIN)
    wizard.next()
    assert wizard.currentPage() is wizard.nfc


def test_the_nfc_test_writes_a_test_link_to_a_tag_and_reads_it_back(qtbot, paths):
    wizard = make_wizard(qtbot, paths)
    _to_nfc_page(wizard)
    memory = Type3TagMemory(writable=True, blocks=16)
    with emulated_tag(memory) as path:
        wizard.nfc.device.setText(path)
        wizard.nfc.test_button.click()
        assert not wizard.nfc.test_button.isEnabled()  # the test runs off the GUI thread
        qtbot.waitUntil(lambda: not wizard.nfc.trial.running, timeout=20000)
    assert wizard.nfc.test_status.text() == f"Wrote {TEST_LINK} to Type3Tag (verified)."
    assert link_in_message(memory.ndef_data) == TEST_LINK
    assert wizard.nfc.test_button.isEnabled()


def test_the_nfc_page_refuses_a_malformed_device_at_once(qtbot, paths):
    wizard = make_wizard(qtbot, paths)
    _to_nfc_page(wizard)
    wizard.nfc.device.setText("usb;rm -rf")
    wizard.nfc.test_button.click()
    assert not wizard.nfc.trial.running
    assert "is not one of usb" in wizard.nfc.message.text()
    wizard.next()
    assert wizard.currentPage() is wizard.nfc


# --- the provider page ---------------------------------------------------------------------------


def _to_provider_page(wizard, base_url):
    _to_nfc_page(wizard)
    wizard.nfc.device.setText("none")
    wizard.next()
    page = wizard.provider.page
    page.preset.setCurrentIndex(page.preset.findData("custom"))
    page.base_url.setText(base_url)
    page.model.setText("test-vlm")
    return page


def test_the_provider_test_calls_the_server_off_the_gui_thread(qtbot, paths):
    wizard = make_wizard(qtbot, paths)
    with FakeOpenAI() as server:
        page = _to_provider_page(wizard, server.base_url)
        assert "full privacy mode a model profiles" in wizard.provider.subTitle()
        page.test_button.click()
        assert not page.test_button.isEnabled()
        qtbot.waitUntil(lambda: not wizard.provider.trial.running, timeout=15000)
        requests = list(server.requests)
    assert page.test_status.text().startswith("OK in ") and "(custom, test-vlm)" in page.test_status.text()
    assert len(requests) == 1
    assert page.test_button.isEnabled()


@pytest.mark.expect_log("model call failed")
def test_the_provider_test_names_the_failure_for_a_dead_address(qtbot, paths):
    wizard = make_wizard(qtbot, paths)
    page = _to_provider_page(wizard, "http://127.0.0.1:9/v1")  # the discard port: nobody answers
    page.test_button.click()
    qtbot.waitUntil(lambda: not wizard.provider.trial.running, timeout=20000)
    text = page.test_status.text()
    assert text.startswith("Failed after ") and "Traceback" not in text
    assert "cannot reach http://127.0.0.1:9/v1" in text


def test_a_key_that_cannot_be_kept_safely_stops_on_the_page(qtbot, paths):
    wizard = make_wizard(qtbot, paths)  # the tests' keyring is the null one: nothing is kept safely
    page = _to_provider_page(wizard, "http://127.0.0.1:11434/v1")
    page.api_key.setText("sk-test-abcdef0123456789")
    finish(wizard)
    assert wizard.outcome == "" and wizard.currentPage() is wizard.provider
    assert "no secure OS keyring" in page.key_status.text()
    assert "API key was not stored" in wizard.provider.message.text()
    assert not paths.settings_file.exists()


def test_a_key_goes_to_the_keyring_never_to_settings(qtbot, paths, memory_keyring):
    wizard = make_wizard(qtbot, paths)
    page = _to_provider_page(wizard, "http://127.0.0.1:11434/v1")
    page.api_key.setText("sk-test-abcdef0123456789")
    finish(wizard)
    assert wizard.outcome == first_run.FINISHED
    assert "sk-test" not in paths.settings_file.read_text()
    assert "sk-test-abcdef0123456789" in memory_keyring.store.values()

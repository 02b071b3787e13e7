"""The admin panel as an operator uses it: PIN first, then content, prompts, devices, provider,
privacy and figures, against a real SQLite file, a real settings file and a loopback model server."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTabWidget

from cxkiosk.config import Settings, load_settings
from cxkiosk.content import prompt_store, records
from cxkiosk.content.database import Content
from cxkiosk.pin import MAX_TRIES, STATE_FILE, PinGuard, hash_pin, verify_pin
from cxkiosk.values import Audience, Person
from tests.fake_openai import FakeOpenAI, status
from ui.admin import widgets
from ui.admin.panel import AdminPanel

PIN = "4711"
KEY = "sk-test-abcdef0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# Questions (skip? close? delete?) are answered 'yes' unless a test says otherwise (conftest).
pytestmark = pytest.mark.usefixtures("answers")


def make_panel(qtbot, paths, settings=None, guard=None):
    panel = AdminPanel(paths, settings or Settings(admin_pin_hash=hash_pin(PIN)), guard=guard or PinGuard())
    qtbot.addWidget(panel)
    panel.show()
    return panel


@pytest.fixture
def panel(qtbot, paths, db):
    p = make_panel(qtbot, paths)
    p.pin_dialog.pin.setText(PIN)
    p.pin_dialog.submit()
    assert p.unlocked
    return p


def add_item(title="Spring", url="https://example.com/spring", **extra):
    return Content.create(title=title, url=url, kind="web", **extra)


# --- PIN -------------------------------------------------------------------------------------------


def test_first_run_asks_to_set_a_pin_before_anything_else(qtbot, paths, db):
    panel = make_panel(qtbot, paths, Settings())
    dialog = panel.pin_dialog
    assert dialog.setting and not panel.unlocked
    assert panel.findChildren(QTabWidget) == []
    dialog.pin.setText("12")
    dialog.confirm.setText("12")
    dialog.submit()
    assert "4 to 8 digits" in dialog.message.text() and not panel.unlocked
    dialog.pin.setText("2468")
    dialog.confirm.setText("2486")
    dialog.submit()
    assert "differ" in dialog.message.text() and not panel.unlocked
    dialog.pin.setText("2468")
    dialog.confirm.setText("2468")
    with qtbot.waitSignal(panel.settings_saved) as saved:
        dialog.submit()
    assert panel.unlocked and panel.tabs is not None
    stored = load_settings(paths, environ={}).admin_pin_hash
    assert verify_pin("2468", stored) and "2468" not in paths.settings_file.read_text()
    assert saved.args[0].admin_pin_hash == stored


def test_tabs_stay_closed_until_the_right_pin_and_lock_out_after_five_wrong(qtbot, paths, db):
    clock = Clock()
    panel = make_panel(qtbot, paths, guard=PinGuard(clock=clock))
    dialog = panel.pin_dialog
    for _ in range(MAX_TRIES - 1):
        dialog.pin.setText("0000")
        dialog.submit()
        assert "Wrong PIN" in dialog.message.text()
    dialog.pin.setText("0000")
    dialog.submit()
    assert "Try again in 60 s" in dialog.message.text()
    assert not dialog.ok.isEnabled() and not dialog.pin.isEnabled()
    dialog.pin.setText(PIN)
    dialog.submit()  # refused while locked, even the right PIN
    assert not panel.unlocked and panel.findChildren(QTabWidget) == []
    clock.now += 61
    dialog._show_lock()
    assert dialog.ok.isEnabled()
    dialog.pin.setText(PIN)
    dialog.submit()
    assert panel.unlocked


def test_closing_locks_the_panel_again(panel, qtbot):
    panel.tabs.setCurrentWidget(panel.devices)
    with qtbot.waitSignal(panel.preview_wanted) as wanted:
        panel.close()
    assert wanted.args == [False]
    assert not panel.unlocked and panel.pin_dialog is not None and not panel.pin_dialog.setting


# --- content ---------------------------------------------------------------------------------------


def test_bad_link_shows_the_reason_and_keeps_the_row(panel, qtbot):
    item = add_item()
    panel.content.reload()
    changed: list[bool] = []
    panel.content_changed.connect(lambda: changed.append(True))
    panel.content.select_id(item.id)
    editor = panel.content.edit_selected()
    editor.title.setText("Renamed")
    editor.url.setText("ftp://example.com/spring")
    assert "only https links" in editor.url_check.text()
    assert not editor.save()
    assert "only https links" in editor.error.text()
    assert editor.isVisible() and editor.url.text() == "ftp://example.com/spring"  # nothing lost
    row = Content.get_by_id(item.id)
    assert (row.title, row.url) == ("Spring", "https://example.com/spring")
    assert changed == []


def test_added_row_is_saved_normalized_and_announced(panel, qtbot):
    editor = panel.content.add()
    editor.title.setText("Trailer")
    editor.kind.setCurrentText("youtube")
    editor.url.setText("https://youtu.be/aqz-KE-bpKQ")
    editor.genders.setCurrentIndex(editor.genders.findData("female"))
    editor.age_min.put(25)
    editor.age_max.put(40)
    editor.keywords.setText("Suit, Glasses")
    with qtbot.waitSignal(panel.content_changed):
        assert editor.save()
    row = Content.get(Content.title == "Trailer")
    assert row.url == "https://www.youtube.com/watch?v=aqz-KE-bpKQ"
    assert (row.genders, row.age_min, row.age_max) == ("female", 25, 40)
    assert sorted(row.keyword_list) == ["glasses", "suit"]
    assert row.id in panel.content.row_ids()


def test_duplicate_link_is_refused_with_a_reason(panel):
    add_item()
    editor = panel.content.add()
    editor.title.setText("Copy")
    editor.kind.setCurrentText("web")
    editor.url.setText("https://example.com/spring")
    assert not editor.save()
    assert "already has this link" in editor.error.text()
    assert Content.select().count() == 1


def test_enable_box_and_delete_write_the_database(panel, qtbot, answers):
    item = add_item()
    panel.content.reload()
    model = panel.content.model
    cell = model.index(0, panel.content.ON_COLUMN)
    assert model.data(cell, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    with qtbot.waitSignal(panel.content_changed):
        model.setData(cell, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert not Content.get_by_id(item.id).enabled
    assert model.data(model.index(0, panel.content.ON_COLUMN), Qt.ItemDataRole.CheckStateRole) \
        == Qt.CheckState.Unchecked
    panel.content.select_id(item.id)
    answers.state["answer"] = False
    panel.content.delete_selected()
    assert Content.select().count() == 1  # the operator said no
    answers.state["answer"] = True
    with qtbot.waitSignal(panel.content_changed):
        panel.content.delete_selected()
    assert Content.select().count() == 0 and panel.content.model.rowCount() == 0


def test_import_lists_bad_rows_and_keeps_good_ones(panel, qtbot, tmp_path, monkeypatch):
    source = tmp_path / "items.csv"
    source.write_text("title,url,kind\nGood,https://example.com/a,web\nBad,javascript:alert(1),web\n")
    monkeypatch.setattr(widgets, "pick_file", lambda *a: str(source))
    with qtbot.waitSignal(panel.content_changed):
        panel.content.import_button.click()
    assert "added 1" in panel.content.status.text() and "1 rejected" in panel.content.status.text()
    assert "line 3" in panel.content.errors.toPlainText() and not panel.content.errors.isHidden()
    assert [r.title for r in Content.select()] == ["Good"]
    out = tmp_path / "out.json"
    monkeypatch.setattr(widgets, "pick_file", lambda *a: str(out))
    panel.content.export_button.click()
    assert json.loads(out.read_text())["items"][0]["url"] == "https://example.com/a"
    assert "Exported 1" in panel.content.status.text()


# --- prompts ---------------------------------------------------------------------------------------


def test_prompt_edit_is_a_new_version_and_an_old_one_can_come_back(panel):
    page = panel.prompts
    original = prompt_store.active_prompt("camera")
    page.text.setPlainText("Count the people. Reply JSON.")
    page.save()
    assert prompt_store.active_prompt("camera") == "Count the people. Reply JSON."
    assert page.versions.count() == 2 and "in use" in page.versions.item(0).text()
    page.versions.setCurrentRow(1)
    page.activate_selected()
    assert prompt_store.active_prompt("camera") == original
    page.text.setPlainText("   ")
    page.save()
    assert "Not saved" in page.status.text() and prompt_store.active_prompt("camera") == original


# --- devices ---------------------------------------------------------------------------------------


def test_preview_follows_the_devices_tab_and_shows_frames(panel, qtbot):
    frame = np.zeros((120, 160, 3), np.uint8)
    frame[:, :, 2] = 255  # red in BGR
    with qtbot.waitSignal(panel.preview_wanted) as on:
        panel.tabs.setCurrentWidget(panel.devices)
    assert on.args == [True]
    panel.show_preview(frame)
    image = panel.devices.preview.pixmap().toImage()
    assert not image.isNull()
    pixel = image.pixelColor(image.width() // 2, image.height() // 2)
    assert (pixel.red(), pixel.green(), pixel.blue()) == (255, 0, 0)
    with qtbot.waitSignal(panel.preview_wanted) as off:
        panel.tabs.setCurrentWidget(panel.privacy)
    assert off.args == [False]


def test_nfc_test_and_status_labels(qtbot, paths, db):
    panel = make_panel(qtbot, paths)
    panel.set_status("nfc", "reader: ACR122U")  # before unlocking: kept for later
    panel.pin_dialog.pin.setText(PIN)
    panel.pin_dialog.submit()
    assert panel.devices.status_labels["nfc"].text() == "reader: ACR122U"
    panel.set_status("database", "read-only: locked")
    assert panel.devices.status_labels["database"].text() == "read-only: locked"
    panel.devices.nfc_device.setText("udp:127.0.0.1:54321")
    with qtbot.waitSignal(panel.nfc_test_requested) as asked:
        panel.devices.nfc_test.click()
    assert asked.args == ["udp:127.0.0.1:54321"]


# --- privacy and saving ----------------------------------------------------------------------------


def test_sensitive_attributes_are_off_and_need_confirmation(panel, answers, paths):
    box = panel.privacy.sensitive
    assert not box.isChecked()
    answers.state["answer"] = False
    box.click()
    assert not box.isChecked() and answers.asked == ["Turn on sensitive attributes?"]
    answers.state["answer"] = True
    box.click()
    assert box.isChecked()
    assert panel.save()
    assert load_settings(paths, environ={}).sensitive_attributes is True


def test_save_writes_settings_and_the_key_only_to_the_keyring(panel, qtbot, paths, memory_keyring):
    panel.devices.source.setEditText("none")
    panel.privacy.radios["off"].setChecked(True)
    panel.privacy.consent.setPlainText("Camera in use.")
    panel.provider.api_key.setText(KEY)
    with qtbot.waitSignal(panel.settings_saved) as saved:
        panel.save_button.click()
    text = paths.settings_file.read_text()
    assert KEY not in text and KEY[-8:] not in text
    stored = json.loads(text)
    assert (stored["source"], stored["privacy"], stored["consent_text"]) == ("none", "off", "Camera in use.")
    assert memory_keyring.store == {("cxkiosk", "openai"): KEY}
    assert saved.args[0].source == "none" and saved.args[0].privacy == "off"
    assert "Restart the kiosk to apply" in panel.save_status.text()
    assert "camera source" in panel.save_status.text()
    assert panel.provider.api_key.text() == ""


def test_face_detection_settings_are_saved_within_bounds_and_need_a_restart(panel, paths):
    devices = panel.devices
    assert (devices.min_face.value(), devices.face_threshold.value(), devices.facing.value()) == (40, 0.6, 30)
    devices.min_face.setValue(5)  # below the spin box's floor: clamped, never an unusable value
    devices.face_threshold.setValue(0.75)
    devices.facing.setValue(45)
    assert panel.save()
    stored = load_settings(paths, environ={})
    assert (stored.face_min_px, stored.face_threshold, stored.facing_degrees) == (12, 0.75, 45.0)
    assert stored.validate() == [] and "face detection" in panel.save_status.text()


def test_refused_keyring_is_reported_and_the_key_goes_nowhere(panel, paths):
    # conftest's null backend: no safe place for the key
    panel.provider.api_key.setText(KEY)
    assert not panel.provider.store_key()
    assert "Key not stored" in panel.provider.key_status.text()
    assert "keyring" in panel.provider.key_status.text()
    assert panel.save()
    assert "NOT stored" in panel.save_status.text()
    assert KEY not in paths.settings_file.read_text()
    assert panel.provider.api_key.text() == KEY  # still there to try again


def test_invalid_settings_are_not_saved(panel, paths):
    panel.devices.nfc_device.setText("bluetooth")
    panel.privacy.radios["full"].setChecked(True)
    panel.provider.preset.setCurrentIndex(panel.provider.preset.findData("custom"))
    assert not panel.save()
    message = panel.save_status.text()
    assert "NFC device" in message and "needs a base URL" in message
    assert not paths.settings_file.exists()
    assert panel.devices.nfc_device.text() == "bluetooth"  # the edit is kept to fix


def test_closing_with_unsaved_edits_asks_first(panel, answers):
    panel.devices.width_box.setValue(640)
    answers.state["answer"] = False
    panel.close()
    assert panel.unlocked and answers.asked == ["Unsaved settings"]
    answers.state["answer"] = True
    panel.close()
    assert not panel.unlocked


# --- provider test ---------------------------------------------------------------------------------


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


def _provider_at(panel, url):
    panel.provider.preset.setCurrentIndex(panel.provider.preset.findData("custom"))
    panel.provider.base_url.setText(url)
    panel.provider.model.setText("test-vl")
    panel.provider.timeout.setValue(5)


def test_provider_test_runs_off_the_gui_thread_and_shows_latency(panel, qtbot, server):
    _provider_at(panel, server.base_url)
    panel.provider.test_button.click()
    assert not panel.provider.test_button.isEnabled()
    qtbot.waitUntil(lambda: panel._test is None, timeout=10000)
    text = panel.provider.test_status.text()
    assert text.startswith("OK in ") and " ms " in text and "test-vl" in text
    assert panel.provider.test_button.isEnabled()
    assert len(server.requests) == 1


@pytest.mark.expect_log('model call failed')
def test_provider_test_shows_the_error(panel, qtbot, server):
    server.script(status(500), status(500))
    _provider_at(panel, server.base_url)
    panel.provider.test_button.click()
    qtbot.waitUntil(lambda: panel._test is None, timeout=10000)
    assert "Failed after" in panel.provider.test_status.text()
    assert "server error 500" in panel.provider.test_status.text()


# --- figures ---------------------------------------------------------------------------------------


def _bar_totals(page):
    series = page.chart.series()[0]
    return {s.label(): sum(s.at(i) for i in range(s.count())) for s in series.barSets()}


def shown_figures(panel, qtbot):
    """Open the Figures tab and wait for its report (it is added up on a worker thread)."""
    panel.figures.report = {}
    panel.tabs.setCurrentWidget(panel.figures)
    qtbot.waitUntil(lambda: bool(panel.figures.report), timeout=10000)
    return panel.figures


def test_figures_with_an_empty_database(panel, qtbot):
    shown_figures(panel, qtbot)
    assert "0</b> plays" in panel.figures.totals.text()
    assert _bar_totals(panel.figures) == {"Plays": 0, "Visitors": 0, "Watchers": 0}
    assert panel.figures.model.rowCount() == 0


def test_figures_count_todays_plays_visitors_and_taps(panel, qtbot, tmp_path):
    a, b = add_item("A", "https://example.com/a"), add_item("B", "https://example.com/b")
    start = datetime.now().replace(minute=0, second=0, microsecond=0)
    for _ in range(3):
        records.log_play(a.id, a.id, start, start + timedelta(seconds=10), "completed")
    records.log_play(b.id, b.id, start, start + timedelta(seconds=4), "failed")  # on screen, then broke
    records.log_play(b.id, b.id, None, start, "failed")  # never on screen: not a play
    records.log_play(b.id, b.id, start - timedelta(days=1), None, "completed")  # yesterday: not shown
    records.log_tap(a.id, "qr", at=start)
    records.log_audience(Audience(count=2, people=(Person(gender="female", age=30), Person())), at=start)
    page = shown_figures(panel, qtbot)
    assert _bar_totals(page) == {"Plays": 4, "Visitors": 2, "Watchers": 0}
    segments = page.segment_chart.series()[0].barSets()[0]
    assert sum(segments.at(i) for i in range(segments.count())) == 2  # female 25-34, one unknown
    hour_plays = page.chart.series()[0].barSets()[0]
    assert hour_plays.at(start.hour) == 4
    rows = {row[0]: (row[1], row[5]) for row in page.model.rows}  # plays, taps
    assert rows == {"A": ("3", "1"), "B": ("1", "0")}
    assert "4</b> plays" in page.totals.text() and "1</b> taps" in page.totals.text()
    page.report = {}
    page.period.setCurrentText("7 days")  # yesterday's play counts now
    qtbot.waitUntil(lambda: bool(page.report), timeout=10000)
    assert "5</b> plays" in page.totals.text()
    assert page.export(str(tmp_path / "figures.csv"))
    with (tmp_path / "figures.csv").open(encoding="utf-8", newline="") as exported_file:
        exported = list(csv.DictReader(exported_file))
    assert sorted((r["title"], r["plays"], r["failed_to_load"]) for r in exported) == [
        ("A", "3", "0"), ("B", "1", "0"), ("B", "1", "1")]  # one row per item and day


def _cut_labels(view, chart) -> list[str]:
    """The x-axis labels drawn narrower than their text: QtCharts draws a label with no room
    as "…". Measured on the scene's text items along the plot area's lower edge."""
    from PySide6.QtCharts import QBarCategoryAxis
    from PySide6.QtGui import QFontMetrics

    axis = next(a for a in chart.axes() if isinstance(a, QBarCategoryAxis))
    metrics = QFontMetrics(axis.labelsFont())
    plot = chart.plotArea()
    drawn = sorted((item.sceneBoundingRect() for item in view.scene().items()
                    if item.type() == 8 and item.isVisible()  # 8: QGraphicsTextItem's type
                    and plot.bottom() <= item.sceneBoundingRect().top() <= plot.bottom() + 12
                    and plot.left() - 20 <= item.sceneBoundingRect().center().x() <= plot.right()),
                   key=lambda rect: rect.center().x())
    labels = axis.categories()
    assert len(drawn) == len(labels), (len(drawn), labels)
    along = (lambda rect: rect.height()) if abs(axis.labelsAngle()) == 90 else (lambda rect: rect.width())
    return [label for label, rect in zip(labels, drawn, strict=True)
            if along(rect) < metrics.horizontalAdvance(label)]


@pytest.mark.parametrize("size", [(1100, 740), (1100, 684)])  # the panel at 1080p and on a 720p screen
def test_figures_label_every_hour_whole(panel, qtbot, size):
    """At the panel's opening size every hour 00-23 reads in full (it had been a row of "…"), and
    so do the targeted and holdout bars beside it."""
    item = add_item("A", "https://example.com/a")
    start = datetime.now().replace(minute=0, second=0, microsecond=0)
    for n, trigger in enumerate(("targeted", "holdout")):
        records.log_play(item.id, item.id, start, start + timedelta(seconds=10), "completed",
                         trigger=trigger, watchers=1, code=f"code{n:04d}")
    panel.resize(*size)
    panel.show()
    page = shown_figures(panel, qtbot)
    qtbot.wait(200)  # the charts lay their axes out once shown
    assert page.chart.axes()[0].categories() == [f"{h:02d}" for h in range(24)]
    assert _cut_labels(page.chart_view, page.chart) == []
    assert _cut_labels(page.uplift_view, page.uplift_chart) == []


def test_figures_segments_and_dwell_are_labelled_whole(panel, qtbot):
    """Who was there and how long visits lasted read in full (they had been "fem…", "60 and…")."""
    start = datetime.now().replace(minute=0, second=0, microsecond=0)
    for gender in ("female", "male", None):
        for age in (20, 30, 40, 50, 70, None):
            records.log_audience(Audience(count=1, people=(Person(gender=gender, age=age),)), at=start,
                                 dwell=90.0)
    panel.show()
    page = shown_figures(panel, qtbot)
    qtbot.wait(200)
    labels = page.segment_chart.axes()[0].categories()
    assert len(labels) == 5 and "F 25-34" in labels, labels
    assert _cut_labels(page.segment_view, page.segment_chart) == []
    assert _cut_labels(page.dwell_view, page.dwell_chart) == []
    assert page.dwell_chart.axes()[0].categories()[-1] == "60+"


def test_figures_show_what_targeting_is_worth(panel, qtbot):
    a = add_item("A", "https://example.com/a")
    start = datetime.now().replace(minute=0, second=0, microsecond=0)
    for n, trigger in enumerate(["targeted"] * 9 + ["holdout"]):
        records.log_play(a.id, None, start, start + timedelta(seconds=5), "completed", trigger=trigger,
                         watchers=2, code=f"code{n:04d}")
    records.log_tap(a.id, "nfc-write", at=start, code="code0000")
    page = shown_figures(panel, qtbot)
    assert "Not enough visits yet" in page.verdict.text()
    rates = page.uplift_chart.series()[0].barSets()[0]
    assert (rates.at(0), rates.at(1)) == (pytest.approx(100 / 18, abs=0.01), 0.0)  # 1 tap, 18 watchers


def test_a_long_preview_does_not_wear_down_the_interpreter(panel, qtbot):
    # PySide6 6.12 on Python 3.11 drops a reference to None per void call; at 15 frames a second
    # an uncompensated preview would abort the kiosk within minutes.
    import sys

    panel.tabs.setCurrentWidget(panel.devices)
    frame = np.zeros((90, 160, 3), np.uint8)
    panel.show_preview(frame)
    before = sys.getrefcount(None)
    for _ in range(300):
        panel.show_preview(frame)
    assert before - sys.getrefcount(None) < 30


def test_change_pin_saves_only_the_new_hash(panel, qtbot, paths):
    panel.devices.width_box.setValue(640)  # an unsaved edit that must stay unsaved
    dialog = panel.change_pin()
    dialog.pin.setText("86420")
    dialog.confirm.setText("86420")
    with qtbot.waitSignal(panel.settings_saved):
        dialog.submit()
    saved = load_settings(paths, environ={})
    assert verify_pin("86420", saved.admin_pin_hash) and not verify_pin(PIN, saved.admin_pin_hash)
    assert saved.camera_width == Settings().camera_width
    assert "PIN changed" in panel.save_status.text() and not dialog.isVisible()


@pytest.mark.parametrize("stored", ["", "scrypt$damaged", "not a hash"])
def test_a_missing_pin_on_a_kiosk_that_had_one_offers_no_new_pin_at_the_screen(qtbot, paths, db, stored):
    guard = PinGuard(paths.data / STATE_FILE)
    guard.note_pin()  # this kiosk had a PIN; then settings.json was lost or edited
    panel = make_panel(qtbot, paths, Settings(admin_pin_hash=stored), guard=PinGuard(paths.data / STATE_FILE))
    dialog = panel.pin_dialog
    assert dialog.missing and not dialog.setting
    assert "cxkiosk pin" in dialog.findChildren(QLabel)[1].text()
    assert not dialog.pin.isEnabled() and not dialog.ok.isEnabled()
    dialog.pin.setText("1234")
    dialog.confirm.setText("1234")
    dialog.submit()
    assert not panel.unlocked and load_settings(paths, environ={}).admin_pin_hash == ""


def test_a_pin_seen_once_is_remembered_for_the_next_start(qtbot, paths, db):
    make_panel(qtbot, paths, guard=PinGuard(paths.data / STATE_FILE))
    assert PinGuard(paths.data / STATE_FILE).had_pin


def test_the_editor_shows_the_targeting_read_from_the_description_and_can_use_it(panel):
    editor = panel.content.add()
    editor.description.setPlainText("Tailored business suits for men in their 40s")
    assert "Men, age 40–49; suit" in editor.read_targeting.text()
    editor.use_read.click()
    assert editor.genders.currentData() == "male"
    assert (editor.age_min.get(), editor.age_max.get()) == (40, 49)
    assert editor.keywords.text() == "suit"
    editor.description.setPlainText("a fine film")
    assert "names no audience" in editor.read_targeting.text() and not editor.use_read.isEnabled()


def test_enter_in_the_pin_field_counts_as_one_try(qtbot, paths, db):
    from PySide6.QtCore import Qt

    guard = PinGuard()
    panel = make_panel(qtbot, paths, guard=guard)
    dialog = panel.pin_dialog
    dialog.pin.setText("0000")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    assert guard.tries_left == MAX_TRIES - 1
    dialog.pin.setText(PIN)
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    assert panel.unlocked

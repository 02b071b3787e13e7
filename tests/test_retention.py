"""Log retention as a kiosk that runs for months meets it: proof of play, visits and taps older
than `retention_days` are deleted at start and daily, off the GUI thread, with the setting as it
is at each purge; a full disk or a read-only database costs one log line and the next purge."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from cxkiosk.config import Settings
from cxkiosk.content import database, records
from cxkiosk.content.database import AudienceLog, Content, PlayLog, TapLog
from cxkiosk.content.playlist import Playlist
from cxkiosk.runtime.build import build_runtime
from cxkiosk.runtime.programme import Programme
from cxkiosk.runtime.retention import PurgeWorker, RetentionTimer
from cxkiosk.runtime.status import StatusBoard
from cxkiosk.runtime.threads import WorkerThread
from cxkiosk.values import Audience, Person

AGES = (400, 100, 1)  # days ago: older than a year, a season, yesterday


def fill_logs(ages=AGES) -> None:
    """One play, one visit and one tap at each age, as the kiosk records them."""
    item = Content.create(title="Spring", url="https://example.com/spring", kind="web")
    for days in ages:
        at = datetime.now().replace(microsecond=0) - timedelta(days=days)
        records.log_play(item.id, item.id, at, at + timedelta(seconds=30), "completed", trigger="targeted",
                         code=f"d{days}")
        records.log_audience(Audience(1, (Person(gender="female", age=30),)), provider="local", at=at)
        records.log_tap(item.id, "nfc-write", at=at, code=f"d{days}")


def ages_left() -> dict[str, list[int]]:
    today = datetime.now()

    def ages(stamps) -> list[int]:
        return sorted(round((today - stamp).total_seconds() / 86400) for stamp in stamps)

    return {"plays": ages(p.start for p in PlayLog.select()),
            "visits": ages(a.time for a in AudienceLog.select()),
            "taps": ages(t.time for t in TapLog.select())}


DAY_MS = 60_000  # a minute stands for a day: no test sees a second purge unless it asks


@pytest.fixture
def purging():
    """The timer and the purge thread as the kiosk runs them."""
    settings = Settings()
    worker = PurgeWorker()
    thread = WorkerThread(worker, "retention")
    timer = RetentionTimer(settings, interval_ms=DAY_MS)
    timer.purge_wanted.connect(worker.purge)
    thread.start()
    yield settings, timer, worker
    timer.stop()
    thread.stop(3.0)


def test_rows_older_than_the_retention_go_and_newer_ones_stay(db, qtbot, purging):
    settings, timer, worker = purging
    fill_logs()
    settings.retention_days = 90
    with qtbot.waitSignal(worker.purged, timeout=5000) as purged:
        timer.start()  # the purge at start
    assert purged.args == [6]  # a play, a visit and a tap at 400 and at 100 days
    assert ages_left() == {"plays": [1], "visits": [1], "taps": [1]}


def test_a_changed_setting_applies_from_the_next_purge(db, qtbot, purging):
    settings, _, worker = purging
    timer = RetentionTimer(settings, interval_ms=300)  # a day, shortened: it asks again by itself
    timer.purge_wanted.connect(worker.purge)
    fill_logs()
    settings.retention_days = 365
    try:
        with qtbot.waitSignal(worker.purged, timeout=5000):
            timer.start()
        assert ages_left()["plays"] == [1, 100]
        settings.retention_days = 30  # as the admin panel applies a saved setting, live
        assert ages_left()["plays"] == [1, 100]  # nothing happens until the next purge...
        with qtbot.waitSignal(worker.purged, timeout=5000):
            pass  # ...which the timer asks for by itself
        assert ages_left() == {"plays": [1], "visits": [1], "taps": [1]}
    finally:
        timer.stop()


def test_zero_keeps_everything(db):
    fill_logs()
    PurgeWorker().purge(0)
    assert ages_left()["plays"] == [1, 100, 400]


def test_a_purge_of_many_rows_goes_in_short_batches_and_misses_none(db):
    item = Content.create(title="x", url="https://example.com/x", kind="web")
    old = datetime.now() - timedelta(days=200)
    with database.database.atomic():
        PlayLog.insert_many([{"item": item.id, "start": old + timedelta(seconds=n), "outcome": "completed"}
                             for n in range(4500)]).execute()
    records.log_play(item.id, None, datetime.now(), None, "completed")
    assert records.prune_logs(timedelta(days=90), batch=1000) == 4500
    assert PlayLog.select().count() == 1


def test_the_running_kiosk_purges_at_start_and_keeps_its_timer(db, qtbot, data_dir):
    fill_logs()
    settings = Settings(privacy="off", nfc_device="none", retention_days=90)
    playlist = Playlist(database.playlist())
    runtime = build_runtime(settings, "none", Programme(playlist), playlist, StatusBoard(), data_dir)
    assert runtime.retention is not None and runtime.retention.settings is settings
    runtime.start()
    try:
        # plays, then visits, then taps: the taps going means the purge at start is done
        qtbot.waitUntil(lambda: ages_left()["taps"] == [1], timeout=5000)
        assert ages_left() == {"plays": [1], "visits": [1], "taps": [1]}
        assert runtime.retention.active  # and again tomorrow
    finally:
        runtime.stop(3.0)
    assert not runtime.retention.active


@pytest.mark.expect_log("old logs not purged: the database is open read-only")
def test_a_read_only_database_is_one_log_line_and_the_timer_goes_on(tmp_path, qtbot, purging, caplog):
    settings, timer, worker = purging
    path = tmp_path / "content.db"
    database.open_database(str(path))
    fill_logs()
    database.close_database()
    database.open_database(str(path), readonly=True)  # as the kiosk plays a file it cannot write
    try:
        settings.retention_days = 30
        with caplog.at_level(logging.WARNING, logger="cxkiosk"):
            timer.start()
            qtbot.waitUntil(lambda: any("not purged" in r.getMessage() for r in caplog.records), timeout=5000)
        assert len([r for r in caplog.records if "not purged" in r.getMessage()]) == 1
        assert timer.active and ages_left()["plays"] == [1, 100, 400]
    finally:
        database.close_database()


@pytest.mark.expect_log("old logs not purged \\(the disk is full")
def test_a_full_disk_is_one_log_line_and_the_next_purge_deletes(small_disk, qtbot, purging, caplog):
    settings, timer, worker = purging
    path = small_disk.path / "content.db"
    database.open_database(str(path))
    try:
        fill_logs()
        database.database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        filler = small_disk.fill()
        settings.retention_days = 30
        with caplog.at_level(logging.WARNING, logger="cxkiosk"):
            timer.start()
            qtbot.waitUntil(lambda: any("not purged" in r.getMessage() for r in caplog.records), timeout=5000)
        failures = [r for r in caplog.records if "not purged" in r.getMessage()]
        assert len(failures) == 1 and failures[0].levelno == logging.ERROR
        assert ages_left()["plays"] == [1, 100, 400] and timer.active
        filler.unlink()  # an operator frees space; no restart
        with qtbot.waitSignal(worker.purged, timeout=5000) as purged:
            timer.tick()  # the next day's purge
        assert purged.args == [6] and ages_left()["plays"] == [1]
    finally:
        database.close_database()


def test_the_privacy_tab_edits_the_retention_and_it_applies_without_a_restart(qtbot, db, data_dir):
    from cxkiosk.config import Paths, load_settings
    from cxkiosk.pin import PinGuard, hash_pin
    from ui.admin.panel import AdminPanel

    paths = Paths.for_data_dir(data_dir)
    panel = AdminPanel(paths, Settings(admin_pin_hash=hash_pin("4711")), guard=PinGuard())
    qtbot.addWidget(panel)
    panel.pin_dialog.pin.setText("4711")
    panel.pin_dialog.submit()
    spin = panel.privacy.retention
    assert spin.value() == 365 and "once a day" in panel.privacy.retention_note.text()
    spin.setValue(0)
    assert spin.text() == "forever"
    spin.setValue(30)
    with qtbot.waitSignal(panel.setting_changed) as changed:
        assert panel.save()
    assert changed.args == ["retention_days", 30]
    assert panel.save_status.text().startswith("Saved and applied")
    assert load_settings(paths, environ={}).retention_days == 30


def test_check_names_the_retention(tmp_path):
    from tests.test_cli import run_main

    quiet = {"CXKIOSK_PRIVACY": "off", "CXKIOSK_NFC_DEVICE": "none"}
    done = run_main("check", "--no-network", "--data-dir", str(tmp_path / "data"),
                    env={**quiet, "CXKIOSK_RETENTION_DAYS": "30"})
    line = next(line for line in done.stdout.splitlines() if line[5:].startswith("retention"))
    assert line.startswith("ok") and "kept 30 days" in line and "daily" in line
    forever = run_main("check", "--no-network", "--data-dir", str(tmp_path / "data"),
                       env={**quiet, "CXKIOSK_RETENTION_DAYS": "0"})
    assert "kept forever" in forever.stdout

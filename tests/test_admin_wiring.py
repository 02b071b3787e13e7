"""The admin panel as the running kiosk opens it: statuses, live settings, content reload."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication

from cxkiosk.config import Paths, Settings
from cxkiosk.content import database
from cxkiosk.content.playlist import Playlist
from cxkiosk.pin import hash_pin
from cxkiosk.runtime.status import StatusBoard
from ui.admin.opener import AdminOpener
from ui.billboard import Billboard

PIN = "2468"


@pytest.fixture
def kiosk(qtbot, data_dir, monkeypatch):
    database.open_database(str(data_dir / "content.db"))
    database.Content.create(title="First", url="https://example.com/1", kind="web")
    settings = Settings(admin_pin_hash=hash_pin(PIN))
    billboard = Billboard()
    qtbot.addWidget(billboard)
    playlist = Playlist(database.playlist())
    status = StatusBoard()
    status.set("camera", "camera 0 open 1280x720")
    status.set("nfc", "no reader on usb; retrying")

    class Selector:
        max_per_hour = 4

    runtime = SimpleNamespace(capture=None, nfc=None, selector=Selector())
    opener = AdminOpener(Paths.for_data_dir(data_dir), settings, billboard, playlist, status, runtime)
    yield opener, settings, billboard, playlist, status
    if opener.panel is not None:
        opener.panel.close()
    database.close_database()


def unlock(opener):
    opener.open()
    panel = opener.panel
    panel.pin_dialog.pin.setText(PIN)
    panel.pin_dialog.submit()
    assert panel.unlocked
    return panel


def test_open_shows_the_latest_status_of_each_part_and_follows_changes(kiosk):
    opener, _, _, _, status = kiosk
    panel = unlock(opener)
    labels = panel.devices.status_labels
    assert labels["camera"].text() == "camera 0 open 1280x720"
    assert "no reader" in labels["nfc"].text()
    status.set("nfc", "RC-S380 ready, mode write")
    assert labels["nfc"].text() == "RC-S380 ready, mode write"


def test_saved_settings_apply_live_except_those_needing_a_restart(kiosk):
    opener, settings, billboard, _, _ = kiosk
    panel = unlock(opener)
    edited = Settings(**{**vars(settings), "qr_call_to_action": "Tap here", "show_reasons": True,
                         "item_cap_per_hour": 9, "privacy": "full"})
    panel.edited_settings = lambda: edited  # what the tabs would hold after the operator's edits
    assert panel.save()
    assert billboard.qr.caption.text() == "Tap here"
    assert billboard._show_reasons is True
    assert opener.runtime.selector.max_per_hour == 9
    assert settings.privacy == "local"  # needs a restart: the panel says so, nothing half-applies


def test_content_edits_reach_the_playlist(kiosk):
    opener, _, _, playlist, _ = kiosk
    panel = unlock(opener)
    database.Content.create(title="Second", url="https://example.com/2", kind="web")
    panel.content_changed.emit()
    assert [i.title for i in playlist.items] == ["First", "Second"]


def test_the_panel_gets_a_pointer_and_closing_it_forgets_it(kiosk, qtbot):
    opener, _, _, _, _ = kiosk
    QApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))  # as the fullscreen kiosk does
    unlock(opener)
    assert QApplication.overrideCursor() is None
    opener.panel.close()
    qtbot.waitUntil(lambda: opener.panel is None, timeout=3000)

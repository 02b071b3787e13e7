"""YouTube's embedder check on site: the origin the player page poses as is a setting that reaches
the page itself, a bad one is refused by name, and `check` and the admin panel say whether the
last YouTube item played or YouTube refused this kiosk (error 153), from proof of play."""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace

import pytest

from cxkiosk.commands.check import check_youtube
from cxkiosk.commands.common import Context
from cxkiosk.config import Paths, Settings, file_problems, load_settings
from cxkiosk.content import database, records
from cxkiosk.content.playlist import Playlist
from cxkiosk.links import https_origin
from cxkiosk.pin import hash_pin
from cxkiosk.runtime.build import record_play
from cxkiosk.runtime.programme import Programme
from cxkiosk.runtime.status import StatusBoard
from cxkiosk.values import Choice, Item
from tests.test_billboard import FAKE_YT_API, _js
from tests.test_cli import run_main

SINTEL = "https://www.youtube.com/watch?v=eRsGyueVLvQ"
TWO_PM = datetime(2026, 12, 2, 14, 3)
LINE_153 = ("error 153 at 2026-12-02 14:05 — YouTube does not accept this kiosk as an embedder; set "
            "youtube_origin to your showroom's https domain (README: YouTube on site)")


# --- the setting -----------------------------------------------------------------------------------


def test_the_origin_setting_is_what_the_player_page_and_youtube_see(qtbot, data_dir):
    """The page's own origin (what Chromium sends as the Referer) and the IFrame API's `origin`
    player parameter are the setting, read as the kiosk reads it at start-up (ui/app.py)."""
    from ui.billboard import Billboard

    paths = Paths.for_data_dir(data_dir)
    paths.settings_file.write_text(json.dumps({"youtube_origin": "https://Kiosk.Example.com:8443/"}))
    settings = load_settings(paths, environ={})
    board = Billboard(youtube_api=FAKE_YT_API, youtube_origin=https_origin(settings.youtube_origin))
    qtbot.addWidget(board)
    board.resize(320, 180)
    board.show()
    try:
        board.play(Choice(item=Item(3, "Sintel", SINTEL, kind="youtube")))
        player = board.loading[1]
        qtbot.waitUntil(lambda: player._page_ready, timeout=15000)
        qtbot.waitUntil(lambda: _js(qtbot, player.page, "!!window.__yt") is True, timeout=5000)
        assert _js(qtbot, player.page, "window.location.origin") == "https://kiosk.example.com:8443"
        assert _js(qtbot, player.page, "__yt.playerVars.origin") == "https://kiosk.example.com:8443"
        assert player.page.url().toString() == "https://kiosk.example.com:8443/player.html"
    finally:
        board.stop_all()


def test_the_default_origin_is_the_kiosks_own_and_the_environment_can_set_another(data_dir):
    paths = Paths.for_data_dir(data_dir)
    assert load_settings(paths, environ={}).youtube_origin == "https://cxkiosk.localhost"
    chosen = load_settings(paths, environ={"CXKIOSK_YOUTUBE_ORIGIN": "https://showroom.example.com"})
    assert chosen.youtube_origin == "https://showroom.example.com"


@pytest.mark.parametrize("bad, words", [
    ("http://showroom.example.com", "must be an https origin"),
    ("https://showroom.example.com/player.html", "no path, query or fragment"),
    ("https://showroom.example.com?x=1", "no path, query or fragment"),
    ("https://staff@showroom.example.com", "user name"),
    ("https://localhost", "real domain"),
    ("https://127.0.0.1", "real domain"),
    ("https://showroom.example.com:0", "real port"),
    ("https://show room.example.com", "space"),
    ("showroom.example.com", "must be an https origin"),
])
@pytest.mark.expect_log(r"setting youtube_origin is not valid")
def test_a_bad_origin_is_refused_by_name_at_load_and_the_default_runs(data_dir, caplog, bad, words):
    paths = Paths.for_data_dir(data_dir)
    paths.settings_file.write_text(json.dumps({"youtube_origin": bad}))
    with caplog.at_level("WARNING", logger="cxkiosk.config"):
        settings = load_settings(paths, environ={})
    assert settings.youtube_origin == "https://cxkiosk.localhost"
    warning = next(r.getMessage() for r in caplog.records if "youtube_origin" in r.getMessage())
    assert words in warning and repr(bad) in warning
    problems = file_problems(paths)  # what `check` prints for the file
    assert len(problems) == 1 and problems[0].startswith("youtube_origin must") and "ignored" in problems[0]
    assert Settings(youtube_origin=bad).validate()  # and the panel's Save refuses it too


# --- the last YouTube play, for `check` and the panel ----------------------------------------------


def _item(title="Blender: Sintel", url=SINTEL, kind="youtube"):
    return database.Content.create(title=title, url=url, kind=kind)


def _play(item, outcome, minute, reason=""):
    at = TWO_PM.replace(minute=minute)
    records.log_play(item.id, item.id, None if outcome == "failed" else at, at, outcome, reason)


def _check(tmp_path):
    paths = Paths.for_data_dir(tmp_path / "kiosk")
    return check_youtube(Context(paths, Settings(), db_spec=str(tmp_path / "content.db")))


def test_check_says_no_youtube_item_played_yet(db, tmp_path):
    slide = _item("Spring", "https://example.com/spring", kind="web")
    _play(slide, "completed", 1)
    result = _check(tmp_path)
    assert (result.name, result.ok, result.detail) == ("youtube", True, "no YouTube item played yet")


def test_check_says_when_the_last_youtube_item_played(db, tmp_path):
    sintel = _item()
    _play(sintel, "failed", 1, "YouTube error 153: YouTube does not accept this kiosk as an embedder")
    _play(sintel, "completed", 3)  # after the origin was fixed
    _play(_item("Spring", "https://example.com/spring", kind="web"), "completed", 9)
    result = _check(tmp_path)
    assert result.ok and result.detail == "last played 2026-12-02 14:03 (Blender: Sintel)"


def test_check_says_youtube_refused_this_kiosk_and_what_to_set(db, tmp_path):
    sintel = _item()
    _play(sintel, "completed", 3)
    _play(sintel, "failed", 5, "YouTube error 153: YouTube does not accept this kiosk as an embedder "
          "(embedder identity missing)")
    result = _check(tmp_path)
    assert not result.ok and result.detail == LINE_153


def test_check_tells_a_video_that_forbids_embedding_from_a_refused_kiosk(db, tmp_path):
    _play(_item(), "completed", 3)
    _play(_item("Trailer", "https://youtu.be/dQw4w9WgXcQ"), "failed", 7,
          "YouTube error 150: owner does not allow embedding")
    result = _check(tmp_path)
    assert not result.ok
    assert result.detail == ("Trailer refused at 2026-12-02 14:07: error 150, its owner does not allow "
                             "embedding (that video, not this kiosk: choose another); last played "
                             "2026-12-02 14:03 (Blender: Sintel)")


def test_the_check_command_prints_the_youtube_line(tmp_path):
    data = tmp_path / "kiosk"
    data.mkdir()
    database.open_database(str(data / "content.db"))
    try:
        _play(_item(), "failed", 5, "YouTube error 153: YouTube does not accept this kiosk as an embedder")
    finally:
        database.close_database()
    done = run_main("check", "--data-dir", str(data), "--source", "none", "--nfc", "none", "--no-network")
    assert done.returncode == 0, done.stdout + done.stderr  # the kiosk still runs: it skips YouTube items
    assert f"--   youtube   {LINE_153}" in done.stdout.splitlines()


@pytest.mark.expect_log("skipped: YouTube error 153", "failed: YouTube error 153", "nothing playable")
def test_the_panel_shows_the_same_line_when_youtube_refuses_the_kiosk(qtbot, data_dir, tmp_path):
    """The real player page reports 153 through its channel; proof of play keeps it; the open
    panel's Content tab and `check` then say the same thing."""
    from ui.admin.opener import AdminOpener
    from ui.billboard import Billboard

    database.open_database(str(data_dir / "content.db"))
    sintel = _item()
    board = Billboard(youtube_api=FAKE_YT_API)
    qtbot.addWidget(board)
    board.resize(320, 180)
    board.show()
    playlist = Playlist(database.playlist())
    programme = Programme(playlist, record=record_play, retry_seconds=60)
    programme.play.connect(board.play)
    board.started.connect(programme.on_started)
    board.failed.connect(programme.on_failed)
    runtime = SimpleNamespace(capture=None, nfc=None, selector=None)
    opener = AdminOpener(Paths.for_data_dir(data_dir), Settings(admin_pin_hash=hash_pin("2468")), board,
                         playlist, StatusBoard(), runtime, programme)
    try:
        opener.open()
        opener.panel.pin_dialog.pin.setText("2468")
        opener.panel.pin_dialog.submit()
        page = opener.panel.content
        assert page.youtube.text() == "YouTube: no YouTube item played yet"
        programme.advance()
        player = board.loading[1]
        qtbot.waitUntil(lambda: player._page_ready, timeout=15000)
        qtbot.waitUntil(lambda: _js(qtbot, player.page, "!!window.__yt") is True, timeout=5000)
        with qtbot.waitSignal(programme.health_changed, timeout=5000):
            player.page.runJavaScript("__yt.events.onError({data: 153})")
        assert page.youtube.text().startswith("YouTube: error 153 at ")
        assert "set youtube_origin to your showroom's https domain" in page.youtube.text()
        assert "YouTube error 153" in page.health_of(sintel.id)
        assert "YouTube: " + _check_line(data_dir) == page.youtube.text()
    finally:
        if opener.panel is not None:
            opener.panel.close()
        board.stop_all()
        database.close_database()


def _check_line(data_dir) -> str:
    paths = Paths.for_data_dir(data_dir)
    return check_youtube(Context(paths, Settings(), db_spec=str(paths.default_db))).detail

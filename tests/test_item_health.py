"""Item health as an operator sees it: an item that fails on the billboard shows in the admin
panel's Content tab as failing since when, why and when it is tried next; "Retry now" plays it
on the next advance, and once it plays it shows fine again. Real players offscreen, a real
SQLite file, the panel opened the way the running kiosk opens it."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from cxkiosk.config import Paths, Settings
from cxkiosk.content import database
from cxkiosk.content.media import MediaFolders
from cxkiosk.content.playlist import ItemHealth, Playlist
from cxkiosk.pin import hash_pin
from cxkiosk.runtime.programme import Programme
from cxkiosk.runtime.status import StatusBoard
from cxkiosk.values import Item
from tests.media import write_video
from tests.test_admin_wiring import PIN, unlock
from ui.admin.opener import AdminOpener
from ui.billboard import Billboard


class Clocks:
    """A monotonic and a wall clock that move together, as the real ones do."""

    def __init__(self) -> None:
        self.seconds = 1000.0
        self.start = datetime(2026, 12, 2, 14, 2)

    def mono(self) -> float:
        return self.seconds

    def wall(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds - 1000.0)


# --- the policy, in the core -----------------------------------------------------------------------


@pytest.mark.expect_log("failed: ")
def test_a_failing_item_says_since_when_why_and_when_it_is_tried_again():
    clocks = Clocks()
    broken, fine = Item(1, "Broken", "https://example.com/1"), Item(2, "Fine", "https://example.com/2")
    playlist = Playlist([broken, fine], unhealthy_seconds=1800, clock=clocks.mono, wall=clocks.wall)
    assert playlist.health() == {}
    first = playlist.mark_failed(broken, "YouTube error 150: owner does not allow embedding")
    assert first == ItemHealth(1, datetime(2026, 12, 2, 14, 2), "YouTube error 150: owner does not allow "
                               "embedding", 1, datetime(2026, 12, 2, 14, 32))
    clocks.seconds += 1800  # tried again at 14:32, and it fails again: skipped twice as long
    again = playlist.mark_failed(broken, "nothing shown within 5 s")
    assert again.failing_since == datetime(2026, 12, 2, 14, 2)  # still since the first failure
    assert (again.reason, again.failures, again.next_retry) == ("nothing shown within 5 s", 2,
                                                                datetime(2026, 12, 2, 15, 32))
    assert playlist.health() == {1: again}
    assert [playlist.next_choice().item for _ in range(2)] == [fine, fine]  # skipped
    playlist.mark_ok(broken)
    assert playlist.health() == {} and not playlist.health_of(1).failing


@pytest.mark.expect_log("failed: ")
def test_retry_makes_a_failing_item_play_next_and_keeps_its_record_until_it_plays():
    clocks = Clocks()
    items = [Item(i, f"Item {i}", f"https://example.com/{i}") for i in (1, 2, 3)]
    playlist = Playlist(items, unhealthy_seconds=1800, clock=clocks.mono, wall=clocks.wall)
    assert playlist.next_choice().item.id == 1
    playlist.mark_failed(items[0], "file missing")
    assert playlist.next_choice().item.id == 2
    retried = playlist.retry(1)
    assert retried.failing and retried.next_retry == clocks.wall()
    assert playlist.next_choice().item.id == 1  # next, not when the loop comes round to it
    assert playlist.next_choice().item.id == 3  # and the loop carries on where it was


# --- on the billboard and in the panel -------------------------------------------------------------


@pytest.fixture
def kiosk(qtbot, tmp_path, data_dir):
    """A billboard playing from a real media folder, the programme, and the admin panel opened
    and unlocked as the running kiosk does it (ui/app.py's wiring)."""
    media = tmp_path / "media"
    media.mkdir()
    database.open_database(str(data_dir / "content.db"))
    database.Content.create(title="Missing clip", url="https://example.com/missing", kind="video",
                            path="missing.mp4")
    database.Content.create(title="Good clip", url="https://example.com/good", kind="video", path="good.mp4")
    write_video(media / "good.mp4", 1.0)
    board = Billboard(load_timeout=5.0, media=MediaFolders((media,)))
    board.resize(480, 270)
    qtbot.addWidget(board)
    board.show()
    playlist = Playlist(database.playlist(), unhealthy_seconds=600)
    programme = Programme(playlist, retry_seconds=60)
    programme.play.connect(board.play)
    programme.fallback.connect(board.show_fallback)
    board.started.connect(programme.on_started)
    board.finished.connect(programme.on_finished)
    board.failed.connect(programme.on_failed)
    runtime = SimpleNamespace(capture=None, nfc=None, selector=None)
    opener = AdminOpener(Paths.for_data_dir(data_dir), Settings(admin_pin_hash=hash_pin(PIN)), board,
                         playlist, StatusBoard(), runtime, programme)
    yield SimpleNamespace(board=board, programme=programme, opener=opener, media=media)
    if opener.panel is not None:
        opener.panel.close()
    board.stop_all()
    database.close_database()


def health_cell(page, row_id):
    model = page.model
    return model.data(model.index(model.keys.index(row_id), page.HEALTH_COLUMN), Qt.ItemDataRole.DisplayRole)


@pytest.mark.expect_log("skipped: ", "failed: ")
def test_a_missing_file_shows_failing_in_the_panel_and_retry_now_plays_it_again(qtbot, kiosk):
    board, programme = kiosk.board, kiosk.programme
    missing, good = (r.id for r in database.Content.select().order_by(database.Content.id))
    panel = unlock(kiosk.opener)  # open before anything failed: what follows arrives by signal
    page = panel.content
    assert health_cell(page, missing) == "playing fine"
    started = []
    board.started.connect(lambda item: started.append(item.id))

    with qtbot.waitSignal(board.started, timeout=10000):
        programme.advance()  # the missing clip fails at once, the good one plays
    assert started == [good]
    health = programme.playlist.health_of(missing)
    assert "missing.mp4: not found" in health.reason
    assert health.next_retry - health.failing_since == timedelta(minutes=10)
    text = page.health_of(missing)
    assert text == (f"failing since {health.failing_since:%H:%M} — {health.reason} — "
                    f"next try {health.next_retry:%H:%M}")
    assert health_cell(page, missing).startswith("failing since")
    assert health_cell(page, good) == "playing fine"
    page.select_id(good)
    assert not page.retry_button.isEnabled()  # nothing to retry on a fine item
    page.select_id(missing)
    assert page.health_line.text() == f"“Missing clip”: {text}"

    # Without a retry it stays out of the loop: the good clip plays again.
    qtbot.waitUntil(lambda: len(started) >= 2, timeout=10000)
    assert started[1] == good
    # The file is put in place and the operator presses Retry now: it plays on the next advance.
    write_video(kiosk.media / "missing.mp4", 1.0, color=(200, 0, 0))
    assert page.retry_button.isEnabled()
    count = len(started)
    page.retry_button.click()
    assert "tried again on its next turn" in page.health_of(missing)
    qtbot.waitUntil(lambda: len(started) > count, timeout=10000)
    assert started[count] == missing
    assert page.health_of(missing) == "playing fine"
    assert health_cell(page, missing) == "playing fine"
    assert page.health_line.text() == "“Missing clip”: playing fine"
    assert not page.retry_button.isEnabled()


@pytest.mark.expect_log("skipped: ", "failed: ", "nothing playable")
def test_a_panel_opened_later_shows_what_failed_before_and_retry_ends_the_fallback(qtbot, kiosk):
    """Health is the playlist's, not the panel's: a panel opened after the failure shows it; when
    nothing could play, Retry now does not wait for the fallback slide's next retry."""
    board, programme = kiosk.board, kiosk.programme
    missing, good = (r.id for r in database.Content.select().order_by(database.Content.id))
    (kiosk.media / "good.mp4").unlink()
    with qtbot.waitSignal(programme.fallback, timeout=5000):
        programme.advance()  # both fail: nothing is playable, the branded slide shows
    panel = unlock(kiosk.opener)
    page = panel.content
    assert "good.mp4: not found" in page.health_of(good)
    assert "missing.mp4: not found" in page.health_of(missing)
    assert page.health_line.text() == "2 items failing on screen: select one to see why and retry it."
    write_video(kiosk.media / "good.mp4", 1.0)
    page.select_id(good)
    with qtbot.waitSignal(board.started, timeout=10000) as blocker:
        page.retry_button.click()
    assert blocker.args[0].id == good
    assert page.health_of(good) == "playing fine" and page.health_of(missing).startswith("failing since")

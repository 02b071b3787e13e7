"""The web view over days, unattended: a render process that dies skips its item and the next web
item plays on a fresh page; a page that lives across items (the YouTube player) is renewed on a
schedule, between items, never during one. Real pages offscreen, a real SIGKILL."""

from __future__ import annotations

import os
import signal

import pytest

from cxkiosk.content.media import MediaFolders
from cxkiosk.values import Item
from tests.test_billboard import FAKE_YT_API, _js, wire

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

SLIDE = """<!doctype html><html><body style="background:{color}"><h1>{title}</h1></body></html>"""


def html_slide(folder, name, color):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.html"
    path.write_text(SLIDE.format(color=color, title=name), encoding="utf-8")
    return path


@pytest.fixture
def board(qtbot, tmp_path):
    from ui.billboard import Billboard

    billboard = Billboard(slide_seconds=1.0, load_timeout=8.0, youtube_api=FAKE_YT_API,
                          media=MediaFolders((tmp_path,)))
    billboard.resize(480, 270)
    qtbot.addWidget(billboard)
    billboard.show()
    yield billboard
    billboard.stop_all()


@pytest.mark.expect_log("web page crashed", "idle web page", "new web page")
def test_a_killed_render_process_skips_the_item_and_the_next_web_item_plays_on_a_new_page(
        qtbot, board, tmp_path):
    long = Item(1, "Long slide", "", kind="slide", path=str(html_slide(tmp_path / "a", "A", "#123")),
                duration=120.0)
    short_b = Item(2, "Short B", "", kind="slide", path=str(html_slide(tmp_path / "b", "B", "#321")),
                   duration=1.0)
    short_c = Item(3, "Short C", "", kind="slide", path=str(html_slide(tmp_path / "c", "C", "#231")),
                   duration=1.0)
    programme, records = wire(board, [long, short_b, short_c])
    started, failures = [], []
    board.started.connect(lambda item: started.append(item.id))
    board.failed.connect(lambda item, reason: failures.append((item.id, reason)))
    with qtbot.waitSignal(board.started, timeout=15000):
        programme.advance()
    assert started == [1]
    crashed = board.current[1]
    first_page = crashed.page
    qtbot.waitUntil(lambda: first_page.renderProcessPid() > 0, timeout=5000)
    assert _js(qtbot, first_page, "document.querySelector('h1').textContent") == "A"

    os.kill(first_page.renderProcessPid(), signal.SIGKILL)

    # Reported failed with the reason, recorded as such, and the next item plays.
    qtbot.waitUntil(lambda: bool(failures), timeout=10000)
    assert failures[0] == (1, "web page crashed (render process killed)")
    final = [r for r in records if r.item.id == 1 and r.outcome != "playing"]
    assert final and final[0].outcome == "failed" and final[0].reason == failures[0][1]
    assert final[0].started is not None  # it had been on screen: a play that broke, not a failed load
    # B plays in the spare player, then C in the one that crashed: on a new page, really rendered.
    qtbot.waitUntil(lambda: 3 in started, timeout=20000)
    assert started[1:3] == [2, 3]
    assert crashed.page is not first_page and crashed.pages_made >= 2
    qtbot.waitUntil(lambda: board.current is not None and board.current[0].item.id == 3, timeout=5000)
    assert board.current[1] is crashed
    assert _js(qtbot, crashed.page, "document.querySelector('h1').textContent") == "C"
    assert crashed.page.renderProcessPid() > 0
    # The crashed item stays out of the loop (the programme skips failed items) until its retry.
    qtbot.waitUntil(lambda: started.count(2) >= 2, timeout=20000)
    assert 1 not in started[1:]


def _youtube_started(qtbot, player, item):
    with qtbot.waitSignal(player.started, timeout=15000):
        player.load(item)
        qtbot.waitUntil(lambda: player._page_ready, timeout=15000)
        loaded = "window.__ytPlayer && window.__ytPlayer.loaded"
        qtbot.waitUntil(lambda: _js(qtbot, player.page, loaded) == item.video_id, timeout=5000)
        player.page.runJavaScript("__yt.events.onStateChange({data: 1})")


@pytest.mark.expect_log("new web page")
def test_the_youtube_page_is_renewed_after_its_hours_between_items_never_during_one(qtbot):
    from ui.players import YouTubePlayer

    now = [1000.0]
    player = YouTubePlayer(api_url=FAKE_YT_API, reload_hours=6, clock=lambda: now[0])
    player.resize(320, 180)
    qtbot.addWidget(player)
    player.show()
    first = Item(7, "First", "https://youtu.be/dQw4w9WgXcQ", kind="youtube")
    second = Item(8, "Second", "https://youtu.be/9bZkp7q19f0", kind="youtube")
    third = Item(9, "Third", "https://youtu.be/kJQP7kiw5Fk", kind="youtube")
    page = player.page

    _youtube_started(qtbot, player, first)
    now[0] += 7 * 3600  # the page grows old while the item plays: the item is not cut short
    qtbot.wait(300)
    assert player.page is page and player.item is first
    with qtbot.waitSignal(player.finished, timeout=5000):
        player.page.runJavaScript("__yt.events.onStateChange({data: 0})")
    assert player.page is page  # it ended on the page it started on

    _youtube_started(qtbot, player, second)  # the next item: a fresh page, and it plays there
    assert player.page is not page and player.pages_made == 2
    renewed = player.page
    now[0] += 3600  # younger than 6 h: kept for the next item
    player.stop()
    _youtube_started(qtbot, player, third)
    assert player.page is renewed and player.pages_made == 2
    player.stop()


@pytest.mark.expect_log("new web page", "idle web page")
def test_a_killed_youtube_player_page_fails_its_item_and_the_next_video_plays_on_a_new_page(qtbot):
    from ui.players import YouTubePlayer

    player = YouTubePlayer(api_url=FAKE_YT_API)
    player.resize(320, 180)
    qtbot.addWidget(player)
    player.show()
    first = Item(7, "First", "https://youtu.be/dQw4w9WgXcQ", kind="youtube")
    second = Item(8, "Second", "https://youtu.be/9bZkp7q19f0", kind="youtube")
    _youtube_started(qtbot, player, first)
    page = player.page
    qtbot.waitUntil(lambda: page.renderProcessPid() > 0, timeout=5000)
    with qtbot.waitSignal(player.failed, timeout=10000) as failed:
        os.kill(page.renderProcessPid(), signal.SIGKILL)
    assert failed.args == ["web page crashed (render process killed)"]
    assert player.item is None  # nothing more is reported for it
    _youtube_started(qtbot, player, second)  # the player page loads again and plays the next one
    assert player.page is not page and player.page.renderProcessPid() > 0
    player.stop()

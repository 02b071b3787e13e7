"""The billboard as a visitor sees it: items cycle, broken ones are skipped, the web view is
locked, the QR code carries the item's link."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from cxkiosk.content.playlist import Playlist
from cxkiosk.runtime.programme import Programme
from cxkiosk.values import Choice, Item
from tests.media import write_image, write_video

# A stand-in for YouTube's IFrame API, given to the player page as a data: URL so the page's own
# script and the real QWebChannel run without a network. Tests drive it through window.__yt.
FAKE_YT_API = "data:text/javascript," + """
window.YT = {PlayerState: {PLAYING: 1, ENDED: 0}, Player: function (id, opts) {
  window.__yt = opts; window.__ytPlayer = this; this.loaded = opts.videoId || null;
  this.mute = () => {}; this.playVideo = () => {}; this.stopVideo = () => {};
  this.loadVideoById = (o) => { this.loaded = o.videoId; };
  setTimeout(() => opts.events.onReady({target: this}), 0);
}};
setTimeout(() => window.onYouTubeIframeAPIReady(), 0);
""".replace("\n", " ")


def qimage_to_array(image):
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return data.reshape(h, image.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


@pytest.fixture
def billboard(qtbot, tmp_path):
    from cxkiosk.content.media import MediaFolders
    from ui.billboard import Billboard

    # The test's own folder stands for the kiosk's media folder.
    board = Billboard(slide_seconds=1.0, call_to_action="Scan me", load_timeout=5.0,
                      youtube_api=FAKE_YT_API, media=MediaFolders((tmp_path,)))
    board.resize(640, 360)
    qtbot.addWidget(board)
    board.show()
    yield board
    board.stop_all()


def wire(board, items):
    playlist = Playlist(items, unhealthy_seconds=600)
    records = []
    # Each play's outcome; the "playing" records before it (proof of play from the first frame)
    # are tested in test_durability.py.
    programme = Programme(playlist, record=lambda r: r.outcome == "playing" or records.append(r),
                          retry_seconds=60)
    programme.play.connect(board.play)
    programme.fallback.connect(board.show_fallback)
    board.started.connect(programme.on_started)
    board.finished.connect(programme.on_finished)
    board.failed.connect(programme.on_failed)
    return programme, records


def test_cycles_local_playlist_in_order_and_loops(qtbot, billboard, tmp_path):
    items = [
        Item(1, "A", "https://example.com/a", kind="video", path=str(write_video(tmp_path / "a.mp4", 0.8))),
        Item(2, "B", "https://example.com/b", kind="slide", path=str(write_image(tmp_path / "b.png")),
             duration=1.0),
        Item(3, "C", "https://example.com/c", kind="video",
             path=str(write_video(tmp_path / "c.mp4", 0.8, color=(200, 0, 0)))),
    ]
    programme, records = wire(billboard, items)
    started = []
    billboard.started.connect(lambda item: started.append(item.id))
    programme.advance()
    qtbot.waitUntil(lambda: len(started) >= 4, timeout=20000)
    assert started[:4] == [1, 2, 3, 1]
    completed = [r.item.id for r in records if r.outcome == "completed"]
    assert completed[:3] == [1, 2, 3]
    # The video's own pixels are on screen (not a black widget).
    frame = qimage_to_array(billboard.grab().toImage())
    assert frame.std() > 10


@pytest.mark.expect_log('skipped: ', 'failed: ')
def test_missing_and_corrupt_files_are_skipped_quickly(qtbot, billboard, tmp_path):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00not a video" * 500)
    good = write_video(tmp_path / "good.mp4", 1.0)
    items = [
        Item(1, "missing", "https://example.com/1", kind="video", path=str(tmp_path / "nope.mp4")),
        Item(2, "corrupt", "https://example.com/2", kind="video", path=str(corrupt)),
        Item(3, "good", "https://example.com/3", kind="video", path=str(good)),
    ]
    programme, records = wire(billboard, items)
    failures = []
    billboard.failed.connect(lambda item, reason: failures.append((item.id, reason)))
    with qtbot.waitSignal(billboard.started, timeout=12000) as blocker:
        programme.advance()
    assert blocker.args[0].id == 3
    assert [f[0] for f in failures] == [1, 2]
    assert "not found" in failures[0][1]
    assert all(r.outcome == "failed" for r in records[:2])
    # Broken items stay out of the loop: the good one plays again next.
    with qtbot.waitSignal(billboard.started, timeout=8000) as blocker:
        pass
    assert blocker.args[0].id == 3


@pytest.mark.expect_log('skipped: ', 'failed: ', 'nothing playable')
def test_nothing_playable_shows_branded_fallback(qtbot, billboard, tmp_path):
    items = [Item(1, "missing", "https://example.com/1", kind="video", path=str(tmp_path / "nope.mp4"))]
    programme, _ = wire(billboard, items)
    with qtbot.waitSignal(billboard.failed, timeout=5000):
        programme.advance()
    qtbot.waitUntil(lambda: billboard.stack.currentWidget() is billboard.fallback, timeout=3000)
    pixels = qimage_to_array(billboard.grab().toImage())
    assert pixels.std() > 5  # gradient and text, not a black or blank screen
    assert not billboard.qr.isVisible()


def _youtube_ready(qtbot, billboard, video_id="dQw4w9WgXcQ"):
    item = Item(7, "Clip", f"https://youtu.be/{video_id}?t=3", kind="youtube")
    billboard.play(Choice(item=item))
    player = billboard.loading[1]
    qtbot.waitUntil(lambda: player._page_ready, timeout=15000)
    loaded = "window.__ytPlayer && window.__ytPlayer.loaded"
    qtbot.waitUntil(lambda: _js(qtbot, player.page, loaded) == video_id, timeout=5000)
    return item, player


def _js(qtbot, page, script):
    result = []
    page.runJavaScript(script, 0, result.append)
    qtbot.waitUntil(lambda: bool(result), timeout=5000)
    return result[0]


def test_youtube_item_starts_when_the_page_reports_playing(qtbot, billboard):
    item, player = _youtube_ready(qtbot, billboard)
    with qtbot.waitSignal(billboard.started, timeout=5000) as blocker:
        player.page.runJavaScript("__yt.events.onStateChange({data: 1})")
    assert blocker.args[0] == item
    # the QR code carries the canonical link (the policy drops the t=3 start time)
    assert billboard.qr.isVisible() and billboard.qr.link == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@pytest.mark.parametrize("code", [101, 150, 153])
@pytest.mark.expect_log('skipped: YouTube error')
def test_youtube_error_code_from_the_page_skips_the_item(qtbot, billboard, code):
    item, player = _youtube_ready(qtbot, billboard)
    with qtbot.waitSignal(billboard.failed, timeout=5000) as blocker:
        player.page.runJavaScript(f"__yt.events.onError({{data: {code}}})")
    failed_item, reason = blocker.args
    assert failed_item == item
    assert f"YouTube error {code}" in reason


@pytest.mark.expect_log('skipped: YouTube error')
def test_youtube_unreachable_is_skipped_within_five_seconds(qtbot, tmp_path):
    """No network here: the real IFrame API address cannot load, and the item fails fast."""
    from ui.billboard import Billboard

    board = Billboard(load_timeout=5.0)
    qtbot.addWidget(board)
    board.resize(320, 180)
    board.show()
    item = Item(9, "Offline", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", kind="youtube")
    try:
        with qtbot.waitSignal(board.failed, timeout=6000) as blocker:
            board.play(Choice(item=item))
        assert blocker.args[0] == item
    finally:
        board.stop_all()


@pytest.mark.expect_log('refused navigation')
def test_navigation_and_popups_outside_the_player_are_refused(qtbot, billboard):
    _, player = _youtube_ready(qtbot, billboard)
    refused = []
    player.page.refused.connect(refused.append)
    player.page.runJavaScript("location.href = 'https://evil.example/phish'")
    qtbot.waitUntil(lambda: any("evil.example" in r for r in refused), timeout=5000)
    player.page.runJavaScript("window.open('https://evil.example/popup')")
    qtbot.wait(300)
    assert player.page.url().host() == "cxkiosk.localhost"
    assert _js(qtbot, player.page, "typeof window.cxLoad") == "function"  # still our page


def test_qr_code_decodes_to_the_items_link(qtbot, billboard, tmp_path):
    link = "https://example.com/offers?item=42&lang=en"
    item = Item(42, "Offer", link, kind="slide", path=str(write_image(tmp_path / "s.png")), duration=5)
    with qtbot.waitSignal(billboard.started, timeout=5000):
        billboard.play(Choice(item=item))
    assert billboard.qr.isVisible()
    pixels = qimage_to_array(billboard.qr.grab().toImage())
    decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR))
    assert decoded == link
    # Large enough to scan from about 1 m at 1080p: ~22% of the screen height.
    assert billboard.qr.code.pixmap().height() >= 0.18 * billboard.height()


def test_consent_notice_is_shown_over_content(qtbot, billboard):
    from cxkiosk.config import Settings
    from cxkiosk.consent import consent_notice

    billboard.set_notice(consent_notice(Settings()))
    assert billboard.notice.isVisible()
    assert billboard.notice.geometry().bottom() == billboard.height() - 1
    assert billboard.notice.width() == billboard.width()


def test_programme_records_interrupted_item_and_targeted_choice(qtbot, billboard, tmp_path):
    video = write_video(tmp_path / "i.mp4", 3)
    idle = Item(1, "Idle", "https://example.com/i", kind="video", path=str(video))
    target = Item(2, "Target", "https://example.com/t", kind="slide",
                  path=str(write_image(tmp_path / "t.png")), duration=1)
    programme, records = wire(billboard, [idle])
    with qtbot.waitSignal(billboard.started, timeout=8000):
        programme.advance()
    with qtbot.waitSignal(billboard.started, timeout=8000) as blocker:
        programme.targeted(Choice(item=target, trigger="targeted", reasons=("female matches",),
                                  audience_summary="1 person: female 34"))
    assert blocker.args[0] == target
    assert records[0].item == idle and records[0].outcome == "skipped"
    # After the targeted item, the idle loop resumes.
    with qtbot.waitSignal(billboard.started, timeout=8000) as blocker:
        pass
    assert blocker.args[0] == idle
    targeted = [r for r in records if r.item == target]
    assert targeted[0].trigger == "targeted" and targeted[0].outcome == "completed"
    assert json.dumps(targeted[0].audience)


def test_stopping_the_kiosk_records_the_item_on_screen(qtbot, billboard, tmp_path):
    item = Item(5, "On screen", "https://example.com/5", kind="video",
                path=str(write_video(tmp_path / "v.mp4", 3)))
    programme, records = wire(billboard, [item])
    with qtbot.waitSignal(billboard.started, timeout=8000):
        programme.advance()
    programme.stop()
    assert [(r.item, r.outcome, r.reason) for r in records] == [(item, "skipped", "kiosk stopped")]
    assert records[0].started is not None

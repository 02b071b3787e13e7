"""A local video's frames become pictures off the GUI thread: the same picture Qt would make,
in the right colours; the kiosk keeps answering while a frame converts, a slow conversion drops
frames instead of queueing them, and a picture of the previous item never shows on the next."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from cxkiosk.content.media import MediaFolders
from cxkiosk.values import Choice, Item
from tests.media import write_video
from tests.test_billboard import qimage_to_array


@pytest.fixture
def board(qtbot, tmp_path):
    from ui.billboard import Billboard

    board = Billboard(load_timeout=10.0, media=MediaFolders((tmp_path,)))
    board.resize(320, 240)
    qtbot.addWidget(board)
    board.show()
    yield board
    board.stop_all()


@pytest.fixture
def conversions(monkeypatch):
    """Every frame made a picture, by either way (ours or Qt's toImage): (thread ident, start,
    end); `delay` slows each one down."""
    from PySide6.QtMultimedia import QVideoFrame

    from ui import video_frames

    calls: list[tuple[int, float, float]] = []
    state = {"delay": 0.0}

    def timed(convert):
        def run(frame):
            start = time.monotonic()
            time.sleep(state["delay"])
            image = convert(frame)
            calls.append((threading.get_ident(), start, time.monotonic()))
            return image
        return run

    monkeypatch.setattr(video_frames, "to_picture", timed(video_frames.to_picture))
    monkeypatch.setattr(QVideoFrame, "toImage", timed(QVideoFrame.toImage))
    return calls, state


def video_item(tmp_path, name, seconds, color=(0, 160, 255)):
    path = write_video(tmp_path / name, seconds, color=color)
    return Item(1, name, f"https://example.com/{name}", kind="video", path=str(path))


def test_the_video_shows_and_no_picture_is_made_on_the_gui_thread(qtbot, board, tmp_path, conversions):
    calls, _ = conversions
    with qtbot.waitSignal(board.started, timeout=10000):
        board.play(Choice(item=video_item(tmp_path, "a.mp4", 1.5)))
    qtbot.wait(300)
    assert qimage_to_array(board.grab().toImage()).std() > 10  # the video's pixels, not black
    assert calls, "no frame was converted"
    assert {ident for ident, _, _ in calls}.isdisjoint({threading.main_thread().ident})


def test_a_slow_conversion_neither_stops_the_kiosk_nor_queues_frames(qtbot, board, tmp_path,
                                                                    conversions):
    from PySide6.QtCore import QTimer

    calls, state = conversions
    state["delay"] = 1.0  # a frame that takes a second (a busy GPU, a 4K clip on a small PC)
    ticks: list[float] = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    finished = []
    board.finished.connect(lambda item: finished.append(time.monotonic()))
    board.play(Choice(item=video_item(tmp_path, "slow.mp4", 2.0)))  # 50 frames
    qtbot.waitUntil(lambda: bool(finished), timeout=15000)
    board.stop_all()
    timer.stop()
    # The GUI thread kept answering while every conversion took a second.
    gaps = np.diff(ticks)
    assert len(calls) >= 2 and gaps.max() < 0.8
    # Only the newest frame waited: a handful of pictures for 50 frames, and none still being
    # made well after the end (a queue would take 50 s to drain).
    assert len(calls) <= 6
    assert max(end for _, _, end in calls) < finished[0] + 2.5


def test_a_picture_of_the_previous_item_never_shows_on_the_next(qtbot, board, tmp_path, conversions):
    calls, state = conversions
    state["delay"] = 0.4
    red = video_item(tmp_path, "red.mp4", 3.0, color=(0, 0, 220))  # BGR
    blue = Item(2, "blue", "https://example.com/blue", kind="video",
                path=str(write_video(tmp_path / "blue.mp4", 3.0, color=(220, 0, 0))))
    with qtbot.waitSignal(board.started, timeout=10000):
        board.play(Choice(item=red))
    # Blue loads while red frames still convert (one always is, at 0.4 s each): those pictures
    # come back after blue's first and must be dropped, and red must not starve blue's.
    with qtbot.waitSignal(board.started, timeout=10000) as blocker:
        board.play(Choice(item=blue))
    assert blocker.args[0] is blue
    for _ in range(5):  # the screen, sampled while blue plays and late red pictures arrive
        rgb = qimage_to_array(board.grab().toImage())
        centre = np.median(rgb[rgb.shape[0] // 2 - 20:rgb.shape[0] // 2 + 20].reshape(-1, 3), axis=0)
        assert centre[2] > 150 and centre[0] < 80, f"not blue on screen: {centre}"
        qtbot.wait(150)


# Published 8-bit video-range Y'CbCr of pure red, green and blue (ITU-R BT.709 and BT.601).
REFERENCE = {
    "bt709": {(255, 0, 0): (63, 102, 240), (0, 255, 0): (173, 42, 26), (0, 0, 255): (32, 240, 118)},
    "bt601": {(255, 0, 0): (81, 90, 240), (0, 255, 0): (145, 54, 34), (0, 0, 255): (41, 240, 110)},
}


def surface(width, height, pixel="Format_YUV420P", space=None, full=False):
    from PySide6.QtCore import QSize
    from PySide6.QtMultimedia import QVideoFrameFormat

    fmt = QVideoFrameFormat(QSize(width, height), getattr(QVideoFrameFormat.PixelFormat, pixel))
    if space:
        fmt.setColorSpace(getattr(QVideoFrameFormat.ColorSpace, space))
    if full:
        fmt.setColorRange(QVideoFrameFormat.ColorRange.ColorRange_Full)
    return fmt


@pytest.mark.parametrize(("fmt", "standard"), [
    (dict(width=1920, height=1080), "bt709"),  # untagged HD: BT.709, as players assume
    (dict(width=640, height=480), "bt601"),  # untagged SD: BT.601
    (dict(width=640, height=480, space="ColorSpace_BT709"), "bt709"),  # the file's word wins
    (dict(width=1920, height=1080, space="ColorSpace_BT601"), "bt601"),
])
def test_the_colour_matrix_gives_the_standards_colours(fmt, standard):
    import cv2

    from ui.video_frames import colour_matrix

    matrix = colour_matrix(surface(**fmt))
    for rgb, ycc in REFERENCE[standard].items():
        bgra = cv2.transform(np.array([[ycc]], np.uint8), matrix)[0, 0]
        assert np.abs(bgra[2::-1].astype(int) - rgb).max() <= 2, (standard, rgb, bgra)
        assert bgra[3] == 255
    black, white = (cv2.transform(np.array([[(y, 128, 128)]], np.uint8), matrix)[0, 0, :3]
                    for y in (16, 235))
    assert black.max() == 0 and white.min() == 255


def test_full_range_is_read_as_full_range():
    import cv2

    from ui.video_frames import colour_matrix

    matrix = colour_matrix(surface(640, 480, space="ColorSpace_BT601", full=True))
    grey = cv2.transform(np.array([[(16, 128, 128), (235, 128, 128)]], np.uint8), matrix)[0, :, 0]
    assert list(grey) == [16, 235]  # not stretched to black and white


def filled_frame(width, height, pixel, ycc):
    """A frame of one colour in `pixel`'s layout, with Qt's own plane strides (padding)."""
    from PySide6.QtMultimedia import QVideoFrame

    frame = QVideoFrame(surface(width, height, pixel))
    assert frame.map(QVideoFrame.MapMode.WriteOnly)
    y, cb, cr = ycc
    planes = {"Format_YUV420P": (y, cb, cr), "Format_YV12": (y, cr, cb),
              "Format_NV12": (y, (cb, cr)), "Format_NV21": (y, (cr, cb))}[pixel]
    for i, value in enumerate(planes):
        plane = np.frombuffer(frame.bits(i), np.uint8)
        if isinstance(value, tuple):
            plane.reshape(-1, 2)[:] = value
        else:
            plane[:] = value
    frame.unmap()
    return frame


@pytest.mark.parametrize("pixel", ["Format_YUV420P", "Format_YV12", "Format_NV12", "Format_NV21"])
@pytest.mark.parametrize("size", [(320, 240), (321, 241)])  # odd sizes: half-pixel chroma rows
def test_each_4_2_0_layout_gives_the_frame_s_colour(qapp, pixel, size):
    from ui.video_frames import to_picture

    for rgb, ycc in REFERENCE["bt601"].items():
        image = to_picture(filled_frame(*size, pixel, ycc))
        assert (image.width(), image.height()) == size
        pixels = qimage_to_array(image)
        assert np.abs(pixels.reshape(-1, 3).astype(int) - rgb).max() <= 2, (pixel, rgb)


def test_a_real_video_s_pictures_match_qt_s_own(qtbot, tmp_path):
    """Frames as FFmpeg decodes them (padded planes): the picture is Qt's toImage()'s but for
    the chroma's smoother upscaling at sharp edges."""
    from PySide6.QtCore import QUrl
    from PySide6.QtMultimedia import QMediaPlayer, QVideoSink

    from ui.video_frames import to_picture

    path = write_video(tmp_path / "sd.mp4", 1.0, size=(320, 240), color=(30, 120, 240))
    diffs = []

    def compare(frame):
        if frame.isValid() and len(diffs) < 10:
            ours, qts = qimage_to_array(to_picture(frame)), qimage_to_array(frame.toImage())
            diffs.append(np.abs(ours.astype(int) - qts))

    player, sink = QMediaPlayer(), QVideoSink()
    player.setVideoSink(sink)
    sink.videoFrameChanged.connect(compare)
    player.setSource(QUrl.fromLocalFile(str(path)))
    player.play()
    try:
        qtbot.waitUntil(lambda: len(diffs) >= 10, timeout=10000)
    finally:
        player.stop()
    every = np.stack(diffs)
    assert every.mean() < 1.0 and np.percentile(every, 99) <= 16


@pytest.mark.expect_log("converting them the slow way")
def test_a_frame_our_way_cannot_read_still_shows_and_is_told_once(qtbot, monkeypatch, caplog):
    from ui import video_frames

    def unreadable(*_args, **_kwargs):
        raise ValueError("plane 1 holds 0 bytes at 160 a row")

    monkeypatch.setattr(video_frames, "_plane", unreadable)
    thread = video_frames.frame_thread()
    pictures = []
    thread.worker.converted.connect(lambda _ticket, image: pictures.append(image),
                                    Qt.ConnectionType.DirectConnection)
    try:
        for ticket in (1, 2):
            thread.worker.submit(ticket, filled_frame(64, 48, "Format_YUV420P", (81, 90, 240)))
            qtbot.waitUntil(lambda t=ticket: len(pictures) == t, timeout=5000)
    finally:
        thread.stop()
    assert qimage_to_array(pictures[-1])[24, 32, 0] > 200  # red, by Qt's toImage()
    assert sum("slow way" in r.getMessage() for r in caplog.records) == 1

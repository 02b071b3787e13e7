"""The overlays tell a visitor the truth: the consent notice (its place, its text per privacy
mode, its privacy link), the QR card's call to action (tap only while a reader works), the demo
line (whom the item is for, never a guessed age); and the window itself: 1080p offscreen, quiet
stderr, the admin hotkey on a bare X server, the panel centred over the billboard."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

from cxkiosk.config import Settings
from cxkiosk.consent import DEFAULT_TEMPLATE, consent_notice
from cxkiosk.values import Choice, Item
from tests.media import write_image
from tests.test_billboard import qimage_to_array, wire
from tests.test_cli import ROOT, looks_like_content, run_main

CONTROLLER = "Example Motors Ltd"
PRIVACY = "https://example.com/privacy"
SCAN, TAP = "Scan with your phone camera", "Scan or tap your phone here"


@pytest.fixture
def board(qtbot, tmp_path):
    from cxkiosk.content.media import MediaFolders
    from ui.billboard import Billboard

    board = Billboard(slide_seconds=30.0, call_to_action=SCAN, tap_call_to_action=TAP,
                      media=MediaFolders((tmp_path,)))
    qtbot.addWidget(board)
    yield board
    board.stop_all()


def slide(tmp_path: Path, item_id: int = 1) -> Item:
    return Item(item_id, "Offer", f"https://example.com/offer/{item_id}", kind="slide",
                path=str(write_image(tmp_path / f"s{item_id}.png")), duration=30)


def notice_for(mode: str, **settings) -> str:
    notice = consent_notice(Settings(privacy=mode, consent_controller=CONTROLLER, privacy_link=PRIVACY,
                                     **settings))
    assert notice is not None
    return notice.text


# -- the consent notice ------------------------------------------------------------------------

@pytest.mark.expect_log("nothing playable")
def test_the_notice_keeps_its_place_with_an_empty_database(qtbot, board, tmp_path):
    """As the kiosk starts: the notice is set before the window shows; with nothing to play the
    fallback slide shows. The notice must sit along the bottom edge as it does over content."""
    board.set_notice(consent_notice(Settings(consent_controller=CONTROLLER)))
    board.resize(1280, 720)
    board.show()
    programme, _ = wire(board, [])  # an empty database: nothing playable
    programme.advance()
    qtbot.waitUntil(lambda: board.stack.currentWidget() is board.fallback, timeout=3000)
    empty = board.notice.geometry()
    assert (empty.left(), empty.bottom(), empty.width()) == (0, 719, 1280)
    assert empty.height() >= 720 // 45 * 2  # at least two lines of legible text
    with qtbot.waitSignal(board.started, timeout=5000):
        board.play(Choice(item=slide(tmp_path)))
    assert board.notice.geometry() == empty


@pytest.mark.parametrize("mode, leaves", [
    ("full", "sent to OpenAI"),
    ("local", "no picture leaves it"),
    ("thermal", "senses warmth only, never a picture"),
])
def test_the_notice_names_controller_purpose_and_storage_for_each_mode(mode, leaves):
    text = notice_for(mode)
    assert CONTROLLER in text
    assert "to pick what this screen shows" in text  # the purpose
    assert "Stored: " in text and "Never stored: pictures" in text
    assert leaves in text
    assert "example.com/privacy" in text
    assert "[" not in text and "]" not in text  # no bracketed developer string


def test_no_notice_when_nothing_senses():
    assert consent_notice(Settings(privacy="off")) is None


def test_an_old_custom_text_keeps_the_facts_and_braces_stay_text():
    """A settings.json from before the template: its wording first, then every fact it lacks.
    An operator's braces are never run as Python format fields."""
    text = notice_for("full", consent_text="We count visitors. {x.__class__} {0}")
    assert text.startswith("We count visitors. {x.__class__} {0}")
    assert f"Responsible: {CONTROLLER}." in text and "sent to OpenAI" in text
    assert "Stored: " in text and "Privacy notice: example.com/privacy." in text


def test_a_plain_http_privacy_link_is_refused():
    notice = consent_notice(Settings(privacy_link="http://example.com/privacy"))
    assert notice is not None and notice.link == ""
    assert "ask the staff" in notice.text
    assert Settings().consent_text == "" and "{controller}" in DEFAULT_TEMPLATE


def test_the_notice_shows_a_qr_code_of_the_privacy_link(qtbot, board):
    board.set_notice(consent_notice(Settings(consent_controller=CONTROLLER, privacy_link=PRIVACY)))
    board.resize(1920, 1080)
    board.show()
    assert board.notice.code.isVisible()
    pixels = qimage_to_array(board.notice.code.pixmap().toImage())
    decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR))
    assert decoded == PRIVACY
    assert board.notice.text.font().pixelSize() >= 1080 // 45
    assert CONTROLLER in board.notice.text.text()


# -- the QR card's call to action ---------------------------------------------------------------

def test_the_call_to_action_offers_tap_only_while_a_reader_works(qtbot, board, tmp_path):
    board.resize(1280, 720)
    board.show()
    with qtbot.waitSignal(board.started, timeout=5000):
        board.play(Choice(item=slide(tmp_path)))
    assert board.qr.caption.text() == SCAN  # no reader has said it works
    board.set_reader_working(True)
    assert board.qr.caption.text() == TAP
    board.set_reader_working(False)
    assert board.qr.caption.text() == SCAN


@pytest.mark.timeout(60)
@pytest.mark.expect_log("no reader on usb")
def test_the_call_to_action_follows_the_nfc_reader_live(qtbot, board, tmp_path, monkeypatch):
    """The real NFC worker on its thread: a reader opens (tap offered), is unplugged (nfcpy's
    connect() gives False on an I/O error, then the device is gone), and the card says scan."""
    import cxkiosk.push.nfc as kiosk_nfc
    from cxkiosk.runtime.nfc import NfcWorker
    from cxkiosk.runtime.threads import WorkerThread
    from tests.nfc_helpers import free_udp_port

    real_open = kiosk_nfc.open_frontend
    unplugged = [False]

    def reader(path):
        if unplugged[0]:
            raise kiosk_nfc.ReaderMissing(f"no reader on {path}: No such device")
        clf = real_open(f"udp:127.0.0.1:{free_udp_port()}")
        connect = clf.connect

        def plugged_connect(**options):
            if unplugged[0]:
                return False  # what nfcpy's connect() gives on the I/O error of an unplug
            waiting = options["terminate"]
            return connect(**{**options, "terminate": lambda: unplugged[0] or waiting()})

        clf.connect = plugged_connect
        return clf

    monkeypatch.setattr(kiosk_nfc, "open_frontend", reader)
    monkeypatch.setattr(kiosk_nfc, "BACKOFF", (0.05, 0.1))
    board.resize(1280, 720)
    board.show()
    with qtbot.waitSignal(board.started, timeout=5000):
        board.play(Choice(item=slide(tmp_path)))
    worker = NfcWorker("usb", "write")
    worker.set_link("https://example.com/offer/1", 1, "Offer")
    worker.reader.connect(board.set_reader_working)
    thread = WorkerThread(worker, "nfc")
    thread.start()
    try:
        qtbot.waitUntil(lambda: board.qr.caption.text() == TAP, timeout=10000)
        unplugged[0] = True
        qtbot.waitUntil(lambda: board.qr.caption.text() == SCAN, timeout=10000)
    finally:
        assert thread.stop(5)


# -- the demo line -----------------------------------------------------------------------------

def test_the_demo_line_names_the_segment_legibly_and_never_an_age(qtbot, board, tmp_path):
    board.set_reasons_visible(True)
    board.resize(1920, 1080)
    board.show()
    choice = Choice(item=slide(tmp_path), trigger="targeted", audience_summary="1 person: female 34",
                    reasons=("female matches", "age 34 in 25-55"), made_for="women 25–55, suit")
    with qtbot.waitSignal(board.started, timeout=5000):
        board.play(choice)
    assert board.reasons.isVisible()
    assert board.reasons.text() == "for: women 25–55, suit"
    assert "34" not in board.reasons.text()
    # Legible from 2 m on a 1080p screen: type at least 1/40 of the screen height (27 px).
    assert board.reasons.font().pixelSize() >= 1080 // 40
    assert board.reasons.height() >= 1080 // 40


def test_the_selector_says_whom_an_item_is_made_for(db):
    from cxkiosk.content.database import Content
    from cxkiosk.content.selection import Selector
    from cxkiosk.values import Audience, Person

    Content.create(title="Suits", kind="web", url="https://example.com/suits", genders="female",
                   age_min=25, age_max=55, keywords="suit")
    visitor = Audience(count=1, people=(Person(gender="female", age=34, clothing="suit"),), source="test")
    choice = Selector().choose(visitor)
    assert choice is not None and choice.made_for == "women 25–55, suit"


# -- the window ------------------------------------------------------------------------------------

def test_offscreen_screenshot_is_1080p_and_stderr_stays_quiet(tmp_path):
    """The shipped content plays a local video: FFmpeg's "Input #0" block and QtMultimedia's
    PipeWire probe go to the log (with -v, at DEBUG), not to stderr."""
    from cxkiosk.content import database

    db = tmp_path / "content.db"
    database.open_database(str(db))
    database.Content.create(title="Film", kind="video", url="https://example.com/film",
                            path="media/welcome.mp4")
    database.close_database()
    data, shot = tmp_path / "kiosk", tmp_path / "shot.png"
    result = run_main("-v", "--data-dir", str(data), "--db", str(db), "--source", "none", "--nfc", "none",
                      "--screenshot", str(shot), "--quit-after", "5")
    assert result.returncode == 0, result.stderr[-2000:]
    image = cv2.imread(str(shot))
    assert image.shape[:2] == (1080, 1920)
    looks_like_content(shot)
    log = (data / "logs" / "cxkiosk.log").read_text()
    assert "playing item" in log
    assert "Input #0" not in result.stderr and "pipewire" not in result.stderr.lower()
    assert "DEBUG   cxkiosk.qt: ffmpeg: Input #0" in log
    assert "DEBUG   cxkiosk.qt: qt.multimedia.symbolsresolver" in log


def _send_keys(display: str, *keysyms: str) -> None:
    """Press and release keys as a keyboard would, through the X server's XTEST extension."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XStringToKeysym.restype = ctypes.c_ulong
    x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
    x11.XKeysymToKeycode.restype = ctypes.c_ubyte
    x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XFlush.argtypes = x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    dpy = x11.XOpenDisplay(display.encode())
    assert dpy, f"cannot open X display {display}"
    try:
        codes = [x11.XKeysymToKeycode(dpy, x11.XStringToKeysym(k.encode())) for k in keysyms]
        for code in codes:
            xtst.XTestFakeKeyEvent(dpy, code, True, 0)
        for code in reversed(codes):
            xtst.XTestFakeKeyEvent(dpy, code, False, 0)
        x11.XFlush(dpy)
    finally:
        x11.XCloseDisplay(dpy)


@pytest.mark.timeout(90)
def test_the_admin_hotkey_works_on_a_bare_x_server(tmp_path, xvfb):
    """Xvfb with no window manager: nobody focuses the billboard, so it must take the keyboard
    itself, also after a web view (here an HTML slide; a YouTube item alike) took it away when it
    first showed. The keys are real X key events (XTEST), as from a keyboard at the kiosk."""
    if not ctypes.util.find_library("Xtst"):
        pytest.skip("libXtst not installed (libxtst6, in .ci/debian-packages)")
    from cxkiosk.content import database

    data = tmp_path / "kiosk"
    (data / "media").mkdir(parents=True)
    (data / "media" / "page.html").write_text("<html><body style='background:#246'>Hello</body></html>")
    db = tmp_path / "content.db"
    database.open_database(str(db))
    database.Content.create(title="Page", kind="slide", url="https://example.com/p", path="page.html",
                            duration=60)
    database.close_database()
    log = data / "logs" / "cxkiosk.log"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": xvfb}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--data-dir", str(data), "--db", str(db),
                             "--source", "none", "--nfc", "none", "--quit-after", "25"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (log.exists() and "playing item" in log.read_text()):
            time.sleep(0.2)
        assert "playing item" in log.read_text()
        opened = False
        while time.monotonic() < deadline and not opened:
            _send_keys(xvfb, "Control_L", "Shift_L", "a")
            time.sleep(1.0)
            opened = "admin panel opened" in log.read_text()
        assert opened, "Ctrl+Shift+A did not open the admin panel"
    finally:
        proc.terminate()
        proc.wait(20)


def test_the_panel_opens_centred_over_the_billboard(qtbot, data_dir):
    from types import SimpleNamespace

    from cxkiosk.config import Paths
    from cxkiosk.content import database
    from cxkiosk.content.playlist import Playlist
    from cxkiosk.runtime.status import StatusBoard
    from ui.admin.opener import AdminOpener
    from ui.billboard import Billboard

    database.open_database(str(data_dir / "content.db"))
    try:
        billboard = Billboard()
        qtbot.addWidget(billboard)
        billboard.setGeometry(0, 0, 1920, 1080)
        billboard.show()
        runtime = SimpleNamespace(capture=None, nfc=None, selector=None)
        opener = AdminOpener(Paths.for_data_dir(data_dir), Settings(), billboard, Playlist([]), StatusBoard(),
                             runtime)
        opener.open()
        panel = opener.panel
        assert panel is not None and panel.isVisible()
        centre, middle = panel.geometry().center(), billboard.geometry().center()
        assert abs(centre.x() - middle.x()) <= 1 and abs(centre.y() - middle.y()) <= 1
        assert panel.geometry().top() > 0 and panel.geometry().left() > 0
        from PySide6.QtCore import Qt

        assert panel.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
        panel.close()
        qtbot.waitUntil(lambda: opener.panel is None, timeout=3000)
    finally:
        database.close_database()


def test_the_privacy_tab_edits_the_notice_with_a_live_preview(qtbot):
    from ui.admin.privacy import PrivacyPage

    page = PrivacyPage()
    qtbot.addWidget(page)
    page.load(Settings(privacy="full"))
    assert page.consent.toPlainText() == DEFAULT_TEMPLATE  # the built-in wording, to edit
    page.controller.setText(CONTROLLER)
    assert CONTROLLER in page.preview.text.text() and "OpenAI" in page.preview.text.text()
    page.radios["local"].setChecked(True)
    assert "no picture leaves it" in page.preview.text.text()
    page.privacy_link.setText("http://example.com/privacy")
    assert "refused" in page.link_check.text() and page.preview.code.isHidden()
    page.privacy_link.setText(PRIVACY)
    assert not page.preview.code.isHidden()
    page.scan_text.setText("Scan me")
    saved = Settings()
    page.apply(saved)
    assert (saved.consent_controller, saved.privacy_link, saved.qr_call_to_action) == (CONTROLLER, PRIVACY,
                                                                                      "Scan me")
    assert saved.consent_text == ""  # unchanged wording follows the built-in template

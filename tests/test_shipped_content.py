"""The content a kiosk ships with, as a visitor and an operator meet it: a full local loop with
no network, slides and clips legible from 2 m, clips every platform plays, and links that open
the showroom's own page once `showroom_page` is set (and no wrong QR code before)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from cxkiosk.config import Settings, problem
from cxkiosk.content import database
from cxkiosk.content.media import MediaFolders
from cxkiosk.links import STORABLE, LinkError, LinkPolicy
from cxkiosk.push.links import checked_link, pushed_link, qr_link
from cxkiosk.values import Choice, Item
from tests.test_cli import run_main

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
FONT = RESOURCES / "slides" / "fonts" / "Montserrat-Regular.ttf"

# Legibility rule of thumb: a capital letter at least viewing distance / 200 tall (10 mm at 2 m).
# A 55" 16:9 screen, typical in a showroom, is 680 mm tall for 1080 px: 10 mm is 15.9 px.
DISTANCE_MM, SCREEN_HEIGHT_MM, SCREEN_HEIGHT_PX = 2000, 680, 1080
MIN_CAP_PX = DISTANCE_MM / 200 / (SCREEN_HEIGHT_MM / SCREEN_HEIGHT_PX)


@pytest.fixture(scope="module")
def shipped_items():
    database.open_database(str(ROOT / "content.db"), readonly=True)
    try:
        items = [row.to_item() for row in database.Content.select().order_by(database.Content.id)]
    finally:
        database.close_database()
    return items


# --- the loop ---------------------------------------------------------------------------------------


def test_with_no_network_the_idle_loop_is_still_full_and_varied():
    """YouTube drops out offline: the local items alone must make a loop worth watching."""
    database.open_database(str(ROOT / "content.db"), readonly=True)
    try:
        idle = database.playlist()
    finally:
        database.close_database()
    local = [i for i in idle if i.kind in ("video", "slide")]
    assert 6 <= len(local) <= 8
    assert {i.kind for i in local} == {"video", "slide"}
    assert len({i.path for i in local}) == len(local)  # no item twice
    media = MediaFolders.shipped()
    for item in local:
        media.resolve(item.path)  # every file is shipped and allowed
    slides = [i for i in local if i.kind == "slide"]
    assert all(i.path.endswith(".html") for i in slides)  # sharp at any size, not a bitmap
    # Two clips never follow each other, so the loop alternates motion and calm.
    kinds = [i.kind for i in local]
    assert all(not (a == b == "video") for a, b in zip(kinds, kinds[1:], strict=False))


def test_no_shipped_link_points_at_a_placeholder_site(shipped_items):
    for item in shipped_items:
        assert "example." not in item.url
        assert item.kind == "youtube" or item.url.startswith("/"), item


# --- showroom links -------------------------------------------------------------------------------------

SHOP = "https://shop.halden.example/showroom"


def test_a_showroom_path_opens_on_the_showroom_page_once_it_is_set():
    item = Item(3, "Offers", "/offers?from=kiosk", kind="slide", path="slides/offers.html")
    settings = Settings(showroom_page=SHOP + "/")
    assert pushed_link(item, settings) == SHOP + "/offers?from=kiosk"
    settings.utm_tags = True
    assert qr_link(item, settings, "abcd") == SHOP + "/offers?from=kiosk&utm_source=kiosk&utm_content=3-abcd"
    # Absolute links are untouched by the setting.
    other = Item(4, "Film", "https://www.youtube.com/watch?v=aqz-KE-bpKQ", kind="youtube")
    assert pushed_link(other, Settings(showroom_page=SHOP)) == other.url


def test_without_showroom_page_a_showroom_item_plays_with_no_code(shipped_items):
    from cxkiosk.content.selection import Selector

    item = Item(3, "Offers", "/offers", kind="slide", path="slides/offers.html")
    assert qr_link(item, Settings()) == ""  # no QR code and no tag rather than a wrong one
    with pytest.raises(LinkError, match="showroom_page"):
        pushed_link(item, Settings())
    assert LinkPolicy().resolve("/offers") == ""
    assert Selector.from_settings(Settings())._allowed(item)  # it still plays
    assert LinkPolicy.allowing("", SHOP).resolve("/offers") == SHOP + "/offers"


@pytest.mark.parametrize("page, words", [
    ("http://shop.example.com", "https"), ("https://shop.example.com/?store=3", "query"),
    ("https://localhost/", "this machine"), ("/offers", "https"),
])
def test_a_bad_showroom_page_is_refused_by_name(page, words):
    assert words in problem("showroom_page", page) and "showroom_page" in problem("showroom_page", page)
    assert LinkPolicy.allowing("", page).resolve("/offers") == ""  # never a half-made link
    assert problem("showroom_page", "https://shop.example.com/showroom/") == ""


def test_a_showroom_path_is_checked_like_any_link_and_never_pushed_bare():
    with pytest.raises(LinkError, match="hidden or control"):
        LinkPolicy().stored("/off\u202eers")
    with pytest.raises(LinkError, match="spaces"):
        STORABLE.check("/two words")
    assert STORABLE.check("/offers#top") == "/offers#top"  # the database keeps the path
    assert LinkPolicy().stored("/offers") == "/offers"  # so does import
    with pytest.raises(LinkError, match="showroom_page"):  # a tag never gets a bare path
        checked_link("/offers")
    with pytest.raises(LinkError):  # "//host" is another host, not a path
        LinkPolicy.allowing("", SHOP).resolve("//evil.example/offers")


def test_check_says_in_one_line_to_set_showroom_page(tmp_path):
    done = run_main("check", "--data-dir", str(tmp_path), "--source", "none", "--nfc", "none", "--no-network")
    lines = [line for line in done.stdout.splitlines() if "showroom_page" in line]
    assert len(lines) == 1 and "items link to pages of your showroom" in lines[0]
    (tmp_path / "settings.json").write_text(json.dumps({"showroom_page": SHOP}))
    done = run_main("check", "--data-dir", str(tmp_path), "--source", "none", "--nfc", "none", "--no-network")
    assert "showroom_page" not in done.stdout


def test_select_prints_the_link_the_phone_gets(tmp_path):
    audience = json.dumps({"count": 1, "people": [{"gender": "male", "age": 45, "clothing": "suit"}]})
    done = run_main("select", "--audience", audience, "--data-dir", str(tmp_path),
                    env={"CXKIOSK_SHOWROOM_PAGE": SHOP})
    out = json.loads(done.stdout)
    assert (out["title"], out["url"]) == ("Executive Line", SHOP + "/executive")
    done = run_main("select", "--audience", audience, "--data-dir", str(tmp_path / "unset"))
    assert json.loads(done.stdout)["url"] == ""  # no page set: nothing a phone could open


# --- legibility -----------------------------------------------------------------------------------------


def _cap_height_em() -> float:
    from PySide6.QtGui import QRawFont

    raw = QRawFont(str(FONT), 1000)
    assert raw.isValid()
    return raw.capHeight() / 1000


TEXT_NODES = """(() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode, text = node.textContent.trim();
    if (!text) continue;
    const el = node.parentElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
    out.push({text: text.slice(0, 40), size: parseFloat(style.fontSize), family: style.fontFamily,
              left: box.left, top: box.top, right: box.right, bottom: box.bottom});
  }
  return JSON.stringify({texts: out, width: innerWidth, height: innerHeight,
                         montserrat: document.fonts.check("600 24px Montserrat")
                                     && [...document.fonts].some(f => f.status === "loaded")});
})()"""


def _slides():
    return sorted((RESOURCES / "slides").glob("*.html"))


@pytest.mark.parametrize("slide", _slides(), ids=lambda p: p.name)
def test_every_slide_is_legible_from_2_m_on_a_1080p_screen(qtbot, slide):
    """Rule: a capital letter at least 1/200 of the viewing distance tall. From 2 m that is 10 mm;
    on a 55" 1080p screen (680 mm tall) 15.9 px; with Montserrat's capitals 0.70 em tall, a font
    size of at least 22.7 px. The slide is played by the billboard at 1920x1080 and every text
    node's computed font size is read; text must also stay on screen, out of the bottom 14% where
    the consent notice runs whenever a camera is on (four lines at H/45 and its margins), and clear
    of the QR card above it (or in the corner, with no notice)."""
    from ui.billboard import Billboard

    board = Billboard(load_timeout=10.0, media=MediaFolders.shipped())
    board.resize(1920, 1080)
    qtbot.addWidget(board)
    board.show()
    try:
        item = Item(1, slide.stem, "", kind="slide", path=f"slides/{slide.name}", duration=60)
        with qtbot.waitSignal(board.started, timeout=15000):
            board.play(Choice(item))
        qtbot.wait(1600)  # the entrance animations end within 1.4 s
        results: list = []
        board.current[1].page.runJavaScript(TEXT_NODES, 0, results.append)
        qtbot.waitUntil(lambda: bool(results), timeout=10000)
    finally:
        board.stop_all()
    found = json.loads(results[0])
    assert (found["width"], found["height"]) == (1920, 1080)
    assert found["montserrat"], "the shipped font did not load from the slide's folder"
    min_size = MIN_CAP_PX / _cap_height_em()
    assert found["texts"]
    qr_corner = 1080 * 0.22 + 120  # the code, its call to action and margins, bottom right
    notice_band = 1080 * 0.14
    for text in found["texts"]:
        assert text["bottom"] <= 1080 - notice_band, ("under the consent notice", text)
        beside_qr = text["right"] > 1920 - qr_corner and text["bottom"] > 1080 - qr_corner - notice_band
        assert not beside_qr, text
        assert text["size"] >= min_size, (slide.name, text["text"], text["size"], round(min_size, 1))
        assert text["family"].startswith('"Montserrat"') or text["family"].startswith("Montserrat")
        assert text["left"] >= 0 and text["right"] <= 1920 and text["bottom"] <= 1080, text
        assert not (text["right"] > 1920 - qr_corner and text["bottom"] > 1080 - qr_corner), text


def test_text_burned_into_the_clips_obeys_the_same_rule(monkeypatch):
    """make_media.py draws every clip with four text sizes; each must draw capitals at least
    MIN_CAP_PX tall in the shipped font, and the script's own constant must be this rule's."""
    from PySide6.QtGui import QRawFont

    spec = importlib.util.spec_from_file_location("make_media", RESOURCES / "make_media.py")
    make_media = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_media", make_media)  # its dataclasses look it up
    spec.loader.exec_module(make_media)
    assert make_media.MIN_CAP_PX >= MIN_CAP_PX
    make_media.check_legibility()  # Pillow's own measure of each size
    for weight in ("Light", "Regular", "SemiBold"):
        path = RESOURCES / "slides" / "fonts" / f"Montserrat-{weight}.ttf"
        sizes = (make_media.SIZE_BRAND, make_media.SIZE_KICKER, make_media.SIZE_TITLE, make_media.SIZE_SUB)
        for size in sizes:
            assert QRawFont(str(path), size).capHeight() >= MIN_CAP_PX, (weight, size)


def test_the_font_ships_with_its_licence():
    fonts = RESOURCES / "slides" / "fonts"
    licence = (fonts / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in licence and "Montserrat Project Authors" in licence
    assert "Montserrat" in (RESOURCES / "NOTICES-fonts.txt").read_text(encoding="utf-8")


# --- the clips -------------------------------------------------------------------------------------------


def _clips():
    return sorted((RESOURCES / "media").glob("*.mp4"))


def test_the_clips_are_h264_and_small():
    total = 0
    for clip in _clips():
        head = clip.read_bytes()
        total += len(head)
        assert b"avc1" in head and b"avcC" in head, f"{clip.name} is not H.264"
        assert head.index(b"moov") < head.index(b"mdat"), f"{clip.name} is not fast-start"
    assert len(_clips()) == 6 and total < 3 * 1024 * 1024


@pytest.mark.parametrize("clip", _clips(), ids=lambda p: p.name)
def test_each_clip_plays_to_the_end_at_720p_in_qtmultimedia(qtbot, clip):
    """720p, upscaled to the screen: at 1080p the billboard's frame path (each frame to an image
    on the GUI thread) took seconds to show a clip's first frame here (see make_media.py)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtMultimedia import QMediaPlayer, QVideoSink

    player, sink = QMediaPlayer(), QVideoSink()
    player.setVideoSink(sink)
    sizes = []
    sink.videoFrameChanged.connect(lambda f: sizes.append((f.width(), f.height())) if f.isValid() else None)
    ended = []
    end = QMediaPlayer.MediaStatus.EndOfMedia
    player.mediaStatusChanged.connect(lambda status: ended.append(status) if status == end else None)
    errors = []
    player.errorOccurred.connect(lambda *a: errors.append(a))
    player.setSource(QUrl.fromLocalFile(str(clip)))
    player.setPlaybackRate(4.0)
    player.play()
    try:
        qtbot.waitUntil(lambda: bool(ended) or bool(errors), timeout=30000)
    finally:
        player.stop()
    assert not errors and ended
    assert len(sizes) > 10 and set(sizes) == {(1280, 720)}
    assert 7000 <= player.duration() <= 9000


def test_the_shipped_content_exports_and_imports_with_its_showroom_paths(tmp_path):
    """An operator who exports the shipped content to CSV and imports it into another kiosk
    gets the same relative links, whatever that kiosk's showroom_page is."""
    from cxkiosk.content import transfer

    source, csv = tmp_path / "shipped.db", tmp_path / "content.csv"
    source.write_bytes((ROOT / "content.db").read_bytes())
    database.open_database(str(source))
    try:
        transfer.export_file(csv)
        shipped = {row["title"]: row["url"] for row in transfer.export_rows()}
    finally:
        database.close_database()
    database.open_database(str(tmp_path / "other.db"))
    try:
        result = transfer.import_file(csv, LinkPolicy.allowing(""))
        imported = {row.title: row.url for row in database.Content.select()}
    finally:
        database.close_database()
    assert not result.errors, result.errors
    assert imported == shipped and imported["This week's offers"] == "/offers"

"""The whole chain, live, as a showroom would see it: a real kiosk process under a real X server,
a video of a visitor walking up, a model server on loopback answering with a profile, and an
NFC tag emulated with nfcpy's udp driver. Asserts what a visitor and an operator would notice."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import ndef
import pytest

from cxkiosk.content import database
from cxkiosk.push.nfc import Type3TagMemory
from tests.fake_openai import FakeOpenAI, json_reply
from tests.nfc_helpers import emulated_tag

ROOT = Path(__file__).resolve().parent.parent
VISITOR_CLIP = ROOT / "resources" / "demo" / "visitor.mp4"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".ppm", ".pgm", ".tif", ".tiff"}
TARGET_LINK = "https://example.com/executive?ref=kiosk"


def image_files(*folders: Path) -> set[Path]:
    found = set()
    for folder in folders:
        if folder.exists():
            found |= {p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES}
    return found


def watch_tag(memory: Type3TagMemory, links: list[str], stop: threading.Event) -> None:
    """Be a phone tapping every 50 ms: note each distinct link the tag holds, in order."""
    while not stop.wait(0.05):
        try:
            records = list(ndef.message_decoder(memory.ndef_data))
        except Exception:  # mid-write: the next look sees the finished message
            continue
        # .iri is the text on the tag as a phone opens it (ndeflib's .uri percent-encodes '=').
        link = getattr(records[0], "iri", None) if records else None
        if link and (not links or links[-1] != link):
            links.append(link)


def seed_database(path: Path) -> tuple[int, int]:
    """An idle slide and a video targeted at men 40-60 (the model will say: male, 45)."""
    database.open_database(str(path))
    try:
        idle = database.Content.create(title="Idle film", kind="video", url="https://example.com/idle",
                                       path=str(ROOT / "resources" / "media" / "welcome.mp4"), idle=True)
        target = database.Content.create(title="Executive Line", kind="video", url=TARGET_LINK,
                                         path=str(ROOT / "resources" / "media" / "executive.mp4"),
                                         idle=False, genders="male", age_min=40, age_max=60)
        return idle.id, target.id
    finally:
        database.close_database()


@pytest.mark.timeout(150)
def test_visitor_walks_up_targeted_item_plays_and_its_link_is_on_the_tag(tmp_path, xvfb):
    data = tmp_path / "kiosk"
    data.mkdir()
    db = data / "content.db"
    _, target_id = seed_database(db)
    private_tmp = tmp_path / "tmp"  # the kiosk's own temp folder, so nothing else writes there
    private_tmp.mkdir()
    memory = Type3TagMemory(writable=True, blocks=16)
    profile = {"count": 1, "people": [{"gender": "male", "age": 45, "glasses": False, "hair": "short",
                                        "clothing": "suit", "facing": True}]}
    with FakeOpenAI() as server, emulated_tag(memory) as tag_path:
        server.script(*[json_reply(profile)] * 10)
        # No holdout: this visitor must be targeted (the holdout has tests of its own).
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": xvfb, "TMPDIR": str(private_tmp),
               "CXKIOSK_HOLDOUT_SHARE": "0"}
        links, watching = [], threading.Event()
        watcher = threading.Thread(target=watch_tag, args=(memory, links, watching), daemon=True)
        watcher.start()
        result = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "run", "--data-dir", str(data), "--db", str(db),
             "--source", f"file:{VISITOR_CLIP}", "--privacy", "full", "--provider", "custom",
             "--base-url", server.base_url, "--model", "test-vlm", "--nfc", tag_path,
             "--screenshot", str(tmp_path / "shot.png"), "--quit-after", "14"],
            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
        requests = list(server.requests)
        watching.set()
        watcher.join(2)
    assert result.returncode == 0, result.stderr[-3000:]
    log = (data / "logs" / "cxkiosk.log").read_text()

    # The model was asked with an image of the visitor, once or twice for the visit, not per frame.
    assert 1 <= len(requests) <= 3, f"{len(requests)} model calls"
    # The billboard started the targeted item.
    assert f"playing item {target_id} 'Executive Line'" in log
    # Start-up's objects were frozen out of the garbage collector's walks (short full collections).
    frozen = re.search(r"(\d+) start-up objects frozen", log)
    assert frozen and int(frozen.group(1)) > 50_000, "no start-up freeze in the log"
    # While the targeted item played, the tag held exactly its link (and the idle item's around it).
    assert TARGET_LINK in links, links
    # The logs hold the visit and the play, with anonymous attributes only.
    database.open_database(str(db))
    try:
        plays = list(database.PlayLog.select().where(database.PlayLog.item == target_id))
        assert plays and plays[0].trigger == "targeted"
        visits = list(database.AudienceLog.select())
        assert visits and visits[0].count >= 1 and "test-vlm" in visits[0].provider
        assert "male" in visits[0].people and "ethnicity" not in visits[0].people
        taps = list(database.TapLog.select().where(database.TapLog.item == target_id))
        assert taps, "the NFC write was not logged"
    finally:
        database.close_database()
    # No frame was written anywhere: not in the data folder, the working folder or the temp folder.
    assert image_files(data) == set()
    assert image_files(tmp_path) == {tmp_path / "shot.png"}  # the working folder and its temp folder


def test_demo_mode_switches_to_a_targeted_item_with_reasons(tmp_path):
    """`--demo` with no camera and no key: the shipped clip, local profiling, a visible switch."""
    shot = tmp_path / "demo.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--demo", "--windowed", "--nfc", "none",
         "--data-dir", str(tmp_path / "kiosk"), "--screenshot", str(shot), "--quit-after", "9"],
        capture_output=True, text=True, timeout=90, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert time.monotonic() - start < 60
    log = (tmp_path / "kiosk" / "logs" / "cxkiosk.log").read_text()
    assert "cxkiosk.chain: targeting 1 person" in log
    assert "loading targeted item" in log


def test_thermal_privacy_never_opens_a_camera_source_nor_sends_its_pictures(tmp_path):
    """Privacy mode thermal promises 'infrared sensor only; no camera image'. Given a camera-like
    source (here the visitor clip) by mistake, the kiosk plays on but takes no picture at all."""
    # In settings.json: given on the command line, `run` refuses the pair (exit 2) before it starts.
    (tmp_path / "kiosk").mkdir()
    (tmp_path / "kiosk" / "settings.json").write_text(json.dumps(
        {"source": f"file:{VISITOR_CLIP}", "privacy": "thermal"}))
    with FakeOpenAI() as server:
        server.script(*[json_reply({"count": 1, "people": []})] * 5)
        result = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "--windowed", "--data-dir", str(tmp_path / "kiosk"),
             "--provider", "custom", "--base-url", server.base_url, "--model", "m", "--nfc", "none",
             "--quit-after", "7"],
            capture_output=True, text=True, timeout=90, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            cwd=tmp_path)
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr[-3000:]
    assert requests == []
    log = (tmp_path / "kiosk" / "logs" / "cxkiosk.log").read_text()
    assert "privacy mode thermal uses an infrared sensor only" in log and "is not opened" in log
    assert "targeting" not in log and "video visitor.mp4 playing" not in log

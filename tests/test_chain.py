"""The chain's decisions: a visit plays the chosen item at once, the model's answer (or its
silence) decides in full mode, a next-best item plays when the best cannot, links follow."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cxkiosk.config import Privacy, Settings
from cxkiosk.content.media import MediaFolders
from cxkiosk.content.playlist import Playlist
from cxkiosk.profiling.client import ClassifyResult
from cxkiosk.runtime.chain import KioskChain
from cxkiosk.runtime.classifier import ClassifiedVisit
from cxkiosk.runtime.programme import Programme
from cxkiosk.values import Audience, AudienceChanged, Choice, Item, Person, VisitEnded, Visitor, VisitStarted

IDLE = Item(1, "Idle", "https://example.com/idle", kind="video", path="idle.mp4")
STYLE = Item(2, "Style", "https://example.com/style", kind="video", path="style.mp4")
BRAND = Item(3, "Brand film", "https://www.youtube.com/watch?v=aqz-KE-bpKQ", kind="youtube")
FEMALE = Audience(count=1, people=(Person(gender="female", age=34, facing=True),), source="local")
MALE = Audience(count=1, people=(Person(gender="male", age=50, facing=True),), source="model:test")


def event(kind, visit_id=1, t=10.0, audience=FEMALE):
    visitor = Visitor(track_id=1, dwell=t - 5.0, attention=2.0, watched=True, present=kind is not VisitEnded,
                      box=(10, 10, 50, 50), facing=True)
    return kind(visit_id=visit_id, t=t, started=5.0, people=audience.count, visitors=(visitor,),
                audience=audience)


def chooser(audience, playable):
    """A stand-in selector: female -> STYLE, male -> BRAND (falls back to STYLE when unplayable)."""
    person = audience.primary()
    if person is None:
        return None
    if person.gender == "female":
        return Choice(item=STYLE, score=2, reasons=("female matches",))
    if playable(BRAND):
        return Choice(item=BRAND, score=2, reasons=("male matches",))
    return Choice(item=STYLE, score=1, reasons=("age 50 in 18-60",), chosen=BRAND)


@pytest.fixture
def setup(qapp):
    programme = Programme(Playlist([IDLE]), retry_seconds=60)
    played = []
    programme.play.connect(played.append)
    return programme, played


def test_local_mode_plays_the_chosen_item_at_once(setup):
    programme, played = setup
    chain = KioskChain(programme, chooser, privacy=Privacy("local"))
    chain.on_visit_event(event(VisitStarted))
    assert [c.item for c in played] == [STYLE]
    assert played[0].trigger == "targeted" and played[0].audience_summary == "1 person: female 34"


def test_full_mode_waits_for_the_model_and_drops_late_answers(setup, qtbot):
    programme, played = setup
    chain = KioskChain(programme, chooser, privacy=Privacy("full"))
    chain.on_visit_event(event(VisitStarted, visit_id=7))
    assert played == []  # waits: the capture thread sent the picture to the classifier itself
    # An answer for another (older) visit changes nothing.
    chain.on_classified(ClassifiedVisit(3, ClassifyResult(audience=MALE, provider="test", model="m")))
    assert played == []
    chain.on_classified(ClassifiedVisit(7, ClassifyResult(audience=MALE, provider="test", model="m",
                                                          latency_ms=420.0)))
    assert [c.item for c in played] == [BRAND]


def test_a_silent_model_falls_back_to_local_attributes(setup, qtbot):
    programme, played = setup
    chain = KioskChain(programme, chooser, privacy=Privacy("full"), model_wait=0.2)
    chain.on_visit_event(event(VisitStarted))
    qtbot.waitUntil(lambda: bool(played), timeout=3000)
    assert played[0].item == STYLE  # chosen on the local audience (female 34)


def test_best_item_unplayable_plays_next_best_and_pushes_the_best_link(setup):
    programme, played = setup
    pushed = []
    chain = KioskChain(programme, chooser, privacy=Privacy("local"),
                       playable=lambda item: item.kind != "youtube",
                       push_link=lambda choice: pushed.append(choice.pushed_item))
    chain.on_visit_event(event(VisitStarted, audience=MALE))
    choice = played[0]
    assert choice.item == STYLE and choice.chosen == BRAND
    assert any("Brand film cannot play here" in r for r in choice.reasons)
    programme.now_playing.connect(chain.on_now_playing)
    programme.on_started(STYLE)  # the billboard reports the first frame
    assert pushed == [BRAND]  # the phone gets what the screen could not show


def test_visit_end_logs_dwell_and_watchers_and_releases_the_classifier(setup):
    programme, _ = setup
    logged, over = [], []
    chain = KioskChain(programme, chooser, privacy=Privacy("local"),
                       log_visit=lambda ev, audience, provider, latency: logged.append(
                           (ev.dwell, ev.watchers, audience, provider)))
    chain.visit_over.connect(over.append)
    chain.on_visit_event(event(VisitStarted, visit_id=4, t=6.0))
    chain.on_visit_event(event(AudienceChanged, visit_id=4, t=8.0))
    chain.on_visit_event(event(VisitEnded, visit_id=4, t=20.0))
    assert over == [4]
    assert logged == [(15.0, 1, FEMALE, "local")]


def test_privacy_off_ignores_visits(setup):
    programme, played = setup
    chain = KioskChain(programme, chooser, privacy=Privacy("off"))
    chain.on_visit_event(event(VisitStarted))
    assert played == []


@pytest.mark.expect_log('failed: YouTube error')
def test_targeted_item_failing_on_screen_plays_the_next_best_and_keeps_its_link(setup):
    """YouTube refuses embedding (error 150) only when the item is tried: choose again at once."""
    programme, played = setup
    pushed = []
    chain = KioskChain(programme, chooser, privacy=Privacy("local"), playable=programme.playlist.healthy,
                       push_link=lambda choice: pushed.append(choice.pushed_item))
    # Connected before the programme's own handlers exist or after: order does not matter, the
    # programme says what it concluded and carries the choice.
    programme.choice_failed.connect(chain.on_choice_failed)
    programme.now_playing.connect(chain.on_now_playing)
    chain.on_visit_event(event(VisitStarted, audience=MALE))
    assert played[-1].item == BRAND
    programme.on_failed(BRAND, "YouTube error 150: owner does not allow embedding")
    retry = played[-1]
    assert retry.item == STYLE and retry.chosen == BRAND and retry.trigger == "targeted"
    programme.on_started(STYLE)
    assert pushed == [BRAND]


def test_qr_code_and_nfc_tag_carry_the_same_link_even_for_a_next_best_item(qtbot, tmp_path):
    """The screen plays the next-best item; its QR code and the tag both open the best one."""
    from cxkiosk.config import Settings
    from cxkiosk.push.links import pushed_link
    from tests.media import write_image
    from ui.billboard import Billboard

    settings = Settings(utm_tags=True, kiosk_id="hall-2")
    slide = Item(2, "Style", "https://example.com/style", kind="slide",
                 path=str(write_image(tmp_path / "s.png")), duration=5)
    board = Billboard(link_for=lambda choice: pushed_link(choice.pushed_item, settings),
                      media=MediaFolders((tmp_path,)))
    qtbot.addWidget(board)
    board.resize(640, 360)
    board.show()
    programme = Programme(Playlist([IDLE]), retry_seconds=60)
    programme.play.connect(board.play)
    board.started.connect(programme.on_started)
    tag = []
    chain = KioskChain(programme, lambda audience, playable: Choice(item=slide, chosen=BRAND, reasons=("x",)),
                       privacy=Privacy("local"),
                       push_link=lambda choice: tag.append(pushed_link(choice.pushed_item, settings)))
    programme.now_playing.connect(chain.on_now_playing)
    with qtbot.waitSignal(board.started, timeout=5000):
        chain.on_visit_event(event(VisitStarted, audience=MALE))
    expected = pushed_link(BRAND, settings)
    assert "utm_source=hall-2" in expected and "utm_content=3" in expected
    assert tag == [expected] and board.qr.link == expected
    board.stop_all()


@pytest.mark.parametrize("mode,kind,opens,local,sends", [
    ("full", "camera", True, True, True), ("full", "thermal", True, True, True),
    ("local", "camera", True, True, False), ("local", "file", True, True, False),
    ("thermal", "thermal", True, False, True), ("thermal", "camera", False, False, False),
    ("thermal", "file", False, False, False), ("off", "camera", False, False, False),
    ("off", "thermal", False, False, False), ("full", "none", False, True, False),
])
def test_the_privacy_value_decides_what_is_sensed_estimated_and_sent(mode, kind, opens, local, sends):
    privacy = Privacy.of(Settings(privacy=mode))
    assert privacy.allows_source(kind) is opens
    assert privacy.estimates_locally is local
    assert privacy.may_send(kind) is sends
    # A configured source that sensing is on for but the mode forbids is named, never silent.
    refused = mode == "thermal" and kind in ("camera", "file")
    assert bool(privacy.refusal(kind, f"{kind}:0")) is refused
    assert Privacy.of(Settings(privacy="bogus")).mode == "local"  # a broken setting is the safe one


def test_a_chain_in_thermal_mode_with_a_camera_ignores_visits(setup):
    programme, played = setup
    chain = KioskChain(programme, chooser, privacy=Privacy("thermal"), source_kind="camera")
    chain.on_visit_event(event(VisitStarted))
    assert played == [] and not chain.uses_model


@pytest.mark.expect_log('failed: YouTube error')
def test_the_programme_tells_what_plays_and_what_failed_with_the_choice_itself(setup):
    programme, played = setup
    seen = []
    programme.now_playing.connect(lambda choice: seen.append(("playing", choice)))
    programme.choice_failed.connect(lambda choice, reason: seen.append(
        ("failed", choice, reason, programme.playlist.healthy(choice.item))))
    targeted = Choice(item=BRAND, trigger="targeted", audience_summary="1 person: male 50")
    programme.targeted(targeted)
    programme.on_started(BRAND)
    playing = seen[0][1]
    assert seen == [("playing", replace(targeted, code=playing.code))]
    assert len(playing.code) == 8 and playing.code.isalnum()  # its own code, for its link and taps
    programme.on_failed(BRAND, "YouTube error 150")
    assert seen[-1] == ("failed", playing, "YouTube error 150", False)  # already marked unhealthy

"""Audience per play and the holdout: each play records who was there and who watched, a random
share of visits gets the idle loop instead of its targeted item, and both reach the database."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from cxkiosk.config import Privacy
from cxkiosk.content import database, records
from cxkiosk.content.playlist import Playlist
from cxkiosk.content.selection import segment_of
from cxkiosk.runtime.build import record_play
from cxkiosk.runtime.chain import KioskChain
from cxkiosk.runtime.programme import Programme
from cxkiosk.sensing.exposure import Exposure
from cxkiosk.values import (
    Audience,
    AudienceChanged,
    Choice,
    Item,
    Person,
    VisitEnded,
    Visitor,
    VisitProgress,
    VisitStarted,
)

IDLE_A = Item(1, "Idle A", "https://example.com/a", kind="video", path="a.mp4")
IDLE_B = Item(2, "Idle B", "https://example.com/b", kind="video", path="b.mp4")
TARGET = Item(3, "For women", "https://example.com/w", kind="video", path="w.mp4")
WOMAN = Audience(count=1, people=(Person(gender="female", age=31, facing=True),), source="local")


def visitor(track: int, attention: float, present: bool = True) -> Visitor:
    return Visitor(track_id=track, dwell=attention + 1, attention=attention, watched=attention > 0,
                   present=present, box=(0, 0, 40, 40), facing=True)


def ev(kind, visitors, visit=1, t=0.0, audience=WOMAN):
    return kind(visit_id=visit, t=t, started=0.0, people=sum(v.present for v in visitors),
                visitors=tuple(visitors), audience=audience)


def test_exposure_counts_who_was_there_and_who_watched_during_each_play():
    exposure = Exposure()
    exposure.observe(ev(VisitStarted, [visitor(1, 3.0)]))
    window = exposure.open()  # a play starts: visitor 1 has already watched 3 s of something else
    exposure.observe(ev(AudienceChanged, [visitor(1, 5.0), visitor(2, 0.0)]))  # 2 arrives, not facing
    exposure.observe(ev(VisitProgress, [visitor(1, 9.5), visitor(2, 0.0)]))
    exposure.observe(ev(AudienceChanged, [visitor(1, 9.5, present=False), visitor(2, 0.0)]))
    seen = exposure.close(window)
    assert (seen.ots, seen.watchers, seen.attention) == (2, 1, 6.5)  # only the 6.5 s during this play
    assert seen.mean_attention == 6.5
    after = exposure.open()  # the next play: 2 is still there, 1 has gone
    exposure.observe(ev(VisitEnded, [visitor(1, 9.5, False), visitor(2, 1.0, False)]))
    assert exposure.close(after) == type(seen)(ots=1, watchers=1, attention=1.0)


def test_segments_are_coarse():
    assert segment_of(WOMAN) == "female 25-34"
    assert segment_of(Audience(count=1, people=(Person(age=70),))) == "anyone 65+"
    assert segment_of(Audience(count=3, people=(Person(), Person(), Person()))) == "group of 3"
    assert segment_of(Audience()) == ""


def choose(audience, playable):
    return Choice(item=TARGET, score=2.0, reasons=("female matches",)) if audience.count else None


def make(qapp, share, seed=1):
    programme = Programme(Playlist([IDLE_A, IDLE_B]), exposure=Exposure())
    played = []
    programme.play.connect(played.append)
    chain = KioskChain(programme, choose, privacy=Privacy("local"), holdout_share=share,
                       rng=random.Random(seed))
    return programme, chain, played


def test_a_holdout_visit_plays_the_idle_loop_and_says_for_whom(qapp):
    programme, chain, played = make(qapp, share=1.0)
    chain.on_visit_event(ev(VisitStarted, [visitor(1, 0.0)]))
    assert [c.item for c in played] == [IDLE_A]
    assert played[0].trigger == "holdout" and played[0].segment == "female 25-34"
    chain.on_visit_event(ev(AudienceChanged, [visitor(1, 1.0)]))  # the same visit: no second holdout
    assert len(played) == 1


def test_targeted_visits_carry_their_segment_and_the_share_is_near_what_was_set(qapp):
    programme, chain, played = make(qapp, share=0.0)
    chain.on_visit_event(ev(VisitStarted, [visitor(1, 0.0)]))
    assert played[-1].item == TARGET and played[-1].trigger == "targeted"
    assert played[-1].segment == "female 25-34"
    programme, chain, played = make(qapp, share=0.1, seed=7)
    for visit in range(1, 1001):
        chain.on_visit_event(ev(VisitStarted, [visitor(visit, 0.0)], visit=visit))
        chain.on_visit_event(ev(VisitEnded, [visitor(visit, 0.0, False)], visit=visit))
    holdouts = sum(c.trigger == "holdout" for c in played)
    assert 70 <= holdouts <= 130  # 10% of 1000 visits, drawn at random per visit


def test_plays_reach_the_database_with_their_audience_segment_and_code(qapp, db):
    for item in (IDLE_A, IDLE_B, TARGET):
        database.Content.create(id=item.id, title=item.title, url=item.url, kind="web")
    clock = [datetime(2026, 12, 1, 10)]
    programme = Programme(Playlist([IDLE_A, IDLE_B]), record=record_play, exposure=Exposure(),
                          clock=lambda: clock[0])
    chain = KioskChain(programme, choose, privacy=Privacy("local"))
    programme.play.connect(lambda choice: programme.on_started(choice.item))
    codes = []
    programme.now_playing.connect(lambda choice: codes.append(choice.code))
    chain.on_visit_event(ev(VisitStarted, [visitor(1, 0.0), visitor(2, 0.0)]))
    chain.on_visit_event(ev(VisitProgress, [visitor(1, 4.0), visitor(2, 0.0)]))
    programme.caption_shown("not-this-play", "A stray caption")
    programme.caption_shown(codes[-1], "Pack light tonight.")  # the caption written for this play
    clock[0] += timedelta(seconds=12)
    records.log_tap(TARGET.id, "nfc-write", code=codes[-1])
    programme.on_finished(TARGET)
    row = database.PlayLog.get(database.PlayLog.item == TARGET.id)
    assert (row.trigger, row.segment) == ("targeted", "female 25-34")
    assert (row.ots, row.watchers, row.attention) == (2, 1, 4.0)
    assert row.code == codes[0] and len(row.code) == 8
    assert row.caption == "Pack light tonight."
    assert database.TapLog.get().code == row.code
    assert (row.end - row.start).total_seconds() == 12


@pytest.mark.parametrize("share", [-0.1, 0.9, float("nan")])
def test_the_holdout_share_is_bounded(share):
    from cxkiosk.config import Settings

    assert any("holdout_share" in p for p in Settings(holdout_share=share).validate())

"""The programme: turns billboard events into the next thing to play, and keeps proof of play.

Lives on the GUI thread (QtCore only); the billboard forwards `started/finished/failed`, this
answers with `play(Choice)` or `fallback()` and tells the rest of the kiosk `now_playing(Choice)`,
`choice_failed(Choice, reason)` and `health_changed(ItemHealth)`. A targeted choice interrupts at
once; the idle loop resumes after it. `retry(item_id)` is the operator's "Retry now".

Proof of play is written from an item's first frame: a "playing" record at once, the same again
with a newer end every STAMP_SECONDS, then the outcome (the store updates the one row), so a
power cut loses at most the last few seconds of what was on screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from cxkiosk.content.playlist import ItemHealth, Playlist
from cxkiosk.push.links import new_play_code
from cxkiosk.sensing.exposure import Exposure, PlayAudience, Window
from cxkiosk.values import Choice, Item, VisitEvent

log = logging.getLogger("cxkiosk.programme")

STAMP_SECONDS = 5.0  # how often the play on screen has its end written (one write each time)


@dataclass(frozen=True)
class PlayRecord:
    """One line of proof of play, handed to whatever stores it (the PlayLog table)."""

    item: Item
    chosen: Item  # what the selector chose; differs from item when the screen could not play it
    started: datetime | None
    ended: datetime
    outcome: str  # playing (on screen, `ended` its latest stamp) | completed | skipped | failed
    reason: str
    trigger: str  # idle | targeted | holdout
    audience: str
    segment: str = ""
    code: str = ""
    caption: str = ""  # the caption written for it, when one showed
    viewers: PlayAudience | None = None  # who saw it (None when nothing senses the room)
    stamp: bool = False  # a "playing" record again, with a later end: the row is only updated


class Programme(QObject):
    play = Signal(object)  # Choice: the billboard, load this
    fallback = Signal()
    # What the programme concluded, carrying the choice itself so no listener reads its state:
    now_playing = Signal(object)  # Choice now on screen (the billboard showed its first frame)
    choice_failed = Signal(object, str)  # Choice the screen could not play, reason; already
    # marked unhealthy and replaced by the idle loop, so choosing again skips it
    health_changed = Signal(object)  # ItemHealth: an item started failing, failed again,
    # was retried or plays again (the admin panel's Content tab follows it)

    def __init__(self, playlist: Playlist, record: Callable[[PlayRecord], None] | None = None,
                 retry_seconds: float = 30.0, clock: Callable[[], datetime] = datetime.now,
                 exposure: Exposure | None = None, stamp_seconds: float = STAMP_SECONDS) -> None:
        super().__init__()
        self.playlist = playlist
        self._record = record
        self._exposure = exposure  # who sees each play, from the visit events (None: no sensing)
        self._window: Window | None = None
        self._clock = clock
        self._asked: Choice | None = None  # asked the billboard to play, not started yet
        self._playing: Choice | None = None
        self._started_at: datetime | None = None
        self._retry = QTimer(self, singleShot=True)
        self._retry.setInterval(int(retry_seconds * 1000))
        self._retry.timeout.connect(self.advance)
        self._stamp = QTimer(self)  # the play on screen: its end, written again
        self._stamp.setInterval(int(stamp_seconds * 1000))
        self._stamp.timeout.connect(self._stamp_playing)

    @Slot()
    def advance(self) -> None:
        choice = self.playlist.next_choice()
        if choice is None:
            log.warning("nothing playable; showing the fallback slide, retrying in %d s",
                        self._retry.interval() // 1000)
            self._asked = None
            self.fallback.emit()
            self._retry.start()
            return
        self._retry.stop()
        self._asked = replace(choice, code=new_play_code())
        self.play.emit(self._asked)

    def stop(self) -> None:
        """The kiosk is closing: what is on screen goes into proof of play as cut short."""
        self._retry.stop()
        self._stamp.stop()
        if self._playing is not None:
            self._store(self._playing, "skipped", "kiosk stopped")
            self._playing = None

    def observe(self, event: VisitEvent) -> None:
        """A visit event from the tracker: who is in front of the screen, for proof of play."""
        if self._exposure is not None:
            self._exposure.observe(event)

    def caption_shown(self, code: str, text: str) -> None:
        """A caption written for the play with this code is on screen (proof of play keeps it)."""
        if self._playing is not None and self._playing.code == code and text:
            self._playing = replace(self._playing, caption=text)

    def holdout(self, segment: str, audience: str) -> None:
        """Play what the idle loop would have played for this visit, recorded as a holdout for
        `segment`: the comparison that tells what targeting is worth."""
        choice = self.playlist.next_idle()
        if choice is None:
            return
        self.playlist.interrupt(replace(choice, trigger="holdout", segment=segment,
                                        audience_summary=audience))
        self.advance()

    def targeted(self, choice: Choice) -> None:
        """Play this now (a visitor just arrived); the idle loop resumes after it."""
        if self._playing is not None and self._playing.item.id == choice.item.id:
            return  # already on screen: let it run rather than restart it
        self.playlist.interrupt(choice)
        self.advance()

    @Slot(object)
    def on_started(self, item: Item) -> None:
        if self._playing is not None:
            # Replaced before its end (a targeted interruption): proof of play says skipped.
            self._store(self._playing, "skipped", "interrupted by a newer choice")
        asked = (self._asked if self._asked and self._asked.item.id == item.id
                 else Choice(item=item, code=new_play_code()))  # a code: the row's own, see _store
        self._asked = None
        self._playing = asked
        self._started_at = self._clock()
        if self._exposure is not None:
            self._window = self._exposure.open()
        self._store(asked, "playing", "", ended=self._started_at)  # the row, from the first frame
        self._stamp.start()
        recovered = self.playlist.mark_ok(item)
        self.now_playing.emit(asked)
        if recovered:
            self.health_changed.emit(ItemHealth(item.id))

    @Slot(object)
    def on_finished(self, item: Item) -> None:
        if self._playing is not None and self._playing.item.id == item.id:
            self._store(self._playing, "completed", "")
            self._playing = None
            self._stamp.stop()
        self.advance()

    @Slot(object, str)
    def on_failed(self, item: Item, reason: str) -> None:
        health = self.playlist.mark_failed(item, reason)
        playing = self._playing is not None and self._playing.item.id == item.id
        choice = self._playing if playing and self._playing else (self._asked or Choice(item=item))
        started = self._started_at if playing else None
        self._store(choice, "failed", reason, started=started)
        if playing:
            self._playing = None
            self._stamp.stop()
        if playing or self._asked is None or self._asked.item.id == item.id:
            self.advance()
        self.choice_failed.emit(choice, reason)
        self.health_changed.emit(health)

    @Slot(int)
    def retry(self, item_id: int) -> None:
        """Make a failing item playable now; it plays next (at once if the fallback slide is
        up because nothing else could play)."""
        health = self.playlist.retry(item_id)
        self.health_changed.emit(health)
        if self._playing is None and self._asked is None:
            self.advance()

    def _stamp_playing(self) -> None:
        if self._playing is None:
            self._stamp.stop()
            return
        self._store(self._playing, "playing", "", stamp=True)

    def _store(self, choice: Choice, outcome: str, reason: str, started: datetime | None = None,
               stamp: bool = False, ended: datetime | None = None) -> None:
        if started is None and outcome != "failed":
            started = self._started_at
        viewers = None
        if (self._exposure is not None and self._window is not None and choice is self._playing
                and outcome != "playing"):
            viewers = self._exposure.close(self._window)
            self._window = None
        record = PlayRecord(item=choice.item, chosen=choice.chosen or choice.item, started=started,
                            ended=ended or self._clock(), outcome=outcome, reason=reason,
                            trigger=choice.trigger, audience=choice.audience_summary, segment=choice.segment,
                            code=choice.code, caption=choice.caption, viewers=viewers, stamp=stamp)
        if self._record is not None:
            try:
                self._record(record)
            except Exception:  # proof of play must never stop the show
                log.exception("could not store proof of play")

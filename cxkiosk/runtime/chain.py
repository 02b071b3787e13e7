"""The whole chain on the GUI thread: visit events in, a targeted choice and a pushed link out.

```
CaptureWorker.visit_event ─▶ on_visit_event ─(local)─▶ _target(audience)
CaptureWorker.profile_request ─(full/thermal, capture thread to classifier thread)─▶ ClassifierWorker
ClassifierWorker.classified ─▶ on_classified ─▶ _target(audience)
                                  _target ─▶ Programme.targeted(Choice)  (plays at once)
Programme.now_playing ─▶ on_now_playing ─▶ push_link(choice)  (NFC tag / emulation)
Programme.choice_failed ─▶ on_choice_failed ─▶ _target(same audience): the next-best
```

A random share of visits (`holdout_share`, drawn once per visit) is a holdout: the idle loop's
next item plays instead of the targeted one, recorded as such with the segment it was for, so
the report can compare taps with and without targeting.

Only plain values cross threads, and no frame comes through here: the capture thread sends the
model's picture to the classifier itself. When the best item cannot play on this screen
(YouTube refused embedding, no network), the next-best playable one plays while the best one's
link still goes to the tag and the QR code: the visitor's phone can open what the screen could not.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from cxkiosk.config import Privacy
from cxkiosk.content.selection import segment_of
from cxkiosk.runtime.programme import Programme
from cxkiosk.values import Audience, Choice, Item, VisitEnded, VisitProgress

log = logging.getLogger("cxkiosk.chain")
LOCAL = Privacy("local")

# Selector.choose: the best match, or the best playable one with `chosen` set to the best.
Chooser = Callable[[Audience, Callable[[Item], bool]], Choice | None]


class KioskChain(QObject):
    visit_over = Signal(object)  # visit id
    caption_wanted = Signal(object, object)  # Choice now on screen, the Audience it was chosen for

    def __init__(self, programme: Programme, choose: Chooser, *, privacy: Privacy = LOCAL,
                 source_kind: str = "camera",
                 playable: Callable[[Item], bool] = lambda item: True,
                 push_link: Callable[[Choice], None] | None = None,
                 log_visit: Callable[[Any, Audience, str, float | None], None] | None = None,
                 model_wait: float = 12.0, holdout_share: float = 0.0,
                 rng: random.Random | None = None) -> None:
        super().__init__()
        self.programme = programme
        self._choose = choose
        # Decided once: are visits acted on at all, and does a model answer them?
        self.sensing = privacy.allows_source(source_kind)
        self.uses_model = privacy.may_send(source_kind)
        self._playable = playable
        self._push_link = push_link
        self._log_visit = log_visit
        self._visit: Any = None  # the visit on now
        self._profile: tuple[Audience, str, float | None] | None = None  # best known for it
        # If the classifier stays silent (gate said no, thread busy), fall back to local.
        self._model_timer = QTimer(self, singleShot=True)
        self._model_timer.setInterval(int(model_wait * 1000))
        self._model_timer.timeout.connect(self._model_silent)
        self._local: Audience | None = None
        self._last_choice: Choice | None = None
        self._holdout_share = holdout_share
        self._rng = rng or random.Random()
        self._arm = ""  # this visit: "targeted", "holdout" (not played yet) or "holdout played"

    # -- from the capture thread ----------------------------------------------------------------

    @Slot(object)
    def on_visit_event(self, event: Any) -> None:
        if not self.sensing:
            return
        self.programme.observe(event)  # who sees what plays, for proof of play
        if isinstance(event, VisitEnded):
            self._end(event)
            return
        if isinstance(event, VisitProgress):
            return  # the same audience, a little later: nothing to choose again
        if event.visit_id != self._visit:
            self._arm = "holdout" if self._rng.random() < self._holdout_share else "targeted"
        self._visit = event.visit_id
        self._local = event.audience
        if not self.uses_model:
            self._profile = (event.audience, "local", None)
            self._target(event.audience)
            return
        # The classifier got this event's picture from the capture thread; its answer (or the
        # local audience, if it stays silent) decides.
        self._model_timer.start()

    # -- from the classifier thread -------------------------------------------------------------

    @Slot(object)
    def on_classified(self, classified: Any) -> None:
        if classified.visit_id != self._visit:
            return  # a late answer for a visitor who has left
        self._model_timer.stop()
        result = classified.result
        provider = f"{result.provider}/{result.model}" if not result.used_fallback else "local"
        self._profile = (result.audience, provider, result.latency_ms or None)
        self._target(result.audience)

    def _model_silent(self) -> None:
        if self._visit is not None and self._local is not None:
            log.info("no model answer for visit %s; targeting on local attributes", self._visit)
            self._profile = (self._local, "local", None)
            self._target(self._local)

    # -- choosing -------------------------------------------------------------------------------

    def _target(self, audience: Audience) -> None:
        try:
            choice = self._choose(audience, self._playable)
        except Exception:
            log.exception("selection failed; the idle playlist continues")
            return
        if choice is None:
            log.info("nothing targets %s; the idle playlist continues", audience.summary())
            return
        reasons = tuple(choice.reasons)
        if choice.chosen is not None:
            reasons += (f"{choice.chosen.title} cannot play here; its link is on the tag",)
        segment = segment_of(audience)
        if self._arm == "holdout played":
            return  # once per visit; the idle loop goes on for the rest of it
        if self._arm == "holdout":
            log.info("holdout visit (%s): the idle loop plays instead of %s", segment, choice.item.title)
            self._arm = "holdout played"
            self.programme.holdout(segment, audience.summary())
            return
        choice = replace(choice, trigger="targeted", reasons=reasons, audience_summary=audience.summary(),
                         segment=segment)
        log.info("targeting %s: %s (%s)", audience.summary(), choice.item.title, "; ".join(choice.reasons))
        self._last_choice = choice
        self.programme.targeted(choice)

    def _end(self, event: Any) -> None:
        if event.visit_id != self._visit:
            return
        self._model_timer.stop()
        self.visit_over.emit(event.visit_id)
        audience, provider, latency = self._profile or (event.audience, "local", None)
        if self._log_visit is not None:
            try:
                self._log_visit(event, audience, provider, latency)
            except Exception:
                log.exception("could not store the visit")
        self._visit = None
        self._profile = None
        self._local = None
        self._last_choice = None
        self._arm = ""

    # -- from the billboard ---------------------------------------------------------------------

    @Slot(object, str)
    def on_choice_failed(self, failed: Choice, reason: str) -> None:
        """A targeted item the screen could not play: the visitor still gets the next-best one.

        The programme has already marked it unhealthy, so choosing again for the same audience
        skips it (and pushes its link when it was the best)."""
        if self._visit is None or self._profile is None or self._last_choice is None:
            return
        if self._last_choice.item.id != failed.item.id:
            return
        log.info("targeted item %r failed (%s); choosing the next-best for this visit",
                 failed.item.title, reason)
        self._last_choice = None
        self._target(self._profile[0])

    @Slot(object)
    def on_now_playing(self, choice: Choice) -> None:
        """The screen shows `choice`: the tag and QR carry the pushed item's link."""
        if self._push_link is not None:
            self._push_link(choice)
        if choice.trigger == "targeted" and choice.item.captions and self._profile is not None:
            self.caption_wanted.emit(choice, self._profile[0])

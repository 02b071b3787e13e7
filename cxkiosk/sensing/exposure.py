"""Who saw one play: the audience of each item, from the tracker's visit events.

Signage measurement's terms: OTS (opportunities to see) are the people present at some time
while the item played; watchers, those of them who faced the screen during it; attention, the
seconds they faced it, summed. `Exposure.observe` takes every visit event (the tracker sends one
at least every two seconds while someone is there), `open()` starts a play's window and
`close(window)` gives its `PlayAudience`. Only track numbers and seconds are kept, and only for
the play on screen: nothing that identifies a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cxkiosk.values import VisitEnded, VisitEvent


@dataclass(frozen=True)
class PlayAudience:
    ots: int = 0
    watchers: int = 0
    attention: float = 0.0  # seconds, summed over the watchers

    @property
    def mean_attention(self) -> float:
        return self.attention / self.watchers if self.watchers else 0.0


@dataclass
class Window:
    """One play's view of the room: attention each person had when it began, who came since."""

    attention_at_start: dict[int, float] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)


class Exposure:
    def __init__(self) -> None:
        self._attention: dict[int, float] = {}  # track -> seconds facing so far (this visit)
        self._present: set[int] = set()
        self._windows: list[Window] = []

    def observe(self, event: VisitEvent) -> None:
        for visitor in event.visitors:
            self._attention[visitor.track_id] = visitor.attention
        self._present = {v.track_id for v in event.visitors if v.present}
        for window in self._windows:
            window.seen.update(self._present)
        if isinstance(event, VisitEnded):
            self._present = set()
            # Tracks of a visit that ended matter only to the windows that saw them.
            keep = set().union(*(w.seen for w in self._windows)) if self._windows else set()
            self._attention = {t: a for t, a in self._attention.items() if t in keep}

    def open(self) -> Window:
        window = Window({t: self._attention.get(t, 0.0) for t in self._present}, set(self._present))
        self._windows.append(window)
        return window

    def close(self, window: Window) -> PlayAudience:
        if window in self._windows:
            self._windows.remove(window)
        gained = {t: max(0.0, self._attention.get(t, 0.0) - window.attention_at_start.get(t, 0.0))
                  for t in window.seen}
        watched = [s for s in gained.values() if s > 0]
        return PlayAudience(ots=len(window.seen), watchers=len(watched), attention=round(sum(watched), 1))


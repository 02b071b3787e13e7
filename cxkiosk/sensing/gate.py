"""The visit gate: the local sensing decides whether a visit is worth a model call, so an empty
room costs nothing and a standing visitor costs one call, not one a second."""

from __future__ import annotations


class VisitGate:
    """Decides when a visit is worth a call: a new visit, a group change that holds, a refresh.

    Trackers flicker: a face lost for a frame or a passer-by would make the group "change" many
    times a minute. A changed head count must hold for `settle` seconds (and `min_gap` after the
    last call) before it is worth a call; a count of 0 inside a visit is a lost face, not a
    change (the tracker ends a visit when people leave).
    """

    def __init__(self, refresh_seconds: float = 0.0, settle: float = 2.0, min_gap: float = 5.0) -> None:
        self.refresh_seconds, self.settle, self.min_gap = refresh_seconds, settle, min_gap
        self._visit: object = None
        self._count = -1
        self._last = float("-inf")
        self._candidate: int | None = None
        self._since = 0.0

    def check(self, visit_id: object, count: int, now: float) -> float | None:
        """0: call now; None: no call needed; > 0: ask again after that many seconds."""
        if visit_id != self._visit:
            return self._called(visit_id, count, now)
        since_call = now - self._last
        if count == self._count or count <= 0:
            self._candidate = None
            if self.refresh_seconds > 0 and since_call >= self.refresh_seconds:
                return self._called(visit_id, self._count, now)
            return None
        if self._candidate != count:
            self._candidate, self._since = count, now
        wait = max(self.settle - (now - self._since), self.min_gap - since_call)
        return self._called(visit_id, count, now) if wait <= 0 else wait

    def due(self, visit_id: object, count: int, now: float) -> bool:
        return self.check(visit_id, count, now) == 0

    def _called(self, visit_id: object, count: int, now: float) -> float:
        self._visit, self._count, self._last, self._candidate = visit_id, count, now, None
        return 0.0

    def forget(self) -> None:
        self._visit = None
        self._count = -1
        self._last = float("-inf")
        self._candidate = None
        self._since = 0.0

"""What targeting is worth: taps per 100 watchers for targeted plays against holdout plays (the
idle loop's item shown to a visit on purpose, see KioskChain), with a 95% confidence interval.

The interval is Newcombe's hybrid score interval for a difference of two proportions (method 10
of Newcombe 1998, built from each side's Wilson interval): it stays inside [-1, 1] and keeps its
coverage for the small tap rates a showroom sees, where the plain Wald interval does not. A tap
counts for the play on screen when it happened (TapLog.code = PlayLog.code); a play's taps count
at most once per watcher, so each side is a proportion of watchers who tapped.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from peewee import JOIN, Case, fn

from cxkiosk import counting
from cxkiosk.content.database import Content, PlayLog, TapLog

Z95 = 1.959964
# Below this many watchers on either side the report says it cannot tell yet: with tap rates of
# a few percent, fewer give an interval wider than any uplift worth acting on.
MIN_WATCHERS = 200


@dataclass(frozen=True)
class Arm:
    plays: int = 0
    ots: int = 0
    watchers: int = 0
    attention: float = 0.0  # seconds
    taps: int = 0  # taps during these plays, at most one per watcher

    @property
    def rate(self) -> float | None:
        """Taps per 100 watchers."""
        return 100.0 * self.taps / self.watchers if self.watchers else None


@dataclass(frozen=True)
class Uplift:
    targeted: Arm
    holdout: Arm
    difference: float | None = None  # taps per 100 watchers, targeted minus holdout
    low: float | None = None  # 95% interval of the difference
    high: float | None = None
    verdict: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["targeted"]["rate"] = _round(self.targeted.rate)
        data["holdout"]["rate"] = _round(self.holdout.rate)
        return data


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(x1: int, n1: int, x0: int, n0: int, z: float = Z95) -> tuple[float, float, float]:
    """p1 - p0 and its hybrid score interval (Newcombe's method 10)."""
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = wilson(x1, n1, z)
    l0, u0 = wilson(x0, n0, z)
    d = p1 - p0
    low = d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return d, low, high


TARGETING = ("Targeted content", "the normal loop", "targeted plays", "holdout plays")
CAPTIONS = ("Plays with a written caption", "plays with the tagline", "captioned plays", "tagline plays")


def compare(targeted: Arm, holdout: Arm, names: tuple[str, str, str, str] = TARGETING) -> Uplift:
    """Side A against side B: `names` says what each is, for the verdict."""
    a_name, b_name, a_plays, b_plays = names
    if min(targeted.watchers, holdout.watchers) < MIN_WATCHERS:
        return Uplift(targeted, holdout, verdict=(
            f"Not enough visits yet to tell: {targeted.watchers} "
            f"{'watcher' if targeted.watchers == 1 else 'watchers'} of {a_plays} and "
            f"{holdout.watchers} of {b_plays}; at least {MIN_WATCHERS} on each side are needed."))
    d, low, high = newcombe(targeted.taps, targeted.watchers, holdout.taps, holdout.watchers)
    d, low, high = 100 * d, 100 * low, 100 * high
    span = f"95% interval {low:+.1f} to {high:+.1f}"
    if low > 0:
        verdict = f"{a_name} got {d:.1f} more taps per 100 watchers than {b_name} ({span})."
    elif high < 0:
        verdict = f"{a_name} got {-d:.1f} fewer taps per 100 watchers than {b_name} ({span})."
    else:
        verdict = (f"Cannot tell a difference yet: {d:+.1f} taps per 100 watchers, and the {span} "
                   "includes no difference.")
    return Uplift(targeted, holdout, _round(d), _round(low), _round(high), verdict)


def arms(since: datetime | None, until: datetime, demo: bool = False,
         kiosk: str | None = None) -> dict[tuple[str, int | None, int], Arm]:
    """Targeted and holdout figures per (trigger, item, captioned 0/1), aggregated by the database
    over the plays that count (on screen, in [since, until)), of one kiosk or (None) all."""
    taps = (TapLog.select(TapLog.code, fn.COUNT(TapLog.id).alias("n"))
            .where(counting.of_kiosk(TapLog, kiosk, TapLog.code != "")).group_by(TapLog.code).alias("taps"))
    n = fn.COALESCE(taps.c.n, 0)
    watchers = fn.COALESCE(PlayLog.watchers, 0)
    capped = Case(None, [(n > watchers, watchers)], n)  # at most one tap per watcher
    period = counting.plays(since, until, demo, kiosk) & PlayLog.trigger.in_(["targeted", "holdout"])
    captioned = Case(None, [(PlayLog.caption != "", 1)], 0)
    query = (PlayLog.select(PlayLog.trigger, PlayLog.item, captioned, fn.COUNT(PlayLog.id),
                            fn.SUM(fn.COALESCE(PlayLog.ots, 0)), fn.SUM(watchers),
                            fn.SUM(fn.COALESCE(PlayLog.attention, 0)), fn.SUM(capped))
             .join(taps, JOIN.LEFT_OUTER, on=(taps.c.code == PlayLog.code))
             .where(period)
             .group_by(PlayLog.trigger, PlayLog.item, captioned))
    found: dict[tuple[str, int | None, int], Arm] = {}
    rows: list[tuple[Any, ...]] = list(query.tuples())  # type: ignore[arg-type]
    for trigger, item, with_caption, plays, ots, seen, attention, tapped in rows:
        found[(trigger, item, int(with_caption))] = Arm(int(plays), int(ots or 0), int(seen or 0),
                                     round(float(attention or 0), 1), int(tapped or 0))
    return found


def uplift_report(since: datetime | None, until: datetime, demo: bool = False,
                  kiosk: str | None = None) -> dict[str, Any]:
    """Overall and per item: each side's figures, the difference with its interval, a sentence."""
    per = arms(since, until, demo, kiosk)
    titles: dict[int, str] = dict(Content.select(Content.id, Content.title).tuples())  # type: ignore[arg-type]

    def total(trigger: str, item: int | None | str = "all", captioned: int | None = None) -> Arm:
        parts = [a for (t, i, c), a in per.items()
                 if t == trigger and (item == "all" or i == item) and captioned in (None, c)]
        return Arm(sum(a.plays for a in parts), sum(a.ots for a in parts), sum(a.watchers for a in parts),
                   round(sum(a.attention for a in parts), 1), sum(a.taps for a in parts))

    items = sorted({i for _t, i, _c in per}, key=lambda i: (i is None, i or 0))

    def captions(item: int | None | str = "all") -> dict[str, Any]:
        data = compare(total("targeted", item, 1), total("targeted", item, 0), CAPTIONS).as_dict()
        data["with_caption"], data["with_tagline"] = data.pop("targeted"), data.pop("holdout")
        return data

    return {
        "method": "taps per 100 watchers, targeted minus holdout; 95% Newcombe hybrid score interval",
        "minimum_watchers_per_side": MIN_WATCHERS,
        "overall": compare(total("targeted"), total("holdout")).as_dict(),
        "items": [{"item_id": i, "title": titles.get(i, "(deleted item)") if i is not None else "(deleted)",
                   **compare(total("targeted", i), total("holdout", i)).as_dict()}
                  for i in items],
        # Among targeted plays: with the caption written for the visitors against the tagline.
        "captions": {"overall": captions(), "items": [{"item_id": i, **captions(i)} for i in items]},
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)



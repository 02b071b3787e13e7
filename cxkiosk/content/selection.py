"""Choosing the item that suits the audience in front of the screen, with the reasons why.

Hard filters run in SQL (enabled, schedule, a gender/age/group rule the audience contradicts,
items with no targeting at all, which belong to the idle playlist). The survivors are scored in
Python: one point per matching attribute (gender, age, group size, each keyword), times the
item's weight. An item must match at least one attribute to be chosen; otherwise the idle
playlist continues. History comes from PlayLog: the item that played last is not repeated, an
item played `max_per_hour` times in the last hour rests, and among equal scores the least
recently played wins (then the lower id), so the result is deterministic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter
from statistics import median

import peewee
from peewee import SQL, Case, Value, fn

from cxkiosk.attributes import AGE_MAX, age_band
from cxkiosk.content.database import Content, PlayLog, database, local_naive, schedule_clause
from cxkiosk.content.targeting import Targeting, describe, keyword_matches
from cxkiosk.links import HTTPS_ONLY, LinkError, LinkPolicy
from cxkiosk.values import Audience, Choice, Item, Person

_COLUMNS = (Content.id, Content.title, Content.url, Content.kind, Content.path, Content.duration,
            Content.tagline, Content.description, Content.genders, Content.age_min, Content.age_max,
            Content.keywords, Content.group_min, Content.group_max, Content.weight, Content.captions)


@dataclass(frozen=True)
class Target:
    """What is known of whom an item is aimed at: one person, or a group's majority."""

    gender: str | None
    age: int | None
    person: Person | None  # for keywords; None for the group's majority
    group: bool = False


def majority(audience: Audience) -> Target:
    """The group as one target: the gender most people share (no tie), the median known age."""
    genders = Counter(p.gender for p in audience.people if p.gender)
    top = genders.most_common(2)
    gender = top[0][0] if top and (len(top) == 1 or top[0][1] > top[1][1]) else None
    ages = [p.age for p in audience.people if p.age is not None]
    return Target(gender=gender, age=int(median(ages)) if ages else None, person=None, group=True)


def primary(audience: Audience) -> Target:
    person = audience.primary()
    if person is None:
        return Target(gender=None, age=None, person=None)
    return Target(gender=person.gender, age=person.age, person=person)


class Selector:
    """Targeted choice over the open database. `max_per_hour` caps how often one item plays."""

    def __init__(self, max_per_hour: int = 4, no_repeat: bool = True,
                 policy: LinkPolicy = HTTPS_ONLY) -> None:
        self.max_per_hour = max_per_hour
        self.no_repeat = no_repeat
        self.policy = policy  # an item whose link it refuses is never chosen

    @classmethod
    def from_settings(cls, settings: object) -> Selector:
        """Built from cxkiosk.config.Settings (`item_cap_per_hour`, 0 = no cap; `http_hosts`)."""
        return cls(max_per_hour=int(getattr(settings, "item_cap_per_hour", 4)),
                   policy=LinkPolicy.allowing(str(getattr(settings, "http_hosts", "")),
                                              str(getattr(settings, "showroom_page", ""))))

    def _allowed(self, item: Item) -> bool:
        try:
            self.policy.resolve(item.url)  # "" (no link, or no showroom_page yet) plays too
        except LinkError:
            return False
        return True

    def choose(self, audience: Audience, at: datetime | None = None,
               playable: Callable[[Item], bool] | None = None) -> Choice | None:
        """The best match, or None (nobody there, nothing matches: the idle playlist continues).

        When `playable` refuses the best match, the best playable one is returned with
        `chosen` set to the best match, whose link the QR code and NFC tag still carry.
        """
        best: Choice | None = None
        for choice in self._ranking(audience, at):
            if best is None:
                best = choice
            if playable is None or playable(choice.item):
                return choice if choice is best else replace(choice, chosen=best.item)
        return None

    def choose_alternatives(self, audience: Audience, at: datetime | None = None,
                            playable: Callable[[Item], bool] | None = None,
                            limit: int = 5) -> list[Choice]:
        """Up to `limit` matches, best first; with `playable`, only items it accepts."""
        found: list[Choice] = []
        if limit <= 0:
            return found
        for choice in self._ranking(audience, at):
            if playable is None or playable(choice.item):
                found.append(choice)
                if len(found) >= limit:
                    break
        return found

    def _ranking(self, audience: Audience, at: datetime | None) -> Iterator[Choice]:
        if audience.empty:
            return
        at = local_naive(at)
        solo, group = primary(audience), majority(audience)
        vocabulary = self._keywords()
        solo_words = {k for k in vocabulary if solo.person and keyword_matches(k, solo.person)}
        group_words = {k for k in vocabulary if any(keyword_matches(k, p) for p in audience.people)}
        # Scoring runs in SQL so only the head of the ranking ever reaches Python.
        is_group = fn.COALESCE(Content.group_min, 0) >= 2
        solo_points = _points(solo, solo_words)
        if audience.count >= 2:  # an item for one person speaks to one of several here
            solo_points = solo_points * Value(SOLO_IN_GROUP)
        points = Case(None, [(is_group, _points(group, group_words))], solo_points)
        score = points * Content.weight
        where = self._where(audience, solo, group, at) & (score > 0)
        resting = self._resting(at)
        if resting:
            where &= Content.id.not_in(sorted(resting))
        query = (Content.select(score.alias("score"), *_COLUMNS).where(where)
                 .order_by(SQL("score").desc(), Content.id))
        cursor = database.execute(query)
        summary = audience.summary()
        try:
            # Play history is read one score group at a time, so ties are broken fairly without
            # touching the history of items far down the ranking.
            for _score, rows in groupby(iter(cursor.fetchone, None), key=itemgetter(0)):
                tied = list(rows)
                last = self._last_played([r[1] for r in tied], at)
                tied.sort(key=lambda r: (last.get(r[1], ""), r[1]))
                for row in tied:
                    item = _item(row[1:])
                    if not self._allowed(item):
                        continue
                    reasons = _reasons(row[1:], audience, solo, group, solo_words, group_words)
                    yield Choice(item=item, trigger="targeted", score=round(row[0], 4),
                                 reasons=reasons, audience_summary=summary,
                                 made_for=describe(Targeting(*row[9:15])))
        finally:
            cursor.close()  # an abandoned ranking must not hold a read snapshot open

    def _keywords(self) -> set[str]:
        """Every keyword some item targets (a few dozen distinct lists)."""
        words: set[str] = set()
        query = Content.select(Content.keywords).where(Content.keywords != "").distinct().tuples()
        for (text,) in query:
            words.update(k for k in text.split(",") if k)
        return words

    # -- filters ------------------------------------------------------------------------------

    def _where(self, audience: Audience, solo: Target, group: Target, at: datetime) -> peewee.Expression:
        is_group = fn.COALESCE(Content.group_min, 0) >= 2
        count = audience.count
        size = ((Content.group_min.is_null() | (Content.group_min <= count))
                & (Content.group_max.is_null() | (Content.group_max >= count)))
        fits = (~is_group & _fits(solo)) | (is_group & _fits(group))
        return Content.enabled & (Content.weight > 0) & size & fits & schedule_clause(at)

    # -- history ------------------------------------------------------------------------------

    def _resting(self, at: datetime) -> set[int]:
        """Items not to choose now: the one that played last, and those at their hourly cap."""
        resting: set[int] = set()
        if self.no_repeat:
            last = (PlayLog.select(PlayLog.item).where(PlayLog.start <= at)
                    .order_by(PlayLog.start.desc(), PlayLog.id.desc()).limit(1).tuples().first())
            if last and last[0] is not None:
                resting.add(last[0])
        if self.max_per_hour > 0:
            # Counted in Python over the hour's few hundred rows: a GROUP BY here lets SQLite's
            # planner skip-scan the (item, start) index over the whole log (10x slower at 1M rows).
            recent = (PlayLog.select(PlayLog.item)
                      .where((PlayLog.start > at - timedelta(hours=1)) & (PlayLog.start <= at)).tuples())
            counts = Counter(item for (item,) in recent if item is not None)
            resting.update(item for item, n in counts.items() if n >= self.max_per_hour)
        return resting

    def _last_played(self, ids: list[int], at: datetime) -> dict[int, str]:
        found: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            query = (PlayLog.select(PlayLog.item, fn.MAX(PlayLog.start))
                     .where(PlayLog.item.in_(chunk) & (PlayLog.start <= at))
                     .group_by(PlayLog.item).tuples())
            found.update((item, str(when)) for item, when in query)
        return found


# A group in front of the screen: an item made for a group of that size counts GROUP_POINTS; an
# item for one person is scored for the nearest one and counts SOLO_IN_GROUP of that.
GROUP_POINTS, SOLO_IN_GROUP = 2, 0.5
# What an item asks for that is not known of the visitor (their age, a keyword) costs a little:
# of two items that fit what is known, the one asking for less that is unknown fits better.
UNCONFIRMED = 0.1
# An age range fitting the visitor earns 1 point, plus up to NARROW_BONUS for a narrow range and
# up to CENTRE_BONUS for the visitor near its middle: "men in their 40s" beats "men 35-70" for a
# 44-year-old, while one more matched attribute (a whole point) still counts for more.
NARROW_BONUS, CENTRE_BONUS, NARROW_YEARS = 0.5, 0.25, 10.0


def _age_points(age: int) -> peewee.Node:
    low = fn.COALESCE(Content.age_min, 0)
    high = fn.COALESCE(Content.age_max, AGE_MAX)
    width = high - low
    floor = Case(None, [(width < NARROW_YEARS, NARROW_YEARS)], width)
    narrow = Value(NARROW_BONUS * NARROW_YEARS) / (floor * 1.0)
    half = Case(None, [(width < 1, 1.0)], width / 2.0)
    centre = Value(CENTRE_BONUS) * (Value(1.0) - fn.ABS((low + high) / 2.0 - age) / half)
    return 1 + narrow + Case(None, [(centre > 0, centre)], 0)


def _points(target: Target, words: set[str]) -> peewee.Node:
    """SQL: one point per attribute of the target that the item asks for and gets, the age point
    weighted by how closely the item's range fits (see NARROW_BONUS)."""
    points: peewee.Node = Value(0)
    if target.gender:
        points = points + Case(None, [(Content.genders == target.gender, 1)], 0)
    if target.age is not None:
        has_ages = Content.age_min.is_null(False) | Content.age_max.is_null(False)
        points = points + Case(None, [(has_ages, _age_points(target.age))], 0)
    else:
        points = points - Case(None, [(Content.age_min.is_null(False) | Content.age_max.is_null(False),
                                       UNCONFIRMED)], 0)
    has_group = Content.group_min.is_null(False) | Content.group_max.is_null(False)
    points = points + Case(None, [(has_group, GROUP_POINTS)], 0)
    padded = Value(",").concat(Content.keywords).concat(",")
    for word in sorted(words):
        points = points + Case(None, [(padded.contains(f",{word},"), 1)], 0)
    # Each keyword the item lists beyond those matched: commas count them (",a,b," has 3).
    listed = fn.LENGTH(padded) - fn.LENGTH(fn.REPLACE(padded, ",", "")) - 1
    matched: peewee.Node = Value(0)
    for word in sorted(words):
        matched = matched + Case(None, [(padded.contains(f",{word},"), 1)], 0)
    unmatched = Case(None, [(Content.keywords == "", 0)], listed - matched)
    return points - unmatched * UNCONFIRMED


def _reasons(row: tuple, audience: Audience, solo: Target, group: Target, solo_words: set[str],
             group_words: set[str]) -> tuple[str, ...]:
    """The same points as `_points`, in words: "female matches", "age 34 in 25-40", "suit keyword"."""
    genders, age_min, age_max, keywords, group_min, group_max, weight = row[8:15]
    target, words = (group, group_words) if (group_min or 0) >= 2 else (solo, solo_words)
    who = "group majority " if target.group else ""
    reasons: list[str] = []
    if target.gender and genders == target.gender:
        reasons.append(f"{who}{target.gender} matches")
    if target.age is not None and (age_min is not None or age_max is not None):
        reasons.append(f"{who}age {target.age} in {_range(age_min, age_max)}")
    if group_min is not None or group_max is not None:
        reasons.append(f"group of {audience.count} in {_range(group_min, group_max)}")
    reasons.extend(f"{word} keyword" for word in (keywords or "").split(",") if word in words)
    if weight != 1.0:
        reasons.append(f"weight {weight:g}")
    return tuple(reasons)


def _fits(target: Target) -> peewee.Expression:
    """The target does not contradict the item's gender and age rules (unknown never contradicts)."""
    cond = Content.id.is_null(False)
    if target.gender:
        cond &= Content.genders.in_(["", target.gender, "female,male"])
    if target.age is not None:
        cond &= ((Content.age_min.is_null() | (Content.age_min <= target.age))
                 & (Content.age_max.is_null() | (Content.age_max >= target.age)))
    return cond


def _range(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo}-{hi}"
    return f"{lo}+" if lo is not None else f"0-{hi}"


def _item(row: tuple) -> Item:
    return Item(id=row[0], title=row[1], url=row[2], kind=row[3], path=row[4], duration=row[5],
                tagline=row[6], description=row[7], captions=bool(row[15]))


def segment_of(audience: Audience) -> str:
    """Whom a choice is for, coarsely, for proof of play and the report: "female 25-34",
    "male", "anyone 45-54", "group of 3". Never more than a gender and a ten-year band."""
    if audience.count >= 2:
        return f"group of {audience.count}"
    person = audience.primary()
    if person is None:
        return ""
    band = age_band(person.age) if person.age is not None else ""
    return " ".join(x for x in (person.gender or "anyone", band) if x)

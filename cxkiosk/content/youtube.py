"""Does YouTube play on this screen? The last YouTube play in proof of play, in one line.

YouTube decides per embedder whether its player runs (error 153: "embedder identity missing")
and per video whether it may be embedded at all (101/150), and neither can be tried offline.
The running kiosk already writes every play and every failure with the billboard's reason into
the PlayLog table, so `check` (another process) and the admin panel read the answer from there:
no state file of its own to keep in step, and it survives restarts. With one PostgreSQL database
for a fleet, the last YouTube play is the fleet's, not necessarily this screen's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cxkiosk.content.database import Content, PlayLog

EMBEDDER_REFUSED = "153"
VIDEO_NOT_EMBEDDABLE = ("101", "150")
_CODE = re.compile(r"^YouTube error ([\w-]+)")


@dataclass(frozen=True)
class YouTubePlay:
    """One YouTube item's play as proof of play has it."""

    title: str
    at: datetime  # when it ended, or failed
    played: bool  # it showed (completed, or cut short by a newer choice or a restart)
    reason: str = ""  # the billboard's reason when it failed

    @property
    def code(self) -> str:
        """YouTube's error code ("153", "150", "api-unavailable"), "" for any other failure."""
        match = _CODE.match(self.reason)
        return match.group(1) if match else ""


def last_youtube_plays() -> tuple[YouTubePlay | None, YouTubePlay | None]:
    """The last YouTube play of any outcome, and the last one that played (None: never)."""
    query = (PlayLog.select(PlayLog.start, PlayLog.end, PlayLog.outcome, PlayLog.reason, Content.title)
             .join(Content, on=(PlayLog.item == Content.id))
             .where(Content.kind == "youtube")
             .order_by(PlayLog.start.desc(), PlayLog.end.desc()))

    def first(q: Any) -> YouTubePlay | None:
        row = q.tuples().first()
        if row is None:
            return None
        start, end, outcome, reason, title = row
        return YouTubePlay(title, end or start, outcome != "failed", reason)

    last = first(query)
    if last is None or last.played:
        return last, last
    return last, first(query.where(PlayLog.outcome != "failed"))


def youtube_line(last: YouTubePlay | None, last_played: YouTubePlay | None) -> tuple[bool, str]:
    """(fine, the sentence for `check` and the panel): what the last YouTube play says."""
    if last is None:
        return True, "no YouTube item played yet"
    if last.played:
        return True, f"last played {last.at:%Y-%m-%d %H:%M} ({last.title})"
    when = f"{last.at:%Y-%m-%d %H:%M}"
    if last.code == EMBEDDER_REFUSED:
        return False, (f"error 153 at {when} — YouTube does not accept this kiosk as an embedder; set "
                       "youtube_origin to your showroom's https domain (README: YouTube on site)")
    if last.code in VIDEO_NOT_EMBEDDABLE:
        text = (f"{last.title} refused at {when}: error {last.code}, its owner does not allow embedding "
                "(that video, not this kiosk: choose another)")
    else:
        text = f"{last.title} failed at {when}: {last.reason or 'no reason given'}"
    if last_played is not None:
        text += f"; last played {last_played.at:%Y-%m-%d %H:%M} ({last_played.title})"
    return False, text


def youtube_status() -> tuple[bool, str]:
    """`youtube_line` for the database that is open now."""
    return youtube_line(*last_youtube_plays())

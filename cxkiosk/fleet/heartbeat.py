"""Each kiosk's heartbeat on a fleet's server, and the fleet list read back from them.

A kiosk upserts one Heartbeat row (its kiosk id is unique) every fleet step: when it was seen,
its version, what is wrong with its camera, model or NFC reader, how many items it can play and
how many log rows wait in its queue. `fleet_states` turns those rows into the list a signage
CMS shows: the kiosks that need a visit (down, then degraded) first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cxkiosk.content.database import Heartbeat, local_naive
from cxkiosk.fleet.status import STATES, KioskState

# A kiosk is down when it has not written for this many of its own intervals, and at least
# DOWN_MIN_SECONDS: one late beat (a slow server, a busy kiosk) is no outage.
MISSED_BEATS = 3
DOWN_MIN_SECONDS = 90.0
PROBLEM_MAX = 500  # a status line kept in a row; an exception's text can be long


def program_version() -> str:
    """The installed package's version; the source's own when it runs from a checkout."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cxkiosk")
    except PackageNotFoundError:
        from cxkiosk import __version__

        return __version__


@dataclass(frozen=True)
class Beat:
    """What a kiosk says of itself in one heartbeat. camera/model/nfc: "" when fine, else what
    is wrong, in words."""

    kiosk: str
    name: str = ""
    version: str = ""
    started: datetime | None = None
    camera: str = ""
    model: str = ""
    nfc: str = ""
    playable: int = 0
    queued: int = 0
    interval: float = 30.0  # seconds until the next one


def write(beat: Beat, at: datetime | None = None) -> None:
    """Insert or update the kiosk's row, on whatever database the models are routed to (the
    fleet worker wraps this in `database.database.using(server)`)."""
    fields = {
        Heartbeat.name: beat.name[:60], Heartbeat.seen: local_naive(at).replace(microsecond=0),
        Heartbeat.started: local_naive(beat.started).replace(microsecond=0) if beat.started else None,
        Heartbeat.version: (beat.version or program_version())[:40],
        Heartbeat.camera: beat.camera[:PROBLEM_MAX], Heartbeat.model: beat.model[:PROBLEM_MAX],
        Heartbeat.nfc: beat.nfc[:PROBLEM_MAX], Heartbeat.playable: max(0, int(beat.playable)),
        Heartbeat.queued: max(0, int(beat.queued)), Heartbeat.interval: float(beat.interval),
    }
    (Heartbeat.insert({Heartbeat.kiosk: beat.kiosk[:40], **fields})
     .on_conflict(conflict_target=[Heartbeat.kiosk], update=fields).execute())


def classify(row: Heartbeat, now: datetime) -> KioskState:
    """One heartbeat row as the fleet list shows it."""
    # "camera 0 unplugged" names its part already; "no reader" is said to be the NFC's
    problems = [text if text.lower().startswith(part.lower()) else f"{part}: {text}"
                for part, text in (("camera", row.camera), ("model", row.model), ("NFC", row.nfc)) if text]
    if row.playable <= 0:
        problems.append("nothing playable")
    if row.queued > 0:
        problems.append(f"{row.queued} row{'s' if row.queued != 1 else ''} queued")
    late = timedelta(seconds=max(MISSED_BEATS * (row.interval or 0.0), DOWN_MIN_SECONDS))
    if now - row.seen > late:
        when = f"{row.seen:%H:%M}" if row.seen.date() == now.date() else f"{row.seen:%Y-%m-%d %H:%M}"
        problems.insert(0, f"not seen since {when}")
        state = "down"
    else:
        state = "degraded" if problems else "ok"
    return KioskState(kiosk=row.kiosk, name=row.name, seen=row.seen, state=state, problems=tuple(problems),
                      version=row.version, playable=row.playable, queued=row.queued)


def fleet_states(now: datetime | None = None) -> list[KioskState]:
    """Every kiosk that ever wrote a heartbeat here: down first, then degraded, then ok, each by
    name (the kiosk id for one without a name)."""
    at = local_naive(now)
    return in_fleet_order(classify(row, at) for row in Heartbeat.select())


def in_fleet_order(states: Iterable[KioskState]) -> list[KioskState]:
    """Down first, then degraded, then ok; each by name, then id."""
    return sorted(states, key=lambda s: (STATES.index(s.state), (s.name or s.kiosk).casefold(), s.kiosk))


def kiosk_names() -> dict[str, str]:
    """Kiosk id -> display name, for the kiosks that wrote a heartbeat with a name."""
    return {row.kiosk: row.name for row in Heartbeat.select(Heartbeat.kiosk, Heartbeat.name) if row.name}

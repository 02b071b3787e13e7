"""What a fleet kiosk knows of its server and of the other kiosks: plain values for the admin
panel, `check` and the heartbeat."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

STATES = ("down", "degraded", "ok")  # the order a fleet list shows them in: what needs a visit first


@dataclass(frozen=True)
class KioskState:
    """One kiosk as the fleet sees it, from its last heartbeat."""

    kiosk: str
    name: str
    seen: datetime
    state: str  # one of STATES
    problems: tuple[str, ...] = ()  # why it is down or degraded, in words
    version: str = ""
    playable: int = 0
    queued: int = 0


@dataclass(frozen=True)
class FleetStatus:
    """This kiosk's link to the fleet's server."""

    server: str  # the URL without its password
    connected: bool = False
    offline_since: datetime | None = None  # None while connected, or before the first try
    queued: int = 0  # log rows waiting on this kiosk for the server
    synced: datetime | None = None  # when content and prompts were last copied from the server
    never_synced: bool = False  # the copy is still the shipped content: nothing from the fleet yet
    problem: str = ""  # the last error, in words (never the password)
    kiosks: tuple[KioskState, ...] = field(default=())  # the fleet list, as last read

    def line(self) -> str:
        """"fleet database: connected, 0 rows queued" / "offline since 10:32, 17 rows queued"."""
        rows = f"{self.queued} row{'s' if self.queued != 1 else ''} queued"
        if self.connected:
            trouble = f"; {self.problem[:160]}" if self.problem else ""  # e.g. the local copy's disk
            return f"fleet database: connected, {rows}{trouble}"
        since = f" since {self.offline_since:%H:%M}" if self.offline_since else ""
        first = "; playing the shipped content until it is reached" if self.never_synced else ""
        why = f" ({self.problem[:120]})" if self.problem else ""  # refused, a right missing, a timeout
        return f"fleet database: offline{since}, {rows}{first}{why}"

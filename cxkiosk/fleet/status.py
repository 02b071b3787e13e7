"""What a fleet kiosk knows of its server and of the other kiosks: plain values for the admin
panel, `check` and the heartbeat."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from datetime import datetime

STATES = ("down", "degraded", "ok")  # the order a fleet list shows them in: what needs a visit first

# What a driver's message repeats of the server the line names already, before the reason itself.
_PREAMBLE = re.compile(r"^cannot open database \S+: |FATAL: |connection to server (?:at|on socket) \"[^\"]*\""
                       r"(?: \([^)]*\))?(?:, port \d+)? failed: ")


def reason(problem: str, width: int = 120) -> str:
    """The part of an error a person needs, shortened at a word: "password authentication
    failed for user ..." rather than the server's address and port cut off before it."""
    return textwrap.shorten(_PREAMBLE.sub("", " ".join(problem.split())), width, placeholder=" ...")


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
            trouble = f"; {reason(self.problem, 160)}" if self.problem else ""  # e.g. the local copy's disk
            return f"fleet database: connected, {rows}{trouble}"
        since = f" since {self.offline_since:%H:%M}" if self.offline_since else ""
        first = "; playing the shipped content until it is reached" if self.never_synced else ""
        why = f" ({reason(self.problem)})" if self.problem else ""  # refused, a right missing, a timeout
        return f"fleet database: offline{since}, {rows}{first}{why}"

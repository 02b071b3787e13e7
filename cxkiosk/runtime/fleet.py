"""The fleet thread: `FleetSync.step` every `fleet_sync_seconds`, off the GUI thread (a server
that is away costs this thread a connect timeout, never the billboard a frame)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from cxkiosk.content import database
from cxkiosk.content.playlist import Playlist
from cxkiosk.fleet import heartbeat as fleet_heartbeat
from cxkiosk.fleet.status import FleetStatus, KioskState
from cxkiosk.fleet.sync import FleetSync, Heartbeat
from cxkiosk.runtime.status import beat
from cxkiosk.runtime.threads import Worker

log = logging.getLogger("cxkiosk.fleet")

# The longest a step can take with a server gone mid-way is the connect timeout
# (database.CONNECT_TIMEOUT_S); shutdown waits that long for it, and no longer.
STOP_SECONDS = 7.0


class FleetWorker(Worker):
    STOP_SECONDS = STOP_SECONDS
    status = Signal(object)  # FleetStatus, after every step
    content_changed = Signal()  # content or prompts were copied from the server: reload the playlist

    def __init__(self, sync: FleetSync, interval: float) -> None:
        super().__init__()
        self.sync = sync
        self.interval = interval

    def work(self) -> None:
        while not self.stopping:
            status, changed = self.sync.step()
            self.status.emit(status)
            if changed:
                self.content_changed.emit()
            if self.sync.wait(self.interval, self.wait_stop):  # or sooner, on the server's word
                break
        if self.sync.status.connected:
            # The kiosk is stopping: the play it cut short was written after the last step, and
            # the server would show it as still playing until this kiosk's next start.
            self.sync.step()
        self.sync.stop()


class FleetView(QObject):
    """The fleet worker's receiver on the GUI thread (its signals arrive queued): the status
    board's "fleet" line, the playlist reloaded from a new copy, and the latest status for the
    admin panel's Fleet page (`changed`)."""

    changed = Signal(object)  # FleetStatus

    def __init__(self, board: Any, playlist: Playlist) -> None:
        super().__init__()
        self.board = board
        self.playlist = playlist
        self.latest: FleetStatus | None = None

    @Slot(object)
    def show(self, status: FleetStatus) -> None:
        self.latest = status
        self.board.set("fleet", status.line())
        self.changed.emit(status)

    @Slot()
    def reload(self) -> None:
        self.playlist.replace(database.playlist())


def heartbeat_of(latest: Mapping[str, str], playlist: Playlist, settings: Any) -> Heartbeat:
    """What the fleet thread writes at each step (on the server it is routed to) and the fleet
    list it reads back. `latest` is the status board's dict: copied whole at each beat (one
    C-level copy under the GIL), never changed from this thread."""
    started = datetime.now()

    def write(queued: int) -> tuple[KioskState, ...]:
        fleet_heartbeat.write(beat(dict(latest), kiosk=settings.kiosk_id, name=settings.kiosk_name,
                                   started=started, playable=len(playlist.items), queued=queued,
                                   interval=settings.fleet_sync_seconds))
        return tuple(fleet_heartbeat.fleet_states())

    return write

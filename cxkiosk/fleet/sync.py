"""One fleet kiosk's link to its server, one `step` at a time (the fleet thread's timer calls
it): connect when not connected, copy content and prompts when the server's revision moved on,
send the queued log rows, write the heartbeat. A server that is away is not an error of the
kiosk's: it plays from its copy, queues, and says since when.

Edits of content and prompts (the admin panel, `content import`) go to the server, through the
same content API (`database.route_edits`), and are copied back at once; while the server is
away they are refused with one line, never kept here to be merged later.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import peewee

from cxkiosk.config import write_atomically
from cxkiosk.content import database, records
from cxkiosk.content.database import DatabaseError
from cxkiosk.fleet import mirror, outbox
from cxkiosk.fleet import server as fleet_server
from cxkiosk.fleet.listen import Listener
from cxkiosk.fleet.status import FleetStatus, KioskState

log = logging.getLogger("cxkiosk.fleet")

STATE_NAME = "fleet-state.json"  # the last status, for `check` (another process) to read
WAKE_SECONDS = 0.5  # how often a wait for the server's word looks whether the kiosk is stopping
MAX_BATCHES = 20  # per step: a long outage's queue drains over a few steps, each one short
# What a server that went away raises: peewee's wrappers, the driver's own, the socket's.
LOST = (DatabaseError, peewee.PeeweeException, OSError)

# Given the server (routed), the queue depth: writes this kiosk's heartbeat, returns the fleet list.
Heartbeat = Callable[[int], tuple[KioskState, ...]]


class FleetSync:
    def __init__(self, url: str, kiosk: str, data_dir: Path, *, heartbeat: Heartbeat | None = None) -> None:
        self.url = url
        self.kiosk = kiosk
        self.state_file = Path(data_dir) / STATE_NAME
        self.heartbeat = heartbeat
        self._server: peewee.Database | None = None
        self._listener: Listener | None = None
        self._lock = threading.Lock()
        self._status = FleetStatus(server=fleet_server.redacted(url), queued=outbox.depth(),
                                   never_synced=mirror.never_copied())

    @property
    def status(self) -> FleetStatus:
        return self._status

    def start(self) -> None:
        """Queue log rows from now on (once the copy is the fleet's, see `step`) and send edits to
        the server."""
        records.set_writer(self.kiosk, queue=not mirror.never_copied())
        database.route_edits(self.editing)

    def stop(self) -> None:
        database.route_edits(None)
        with self._lock:
            self._drop_listener()
            fleet_server.close(self._server)
            self._server = None

    def wait(self, seconds: float, sleep: Callable[[float], bool]) -> bool:
        """Until the next step: `seconds`, or sooner when the server announces a change.
        `sleep(s)` waits and says whether the kiosk is stopping; True when it is."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            listener = self._listener
            if listener is None:
                return sleep(left)
            try:
                if listener.wait(min(left, WAKE_SECONDS)):
                    return False  # a change: step now
            except Exception as exc:  # the driver's own errors, a socket gone: poll meanwhile
                log.debug("fleet change listener lost (%s); polling until the next connection", exc)
                with self._lock:
                    self._drop_listener()
            if sleep(0):
                return True
        return False

    def _drop_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def step(self) -> tuple[FleetStatus, bool]:
        """One round with the server; the status after it, and whether content or prompts changed."""
        with self._lock:
            changed = False
            try:
                if self._server is None:
                    self._server = fleet_server.connect(self.url)
                    log.info("fleet database %s connected", self._status.server)
                if self._listener is None:
                    self._listener = _listen(self._server)  # before the copy: no change between
                changed = mirror.pull(self._server)
                if changed:
                    records.set_writer(self.kiosk, queue=True)  # the copy is the fleet's now
                sent = 0
                for _ in range(MAX_BATCHES):
                    sent += (batch := outbox.send(self._server))
                    if batch < outbox.BATCH:
                        break
                if sent and self._status.offline_since is not None:  # what an outage kept back, now in
                    log.info("fleet database: %d row%s queued while offline sent", sent, "s" * (sent != 1))
                queued = outbox.depth()
                kiosks = self._status.kiosks
                if self.heartbeat is not None:
                    with database.database.using(self._server):
                        kiosks = self.heartbeat(queued)
            except mirror.CopyError as exc:  # this kiosk's disk, not the server: still connected
                if str(exc) != self._status.problem:
                    log.warning("%s", exc)
                self._status = replace(self._status, connected=True, offline_since=None, problem=str(exc),
                                       queued=outbox.depth())
            except LOST as exc:
                self._lost(exc)
            else:
                self._status = replace(self._status, connected=True, offline_since=None, queued=queued,
                                       synced=datetime.now() if changed else self._status.synced,
                                       never_synced=mirror.never_copied(), problem="", kiosks=kiosks)
            self._save()
            return self._status, changed

    def _lost(self, exc: BaseException) -> None:
        problem = " ".join(str(exc).split())[:300] or type(exc).__name__
        secret = urlsplit(self.url).password
        if secret:
            problem = problem.replace(secret, "***")  # a driver that echoes its DSN
        if self._status.connected or self._status.offline_since is None:
            refused = any(w in problem.lower() for w in ("password", "authentication", "does not exist"))
            log.warning("fleet database %s %s (%s); playing from the local copy, queuing rows",
                        self._status.server, "refused this kiosk" if refused else "unreachable", problem)
        self._drop_listener()
        fleet_server.close(self._server)
        self._server = None
        self._status = replace(self._status, connected=False, problem=problem, queued=outbox.depth(),
                               offline_since=self._status.offline_since or datetime.now(),
                               never_synced=mirror.never_copied())

    def _save(self) -> None:
        s = self._status
        state = {"server": s.server, "connected": s.connected, "queued": s.queued, "problem": s.problem,
                 "offline_since": s.offline_since.isoformat() if s.offline_since else None,
                 "synced": s.synced.isoformat() if s.synced else None, "never_synced": s.never_synced,
                 "written": datetime.now().isoformat()}
        try:
            write_atomically(self.state_file, json.dumps(state, indent=2) + "\n")
        except OSError as exc:  # a full disk: the status still reaches the panel
            log.debug("fleet state not saved: %s", exc)

    @contextlib.contextmanager
    def editing(self) -> Iterator[None]:
        """An edit of content or prompts, made on the server, then copied here."""
        status = self._status
        if not status.connected:
            since = f" since {status.offline_since:%H:%M}" if status.offline_since else ""
            raise DatabaseError(f"the fleet database is offline{since}; content and prompts are kept on "
                                "it, so edit them when it is back")
        server = self._server
        if server is None:
            raise DatabaseError("the fleet database is not connected yet; try again in a moment")
        try:
            with database.database.using(server):
                yield
        except (peewee.OperationalError, peewee.InterfaceError):
            server.close()  # this thread's connection is dead: the next edit opens another
            raise
        try:
            mirror.pull(server, force=True)
        except LOST as exc:
            log.warning("edit stored on the fleet database; its copy here waits for the next sync (%s)", exc)
        finally:
            server.close()  # the edit's connection is this thread's; the fleet thread has its own


def _listen(server: peewee.Database) -> Listener | None:
    """A listener for the server's word, or None (polling alone still brings every change)."""
    try:
        return Listener(server)
    except Exception as exc:  # the driver's own errors: a server too old, a proxy without LISTEN
        log.debug("fleet changes not listened for (%s); polling every step", exc)
        return None


def read_state(data_dir: Path) -> dict[str, object] | None:
    """The status a running fleet kiosk last wrote (for `check`), or None."""
    try:
        data = json.loads((Path(data_dir) / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def join(url: str, data_dir: Path, kiosk: str, shipped: Path, *,
         heartbeat: Heartbeat | None = None) -> tuple[FleetSync, str | None]:
    """A fleet kiosk's start: bind its local copy (the shipped content the first time), and, when
    that copy has never come from the fleet, try the server once now so the first items played
    are the fleet's (at most the connect timeout). The second value is a warning for the panel."""
    from cxkiosk.content import prompt_store

    _db, warning = mirror.open_mirror(mirror.mirror_path(data_dir), shipped)
    if warning is None:
        prompt_store.seed_default_prompts()
    sync = FleetSync(url, kiosk, data_dir, heartbeat=heartbeat)
    if mirror.never_copied():
        sync.step()
    sync.start()
    if warning is None and not sync.status.connected:
        warning = sync.status.line()
    return sync, warning

"""Word from the server that content or prompts changed: PostgreSQL's LISTEN on the channel the
revision trigger notifies (`cxkiosk_content`, see `database._REVISION_TRIGGER`), so an edit made
anywhere plays on every kiosk within a second or two rather than at the next poll. The poll
stays: a notification lost with a connection is caught by the revision at the next step."""

from __future__ import annotations

import select
from typing import Any

import peewee

CHANNEL = "cxkiosk_content"


class Listener:
    """Its own connection to the server (a listening one must not be inside the fleet thread's
    transactions), opened with the server database's own settings and password."""

    def __init__(self, server: peewee.Database) -> None:
        # A fresh driver connection with the server database's own parameters, as peewee makes one.
        self._conn: Any = server._connect()  # type: ignore[attr-defined]
        self._conn.autocommit = True
        with self._conn.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")

    def wait(self, seconds: float) -> bool:
        """True when a change was announced within `seconds`. A connection that broke raises
        (the caller drops this listener and goes back to polling)."""
        if not self._conn.notifies:
            ready, _, _ = select.select([self._conn], [], [], max(0.0, seconds))
            if ready:
                self._conn.poll()
        if self._conn.notifies:
            self._conn.notifies.clear()
            return True
        return False

    def close(self) -> None:
        try:
            self._conn.close()
        except Exception:  # already broken: nothing to release
            pass

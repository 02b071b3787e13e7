"""Two threads of one kiosk writing its file at once, as a fleet kiosk's player and fleet thread
do: the one that comes second waits its turn (the busy timeout) instead of failing, so no play
is kept in memory and no error is logged."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from cxkiosk.content import database, records
from cxkiosk.content.database import Outbox, PlayLog


def test_a_play_written_while_the_fleet_thread_empties_the_queue_is_stored_at_once(db):
    t0 = datetime(2026, 12, 1, 10)
    records.set_writer("hall-a", queue=True)
    try:
        records.log_play(None, None, t0, t0 + timedelta(seconds=5), "completed", code="first")
        holding = threading.Event()

        def fleet_thread() -> None:
            # outbox.send's last step: the sent entries deleted, committed while the play is written
            with database.database.atomic():
                Outbox.delete().execute()
                holding.set()
                time.sleep(0.5)

        sender = threading.Thread(target=fleet_thread)
        sender.start()
        holding.wait()
        records.log_play(None, None, t0 + timedelta(seconds=6), t0 + timedelta(seconds=11), "completed",
                         code="second")
        sender.join()
        assert records.pending_records() == 0
        assert sorted(code for (code,) in PlayLog.select(PlayLog.code).tuples()) == ["first", "second"]
        assert [row for (row,) in Outbox.select(Outbox.row).tuples()] == \
            [PlayLog.get(PlayLog.code == "second").id]
    finally:
        records.set_writer("")

"""The GUI lateness watch the soak benchmark reads: a frozen GUI thread shows in its log line."""

from __future__ import annotations

import logging
import re
import time

from PySide6.QtCore import QTimer


def test_a_frozen_gui_thread_shows_as_one_late_tick_in_the_log_line(qtbot, caplog):
    from cxkiosk.runtime.stalls import StallWatch

    watch = StallWatch(report_seconds=1.0)
    caplog.set_level(logging.INFO, logger="cxkiosk.stalls")
    watch.start()
    try:
        QTimer.singleShot(200, lambda: time.sleep(0.3))  # the GUI thread busy for 300 ms
        qtbot.waitUntil(lambda: any("GUI lateness" in r.getMessage() for r in caplog.records), timeout=10000)
    finally:
        watch.stop()
    line = next(r.getMessage() for r in caplog.records if "GUI lateness" in r.getMessage())
    worst = float(re.search(r"max ([\d.]+) ms", line).group(1))
    assert worst >= 300 - 20  # a stall shows to within one 20 ms tick
    assert re.search(r"\b[1-9]\d* over 100 ms", line), line

"""Start-up's objects frozen out of the garbage collector's walks, so full collections stay short
(cxkiosk/runtime/garbage.py), and the full collections the GUI lateness line reports."""

from __future__ import annotations

import gc
import logging
import re
import sys
import weakref

import pytest


@pytest.fixture
def unfrozen():
    """Whatever a test freezes is given back to the collector, for the tests after it."""
    gc.unfreeze()
    yield
    gc.unfreeze()


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_after_the_start_up_freeze_a_full_collection_walks_only_what_came_since(unfrozen):
    from cxkiosk.runtime.garbage import freeze_start_up

    before = len(gc.get_objects())
    frozen = freeze_start_up()
    assert frozen > 10_000  # pytest, PySide6 and the kiosk's modules: the bulk of the heap
    assert len(gc.get_objects()) < before / 10
    made_since = [Node() for _ in range(100)]
    assert all(any(o is n for o in gc.get_objects()) for n in made_since[:3])  # new objects are walked


def test_garbage_made_before_the_freeze_is_collected_not_frozen_for_good(unfrozen):
    from cxkiosk.runtime.garbage import freeze_start_up

    cycle = Node()
    gone = weakref.ref(cycle)
    del cycle
    freeze_start_up()
    assert gone() is None


def test_modules_imported_later_are_frozen_by_the_next_check(qtbot, tmp_path, monkeypatch, caplog, unfrozen):
    from cxkiosk.runtime.garbage import FreezeNewModules

    caplog.set_level(logging.INFO, logger="cxkiosk.garbage")
    freezer = FreezeNewModules()
    freezer.start()
    try:
        assert "start-up objects frozen" in caplog.text
        assert freezer.check() is False  # nothing imported: nothing to do
        (tmp_path / "late_module_for_freeze.py").write_text(
            "TABLE = {i: [str(i)] for i in range(5000)}\n", encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))
        frozen = gc.get_freeze_count()
        import late_module_for_freeze  # noqa: F401 - as the admin panel's modules come on first open

        assert freezer.check() is True
        assert gc.get_freeze_count() >= frozen + 5000
        assert "1 modules imported since the last freeze" in caplog.text
        assert freezer.check() is False
    finally:
        freezer.stop()
        sys.modules.pop("late_module_for_freeze", None)


def test_the_lateness_line_counts_the_periods_full_collections(qtbot, caplog):
    from PySide6.QtCore import QTimer

    from cxkiosk.runtime.stalls import StallWatch

    watch = StallWatch(report_seconds=1.0)
    caplog.set_level(logging.INFO, logger="cxkiosk.stalls")
    callbacks = len(gc.callbacks)
    watch.start()
    try:
        QTimer.singleShot(100, gc.collect)
        QTimer.singleShot(300, gc.collect)
        qtbot.waitUntil(lambda: "GUI lateness" in caplog.text, timeout=10000)
    finally:
        watch.stop()
    line = next(r.getMessage() for r in caplog.records if "GUI lateness" in r.getMessage())
    full = int(re.search(r"; (\d+) full garbage collections, longest [\d.]+ ms", line).group(1))
    assert full >= 2, line  # the two above, and any the collector made by itself meanwhile
    assert len(gc.callbacks) == callbacks  # stopped: the timing callback is gone

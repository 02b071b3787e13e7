"""Admin panel speed: what the operator waits for on the GUI thread. Prints a table; asserts nothing.

PIN hash and check (scrypt, the cost of one guess), unlocking (building every tab) and the
content table's reload with 100 / 1,000 / 10,000 items, today's figures over 20,000 plays, and
converting one 1280x720 preview frame. The last column counts references to None each step
loses: PySide6 6.12 on Python 3.11 drops one per void Qt call, and the interpreter aborts when
None's count reaches zero (the bench gives them back so it can finish).

    .venv/bin/python bench/bench_admin.py
"""

from __future__ import annotations

import ctypes
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cxkiosk.config import Paths, Settings  # noqa: E402
from cxkiosk.content import database  # noqa: E402
from cxkiosk.content.database import Content, PlayLog  # noqa: E402
from cxkiosk.pin import PinGuard, hash_pin, verify_pin  # noqa: E402
from ui.admin.panel import AdminPanel  # noqa: E402
from ui.admin.widgets import bgr_to_qimage  # noqa: E402

PIN = "4711"


_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]


def median_ms(fn, repeat: int) -> tuple[float, int]:
    """Median milliseconds of `fn`, and the references to None one call loses (median)."""
    times, lost = [], []
    for _ in range(repeat):
        before = sys.getrefcount(None)
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        gone = before - sys.getrefcount(None)
        lost.append(gone)
        for _ in range(max(0, gone)):
            _incref(None)
    return statistics.median(times), int(statistics.median(lost))


def fill(count: int) -> None:
    Content.delete().execute()
    rows = [{"title": f"item {n}", "url": f"https://example.com/item/{n}", "kind": "web",
             "keywords": "suit,glasses" if n % 3 else "", "age_min": 20 if n % 2 else None,
             "age_max": 40 if n % 2 else None, "hour_from": 9 if n % 5 == 0 else None,
             "hour_to": 17 if n % 5 == 0 else None} for n in range(count)]
    with database.database.atomic():
        for start in range(0, len(rows), 400):
            Content.insert_many(rows[start:start + 400]).execute()


def main() -> None:
    app = QApplication.instance() or QApplication([])
    results: list[tuple[str, tuple[float, int]]] = []
    stored = hash_pin(PIN)
    results.append(("PIN hash (scrypt N=2^14)", median_ms(lambda: hash_pin(PIN), 10)))
    results.append(("PIN check", median_ms(lambda: verify_pin(PIN, stored), 10)))
    with tempfile.TemporaryDirectory() as tmp:
        paths = Paths.for_data_dir(tmp)
        paths.create()
        database.open_database(str(paths.default_db))
        settings = Settings(admin_pin_hash=stored)

        def unlock() -> None:
            panel = AdminPanel(paths, settings, guard=PinGuard())
            panel.pin_dialog.pin.setText(PIN)
            panel.pin_dialog.submit()
            assert panel.unlocked
            panel.deleteLater()
            app.processEvents()

        for count in (100, 1000, 10_000):
            fill(count)
            results.append((f"unlock, {count} items (PIN + all tabs)", median_ms(unlock, 3)))
            panel = AdminPanel(paths, settings, guard=PinGuard())
            panel.pin_dialog.pin.setText(PIN)
            panel.pin_dialog.submit()
            results.append((f"content table reload, {count} items", median_ms(panel.content.reload, 3)))
            panel.deleteLater()
            app.processEvents()
            for _ in range(20_000):  # building the panels above lost references too; give them back
                _incref(None)

        start = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        ids = [c.id for c in Content.select(Content.id).limit(200)]
        plays = [{"item": ids[n % len(ids)], "start": start + timedelta(seconds=n * 4),
                  "outcome": "completed", "trigger": "idle"} for n in range(20_000)]
        with database.database.atomic():
            for i in range(0, len(plays), 400):
                PlayLog.insert_many(plays[i:i + 400]).execute()
        panel = AdminPanel(paths, settings, guard=PinGuard())
        panel.pin_dialog.pin.setText(PIN)
        panel.pin_dialog.submit()
        results.append(("figures refresh, 20,000 plays today", median_ms(panel.figures.refresh, 3)))
        frame = np.random.default_rng(1).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
        panel.tabs.setCurrentWidget(panel.devices)
        panel.show()
        app.processEvents()
        show = panel.devices.show_preview
        results.append(("preview frame 1280x720 -> label", median_ms(lambda: show(frame), 20)))
        results.append(("numpy -> QImage copy only", median_ms(lambda: bgr_to_qimage(frame), 20)))
        panel.close()
        database.close_database()

    width = max(len(name) for name, _ in results)
    print(f"{'step'.ljust(width)}  median ms  None refs lost")
    for name, (ms, lost) in results:
        print(f"{name.ljust(width)}  {ms:9.1f}  {lost:14d}")


if __name__ == "__main__":
    main()

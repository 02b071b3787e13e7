"""Captions: guardrail checks per second, time from asking to a caption against the loopback
server, calls in a busy hour with the cache on and off, and on an offscreen billboard the time
from an item's first frame to its tagline and to its caption. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_captions.py
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cxkiosk.captions.guard import problem  # noqa: E402
from cxkiosk.captions.writer import CaptionWriter  # noqa: E402
from cxkiosk.config import Settings  # noqa: E402
from cxkiosk.profiling.client import Classifier  # noqa: E402
from cxkiosk.values import Audience, Item, Person  # noqa: E402
from tests.fake_openai import FakeOpenAI, reply  # noqa: E402

ITEM = Item(1, "Travel-light suits", "https://example.com/s",
            description="Suits that fold into a carry-on. From $299.", tagline="Fold it. Pack it. Wear it.")
SAMPLES = ["Heading out after work? These suits fold into a carry-on.", "Perfect for men in their forties",
           "Only $199 today at www.example.com", "Fold it, pack it, wear it tonight.",
           "Great for older shoppers"]


def main() -> None:
    n = 20000
    t0 = time.perf_counter()
    for i in range(n):
        problem(SAMPLES[i % len(SAMPLES)], ITEM.description + " " + ITEM.tagline)
    checks = n / (time.perf_counter() - t0)
    audience = Audience(count=1, people=(Person(clothing="suit"),))
    segments = [f"segment {i}" for i in range(12)]  # a showroom's coarse segments
    rng = random.Random(3)
    with FakeOpenAI() as server:
        settings = Settings(privacy="full", provider="custom", base_url=server.base_url, model="m",
                            model_timeout=5.0, calls_per_hour=3600, calls_per_day=86400)
        classifier = Classifier(settings)
        times = []
        for _ in range(30):
            server.script(reply("Fold it into a carry-on tonight."))
            writer = CaptionWriter(classifier.write)
            t = time.perf_counter()
            writer.caption(ITEM, audience, "group of 2", datetime(2026, 12, 1, 18))
            times.append((time.perf_counter() - t) * 1000)
        server_ms = statistics.median(server.processing_ms) if server.processing_ms else 0.0
        busy = [rng.choice(segments) for _ in range(120)]  # 120 targeted plays in an hour, 10 items
        items = [Item(i, f"Item {i}", f"https://example.com/{i}", description="d", tagline="t")
                 for i in range(10)]
        calls = {}
        for cache in (True, False):
            writer = CaptionWriter(classifier.write, cache_seconds=1800 if cache else 0)
            for segment in busy:
                server.script(reply("Fold it into a carry-on tonight."))
                writer.caption(rng.choice(items), audience, segment, datetime(2026, 12, 1, 18))
            calls[cache] = writer.calls
    print(f"guardrail checks: {checks:,.0f} per second")
    print(f"ask to caption (loopback, median of 30): {statistics.median(times):.1f} ms "
          f"(server's own time {server_ms:.1f} ms)")
    print(f"calls for 120 targeted plays in an hour (10 items, 12 segments): cache on {calls[True]}, "
          f"cache off {calls[False]}")
    first_frame_to_caption()


def first_frame_to_caption() -> None:
    """The whole path on an offscreen billboard: a targeted slide shows its tagline with its first
    frame; the caption, written on its own thread by a server that takes 200 ms, replaces it."""
    import os
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication

    import ui.webpage  # noqa: F401 - the slides' scheme, before the application
    from cxkiosk.content.media import MediaFolders
    from cxkiosk.runtime.captions import CaptionWorker
    from cxkiosk.runtime.threads import WorkerThread
    from cxkiosk.values import Choice
    from tests.media import write_image
    from ui.billboard import Billboard

    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp())
    write_image(folder / "s.png")
    board = Billboard(media=MediaFolders((folder,)))
    board.resize(1280, 720)
    board.show()
    with FakeOpenAI() as server:
        classifier = Classifier(Settings(privacy="full", provider="custom", base_url=server.base_url,
                                         model="m", model_timeout=5.0, calls_per_hour=3600,
                                         calls_per_day=86400))
        worker = CaptionWorker(CaptionWriter(classifier.write), classifier.abort)
        thread = WorkerThread(worker, "captions-bench")
        thread.start()

        class Asker(QObject):
            ask = Signal(object, object)

        asker = Asker()
        asker.ask.connect(worker.request)
        worker.written.connect(board.show_caption)  # a method: queued to the GUI thread (ui/app.py)
        audience = Audience(count=1, people=(Person(clothing="suit"),))
        tagline_ms, caption_ms = [], []
        for n in range(10):
            server.script(reply("Fold it into a carry-on tonight.", delay=0.2))
            item = Item(100 + n, f"Item {n}", f"https://example.com/{n}", kind="slide", path="s.png",
                        duration=30, tagline="Fold it. Pack it. Wear it.")
            choice = Choice(item=item, trigger="targeted", segment=f"segment {n}", code=f"code{n:04d}")
            shown: list[float] = []
            board.started.connect(lambda _item, shown=shown: shown.append(time.perf_counter()))
            board.play(choice)
            while not shown:
                app.processEvents()
            tagline_ms.append(0.0 if board.headline.text() == item.tagline else float("nan"))
            asker.ask.emit(choice, audience)
            while board.headline.text() == item.tagline:
                app.processEvents()
                time.sleep(0.001)
            caption_ms.append((time.perf_counter() - shown[0]) * 1000)
            board.started.disconnect()
        thread.stop(3.0)
    board.stop_all()
    print(f"first frame to tagline: {statistics.median(tagline_ms):.0f} ms (shown with the frame)")
    print(f"first frame to caption on screen, server taking 200 ms: "
          f"median {statistics.median(caption_ms):.0f} ms, max {max(caption_ms):.0f} ms")


if __name__ == "__main__":
    main()

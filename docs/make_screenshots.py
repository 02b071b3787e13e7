"""Screenshots of every shipped local item as the billboard shows it: docs/shipped/*.png.

    QT_QPA_PLATFORM=offscreen python docs/make_screenshots.py

Each slide and clip of the shipped content.db plays in a real Billboard offscreen, at 1920x1080
and 1280x720, with the QR code it gets once `showroom_page` is set (a stand-in address here)
and, for targeted items, their tagline. A slide is taken when its entrance animation is over, a
clip 3 s in. The 1080p shots are saved at half size (960x540) to keep the repository small;
the 720p ones at full size, to show what a smaller screen really gets.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

import ui.webpage  # noqa: E402,F401 - declares the slides' URL scheme before the QApplication

OUT = ROOT / "docs" / "shipped"
SHOWROOM = "https://shop.halden.example/showroom"  # a stand-in for the operator's own page
SIZES = ((1920, 1080, 0.5), (1280, 720, 1.0))


def main() -> int:
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from cxkiosk.config import Settings
    from cxkiosk.content import database
    from cxkiosk.content.media import MediaFolders
    from cxkiosk.push.links import link_policy, qr_link
    from cxkiosk.values import Choice
    from ui.billboard import Billboard

    app = QApplication.instance() or QApplication([sys.argv[0]])
    database.open_database(str(ROOT / "content.db"), readonly=True)
    try:
        rows = list(database.Content.select().order_by(database.Content.id))
        items = [(row.to_item(), row.idle) for row in rows if row.kind in ("video", "slide")]
    finally:
        database.close_database()
    settings = Settings(showroom_page=SHOWROOM)
    OUT.mkdir(parents=True, exist_ok=True)

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    for width, height, scale in SIZES:
        board = Billboard(call_to_action=settings.qr_call_to_action, load_timeout=15.0,
                          link_for=lambda choice: qr_link(choice.pushed_item, settings, choice.code),
                          policy=link_policy(settings), media=MediaFolders.shipped())
        board.resize(width, height)
        board.show()
        for item, idle in items:
            started: list = []
            board.started.connect(started.append)
            board.play(Choice(item, trigger="idle" if idle else "targeted"))
            for _ in range(150):
                if started:
                    break
                wait(100)
            board.started.disconnect()
            if not started:
                print(f"{item.title}: did not start", file=sys.stderr)
                return 1
            wait(3000 if item.kind == "video" else 1800)
            image = board.grab().toImage()
            if scale != 1.0:
                image = image.scaledToWidth(int(width * scale), Qt.TransformationMode.SmoothTransformation)
            name = f"{'clip' if item.kind == 'video' else 'slide'}-{Path(item.path).stem}"
            out = OUT / f"{name}-{height}p.png"
            image.save(str(out))
            print(f"written {out.relative_to(ROOT)} ({out.stat().st_size // 1024} KB)")
        board.stop_all()
        board.close()
        board.deleteLater()
        wait(200)
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

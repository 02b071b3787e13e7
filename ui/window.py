"""The kiosk window's life: shown fullscreen (or windowed), photographed, and torn down in order."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def show_kiosk_window(window, windowed: bool, app) -> None:
    screen = app.primaryScreen()
    if windowed:
        window.resize(1280, 720)
        window.show()
        return
    from PySide6.QtCore import Qt

    window.setWindowFlag(Qt.WindowType.FramelessWindowHint)
    # With no window manager (Xvfb, some kiosk set-ups) fullscreen alone does not size the window.
    window.setGeometry(screen.geometry())
    window.showFullScreen()


def screenshot_and_quit(app, window, screenshot: str | None) -> None:
    if screenshot:
        path = Path(screenshot)
        path.parent.mkdir(parents=True, exist_ok=True)
        if window.grab().save(str(path)):
            logging.getLogger("cxkiosk").info("screenshot written to %s", path)
        else:
            print(f"cxkiosk: error: could not write screenshot {path}", file=sys.stderr)
            app.exit(1)
            return
    app.quit()


def delete_widgets(app, *widgets) -> None:
    """Delete windows (and their web views and media players) while Qt is still whole.

    Left to the interpreter's exit, they are destroyed in no particular order after the
    QApplication, which crashes in QtWebEngine (a segfault at exit after a YouTube item).
    """
    from PySide6.QtCore import QCoreApplication, QEvent

    for widget in widgets:
        if widget is not None:
            widget.close()
            widget.deleteLater()
    # processEvents() does not run deferred deletes outside the event loop; this does.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()

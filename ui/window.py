"""The kiosk window's life: shown fullscreen (or windowed), photographed, and torn down in order."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

# Qt's offscreen platform has one 800x800 screen; a billboard screenshot there (docs, headless
# checks) is taken at the size of a showroom screen instead.
OFFSCREEN_SIZE = (1920, 1080)
WINDOWED_SIZE = (1280, 720)


def show_kiosk_window(window, windowed: bool, app) -> None:
    if windowed:
        window.resize(*WINDOWED_SIZE)
        window.show()
        take_focus(window)
        return
    from PySide6.QtCore import Qt

    window.setWindowFlag(Qt.WindowType.FramelessWindowHint)
    if app.platformName() == "offscreen":
        window.setGeometry(0, 0, *OFFSCREEN_SIZE)
        window.show()
        return
    # With no window manager (Xvfb, some kiosk set-ups) fullscreen alone does not size the window.
    window.setGeometry(app.primaryScreen().geometry())
    window.showFullScreen()
    take_focus(window)


def take_focus(window) -> None:
    """Ask for the keyboard: with no window manager (Xvfb, a bare kiosk X session) nobody gives
    a new window focus, and the admin hotkey would do nothing until someone clicked it. Qt
    defers the request until the window is mapped."""
    from PySide6.QtCore import Qt

    window.raise_()
    window.activateWindow()
    window.setFocus(Qt.FocusReason.ActiveWindowFocusReason)


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

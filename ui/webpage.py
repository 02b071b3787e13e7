"""A locked-down web page: navigation only to an allow-list, no popups, a QWebChannel named py.

Visitors must never see a browser: no foreign page, no new window, no context menu, no dev tools.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from PySide6.QtCore import QFile, QIODevice, QObject, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineScript, QWebEngineSettings

log = logging.getLogger("cxkiosk.web")

# The origin the player page pretends to come from; YouTube wants an https referrer and a
# matching `origin` player parameter (file:// pages get error 153).
PLAYER_ORIGIN = "https://cxkiosk.localhost"
YOUTUBE_FRAME_HOSTS = ("www.youtube.com", "youtube.com", "www.youtube-nocookie.com", "youtube-nocookie.com")


def ensure_sandbox_flag() -> None:
    """As root, QtWebEngine aborts unless its sandbox is off: turn it off, and say so in the log.

    Call before the QApplication exists (Chromium reads the flags once) and after logging is set.
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags.split():
            os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()
        log.warning("running as root: QtWebEngine runs without its sandbox (--no-sandbox); "
                    "run the kiosk as a normal user where you can")


class Bridge(QObject):
    """The only object the page can reach: it forwards events as a Qt signal."""

    received = Signal(str, str)  # kind, value

    @Slot(str, str)
    def event(self, kind: str, value: str) -> None:
        self.received.emit(kind[:40], value[:200])


def _webchannel_script() -> QWebEngineScript:
    source = QFile(":/qtwebchannel/qwebchannel.js")
    source.open(QIODevice.OpenModeFlag.ReadOnly)
    script = QWebEngineScript()
    script.setName("qwebchannel")
    script.setSourceCode(bytes(source.readAll().data()).decode("utf-8"))
    source.close()
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    return script


class LockedPage(QWebEnginePage):
    refused = Signal(str)  # a URL the page tried to open and was not allowed to

    def __init__(self, parent: QObject | None = None, with_channel: bool = False) -> None:
        super().__init__(QWebEngineProfile.defaultProfile(), parent)
        self._main_allowed: set[str] = set()  # "scheme://host" origins the main frame may show
        self.bridge: Bridge | None = None
        settings = self.settings()
        settings.setAttribute(QWebEngineSettings.WebAttribute.PlaybackRequiresUserGesture, False)
        settings.setAttribute(QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows, False)
        settings.setAttribute(QWebEngineSettings.WebAttribute.ShowScrollBars, False)
        settings.setAttribute(QWebEngineSettings.WebAttribute.ErrorPageEnabled, False)
        settings.setAttribute(QWebEngineSettings.WebAttribute.FullScreenSupportEnabled, False)
        if with_channel:
            self.bridge = Bridge(self)
            channel = QWebChannel(self)
            channel.registerObject("py", self.bridge)
            self.setWebChannel(channel)
            self.scripts().insert(_webchannel_script())

    def allow_origins(self, urls: Iterable[QUrl]) -> None:
        self._main_allowed = {_origin(u) for u in urls}

    def acceptNavigationRequest(self, url: QUrl, nav_type: QWebEnginePage.NavigationType,
                                is_main_frame: bool) -> bool:  # noqa: N802 - Qt override
        if self._allowed(url, is_main_frame):
            return True
        log.warning("refused navigation to %s", url.toDisplayString()[:200])
        self.refused.emit(url.toString())
        return False

    def _allowed(self, url: QUrl, is_main_frame: bool) -> bool:
        scheme = url.scheme()
        if scheme in ("data", "about"):  # setHtml() content and blank frames
            return True
        if is_main_frame:
            return _origin(url) in self._main_allowed
        # Sub-frames: only YouTube's embed player (and what it frames itself on its own hosts).
        return scheme == "https" and url.host() in YOUTUBE_FRAME_HOSTS

    def createWindow(self, _type: QWebEnginePage.WebWindowType) -> QWebEnginePage | None:  # noqa: N802
        self.refused.emit("new window")
        log.warning("refused a new window")
        return None

    def javaScriptConsoleMessage(self, level, message: str, line: int, source: str) -> None:  # noqa: N802
        log.debug("js: %s (%s:%d)", message[:300], source[-60:], line)


def _origin(url: QUrl) -> str:
    if url.scheme() == "file":
        return "file://"
    return f"{url.scheme()}://{url.host()}"

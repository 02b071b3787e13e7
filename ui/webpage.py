"""A locked-down web page: navigation only to an allow-list, no popups, a QWebChannel named py;
and the sandbox HTML slides run in.

Visitors must never see a browser: no foreign page, no new window, no context menu, no dev tools.
An HTML slide is marketing's file, so it is treated as a stranger's page: it is served by
`SlideServer` from its own folder under its own origin (`cxslide://<folder token>/`), off the
record (nothing kept on disk), and reaches no `file:` URL, no other slide's folder and no
server on this machine (`_SlideFence`), and cannot navigate away or open a window.
"""

from __future__ import annotations

import atexit
import hashlib
import ipaddress
import logging
import mimetypes
import os
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QFile,
    QIODevice,
    QObject,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from cxkiosk.config import Settings
from cxkiosk.content.media import MB

log = logging.getLogger("cxkiosk.web")

# The origin the player page pretends to come from by default (the `youtube_origin` setting
# chooses another); YouTube wants an https referrer and a matching `origin` player parameter
# (file:// pages get error 153).
PLAYER_ORIGIN: str = Settings().youtube_origin
YOUTUBE_FRAME_HOSTS = ("www.youtube.com", "youtube.com", "www.youtube-nocookie.com", "youtube-nocookie.com")


SLIDE_SCHEME = b"cxslide"
SLIDE_FILE_LIMIT = 50 * MB  # one file of a slide's folder (an image, a font, a script)


def register_slide_scheme() -> None:
    """Declare the slides' URL scheme; Chromium takes it only before the QApplication exists, so
    this runs when this module is imported (ui.app imports it first)."""
    if QWebEngineUrlScheme.schemeByName(QByteArray(SLIDE_SCHEME)).name() == QByteArray(SLIDE_SCHEME):
        return
    if QCoreApplication.instance() is not None:
        log.error("slide scheme registered after the application started; HTML slides will not load")
    scheme = QWebEngineUrlScheme(QByteArray(SLIDE_SCHEME))
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    # Secure (so a slide's own https fetches are not mixed content); an origin per folder (Host
    # syntax); neither local nor allowed local access, so no file: URL is reachable from it.
    scheme.setFlags(QWebEngineUrlScheme.Flag.SecureScheme | QWebEngineUrlScheme.Flag.FetchApiAllowed
                    | QWebEngineUrlScheme.Flag.CorsEnabled)
    QWebEngineUrlScheme.registerScheme(scheme)


register_slide_scheme()


class SlideServer(QWebEngineUrlSchemeHandler):
    """Serves each HTML slide's folder, and only it, under an origin of its own.

    `url_for(html_file)` gives the slide's address; a request is answered only for a folder
    registered that way, only by GET, only from that same origin (or as the top-level load),
    only for a regular file inside the folder after symlinks, within SLIDE_FILE_LIMIT; anything
    else gets an empty answer.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folders: dict[str, Path] = {}

    def url_for(self, html: Path) -> QUrl:
        folder = html.parent.resolve()
        token = hashlib.sha256(str(folder).encode("utf-8")).hexdigest()[:20]
        self._folders[token] = folder
        url = QUrl()
        url.setScheme(SLIDE_SCHEME.decode())
        url.setHost(token)
        url.setPath("/" + html.name)
        return url

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 - Qt override
        url = job.requestUrl()
        folder = self._folders.get(url.host())
        initiator = job.initiator()
        foreign = not initiator.isEmpty() and initiator.toString() not in ("null", f"cxslide://{url.host()}")
        if folder is None or foreign or bytes(job.requestMethod().data()) != b"GET":
            log.warning("refused slide request %s (from %s)", url.toDisplayString()[:200],
                        initiator.toString()[:80] or "top level")
            _answer(job, b"")
            return
        relative = url.path(QUrl.ComponentFormattingOption.FullyDecoded).lstrip("/")
        try:
            real = (folder / relative).resolve(strict=True)
            if not real.is_relative_to(folder) or not real.is_file():
                raise FileNotFoundError(relative)
            if real.stat().st_size > SLIDE_FILE_LIMIT:
                raise OSError(f"over {SLIDE_FILE_LIMIT // MB} MB")
            data = real.read_bytes()
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("slide file %s not served (%s)", relative[:200], exc)
            _answer(job, b"")
            return
        _answer(job, data, mimetypes.guess_type(real.name)[0] or "application/octet-stream")


def _answer(job: QWebEngineUrlRequestJob, data: bytes, mime: str = "text/plain") -> None:
    """Reply with `data`. A refused or missing file is answered empty rather than with
    job.fail(): with fail(), a slide's fetch() never settles (seen with Qt 6.11)."""
    buffer = QBuffer(job)  # lives as long as the request
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    job.reply(QByteArray(mime.encode("ascii")), buffer)


class _SlideFence(QWebEngineUrlRequestInterceptor):
    """Every request a slide makes: no file:, qrc: or other local scheme, no server on this
    machine or another slide's folder; https and the slide's own folder only. Other pages (the
    YouTube player, web items) are left to their own locks."""

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 - Qt override
        url = info.requestUrl()
        scheme = url.scheme()
        first = info.firstPartyUrl()
        slide = SLIDE_SCHEME.decode()
        if first.scheme() != slide and scheme != slide:
            return
        allowed = (scheme in ("data", "blob")
                   or scheme == SLIDE_SCHEME.decode() and (first.host() == url.host() or first.isEmpty())
                   or scheme == "https" and not _is_local_host(url.host()))
        if not allowed:
            log.warning("slide request refused: %s", url.toDisplayString()[:200])
            info.block(True)


def _is_local_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified


_SLIDES: list[SlideServer] = []
_FENCE: list[QWebEngineUrlRequestInterceptor] = []  # Python must hold the interceptor too


def slide_server() -> SlideServer:
    """The slides' server on the default profile (off the record in Qt 6: no cookies or storage
    on disk), with the fence on every request a slide makes. One profile for every page, so no
    profile outlives or predeceases its pages at exit."""
    if not _SLIDES:
        # Owned here, not by the profile: the profile takes no ownership of either, and when both
        # it and Python delete them at exit the process crashes. `_release` detaches them first.
        profile = QWebEngineProfile.defaultProfile()
        server = SlideServer()
        profile.installUrlSchemeHandler(QByteArray(SLIDE_SCHEME), server)
        fence = _SlideFence()
        profile.setUrlRequestInterceptor(fence)
        _FENCE.append(fence)
        _SLIDES.append(server)
        atexit.register(_release, profile)
    return _SLIDES[0]


def _release(profile: QWebEngineProfile) -> None:
    profile.setUrlRequestInterceptor(None)
    profile.removeAllUrlSchemeHandlers()


def lock_down_for_slides(page: QWebEnginePage) -> None:
    """A slide's page: no file: URLs, no reaching out as local content, no windows, no plugins."""
    settings = page.settings()
    for attribute, on in ((QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, False),
                          (QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False),
                          (QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows, False),
                          (QWebEngineSettings.WebAttribute.JavascriptCanAccessClipboard, False),
                          (QWebEngineSettings.WebAttribute.PluginsEnabled, False)):
        settings.setAttribute(attribute, on)


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

    def __init__(self, parent: QObject | None = None, with_channel: bool = False,
                 profile: QWebEngineProfile | None = None) -> None:
        super().__init__(profile or QWebEngineProfile.defaultProfile(), parent)
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
        if scheme == "file":
            return False
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
        return "file://"  # never allowed: no page of the kiosk is a file
    return f"{url.scheme()}://{url.host()}"

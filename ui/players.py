"""The widgets that play one item each: YouTube, local video, image slide, web/HTML slide, and the
branded fallback. Each reports `started`, `finished` and `failed(reason)`; the billboard decides
what comes next."""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRectF, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from cxkiosk.content.media import MediaError, MediaFolders
from cxkiosk.links import HTTPS_ONLY, LinkError, LinkPolicy
from cxkiosk.resources import resource
from cxkiosk.values import Item
from ui.video_frames import FrameConverter
from ui.webpage import PLAYER_ORIGIN, LockedPage, SlideServer, lock_down_for_slides, slide_server

log = logging.getLogger("cxkiosk.billboard")

YOUTUBE_API = "https://www.youtube.com/iframe_api"
YOUTUBE_ERRORS = {
    "2": "invalid video id",
    "5": "HTML5 player error",
    "100": "video not found or private",
    "101": "owner does not allow embedding",
    "150": "owner does not allow embedding",
    "153": "YouTube does not accept this kiosk as an embedder (embedder identity missing)",
    "api-unavailable": "YouTube unreachable (no network?)",
}
WEB_RELOAD_HOURS = 6.0  # the `web_reload_hours` setting's default
_ENDED = QWebEnginePage.RenderProcessTerminationStatus
RENDER_ENDINGS = {
    _ENDED.NormalTerminationStatus: "render process exited",
    _ENDED.AbnormalTerminationStatus: "render process ended abnormally",
    _ENDED.CrashedTerminationStatus: "render process crashed",
    _ENDED.KilledTerminationStatus: "render process killed",
}


class Player(QWidget):
    """Base: one item at a time; `started` fires when its first frame is on screen."""

    started = Signal()
    finished = Signal()
    failed = Signal(str)
    kinds: tuple[str, ...] = ()

    def __init__(self, parent: QWidget | None = None, media: MediaFolders | None = None) -> None:
        super().__init__(parent)
        self.item: Item | None = None
        self.media = media or MediaFolders.shipped()  # where local files may come from
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(self.backgroundRole(), QColor("black"))
        self.setPalette(palette)
        self._timer = QTimer(self, singleShot=True)  # end of a still item
        self._timer.timeout.connect(self._still_done)

    def load(self, item: Item) -> None:
        raise NotImplementedError

    def _local_file(self, item: Item) -> Path | None:
        """The item's checked file (see MediaFolders.resolve); None after reporting why not."""
        try:
            return self.media.resolve(item.path)
        except MediaError as exc:
            reason = str(exc)
            QTimer.singleShot(0, lambda: self._refuse(item, reason))
            return None

    def _refuse(self, item: Item, reason: str) -> None:
        if self.item is item:
            self.failed.emit(reason)

    def stop(self) -> None:
        self._timer.stop()
        self.item = None

    def _run_for(self, seconds: float) -> None:
        self._timer.start(int(max(1.0, seconds) * 1000))

    def _still_done(self) -> None:
        if self.item is not None:
            self.finished.emit()


class VideoPlayer(Player):
    """A local video through QtMultimedia (H.264 plays here; the web view has no such codecs).

    Frames arrive through a QVideoSink, become pictures on `frames`' thread (never on the GUI
    thread: see ui.video_frames) and are painted by this widget, so overlays (QR code, consent
    notice) draw on top and a screenshot shows real pixels.
    """

    kinds = ("video",)
    _tickets = itertools.count(1)  # one per loaded item, unique across players sharing `frames`

    def __init__(self, parent: QWidget | None = None, media: MediaFolders | None = None, *,
                 frames: FrameConverter) -> None:
        super().__init__(parent, media)
        self._image = QImage()
        self._media: QMediaPlayer | None = None
        self._waiting_first_frame = False
        self._frames = frames
        self._ticket = 0  # the loaded item's; pictures of an earlier one are dropped
        frames.converted.connect(self._on_image)

    def load(self, item: Item) -> None:
        self.item = item
        path = self._local_file(item)
        if path is None:
            self._release_media()
            return
        # A fresh QMediaPlayer per item: the FFmpeg backend delivers status changes late, and a
        # previous file's "invalid media" must never be taken for the new one's.
        self._release_media()
        media = QMediaPlayer(self)
        sink = QVideoSink(media)
        media.setVideoSink(sink)
        sink.videoFrameChanged.connect(lambda frame, m=media: self._on_frame(m, frame))
        media.mediaStatusChanged.connect(lambda status, m=media: self._on_status(m, status))
        media.errorOccurred.connect(lambda _e, message, m=media: self._on_error(m, message))
        self._media = media
        self._ticket = next(self._tickets)
        self._waiting_first_frame = True
        media.setSource(QUrl.fromLocalFile(str(path)))
        media.play()

    def stop(self) -> None:
        super().stop()
        self._waiting_first_frame = False
        self._ticket = 0
        self._release_media()

    def _release_media(self) -> None:
        if self._media is not None:
            media, self._media = self._media, None
            media.stop()
            media.deleteLater()

    def _report_failure(self, item: Item, reason: str) -> None:
        if self.item is item:
            self.item = None  # one report per item; later errors from it are ignored
            self._release_media()
            self.failed.emit(reason)

    def _on_frame(self, media: QMediaPlayer, frame: QVideoFrame) -> None:
        if media is not self._media or self.item is None or not frame.isValid():
            return
        self._frames.submit(self._ticket, frame)

    @Slot(int, QImage)
    def _on_image(self, ticket: int, image: QImage) -> None:
        if ticket != self._ticket or self.item is None:
            return
        self._image = image
        self.update()
        if self._waiting_first_frame:
            self._waiting_first_frame = False
            self.started.emit()

    def _on_status(self, media: QMediaPlayer, status: QMediaPlayer.MediaStatus) -> None:
        if media is not self._media or self.item is None:
            return
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self.finished.emit()
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._report_failure(self.item, f"cannot play {Path(self.item.path).name}: "
                                 f"{media.errorString() or 'invalid media'}")

    def _on_error(self, media: QMediaPlayer, message: str) -> None:
        if media is self._media and self.item is not None:
            self._report_failure(self.item, f"video error: {message}")

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        if not self._image.isNull():
            _draw_fitted(painter, self._image, self.width(), self.height())


class ImageSlide(Player):
    kinds = ("slide-image",)

    def __init__(self, parent: QWidget | None = None, default_seconds: float = 10.0,
                 media: MediaFolders | None = None) -> None:
        super().__init__(parent, media)
        self._image = QImage()
        self.default_seconds = default_seconds

    def load(self, item: Item) -> None:
        self.item = item
        path = self._local_file(item)
        if path is None:
            return
        image = QImage(str(path))
        if image.isNull():
            QTimer.singleShot(0, lambda: self.failed.emit(f"image not found or unreadable: {path}"))
            return
        self._image = image
        self.update()
        QTimer.singleShot(0, self.started.emit)
        self._run_for(item.duration or self.default_seconds)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        if not self._image.isNull():
            _draw_fitted(painter, self._image, self.width(), self.height())


class WebPlayer(Player):
    """A player built on a web view, whose page (and Chromium render process) is replaced:
    - when the render process dies (out of memory, a crash, killed): the item on it is reported
      failed with the reason, and the next item gets a fresh page;
    - when the page is older than `reload_hours`, before the next item loads (never during one),
      so a page that lives across items (the YouTube player) does not grow for days.
    `clock` (monotonic seconds) is for tests."""

    def __init__(self, parent: QWidget | None = None, media: MediaFolders | None = None, *,
                 reload_hours: float = WEB_RELOAD_HOURS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent, media)
        self.reload_seconds = reload_hours * 3600
        self._clock = clock
        self.view = QWebEngineView(self)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.page: LockedPage = self._make_page()
        self._born = clock()
        self.pages_made = 1  # how many pages this player has had (the log and tests read it)

    def _make_page(self) -> LockedPage:
        """A new locked page for the view, set up for this kind of item."""
        raise NotImplementedError

    def _attach(self, page: LockedPage) -> LockedPage:
        page.renderProcessTerminated.connect(lambda status, code, p=page: self._render_gone(p, status, code))
        self.view.setPage(page)
        return page

    def _renew_page(self, why: str) -> None:
        old = self.page
        self.page = self._make_page()
        self._born = self._clock()
        self.pages_made += 1
        old.deleteLater()  # not now: this may run inside one of its own signals
        log.info("%s: new web page (%s)", type(self).__name__, why)

    def _renew_if_old(self) -> None:
        """Called as an item loads into this player, which is then not on screen (the billboard
        loads into the spare one): an old page is replaced here, between items."""
        age = self._clock() - self._born
        if age >= self.reload_seconds:
            self._renew_page(f"the old one had run {age / 3600:.1f} h")

    def _render_gone(self, page: LockedPage, status: QWebEnginePage.RenderProcessTerminationStatus,
                     code: int) -> None:
        if page is not self.page:
            return  # a page already replaced
        what = RENDER_ENDINGS.get(status, "render process ended")
        if status == _ENDED.AbnormalTerminationStatus:
            what += f", exit code {code}"
        item, self.item = self.item, None
        self._timer.stop()
        self._renew_page(what)
        if item is not None:
            self.failed.emit(f"web page crashed ({what})")
        else:
            log.warning("%s: an idle web page's %s", type(self).__name__, what)

    def resizeEvent(self, event) -> None:  # noqa: N802
        self.view.setGeometry(self.rect())
        super().resizeEvent(event)


class PageView(WebPlayer):
    """A web page item (its link checked by the link policy) or an HTML slide (served from its
    own folder in the slides' sandbox, see ui.webpage), locked to that page's own origin."""

    kinds = ("slide-html", "web")

    def __init__(self, parent: QWidget | None = None, default_seconds: float = 10.0,
                 media: MediaFolders | None = None, *, slides: bool = False,
                 policy: LinkPolicy = HTTPS_ONLY, reload_hours: float = WEB_RELOAD_HOURS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.server: SlideServer | None = slide_server() if slides else None
        super().__init__(parent, media, reload_hours=reload_hours, clock=clock)
        self.default_seconds = default_seconds
        self.policy = policy
        self._shown: Item | None = None  # the item whose page has loaded
        self.view.loadFinished.connect(self._on_loaded)

    def _make_page(self) -> LockedPage:
        page = LockedPage(self)  # owned by the player, so the view never deletes it behind Python's back
        if self.server is not None:
            lock_down_for_slides(page)
        return self._attach(page)

    def load(self, item: Item) -> None:
        self.item = item
        self._shown = None
        if self.server is None:
            try:
                page = self.policy.resolve(item.url)
                if not page:
                    raise LinkError(f"{item.url or 'no link'}: no page to show (set showroom_page)")
                url = QUrl(page)
            except LinkError as exc:
                reason = f"link refused: {exc}"
                QTimer.singleShot(0, lambda: self._refuse(item, reason))
                return
        else:
            path = self._local_file(item)
            if path is None:
                return
            url = self.server.url_for(path)
        self._renew_if_old()
        self.page.allow_origins([url])
        self.view.load(url)

    def _on_loaded(self, ok: bool) -> None:
        if self.item is None or self._shown is self.item:
            return  # a later load (a refused navigation, a frame) changes nothing on screen
        if not ok:
            self.failed.emit(f"page did not load: {self.item.url or self.item.path}")
            return
        self._shown = self.item
        self.started.emit()
        self._run_for(self.item.duration or self.default_seconds)

    def stop(self) -> None:
        super().stop()
        self.view.stop()


class YouTubePlayer(WebPlayer):
    """The IFrame API in a locked page; state and errors come back through QWebChannel.

    `origin` (the `youtube_origin` setting, an https origin checked by cxkiosk.links) is the
    page's own address: YouTube sees it as the IFrame API's `origin` and as the Referer. The page
    lives across items, so it is the one `reload_hours` renews."""

    kinds = ("youtube",)

    def __init__(self, parent: QWidget | None = None, api_url: str = YOUTUBE_API,
                 origin: str = PLAYER_ORIGIN, *, reload_hours: float = WEB_RELOAD_HOURS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.api_url = api_url
        self.origin = origin
        self._page_ready = False
        self._api_failed = False
        super().__init__(parent, reload_hours=reload_hours, clock=clock)

    def _make_page(self) -> LockedPage:
        page = LockedPage(self, with_channel=True)
        page.allow_origins([QUrl(self.origin)])
        assert page.bridge is not None
        page.bridge.received.connect(lambda kind, value, p=page: self._on_event(p, kind, value))
        self._attach(page)
        self._load_page(page)
        return page

    def _load_page(self, page: LockedPage) -> None:
        self._page_ready = False
        self._api_failed = False
        html = resource("player.html").read_text(encoding="utf-8").replace(YOUTUBE_API, self.api_url)
        page.setHtml(html, QUrl(self.origin + "/player.html"))

    def load(self, item: Item) -> None:
        self.item = item
        video = item.video_id
        if not video:
            QTimer.singleShot(0, lambda: self.failed.emit(f"not a YouTube link: {item.url}"))
            return
        self._renew_if_old()
        if self._api_failed:
            self._load_page(self.page)  # the network may be back; the page reloads the API
        if self._page_ready:
            self.page.runJavaScript(f"cxLoad({json.dumps(video)})")

    def stop(self) -> None:
        super().stop()
        if self._page_ready:
            self.page.runJavaScript("cxStop()")

    def _on_event(self, page: LockedPage, kind: str, value: str) -> None:
        if page is not self.page:
            return  # the page this player had before
        if kind == "page-ready":
            self._page_ready = True
            if self.item is not None and self.item.video_id:
                self.page.runJavaScript(f"cxLoad({json.dumps(self.item.video_id)})")
            return
        if self.item is None:
            return
        if kind == "playing" and value == self.item.video_id:
            self.started.emit()
        elif kind == "ended":
            self.finished.emit()
        elif kind == "error":
            self._api_failed = value == "api-unavailable"
            meaning = YOUTUBE_ERRORS.get(value, "unknown error")
            self.failed.emit(f"YouTube error {value}: {meaning}")


class FallbackSlide(Player):
    """Shown when nothing is playable: the showroom's name on a calm gradient, never an error."""

    def __init__(self, parent: QWidget | None = None, title: str = "Welcome", subtitle: str = "") -> None:
        super().__init__(parent)
        self.title = title
        self.subtitle = subtitle

    def load(self, item: Item) -> None:  # pragma: no cover - never given an item
        self.item = item

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        gradient = QLinearGradient(0, 0, self.width(), self.height())
        gradient.setColorAt(0, QColor("#0b2545"))
        gradient.setColorAt(1, QColor("#134074"))
        painter.fillRect(self.rect(), gradient)
        painter.setPen(QColor("white"))
        font = QFont()
        font.setPixelSize(max(24, self.height() // 9))
        font.setBold(True)
        painter.setFont(font)
        top = QRectF(0, 0, self.width(), self.height() * 0.55)
        painter.drawText(top, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, self.title)
        font.setPixelSize(max(14, self.height() // 28))
        font.setBold(False)
        painter.setFont(font)
        bottom = QRectF(0, self.height() * 0.6, self.width(), self.height() * 0.2)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self.subtitle)


def _draw_fitted(painter: QPainter, image: QImage, width: int, height: int) -> None:
    """Scale keeping the aspect ratio, centred, black bars around."""
    scale = min(width / image.width(), height / image.height())
    w, h = image.width() * scale, image.height() * scale
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.drawImage(QRectF((width - w) / 2, (height - h) / 2, w, h), image)

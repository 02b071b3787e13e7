"""The billboard window: plays one Choice at a time and reports what happened.

Public API for the rest of the app:
- `play(choice)` switches now: the new item loads in a hidden player and replaces the current
  one only when its first frame is ready, so there is no black gap between items;
- signals `started(item)`, `finished(item)`, `failed(item, reason)`.
It never decides what comes next (see cxkiosk.content.playlist); it only shows and forwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QStackedWidget, QWidget

from cxkiosk.config import Settings
from cxkiosk.consent import ConsentNotice
from cxkiosk.content.media import MediaError, MediaFolders, media_kind
from cxkiosk.links import HTTPS_ONLY, LinkError, LinkPolicy
from cxkiosk.push.links import qr_link
from cxkiosk.runtime.threads import WorkerThread
from cxkiosk.values import Choice, Item
from ui.overlays import CaptionBar, ConsentStrip, QrOverlay, ReasonsLabel, text_px
from ui.players import (
    WEB_RELOAD_HOURS,
    YOUTUBE_API,
    FallbackSlide,
    ImageSlide,
    PageView,
    Player,
    VideoPlayer,
    YouTubePlayer,
)
from ui.video_frames import FrameConverter, frame_thread
from ui.webpage import PLAYER_ORIGIN

log = logging.getLogger("cxkiosk.billboard")

LOAD_TIMEOUT_S = 5.0  # an item that shows nothing by then is skipped


ADMIN_KEYS = "Ctrl+Shift+A"


def player_kind(item: Item) -> str:
    if item.kind == "slide":
        return "slide-image" if media_kind(item.path) == "image" else "slide-html"
    return item.kind


class Billboard(QWidget):
    started = Signal(object)  # Item
    finished = Signal(object)  # Item
    failed = Signal(object, str)  # Item, reason
    admin_requested = Signal()

    def __init__(self, *, slide_seconds: float = 10.0, call_to_action: str = "",
                 tap_call_to_action: str = "",
                 link_for: Callable[[Choice], str] | None = None, load_timeout: float = LOAD_TIMEOUT_S,
                 fallback_title: str = "Welcome", fallback_subtitle: str = "",
                 youtube_api: str = YOUTUBE_API, media: MediaFolders | None = None,
                 policy: LinkPolicy = HTTPS_ONLY, youtube_origin: str = PLAYER_ORIGIN,
                 web_reload_hours: float = WEB_RELOAD_HOURS) -> None:
        super().__init__()
        self.setWindowTitle("cxkiosk")
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(self.backgroundRole(), QColor("black"))
        self.setPalette(palette)
        self._link_for = link_for or (lambda choice: qr_link(choice.pushed_item, Settings(), choice.code))
        self._media = media or MediaFolders.shipped()
        self._policy = policy
        self._slide_seconds = slide_seconds
        self._youtube_api = youtube_api
        self._youtube_origin = youtube_origin  # the page YouTube sees (the youtube_origin setting)
        self._web_reload_hours = web_reload_hours  # a web player's page is renewed this often
        self.stack = QStackedWidget(self)
        self.fallback = FallbackSlide(self, fallback_title, fallback_subtitle)
        self.stack.addWidget(self.fallback)
        self._pools: dict[str, list[Player]] = {}
        self._frames: WorkerThread | None = None  # the video players' converter, from the first one
        self.current: tuple[Choice, Player] | None = None
        self.loading: tuple[Choice, Player] | None = None
        self._load_timer = QTimer(self, singleShot=True)
        self._load_timer.timeout.connect(self._on_load_timeout)
        self._load_timeout_ms = int(load_timeout * 1000)
        self.qr = QrOverlay(self, call_to_action, tap_call_to_action)
        self.notice = ConsentStrip(self)
        self.reasons = ReasonsLabel(self)
        self.headline = CaptionBar(self)
        # A targeted item shows its tagline at once, and its caption when one is written for it
        # (a model is in use): `show_caption`.
        self.qr_enabled = True
        self._show_reasons = False
        # The hidden admin hotkey; the panel itself asks for the PIN.
        QShortcut(QKeySequence(ADMIN_KEYS), self, activated=self.admin_requested.emit)

    # -- public API -----------------------------------------------------------------------------

    def play(self, choice: Choice) -> None:
        """Load `choice` in a hidden player; it replaces the current item once it shows a frame."""
        if self.loading is not None:
            self._abandon_loading()
        refusal = self._refusal(choice.item)
        if refusal:  # refused before any player (or web view) is made for it
            QTimer.singleShot(0, lambda: self._fail(choice, refusal))
            return
        player = self._spare_player(player_kind(choice.item))
        if player is None:
            QTimer.singleShot(0, lambda: self._fail(choice, f"unknown kind {choice.item.kind!r}"))
            return
        self.loading = (choice, player)
        log.info("loading %s item %d %r", choice.trigger, choice.item.id, choice.item.title)
        self._load_timer.start(self._load_timeout_ms)
        player.load(choice.item)

    def _refusal(self, item: Item) -> str:
        """Why this item may not play here ("" when it may): the link policy for web pages, the
        media rule for local files. The players check again; this keeps a refused item from
        costing a player at all."""
        if item.kind == "web":
            try:
                if not self._policy.resolve(item.url):
                    raise LinkError(f"{item.url or 'no link'}: no page to show (set showroom_page)")
            except LinkError as exc:
                return f"link refused: {exc}"
        elif item.kind in ("video", "slide"):
            try:
                self._media.resolve(item.path)
            except MediaError as exc:
                return str(exc)
        return ""

    def show_fallback(self) -> None:
        """Nothing is playable: the branded slide, no QR code."""
        if self.loading is not None:
            self._abandon_loading()
        if self.current is not None:
            self.current[1].stop()
            self.current = None
        self.stack.setCurrentWidget(self.fallback)
        self.qr.hide()
        self.reasons.hide()
        self.headline.hide()

    def set_notice(self, notice: ConsentNotice | None) -> None:
        """The consent notice (None: nothing senses, no notice), always along the bottom edge."""
        self.notice.set_notice(notice)
        self._place_overlays()

    def set_call_to_action(self, call_to_action: str, tap_call_to_action: str) -> None:
        """The QR card's texts: without, and with, a working NFC reader."""
        self.qr.set_texts(call_to_action, tap_call_to_action)
        self._place_overlays()

    def set_reader_working(self, works: bool) -> None:
        """The NFC worker found (or lost) its reader: "or tap" shows only while it works."""
        self.qr.set_tap_works(works)
        self._place_overlays()

    def show_caption(self, code: str, text: str) -> None:
        """The caption written for the play with this code (a late one for an earlier play is
        dropped)."""
        if self.current is None or self.current[0].code != code or not text:
            return
        self.headline.setText(text)
        self.headline.code = code
        self.headline.show()
        self._place_overlays()

    def set_reasons_visible(self, visible: bool) -> None:
        self._show_reasons = visible

    def stop_all(self) -> None:
        """Stops every player and ends the billboard's thread (the kiosk's end, a test's)."""
        self._load_timer.stop()
        for players in self._pools.values():
            for player in players:
                player.stop()
        self.current = self.loading = None
        if self._frames is not None:  # its players go with it; a later video gets new ones
            self._frames.stop()
            self._frames = None
            for player in self._pools.pop("video", []):
                self.stack.removeWidget(player)
                player.deleteLater()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.stop_all()  # a closed window's thread must not outlive it
        super().closeEvent(event)

    def _frame_converter(self) -> FrameConverter:
        if self._frames is None:
            self._frames = frame_thread()
        worker = self._frames.worker
        assert isinstance(worker, FrameConverter)
        return worker

    # -- players --------------------------------------------------------------------------------

    def _spare_player(self, kind: str) -> Player | None:
        """Two players per kind: one on screen, one loading the next item behind it."""
        pool = self._pools.setdefault(kind, [])
        busy = self.current[1] if self.current else None
        for player in pool:
            if player is not busy:
                return player
        if len(pool) >= 2:
            return None
        player = self._make_player(kind)
        if player is None:
            return None
        pool.append(player)
        return player

    def _make_player(self, kind: str) -> Player | None:
        hours = self._web_reload_hours
        factories = {
            "youtube": lambda: YouTubePlayer(self.stack, self._youtube_api, self._youtube_origin,
                                             reload_hours=hours),
            "video": lambda: VideoPlayer(self.stack, self._media, frames=self._frame_converter()),
            "slide-image": lambda: ImageSlide(self.stack, self._slide_seconds, self._media),
            "slide-html": lambda: PageView(self.stack, self._slide_seconds, self._media, slides=True,
                                           reload_hours=hours),
            "web": lambda: PageView(self.stack, self._slide_seconds, policy=self._policy, reload_hours=hours),
        }
        if kind not in factories:
            return None
        player = factories[kind]()
        self.stack.addWidget(player)
        player.started.connect(lambda p=player: self._on_started(p))
        player.finished.connect(lambda p=player: self._on_finished(p))
        player.failed.connect(lambda reason, p=player: self._on_failed(p, reason))
        return player

    def _on_started(self, player: Player) -> None:
        if self.loading is None or self.loading[1] is not player:
            return
        self._load_timer.stop()
        choice, _ = self.loading
        self.loading = None
        previous = self.current
        self.stack.setCurrentWidget(player)
        if previous is not None and previous[1] is not player:
            previous[1].stop()
        self.current = (choice, player)
        self._show_overlays(choice)
        QTimer.singleShot(0, self._take_focus_back)
        log.info("playing item %d %r", choice.item.id, choice.item.title)
        self.started.emit(choice.item)

    def _on_finished(self, player: Player) -> None:
        if self.current is None or self.current[1] is not player:
            return
        item = self.current[0].item
        self.finished.emit(item)

    def _on_failed(self, player: Player, reason: str) -> None:
        if self.loading is not None and self.loading[1] is player:
            choice = self.loading[0]
            self._abandon_loading()
            self._fail(choice, reason)
        elif self.current is not None and self.current[1] is player:
            self._fail(self.current[0], reason)

    def _on_load_timeout(self) -> None:
        if self.loading is not None:
            choice = self.loading[0]
            self._abandon_loading()
            self._fail(choice, f"nothing shown within {self._load_timeout_ms / 1000:.0f} s")

    def _abandon_loading(self) -> None:
        self._load_timer.stop()
        if self.loading is not None:
            self.loading[1].stop()
            self.loading = None

    def _fail(self, choice: Choice, reason: str) -> None:
        log.warning("item %d %r skipped: %s", choice.item.id, choice.item.title, reason)
        self.failed.emit(choice.item, reason)

    # -- overlays -------------------------------------------------------------------------------

    def _show_overlays(self, choice: Choice) -> None:
        link = self._link_for(choice) if self.qr_enabled else ""
        self.qr.show_link(link, self.height())
        tagline = choice.item.tagline.strip() if choice.trigger == "targeted" else ""
        self.headline.setText(tagline)
        self.headline.code = choice.code
        self.headline.setVisible(bool(tagline))
        # Whom the item is made for, never what was guessed about the visitor (no age on screen).
        if self._show_reasons and choice.trigger == "targeted" and choice.made_for:
            self.reasons.setText(f"for: {choice.made_for}")
            self.reasons.show()
        else:
            self.reasons.hide()
        self._place_overlays()

    def _place_overlays(self) -> None:
        # isHidden(), not isVisible(): before the window is first shown every child counts as
        # invisible, and an overlay placed then would stay where Qt put it (top left, small).
        height, width = self.height(), self.width()
        margin = max(8, height // 60)
        self.stack.setGeometry(self.rect())
        notice_h = 0
        if not self.notice.isHidden():
            self.notice.fit(width, height)
            notice_h = self.notice.height()
            self.notice.move(0, height - notice_h)
            self.notice.raise_()
        if not self.qr.isHidden():
            self.qr.adjustSize()
            self.qr.move(width - self.qr.width() - margin, height - notice_h - self.qr.height() - margin)
            self.qr.raise_()
        if not self.headline.isHidden():
            font = self.headline.font()
            font.setPixelSize(text_px(height, 20, 16))
            self.headline.setFont(font)
            room = width - 3 * margin - (0 if self.qr.isHidden() else self.qr.width())
            self.headline.setFixedWidth(max(120, room))
            self.headline.adjustSize()
            self.headline.move(margin, height - notice_h - self.headline.height() - margin)
            self.headline.raise_()
        if not self.reasons.isHidden():
            font = self.reasons.font()
            font.setPixelSize(text_px(height, 40))
            self.reasons.setFont(font)
            # One line when it fits in two thirds of the width, wrapped only beyond (a wrapping
            # label picks its own narrow width otherwise).
            self.reasons.setWordWrap(False)
            self.reasons.setMinimumWidth(0)
            self.reasons.setMaximumWidth(16777215)
            one_line = self.reasons.sizeHint().width()
            self.reasons.setWordWrap(one_line > width * 2 // 3)
            self.reasons.setFixedWidth(min(one_line, width * 2 // 3))
            self.reasons.adjustSize()
            self.reasons.move(margin, margin)
            self.reasons.raise_()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.current is not None and not self.qr.isHidden():
            self.qr.show_link(self.qr.link, self.height())
        self._place_overlays()

    def _take_focus_back(self) -> None:
        """A web view (a YouTube item, an HTML slide) loses the window its keyboard focus when
        it first shows; with no window manager (a bare X server) nobody gives it back, and the
        admin hotkey went dead. Asked again whenever an item starts, unless another window of
        the kiosk (the admin panel) has the focus."""
        if self.isVisible() and QApplication.activeWindow() is None:
            self.activateWindow()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        # Nothing a visitor presses does anything; Escape only leaves a --windowed dev window.
        if event.key() == Qt.Key.Key_Escape and not self.isFullScreen():
            self.close()

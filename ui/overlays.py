"""What sits on top of the content: the QR code with its call to action, the consent notice,
the item's headline and (in demo mode) whom the item is made for.

Type sizes follow the screen height H, so a 720p and a 4K screen read the same from the same
distance: the headline H/20, the QR card's call to action and the demo line H/40 (27 px at
1080p: about 17 mm on a 55-inch screen, the size the usual 25 mm per 3 m rule asks for at 2 m),
the consent notice H/45 (read from closer, where a visitor stops to read it).
"""

from __future__ import annotations

import html
import io

import segno
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from cxkiosk.consent import ConsentNotice

PANEL = QColor(12, 14, 18, 200)  # the strips' backing: white text on it is legible over any frame


def qr_pixmap(link: str, size: int, border: int = 4) -> QPixmap:
    """A QR code of `link`, about `size` pixels wide, with its quiet zone, crisp (integer scale)."""
    code = segno.make(link, error="m", micro=False)
    modules = code.symbol_size(scale=1, border=border)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(2, size // modules), border=border, dark="black", light="white")
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap


def text_px(height: int, fraction: int, floor: int = 12) -> int:
    """A type size for a screen `height` pixels tall: height/fraction, never below `floor`."""
    return max(floor, height // fraction)


class QrOverlay(QWidget):
    """A white card with the QR code and a short call to action that says what works here:
    "scan or tap" only while an NFC reader is working, "scan" otherwise."""

    def __init__(self, parent: QWidget, call_to_action: str, tap_call_to_action: str = "") -> None:
        super().__init__(parent)
        self.link = ""
        self.scan_text = call_to_action
        self.tap_text = tap_call_to_action
        self.tap_works = False
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(self.backgroundRole(), QColor("white"))
        self.setPalette(palette)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 10)
        layout.setSpacing(2)
        self.code = QLabel(self)
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel(self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #111; font-weight: 600;")
        layout.addWidget(self.code)
        layout.addWidget(self.caption)
        self._update_caption()
        self.hide()

    def set_texts(self, call_to_action: str, tap_call_to_action: str) -> None:
        self.scan_text, self.tap_text = call_to_action, tap_call_to_action
        self._update_caption()

    def set_tap_works(self, works: bool) -> None:
        """An NFC reader is (or is no longer) there to tap."""
        self.tap_works = works
        self._update_caption()

    def _update_caption(self) -> None:
        self.caption.setText(self.tap_text if self.tap_works and self.tap_text else self.scan_text)
        if not self.isHidden():
            self.adjustSize()

    def show_link(self, link: str, screen_height: int) -> None:
        """Show the code for `link`; ~22% of the screen height scans from 1 m at 1080p."""
        self.link = link
        if not link:
            self.hide()
            return
        side = max(120, int(screen_height * 0.22))
        self.code.setPixmap(qr_pixmap(link, side))
        font = self.caption.font()
        font.setPixelSize(text_px(screen_height, 40))
        self.caption.setFont(font)
        self.caption.setFixedWidth(int(self.code.pixmap().width() * 1.3))  # two lines, not three
        self.adjustSize()
        self.show()
        self.raise_()


class Strip(QLabel):
    """White text on a translucent dark backing."""

    def __init__(self, parent: QWidget, style: str = "color: white; padding: 6px 14px;") -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(style)
        self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), PANEL)
        painter.end()
        super().paintEvent(event)


class ConsentStrip(QWidget):
    """The consent notice, full width along the bottom edge: a small QR code of the privacy
    link, a bold title ("Camera in use"), the filled template (cxkiosk.consent)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.notice: ConsentNotice | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout = QHBoxLayout(self)
        self.code = QLabel(self)
        self.code.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.text.setStyleSheet("color: white;")
        layout.addWidget(self.code, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.text, 1)
        self.hide()

    def set_notice(self, notice: ConsentNotice | None) -> None:
        self.notice = notice
        if notice is None:
            self.hide()
            return
        body = "<br>".join(html.escape(line) for line in notice.text.splitlines())
        self.text.setText(f"<b>{html.escape(notice.title)}.</b> {body}")
        self.code.setVisible(bool(notice.link))
        self.show()

    def fit(self, width: int, height: int) -> None:
        """Size for a screen `width` x `height`: the text at height/45, the QR code of the privacy
        link about a tenth of the height (scannable from arm's length, where one reads it)."""
        px = text_px(height, 45)
        margin = max(8, height // 90)
        self.layout().setContentsMargins(margin * 2, margin, margin * 2, margin)
        self.layout().setSpacing(margin * 2)
        font = self.text.font()
        font.setPixelSize(px)
        self.text.setFont(font)
        if self.notice is not None and self.notice.link:
            self.code.setPixmap(qr_pixmap(self.notice.link, max(64, height // 10), border=2))
        self.setFixedSize(width, max(self.heightForWidth(width), self.minimumSizeHint().height()))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), PANEL)
        painter.end()
        super().paintEvent(event)


class ReasonsLabel(Strip):
    """Demo mode: whom the current item is made for ("for: women 25–55, suit"), top left. The
    item's own targeting, never a guess about the visitor in front of the screen."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, "color: white; padding: 8px 16px;")


class CaptionBar(Strip):
    """The item's headline: its tagline at once, the caption written for the visitors when it
    comes. Large, bottom left, above the notice and beside (never over) the QR card."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, "color: white; font-weight: 600; padding: 10px 18px;")
        self.code = ""  # the play this text belongs to

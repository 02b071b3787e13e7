"""What sits on top of the content: the QR code with its call to action, the consent notice,
and (in demo mode) why the item was chosen."""

from __future__ import annotations

import io

import segno
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


def qr_pixmap(link: str, size: int) -> QPixmap:
    """A QR code of `link`, about `size` pixels wide, with its quiet zone, crisp (integer scale)."""
    code = segno.make(link, error="m", micro=False)
    modules = code.symbol_size(scale=1, border=4)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(2, size // modules), border=4, dark="black", light="white")
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap


class QrOverlay(QWidget):
    """A white card with the QR code and a short call to action."""

    def __init__(self, parent: QWidget, call_to_action: str) -> None:
        super().__init__(parent)
        self.link = ""
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(self.backgroundRole(), QColor("white"))
        self.setPalette(palette)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(4)
        self.code = QLabel(self)
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel(call_to_action, self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: black; font-weight: bold;")
        layout.addWidget(self.code)
        layout.addWidget(self.caption)
        self.hide()

    def show_link(self, link: str, screen_height: int) -> None:
        """Show the code for `link`; ~22% of the screen height scans from 1 m at 1080p."""
        self.link = link
        if not link:
            self.hide()
            return
        side = max(120, int(screen_height * 0.22))
        self.code.setPixmap(qr_pixmap(link, side))
        font = self.caption.font()
        font.setPixelSize(max(12, screen_height // 50))
        self.caption.setFont(font)
        self.caption.setFixedWidth(self.code.pixmap().width())
        self.adjustSize()
        self.show()
        self.raise_()


class NoticeStrip(QLabel):
    """A translucent strip of text along the bottom edge (consent notice)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("color: white; padding: 6px 12px;")
        self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 170))
        painter.end()
        super().paintEvent(event)


class ReasonsLabel(NoticeStrip):
    """Demo mode: the audience and the reasons for the current choice, small, top left."""


class CaptionBar(NoticeStrip):
    """The item's headline: its tagline at once, the caption written for the visitors when it
    comes. Large, bottom left, above the notice and beside (never over) the QR card."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setStyleSheet("color: white; font-weight: 600; padding: 10px 18px;")
        self.code = ""  # the play this text belongs to

"""Qt's own messages into the log file, not onto a console nobody reads.

Two sources print on every start unless caught: QtMultimedia's library probe (PipeWire, VA-API:
"Couldn't load pipewire-0.3 library", printed while PySide6.QtMultimedia is imported, so the
handler must be in place before that import) and FFmpeg's own `av_log` (the "Input #0, mov,mp4"
block of every file opened). FFmpeg writes straight to stderr unless Qt's FFmpeg backend is
started with QT_FFMPEG_DEBUG set, which is the only switch it offers: it then routes av_log
through qDebug/qInfo/qWarning (category "default", text "FFmpeg log: ...") and raises FFmpeg's
level to debug. FFmpeg's debug lines are dropped by a filter rule before they reach Python
unless the log itself is at DEBUG; the rest goes to the log at DEBUG.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QLoggingCategory, QMessageLogContext, QtMsgType, qInstallMessageHandler

log = logging.getLogger("cxkiosk.qt")

# Categories whose every line is start-up or per-file chatter: kept, at DEBUG.
CHATTER_CATEGORIES = ("qt.multimedia",)
FFMPEG_PREFIX = "FFmpeg log: "

_LEVELS = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.DEBUG,
           QtMsgType.QtWarningMsg: logging.INFO, QtMsgType.QtCriticalMsg: logging.ERROR,
           QtMsgType.QtFatalMsg: logging.CRITICAL}


def classify(kind: QtMsgType, category: str | None, message: str) -> tuple[int, str]:
    """The log level and text for one Qt message."""
    text = message
    if text.startswith('"') and text.endswith('"'):  # qInfo() << QString quotes it
        text = text[1:-1]
    if text.startswith(FFMPEG_PREFIX):
        level = logging.INFO if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) else logging.DEBUG
        return level, "ffmpeg: " + text[len(FFMPEG_PREFIX):]
    if category and category.startswith(CHATTER_CATEGORIES):
        level = logging.INFO if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) else logging.DEBUG
        return level, f"{category}: {text}"
    return _LEVELS.get(kind, logging.INFO), text


def _handle(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    level, text = classify(kind, context.category, message)
    log.log(level, "%s", text)


def route_qt_messages() -> None:
    """Install the handler; call before PySide6.QtMultimedia is imported and before the first
    media player exists (QT_FFMPEG_DEBUG is read when the FFmpeg backend starts)."""
    os.environ.setdefault("QT_FFMPEG_DEBUG", "1")
    if not log.isEnabledFor(logging.DEBUG):
        # FFmpeg's debug lines (a few dozen per file opened) stop in Qt, never reaching Python.
        QLoggingCategory.setFilterRules("default.debug=false")
    qInstallMessageHandler(_handle)

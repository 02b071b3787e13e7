"""Video frames turned into pictures off the GUI thread and without Python's lock.

`QVideoFrame.toImage()` maps a decoded frame and converts its pixels to RGB, and PySide holds
the GIL all the while (py-spy shows the GUI thread `active+gil` inside it). On the GUI thread
that is the whole kiosk standing still, and moving the call to a worker thread alone would not
help: every Python slot on the GUI thread would wait for the lock instead. The soak caught it
at up to 270 ms. So one worker thread converts, with OpenCV, which lets go of the GIL: the
frame's Y'CbCr planes are read where the decoder left them, the chroma is scaled up, and one
colour matrix (see `colour_matrix`) writes B, G, R straight into
the QImage's own memory. Formats OpenCV is not given here (10-bit, packed 4:2:2, RGB) go
through `toImage()` still, on this thread.

Only the newest frame of each player waits: a frame that arrives while another converts
replaces the one waiting, so the screen shows the newest picture and nothing queues up behind
a slow conversion.
"""

from __future__ import annotations

import logging
import threading

import cv2
import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QVideoFrame, QVideoFrameFormat

from cxkiosk.runtime.threads import Worker, WorkerThread

log = logging.getLogger("cxkiosk.billboard")

_Pixel = QVideoFrameFormat.PixelFormat
_Space = QVideoFrameFormat.ColorSpace
# (Kr, Kb) of each colour space's luma: R' = Y' + 2(1 - Kr) Cr, B' = Y' + 2(1 - Kb) Cb.
_LUMA = {_Space.ColorSpace_BT601: (0.299, 0.114), _Space.ColorSpace_BT709: (0.2126, 0.0722),
         _Space.ColorSpace_BT2020: (0.2627, 0.0593), _Space.ColorSpace_AdobeRgb: (0.299, 0.114)}
# Planar and semi-planar 8-bit 4:2:0, as FFmpeg's decoders hand them over: which plane holds
# Cb and which Cr ("uv": one interleaved plane).
_LAYOUTS = {_Pixel.Format_YUV420P: ("u", "v"), _Pixel.Format_YV12: ("v", "u"),
            _Pixel.Format_NV12: ("uv",), _Pixel.Format_NV21: ("vu",)}


def colour_matrix(surface: QVideoFrameFormat) -> np.ndarray:
    """The 4x4 matrix cv2.transform applies to (Y, Cb, Cr, 1) to give (B, G, R, 255).

    Where the file does not say: BT.709 above 576 lines and BT.601 up to it, video range unless
    full range is stated (Adobe RGB: BT.601 at full range). That is what Qt's GPU path
    (qvideotexturehelper.cpp) and common players assume; Qt's CPU fallback takes BT.601 at every
    size, which gives an untagged HD clip slightly wrong colours.
    """
    space = surface.colorSpace()
    if space not in _LUMA:
        space = _Space.ColorSpace_BT709 if surface.frameHeight() > 576 else _Space.ColorSpace_BT601
    kr, kb = _LUMA[space]
    kg = 1.0 - kr - kb
    full = (surface.colorRange() == QVideoFrameFormat.ColorRange.ColorRange_Full
            or space == _Space.ColorSpace_AdobeRgb)
    y_scale, c_scale, y_zero = (1.0, 1.0, 0.0) if full else (255 / 219, 255 / 224, 16.0)
    rows = {  # coefficients of Y', Cb, Cr for each output channel
        "b": (1.0, 2 * (1 - kb), 0.0),
        "g": (1.0, -2 * kb * (1 - kb) / kg, -2 * kr * (1 - kr) / kg),
        "r": (1.0, 0.0, 2 * (1 - kr)),
    }
    matrix = np.zeros((4, 4), np.float32)
    for i, channel in enumerate("bgr"):
        y, cb, cr = rows[channel]
        coefficients = (y * y_scale, cb * c_scale, cr * c_scale)
        matrix[i, :3] = coefficients
        matrix[i, 3] = -coefficients[0] * y_zero - (coefficients[1] + coefficients[2]) * 128
    matrix[3, 3] = 255.0
    return matrix


def _plane(frame: QVideoFrame, index: int, rows: int, width: int, channels: int = 1) -> np.ndarray:
    """A view of a mapped plane, its padding cut off (no copy). An odd size's last half chroma
    row or column is not always there: the plane then ends a row or column short."""
    stride = frame.bytesPerLine(index)
    bits = frame.bits(index)
    rows = min(rows, len(bits) // stride)
    width = min(width, stride // channels)
    if rows < 1 or width < 1:
        raise ValueError(f"plane {index} holds {len(bits)} bytes at {stride} a row")
    data = np.frombuffer(bits, np.uint8, count=stride * rows).reshape(rows, stride)
    plane = data[:, : width * channels]
    return plane.reshape(rows, width, channels) if channels > 1 else plane


def to_picture(frame: QVideoFrame) -> QImage:
    """The frame as an RGB32 QImage (null if it cannot be read); see the module's docstring."""
    layout = _LAYOUTS.get(frame.pixelFormat())
    w, h = frame.width(), frame.height()
    if layout is None or w < 2 or h < 2:
        return frame.toImage()
    mapped = QVideoFrame(frame)  # a handle of its own to map: the caller's stays untouched
    if not mapped.map(QVideoFrame.MapMode.ReadOnly):
        return QImage()
    try:
        cw, ch = (w + 1) // 2, (h + 1) // 2
        luma = _plane(mapped, 0, h, w)
        if len(layout) == 2:
            chroma = {name: _plane(mapped, 1 + i, ch, cw) for i, name in enumerate(layout)}
            cb, cr = chroma["u"], chroma["v"]
        else:
            pairs = _plane(mapped, 1, ch, cw, channels=2)
            cb, cr = (pairs[..., 0], pairs[..., 1]) if layout[0] == "uv" else (pairs[..., 1], pairs[..., 0])
        size = (w, h)
        ycc = cv2.merge((luma, cv2.resize(cb, size, interpolation=cv2.INTER_LINEAR),
                         cv2.resize(cr, size, interpolation=cv2.INTER_LINEAR)))
        image = QImage(w, h, QImage.Format.Format_RGB32)
        pixels = np.frombuffer(image.bits(), np.uint8).reshape(h, image.bytesPerLine() // 4, 4)
        target = pixels[:, :w]
        out = cv2.transform(ycc, colour_matrix(frame.surfaceFormat()), dst=target)
        if not np.shares_memory(out, target):  # OpenCV made its own array instead
            target[:] = out
        return image
    finally:
        mapped.unmap()


class FrameConverter(Worker):
    """An event worker: `submit` from any thread; `converted(ticket, image)` comes back queued
    to whoever listens (a player keeps the pictures of its own current ticket only)."""

    converted = Signal(int, QImage)
    _wake = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._waiting: dict[int, QVideoFrame] = {}  # ticket -> its newest frame
        self._refused: set[QVideoFrameFormat.PixelFormat] = set()  # warned of once each
        self._wake.connect(self._convert)  # queued once moved: emitted here, run on the worker

    def submit(self, ticket: int, frame: QVideoFrame) -> None:
        with self._lock:
            idle = not self._waiting
            self._waiting[ticket] = frame  # QVideoFrame is shared, not copied
        if idle:
            self._wake.emit()

    @Slot()
    def _convert(self) -> None:
        while not self.stopping:
            with self._lock:
                if not self._waiting:
                    return
                ticket = next(iter(self._waiting))  # the longest waiting: players take turns
                frame = self._waiting.pop(ticket)
            try:
                image = to_picture(frame)
            except Exception as exc:  # a decoder's odd plane layout: Qt's own way still works
                if frame.pixelFormat() not in self._refused:
                    self._refused.add(frame.pixelFormat())
                    log.warning("video frames in %s: %s; converting them the slow way",
                                frame.pixelFormat().name, exc)
                image = frame.toImage()
            if not image.isNull():
                self.converted.emit(ticket, image)


def frame_thread() -> WorkerThread:
    """A started converter thread; its owner stops it (`WorkerThread.stop`)."""
    thread = WorkerThread(FrameConverter(), "video-frames")
    thread.start()
    return thread

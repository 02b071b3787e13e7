"""cxkiosk: the core of the showroom kiosk. Plain Python; no QtWidgets/QtGui/QtWebEngine here."""

import os

__version__ = "0.1.0"

# OpenCV refuses to decode a picture larger than this (read once, at its first decode): a small
# file can claim 20000x20000 pixels and take 12 GB. 40 MP is above any camera's still.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(40_000_000))

"""cxkiosk: the core of the showroom kiosk. Plain Python; no QtWidgets/QtGui/QtWebEngine here."""

__version__ = "0.1.0"

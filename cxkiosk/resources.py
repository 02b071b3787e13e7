"""Files shipped with the program (resources/, content.db), found the same way from a source
checkout and from inside a PyInstaller bundle (sys._MEIPASS)."""

from __future__ import annotations

import sys
from pathlib import Path


def install_root() -> Path:
    """The folder holding resources/ and content.db; read-only at run time."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


def resource(*parts: str) -> Path:
    return install_root().joinpath("resources", *parts)


def shipped_db() -> Path:
    return install_root() / "content.db"

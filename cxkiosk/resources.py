"""Files shipped with the program (resources/, content.db), found the same way from a source
checkout, an installed wheel and a PyInstaller bundle (sys._MEIPASS)."""

from __future__ import annotations

import sys
from pathlib import Path

# Where a wheel carries the top-level resources/ and content.db: pyproject.toml maps the
# checkout's root to this folder of the package (package-dir "cxkiosk._shipped" = ".").
WHEEL_FOLDER = "_shipped"


def install_root() -> Path:
    """The folder holding resources/ and content.db; read-only at run time."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    package = Path(__file__).resolve().parent
    installed = package / WHEEL_FOLDER
    if (installed / "content.db").is_file():
        return installed
    return package.parent  # a source checkout (or an editable install of one)


def resource(*parts: str) -> Path:
    return install_root().joinpath("resources", *parts)


def shipped_db() -> Path:
    return install_root() / "content.db"


# The shipped clip of a visitor walking up: `--demo`'s camera. Rows a demo run writes are marked
# as demo (the clip is no visitor) and reports leave them out unless asked.
DEMO_SOURCE = "file:resources/demo/visitor.mp4"


def source_path(path: str) -> Path:
    """The file or folder a `file:`/`images:` source names: a relative `resources/...` is the
    shipped folder wherever the program is installed; any other path is taken as given."""
    given = Path(path)
    if not given.is_absolute() and given.parts[:1] == ("resources",):
        return install_root() / given
    return given


def is_demo_source(spec: str) -> bool:
    """The source is the shipped demo clip (however its path is spelled)."""
    text = (spec or "").strip()
    if not text.lower().startswith("file:"):
        return False
    try:
        return source_path(text[len("file:"):]).resolve() == resource("demo", "visitor.mp4").resolve()
    except OSError:
        return False


def command_line(args: str) -> str:
    """How an operator runs this program with `args` here, for messages: from a source checkout
    `python main.py ARGS`, installed or frozen `cxkiosk ARGS`."""
    if not getattr(sys, "frozen", False) and (install_root() / "main.py").is_file():
        return f"python main.py {args}"
    return f"cxkiosk {args}"

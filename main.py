"""cxkiosk from a source checkout: `python main.py [COMMAND] ...`, the same program as the
installed `cxkiosk` command (ui/main.py). PyInstaller's build.spec starts here too."""

from __future__ import annotations

import sys

from ui.main import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())

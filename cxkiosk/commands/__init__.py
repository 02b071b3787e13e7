"""Command-line subcommands, one module each.

A module here defines `register(subparsers, common)`, which adds its parser and sets
`handler=<function(args) -> int>`. `common` is the parent parser with --data-dir/--db/--verbose.
The list is explicit rather than discovered: a frozen (PyInstaller) build cannot list a
package's modules, and an explicit list is also where a reader finds every command.
"""

from __future__ import annotations

import importlib
from types import ModuleType

COMMANDS = ("autostart", "check", "classify", "content", "fleet", "nfc", "pin", "report", "select",
            "supervise")


def command_modules() -> list[ModuleType]:
    return [importlib.import_module(f"{__name__}.{name}") for name in COMMANDS]

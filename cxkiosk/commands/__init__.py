"""Command-line subcommands, one module each.

A module here defines `register(subparsers, common)`, which adds its parser and sets
`handler=<function(args) -> int>`. `main.py` discovers them, so adding a command never edits a
shared file. `common` is the parent parser with --data-dir/--db/--verbose.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_modules() -> list[ModuleType]:
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    return modules

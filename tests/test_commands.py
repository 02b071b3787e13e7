"""Every command module is registered, and every registered name is a module."""

from pathlib import Path

from cxkiosk import commands


def test_every_command_module_is_listed():
    folder = Path(commands.__file__).parent
    modules = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_") and p.stem != "common"}
    assert modules == set(commands.COMMANDS)

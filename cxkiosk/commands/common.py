"""What every command shares: the data folder, settings with command-line overrides, and
one-line errors."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from typing import NoReturn

from cxkiosk.config import PRIVACY_MODES, Paths, Settings, load_settings, problem
from cxkiosk.log import setup_logging


class UsageError(Exception):
    """Bad input from the command line: printed as one line, exit 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; a kiosk's scripts want one clear line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def common_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR",
                        help="folder for settings, database and logs (default: the user's data folder)")
    common.add_argument("--db", metavar="PATH", help="database file or URL (default: DIR/content.db)")
    common.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    return common


def add_sensing_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", metavar="SPEC",
                        help="camera:N | file:PATH | images:DIR | thermal:PORT[@BAUD] | none")
    parser.add_argument("--privacy", choices=PRIVACY_MODES, help="what may leave the machine")


def add_provider_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider", metavar="PRESET",
                        help="openai | ollama | llamacpp | vllm | lmstudio | custom")
    parser.add_argument("--base-url", metavar="URL", help="OpenAI-compatible server address")
    parser.add_argument("--model", metavar="NAME", help="model name on that server")


@dataclass
class Context:
    paths: Paths
    settings: Settings
    db_spec: str  # the database path or URL to open


def context(args: argparse.Namespace, log_to_file: bool = True, log_name: str = "cxkiosk.log") -> Context:
    """Paths + settings for this invocation, with command-line flags applied over settings."""
    try:
        paths = Paths.for_data_dir(getattr(args, "data_dir", None))
    except (RuntimeError, OSError) as exc:  # "~nosuchuser/x", an unreadable home folder
        raise UsageError(f"--data-dir {getattr(args, 'data_dir', '')!r}: {exc}") from None
    try:
        paths.create()
    except OSError as exc:
        if not paths.data.is_dir():
            raise UsageError(f"cannot create data folder {paths.data}: {exc.strerror or exc}") from exc
        # A read-only or full data folder: run on (the shipped content plays, `check` names it).
    level = logging.DEBUG if getattr(args, "verbose", False) else logging.INFO
    setup_logging(paths.logs if log_to_file else None, level, name=log_name)
    settings = load_settings(paths)
    for flag, name in FLAG_SETTINGS:
        value = getattr(args, flag, None)
        if value is not None:
            setattr(settings, name, value)
    db_spec = getattr(args, "db", None) or settings.db or str(paths.default_db)
    if getattr(args, "db", None) and "://" not in args.db and not args.db.startswith("file:") \
            and "?" not in args.db:  # URIs and :memory: are refused by the database with their reason
        from pathlib import Path

        folder = Path(args.db).expanduser().parent
        if not folder.is_dir():  # a typo in a path: never a new folder tree and an empty database
            raise UsageError(f"--db {args.db}: the folder {folder} does not exist")
    return Context(paths=paths, settings=settings, db_spec=db_spec)


# The flags `run` takes over settings, and the setting each one sets.
FLAG_SETTINGS = (("source", "source"), ("privacy", "privacy"), ("provider", "provider"),
                 ("base_url", "base_url"), ("model", "model"), ("nfc", "nfc_device"))


def flag_problems(args: argparse.Namespace, settings: Settings) -> list[str]:
    """What is unusable among the flags given on this command line (the settings they set are
    in `settings` already): each as the line `check` would print for it."""
    given = {name for flag, name in FLAG_SETTINGS if getattr(args, flag, None) is not None}
    problems = [msg for name in sorted(given) if (msg := problem(name, getattr(settings, name)))]
    if problems:
        return problems
    if "source" in given:
        from cxkiosk.config import Privacy
        from cxkiosk.resources import source_path
        from cxkiosk.sensing.sources import SourceError, parse_spec

        try:
            kind, where = parse_spec(settings.source)
        except SourceError as exc:
            problems.append(f"--source: {exc}")
        else:
            refusal = Privacy.of(settings).refusal(kind, settings.source)
            if refusal:
                problems.append(f"--source: {refusal}")
            elif kind in ("file", "images") and not source_path(where).expanduser().exists():
                problems.append(f"--source: {where} does not exist")
    if given & {"provider", "base_url", "model"}:
        from cxkiosk.profiling.providers import ProviderError, resolve_provider

        try:
            resolve_provider(settings.provider, settings.base_url, settings.model)
        except ProviderError as exc:
            problems.append(f"--provider: {exc}")
    if "nfc_device" in given:
        from cxkiosk.push.nfc import check_device

        try:
            check_device(settings.nfc_device)
        except ValueError as exc:
            problems.append(f"--nfc: {exc}")
    return problems


def refuse_unusable(args: argparse.Namespace, settings: Settings) -> None:
    """`run` starts only with flags `check` would accept: a mistyped flag is a usage error (exit
    2, one line), not a kiosk that runs without what was asked for. Values from settings.json
    are not refused here: an unattended kiosk plays on and the panel and `check` name them."""
    problems = flag_problems(args, settings)
    if problems:
        raise UsageError("; ".join(problems))


def fail(message: str, code: int = 2) -> int:
    print(f"cxkiosk: error: {message}", file=sys.stderr)
    return code


def ask_secret(prompt: str) -> str:
    """A PIN or password: typed unseen at a terminal, one line from a pipe (scripts, tests).
    EOFError when the pipe is empty."""
    import getpass

    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")

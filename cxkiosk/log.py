"""Logging for an unattended kiosk: named loggers, a rotating file, and hooks so an uncaught
exception in any thread is logged instead of reaching the screen."""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_fault_file: TextIO | None = None


def setup_logging(log_dir: Path | None, level: int = logging.INFO, console: bool = True) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    formatter = logging.Formatter(FORMAT)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(formatter)
        stream.setLevel(logging.WARNING if level <= logging.INFO else level)
        root.addHandler(stream)
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_dir / "cxkiosk.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(formatter)
        root.addHandler(handler)
        _enable_faulthandler(log_dir / "crash.log")
    install_excepthooks()


def _enable_faulthandler(path: Path) -> None:
    # A hard crash (segfault in a C library) still leaves a Python stack trace for IT.
    global _fault_file
    if _fault_file is None:
        _fault_file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the app
        faulthandler.enable(_fault_file)


def install_excepthooks() -> None:
    def on_exception(exc_type: Any, exc: BaseException, tb: Any) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        logging.getLogger("cxkiosk.crash").critical("uncaught exception", exc_info=(exc_type, exc, tb))

    def on_thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        logging.getLogger("cxkiosk.crash").critical(
            "uncaught exception in thread %s", getattr(args.thread, "name", "?"),
            exc_info=args.exc_value or True)

    sys.excepthook = on_exception
    threading.excepthook = on_thread_exception

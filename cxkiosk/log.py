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


def setup_logging(log_dir: Path | None, level: int = logging.INFO, console: bool = True,
                  name: str = "cxkiosk.log") -> None:
    """Log to stderr (warnings and up) and, with `log_dir`, to a rotating file `name` there (one
    file per process that runs for long: two processes rotating one file lose lines). A folder
    that cannot be written (read-only, full) is said once on stderr and the kiosk runs on."""
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
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            handler = FileLog(log_dir / name, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        except OSError as exc:
            _say(f"cannot write logs to {log_dir} ({exc.strerror or exc}); logging to the console only")
        else:
            handler.setFormatter(formatter)
            root.addHandler(handler)
            _enable_faulthandler(log_dir / ("crash.log" if name == "cxkiosk.log" else
                                            f"{Path(name).stem}-crash.log"))
    install_excepthooks()


def log_failure_to_file(message: str) -> bool:
    """Put the exception being handled, with its traceback, in the log file only (never on the
    console); False when no log file is open for this command."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, FileLog)]
    if not handlers:
        return False
    record = logging.getLogger("cxkiosk").makeRecord("cxkiosk", logging.ERROR, __file__, 0, message, (),
                                                     sys.exc_info())
    for handler in handlers:
        handler.handle(record)
    return True


def _say(line: str) -> None:
    _console(f"cxkiosk: warning: {line}")


def _console(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # no console at all (pythonw): nothing more to do
        pass


class FileLog(logging.handlers.RotatingFileHandler):
    """The log file, for weeks unattended: when a line cannot be written (disk full, the folder
    gone read-only) it goes to stderr instead, with one notice, never a "--- Logging error ---"
    traceback; the file is used again as soon as it can be written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failing = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.shouldRollover(record):
                self.doRollover()
            if self.stream is None:
                self.stream = self._open()
            self.stream.write(self.format(record) + self.terminator)
            self.stream.flush()
        except (OSError, ValueError) as exc:
            if not self.failing:
                self.failing = True
                reason = getattr(exc, "strerror", None) or exc
                _say(f"cannot write the log file {self.baseFilename} ({reason}); logging to the console "
                     "until it can")
            self._drop_stream()
            if record.levelno < logging.WARNING:  # warnings and errors reach the console anyway
                _console(self.format(record))
            return
        if self.failing:
            self.failing = False
            _say(f"the log file {self.baseFilename} is written again")

    def _drop_stream(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass


def _enable_faulthandler(path: Path) -> None:
    # A hard crash (segfault in a C library) still leaves a Python stack trace for IT.
    global _fault_file
    if _fault_file is None:
        try:
            _fault_file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the app
        except OSError:
            return
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

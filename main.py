"""cxkiosk entry point: parses arguments, sets up logging, builds the app. Nothing else."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from cxkiosk.commands import command_modules
from cxkiosk.commands.common import (
    OneLineParser,
    UsageError,
    add_provider_args,
    add_sensing_args,
    common_parser,
    fail,
)

DEFAULT_COMMAND = "run"


def build_parser() -> argparse.ArgumentParser:
    common = common_parser()
    parser = OneLineParser(
        prog="cxkiosk",
        description="Showroom kiosk: billboard, visitor sensing, targeted content, NFC/QR link push.",
        epilog="With no command, 'run' is assumed: python main.py --windowed",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    run = sub.add_parser("run", parents=[common], help="start the kiosk (the default)")
    run.add_argument("--windowed", action="store_true", help="a normal window instead of fullscreen")
    run.add_argument("--demo", action="store_true", help="play the shipped demo visitor clip as the camera")
    add_sensing_args(run)
    add_provider_args(run)
    run.add_argument("--nfc", metavar="DEVICE", help="nfcpy path: usb | usb:VID:PID | tty:USB0:pn532 | "
                     "udp:HOST:PORT | none")
    run.add_argument("--screenshot", metavar="PNG", help="save a screenshot (needs --quit-after)")
    run.add_argument("--quit-after", metavar="SECONDS", type=float, help="quit after this many seconds")
    run.set_defaults(handler=run_kiosk)
    for module in command_modules():
        module.register(sub, common)
    return parser


def run_kiosk(args: argparse.Namespace) -> int:
    """Build the kiosk: database, playlist, billboard, workers; wire them; run the event loop."""
    from ui.webpage import ensure_sandbox_flag

    ensure_sandbox_flag()  # must precede QApplication
    if sys.platform.startswith("linux") and not any(
            os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return fail("no display: run on the desktop, under Xvfb, or with QT_QPA_PLATFORM=offscreen")
    # Qt and everything behind it are imported only when the kiosk itself runs.
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from cxkiosk import models
    from cxkiosk.commands.common import context
    from cxkiosk.playlist import Playlist
    from cxkiosk.resources import shipped_db
    from cxkiosk.runtime.programme import Programme
    from ui.billboard import Billboard

    ctx = context(args)
    settings = ctx.settings
    log = logging.getLogger("cxkiosk")
    log.info("starting cxkiosk; data folder %s", ctx.paths.data)
    db, db_warning = models.prepare_database(ctx.db_spec, shipped_db())
    if db_warning:
        log.error("%s", db_warning)

    _route_qt_messages()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("cxkiosk")
    billboard = Billboard(slide_seconds=settings.slide_seconds, call_to_action=settings.qr_call_to_action,
                          link_for=lambda item: _link_or_nothing(item, settings), fallback_subtitle="")
    billboard.qr_enabled = settings.qr_enabled
    billboard.set_reasons_visible(settings.show_reasons or bool(getattr(args, "demo", False)))
    playlist = Playlist(models.playlist(), unhealthy_seconds=settings.unhealthy_minutes * 60)
    programme = Programme(playlist, record=lambda r: models.log_play(
        r.item.id, r.chosen.id, r.started, r.ended, r.outcome, r.reason, r.trigger, r.audience))
    programme.play.connect(billboard.play)
    programme.fallback.connect(billboard.show_fallback)
    billboard.started.connect(programme.on_started)
    billboard.finished.connect(programme.on_finished)
    billboard.failed.connect(programme.on_failed)

    _show(billboard, windowed=args.windowed, app=app)
    if not args.windowed:
        app.setOverrideCursor(Qt.CursorShape.BlankCursor)
    QTimer.singleShot(0, programme.advance)

    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), lambda: _finish(app, billboard, args.screenshot))
    code = app.exec()
    billboard.stop_all()
    billboard.deleteLater()
    app.processEvents()
    models.close_database()
    return code


def _route_qt_messages() -> None:
    """Qt's own warnings go to the log file, not to a console nobody reads."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("cxkiosk.qt")
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.DEBUG,
              QtMsgType.QtWarningMsg: logging.INFO, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
    qInstallMessageHandler(
        lambda kind, _ctx, message: qt_log.log(levels.get(kind, logging.INFO), "%s", message))


def _link_or_nothing(item, settings) -> str:
    """The QR code's link; an item without a valid link shows no code rather than a wrong one."""
    from cxkiosk.items import LinkError
    from cxkiosk.push import pushed_link

    try:
        return pushed_link(item, settings) if item.url else ""
    except LinkError:
        return ""


def _show(window, windowed: bool, app) -> None:
    screen = app.primaryScreen()
    if windowed:
        window.resize(1280, 720)
        window.show()
        return
    from PySide6.QtCore import Qt

    window.setWindowFlag(Qt.WindowType.FramelessWindowHint)
    # With no window manager (Xvfb, some kiosk set-ups) fullscreen alone does not size the window.
    window.setGeometry(screen.geometry())
    window.showFullScreen()


def _finish(app, window, screenshot: str | None) -> None:
    if screenshot:
        path = Path(screenshot)
        path.parent.mkdir(parents=True, exist_ok=True)
        if window.grab().save(str(path)):
            logging.getLogger("cxkiosk").info("screenshot written to %s", path)
        else:
            print(f"cxkiosk: error: could not write screenshot {path}", file=sys.stderr)
            app.exit(1)
            return
    app.quit()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    if argv and not argv[0].startswith("-") and argv[0] not in commands:
        return fail(f"unknown command {argv[0]!r}; choose from {', '.join(sorted(commands))}")
    if not argv or argv[0] not in commands | {"-h", "--help"}:
        argv.insert(0, DEFAULT_COMMAND)
    args = parser.parse_args(argv)
    if getattr(args, "screenshot", None) and args.quit_after is None:
        return fail("--screenshot needs --quit-after SECONDS")
    try:
        return int(args.handler(args) or 0)
    except UsageError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

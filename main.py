"""cxkiosk entry point: parses arguments, sets up logging, builds the app. Nothing else."""

from __future__ import annotations

import argparse
import logging
import os
import sys

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
    if sys.platform.startswith("linux") and not any(
            os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return fail("no display: run on the desktop, under Xvfb, or with QT_QPA_PLATFORM=offscreen")
    # Qt and everything behind it are imported only when the kiosk itself runs.
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from cxkiosk.commands.common import context
    from cxkiosk.content import database
    from cxkiosk.content.playlist import Playlist
    from cxkiosk.runtime.programme import Programme
    from cxkiosk.runtime.status import StatusBoard
    from ui.admin.opener import AdminOpener
    from ui.billboard import Billboard
    from ui.webpage import ensure_sandbox_flag
    from ui.window import delete_widgets, screenshot_and_quit, show_kiosk_window

    ctx = context(args)
    ensure_sandbox_flag()  # after logging is set, before the QApplication
    settings = ctx.settings
    if getattr(args, "demo", False):
        settings.source = DEMO_SOURCE
        settings.show_reasons = True
    log = logging.getLogger("cxkiosk")
    log.info("starting cxkiosk; data folder %s", ctx.paths.data)
    try:
        _, db_warning = database.open_configured(ctx.db_spec, ctx.paths.default_db)
    except database.DatabaseError as exc:
        return fail(f"{exc}")
    if db_warning:
        log.error("%s", db_warning)

    _route_qt_messages()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("cxkiosk")
    billboard = Billboard(slide_seconds=settings.slide_seconds, call_to_action=settings.qr_call_to_action,
                          link_for=lambda item: _link_or_nothing(item, settings))
    billboard.qr_enabled = settings.qr_enabled
    billboard.set_reasons_visible(settings.show_reasons)
    playlist = Playlist(database.playlist(), unhealthy_seconds=settings.unhealthy_minutes * 60)
    programme = Programme(playlist, record=lambda r: database.log_play(
        r.item.id, r.chosen.id, r.started, r.ended, r.outcome, r.reason, r.trigger, r.audience))
    programme.play.connect(billboard.play)
    programme.fallback.connect(billboard.show_fallback)
    billboard.started.connect(programme.on_started)
    billboard.finished.connect(programme.on_finished)
    billboard.failed.connect(programme.on_failed)

    status = StatusBoard()
    status.set("database", db_warning or f"{ctx.db_spec}: {len(playlist.items)} items in the idle playlist")
    threads, chain, workers = _start_chain(ctx, settings, programme, playlist, billboard, status)
    admin = AdminOpener(ctx.paths, settings, billboard, playlist, status, workers)
    billboard.admin_requested.connect(admin.open)

    show_kiosk_window(billboard, windowed=args.windowed, app=app)
    if not args.windowed:
        app.setOverrideCursor(Qt.CursorShape.BlankCursor)
    QTimer.singleShot(0, programme.advance)
    heartbeat = _heartbeat(app)  # noqa: F841 - the supervisor's proof that the GUI thread is alive
    signal_timer = _quit_on_signals(app)  # noqa: F841 - kept alive with the event loop

    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000),
                          lambda: screenshot_and_quit(app, billboard, args.screenshot))
    code = app.exec()
    programme.stop()
    for thread in threads:  # each joins within its bound; a hung device never blocks exit for long
        thread.stop(2.0)
    billboard.stop_all()
    delete_widgets(app, billboard, admin.panel)
    database.close_database()
    return code


DEMO_SOURCE = "file:resources/demo/visitor.mp4"


def resolve_source(spec: str) -> str:
    """'auto': the first camera if one is plugged in, else the shipped demo visitor clip."""
    if spec.strip().lower() != "auto":
        return spec
    from PySide6.QtMultimedia import QMediaDevices

    if QMediaDevices.videoInputs():
        return "camera:0"
    logging.getLogger("cxkiosk").warning(
        "no camera found: the demo visitor clip is the source (set source to camera:0 to wait for one)")
    return DEMO_SOURCE


def _start_chain(ctx, settings, programme, playlist, billboard, status) -> tuple:
    """Sensing -> (model) -> selection -> programme, and the NFC pusher; returns the started threads."""
    from cxkiosk.config import Privacy, consent_notice
    from cxkiosk.content import database
    from cxkiosk.content.selection import Selector
    from cxkiosk.resources import install_root
    from cxkiosk.runtime.chain import KioskChain
    from cxkiosk.runtime.threads import WorkerThread
    from cxkiosk.sensing.sources import SourceError, parse_spec

    threads: list[WorkerThread] = []
    nfc = _start_nfc(settings, threads, status)
    selector = Selector.from_settings(settings)

    def push(item) -> None:
        if nfc is not None:
            link = _link_or_nothing(item, settings)
            nfc.set_link(link or None, item.id, item.title)

    def log_visit(event, audience, provider, latency) -> None:
        database.log_audience(audience, provider=provider, latency_ms=latency, dwell=event.dwell,
                              watchers=event.watchers, sensitive=settings.sensitive_attributes)

    source = resolve_source(settings.source)
    if source.startswith("file:resources/"):  # shipped media, wherever the install folder is
        source = "file:" + str(install_root() / source[len("file:"):])
    privacy = Privacy.of(settings)
    try:
        kind, problem = parse_spec(source)[0], ""
    except SourceError as exc:
        kind, problem = "none", str(exc)
    sensing = privacy.allows_source(kind)
    if not sensing and kind != "none" and privacy.mode != "off":
        # e.g. privacy mode thermal with a camera: no camera picture may be taken at all
        problem = f"privacy mode {privacy.mode} uses an infrared sensor only; {source} is not opened"
    if problem:
        logging.getLogger("cxkiosk.capture").error("%s", problem)
    capture = None
    if sensing:
        from cxkiosk.runtime.capture import CaptureWorker

        capture = CaptureWorker(source, width=settings.camera_width, height=settings.camera_height,
                                attributes=privacy.estimates_locally, profile_crops=privacy.may_send(kind),
                                min_face=settings.face_min_px, threshold=settings.face_threshold,
                                facing_degrees=settings.facing_degrees)
        threads.append(WorkerThread(capture, "capture"))
        billboard.set_notice(consent_notice(settings))
    chain = KioskChain(programme, lambda audience, playable: selector.choose(audience, playable=playable),
                       privacy=privacy, source_kind=kind, playable=playlist.healthy, push_link=push,
                       log_visit=log_visit, model_wait=settings.model_timeout + 2.0)
    programme.now_playing.connect(chain.on_now_playing)
    programme.choice_failed.connect(chain.on_choice_failed)
    if capture is not None:
        capture.visit_event.connect(chain.on_visit_event)
        capture.status.connect(status.camera)
    else:
        status.set("camera", problem or ("privacy mode off" if privacy.mode == "off"
                                         else "no camera or sensor in use"))
    if capture is not None and chain.uses_model:
        from cxkiosk.profiling.client import Classifier
        from cxkiosk.runtime.classifier import ClassifierWorker

        classifier = Classifier(settings, ctx.paths.data, prompt=database.active_prompt)
        worker = ClassifierWorker(classifier, source="thermal" if kind == "thermal" else "camera")
        capture.profile_request.connect(worker.request)  # capture thread to classifier thread
        chain.visit_over.connect(worker.visit_ended)
        worker.classified.connect(chain.on_classified)
        worker.failed.connect(status.model)
        threads.append(WorkerThread(worker, "classifier"))
        status.set("model", classifier.problem or f"{settings.provider}: ready")
    else:
        status.set("model", f"privacy mode {settings.privacy}: no model is called")
    for thread in threads:
        thread.start()
    return threads, chain, {"capture": capture, "nfc": nfc, "selector": selector}


def _log_tap(result) -> None:
    """A verified NFC push counts as a tap; a database hiccup costs that row, never the kiosk."""
    from cxkiosk.content import database

    if not result.ok:
        return
    try:
        database.log_tap(result.item_id, result.kind)
    except Exception:
        logging.getLogger("cxkiosk.nfc").exception("could not store the tap")


def _start_nfc(settings, threads: list, status):
    """The NFC worker on its own thread, or None when NFC is off."""
    from cxkiosk.push.nfc import is_off

    if is_off(settings.nfc_device):
        status.set("nfc", "NFC off; the QR code carries the link")
        return None
    from cxkiosk.runtime.nfc import NfcWorker
    from cxkiosk.runtime.threads import WorkerThread

    try:
        worker = NfcWorker(settings.nfc_device, mode=settings.nfc_mode)
    except ValueError as exc:  # a malformed device path: say so, keep the QR code
        logging.getLogger("cxkiosk.nfc").error("NFC off: %s", exc)
        return None
    worker.status.connect(status.nfc)
    worker.pushed.connect(_log_tap)
    threads.append(WorkerThread(worker, "nfc"))
    return worker


def _quit_on_signals(app):
    """SIGTERM (the supervisor, a service manager) and Ctrl+C quit cleanly: threads joined,
    proof of play written. Python runs signal handlers only between bytecodes, so a timer wakes
    the interpreter twice a second while Qt's loop waits."""
    import signal

    from PySide6.QtCore import QTimer

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(500)
    return timer


def _heartbeat(app):
    """Under `supervise`, touch the heartbeat file every 5 s from the GUI thread."""
    from PySide6.QtCore import QTimer

    from cxkiosk.supervisor import HEARTBEAT_ENV, beat

    path = os.environ.get(HEARTBEAT_ENV)
    if not path:
        return None
    timer = QTimer(app)
    timer.timeout.connect(lambda: beat(path))
    timer.start(5000)
    beat(path)
    return timer


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
    from cxkiosk.push.links import pushed_link

    try:
        return pushed_link(item, settings) if item.url else ""
    except LinkError:
        return ""


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

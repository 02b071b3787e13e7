"""`run`: the kiosk itself. The GUI composition root: the application, the billboard, the
programme, the runtime's workers (cxkiosk/runtime/build.py) and the admin panel, wired once;
then the event loop, and an orderly shutdown.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from functools import partial
from typing import TYPE_CHECKING, Any

from cxkiosk.commands.common import add_provider_args, add_sensing_args, context, fail, refuse_unusable

if TYPE_CHECKING:  # Qt is imported only when the kiosk runs (run_kiosk)
    from cxkiosk.runtime.captions import CaptionWorker
    from cxkiosk.runtime.programme import Programme
    from ui.billboard import Billboard


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    run = sub.add_parser("run", parents=[common], help="start the kiosk (the default)")
    run.add_argument("--windowed", action="store_true", help="a normal window instead of fullscreen")
    run.add_argument("--demo", action="store_true", help="play the shipped demo visitor clip as the camera "
                     "(this run only; its rows are marked demo and left out of reports)")
    add_sensing_args(run)
    add_provider_args(run)
    run.add_argument("--nfc", metavar="DEVICE", help="nfcpy path: usb | usb:VID:PID | tty:USB0:pn532 | "
                     "udp:HOST:PORT | none")
    run.add_argument("--screenshot", metavar="PNG", help="save a screenshot (needs --quit-after)")
    run.add_argument("--quit-after", metavar="SECONDS", type=float, help="quit after this many seconds")
    run.add_argument("--setup", action="store_true", help="show the first-run set-up (again) first")
    run.set_defaults(handler=run_kiosk)


def wire_captions(captions: CaptionWorker, billboard: Billboard, programme: Programme) -> None:
    """A written caption to the screen and to proof of play, on the GUI thread.

    Bound methods, never lambdas: a lambda on a worker's signal runs on the worker's thread (PySide
    takes the sender for its context), and a caption laid out there while the GUI thread painted
    crashed the kiosk in HarfBuzz. A method is queued to the thread of its object."""
    captions.written.connect(billboard.show_caption)  # (code, text): the source is left off
    captions.written.connect(programme.caption_shown)


def run_kiosk(args: argparse.Namespace) -> int:
    """Build the kiosk: database, playlist, billboard, workers; wire them; run the event loop."""
    if getattr(args, "screenshot", None) and args.quit_after is None:
        return fail("--screenshot needs --quit-after SECONDS")
    ctx = context(args)
    # A flag `check` would call unusable: exit 2, one line, before anything about the screen (a
    # mistyped --provider is named as such, also over ssh with no display).
    refuse_unusable(args, ctx.settings)
    if sys.platform.startswith("linux") and not any(
            os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return fail("no display: run on the desktop, under Xvfb, or with QT_QPA_PLATFORM=offscreen")
    if getattr(args, "setup", False) and os.environ.get("QT_QPA_PLATFORM") in ("offscreen", "minimal"):
        return fail("--setup needs a screen to answer it on (QT_QPA_PLATFORM is offscreen)")
    from cxkiosk.runtime.qt_messages import route_qt_messages

    # Qt and everything behind it are imported only when the kiosk itself runs; Qt's messages
    # are routed first (QtMultimedia prints its library probe while it is imported).
    route_qt_messages()
    from cxkiosk.runtime.instance import InstanceLock

    lock = InstanceLock(ctx.paths.data)  # one kiosk per data folder; a SIGKILLed one's lock is stale
    if refusal := lock.acquire():
        return fail(refusal)  # exit 2: the supervisor does not restart it
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from cxkiosk.consent import consent_notice
    from cxkiosk.content import database, records
    from cxkiosk.content.media import MediaFolders
    from cxkiosk.content.playlist import Playlist
    from cxkiosk.links import https_origin
    from cxkiosk.push.links import link_policy, qr_link
    from cxkiosk.resources import DEMO_SOURCE, is_demo_source
    from cxkiosk.runtime.build import build_runtime, record_play
    from cxkiosk.runtime.programme import Programme
    from cxkiosk.runtime.status import StatusBoard
    from cxkiosk.sensing.exposure import Exposure
    from ui.admin.opener import AdminOpener
    from ui.billboard import Billboard
    from ui.webpage import ensure_sandbox_flag  # also declares the slides' scheme, before the QApplication
    from ui.window import delete_widgets, screenshot_and_quit, show_kiosk_window

    ensure_sandbox_flag()  # after logging is set, before the QApplication
    from cxkiosk.first_run import identify

    ctx.settings = identify(ctx.paths, ctx.settings)  # a kiosk id and name, on the first start
    settings = ctx.settings
    # A demo is this run only: the overrides below are never saved (a save writes only what the
    # operator changed), and what it records is marked demo.
    demo = bool(getattr(args, "demo", False)) or is_demo_source(settings.source)
    if getattr(args, "demo", False):
        settings.source = DEMO_SOURCE
        settings.show_reasons = True
        settings.holdout_share = 0.0  # the demo clip is no visitor: nothing to measure, always targeted
    log = logging.getLogger("cxkiosk")
    log.info("starting cxkiosk; data folder %s", ctx.paths.data)
    try:
        fleet, db_warning = _open_content(ctx, settings)
    except database.DatabaseError as exc:
        return fail(f"{exc}")
    if db_warning:
        log.error("%s", db_warning)
    records.write_in_background(True)  # a commit waits for the disk; the billboard must not
    records.close_cut_plays()  # what a power cut or a crash left "playing" is closed, as a play

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("cxkiosk")
    heartbeat = _heartbeat(app)  # noqa: F841 - the supervisor's proof that the GUI thread is alive
    settings = _first_run_setup(args, ctx, app)
    if settings is None:  # stopped during the set-up
        database.close_database()
        return 0
    billboard = Billboard(slide_seconds=settings.slide_seconds, call_to_action=settings.qr_call_to_action,
                          tap_call_to_action=settings.qr_call_to_action_nfc,
                          link_for=lambda choice: qr_link(choice.pushed_item, settings, choice.code),
                          policy=link_policy(settings),
                          media=MediaFolders.for_data_dir(ctx.paths.data),
                          youtube_origin=https_origin(settings.youtube_origin),
                          web_reload_hours=settings.web_reload_hours)
    if settings.kiosk_name:
        log.info("kiosk %r", settings.kiosk_name)
        billboard.setWindowTitle(f"cxkiosk — {settings.kiosk_name}")
    billboard.qr_enabled = settings.qr_enabled
    billboard.set_reasons_visible(settings.show_reasons)
    playlist = Playlist(database.playlist(), unhealthy_seconds=settings.unhealthy_minutes * 60)
    programme = Programme(playlist, record=partial(record_play, demo=demo), exposure=Exposure())
    programme.play.connect(billboard.play)
    programme.fallback.connect(billboard.show_fallback)
    billboard.started.connect(programme.on_started)
    billboard.finished.connect(programme.on_finished)
    billboard.failed.connect(programme.on_failed)

    status = StatusBoard()
    from cxkiosk.fleet.credentials import without_password  # the panel never shows a password

    status.set("database", db_warning or f"{without_password(ctx.db_spec)}: {len(playlist.items)} items in "
               "the idle playlist")
    runtime = build_runtime(settings, settings.source, programme, playlist, status, ctx.paths.data,
                            demo=demo)
    if runtime.sensing:
        billboard.set_notice(consent_notice(settings))
    if runtime.nfc is not None:  # "or tap" on the QR card only while the reader works
        runtime.nfc.reader.connect(billboard.set_reader_working)
    if runtime.captions is not None:
        wire_captions(runtime.captions, billboard, programme)
    awake, daily_restart = _unattended(app, settings, status, ctx.paths.data)  # noqa: F841 - kept alive
    fleet_thread = _fleet_thread(fleet, settings, status, playlist)
    admin = AdminOpener(ctx.paths, settings, billboard, playlist, status, runtime, programme,
                        fleet=fleet_thread.view if fleet_thread is not None else None)
    billboard.admin_requested.connect(admin.open)
    runtime.start()
    if settings.stall_report_seconds:  # how late the GUI thread answers, in the log
        from cxkiosk.runtime.stalls import StallWatch

        StallWatch(settings.stall_report_seconds, app).start()

    show_kiosk_window(billboard, windowed=args.windowed, app=app)
    if not args.windowed:
        app.setOverrideCursor(Qt.CursorShape.BlankCursor)
    QTimer.singleShot(0, programme.advance)
    from cxkiosk.runtime.garbage import FreezeNewModules

    freezer = FreezeNewModules(app)  # start-up's objects out of the collector's walks (short pauses)
    QTimer.singleShot(0, freezer.start)
    signal_timer = _quit_on_signals(app)  # noqa: F841 - kept alive with the event loop

    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000),
                          lambda: screenshot_and_quit(app, billboard, args.screenshot))
    code = app.exec()
    freezer.stop()
    programme.stop()
    runtime.stop(2.0)
    if fleet_thread is not None:
        records.flush()  # the last play's outcome is in the file before the last send
        fleet_thread.stop(fleet_thread.worker.STOP_SECONDS)
    billboard.stop_all()
    delete_widgets(app, billboard, admin.panel)
    database.close_database()
    awake.stop()
    lock.release()
    return code


def _open_content(ctx: Any, settings: Any) -> tuple[Any, str | None]:
    """Bind the content the kiosk plays: its database file, or for a fleet (a server URL) its
    local copy of the fleet's, with the FleetSync that keeps it (None otherwise)."""
    from cxkiosk.content import library, records
    from cxkiosk.fleet.server import is_server

    if not is_server(ctx.db_spec):
        _, warning = library.open_content(ctx.db_spec, ctx.paths.default_db)
        records.set_writer(settings.kiosk_id)
        return None, warning
    from cxkiosk.fleet.sync import join
    from cxkiosk.resources import shipped_db

    return join(ctx.db_spec, ctx.paths.data, settings.kiosk_id, shipped_db())


def _fleet_thread(fleet: Any, settings: Any, status: Any, playlist: Any) -> Any:
    """The fleet worker on its thread, its word on the status board, its copies played."""
    if fleet is None:
        return None
    from cxkiosk.runtime.fleet import FleetView, FleetWorker, heartbeat_of
    from cxkiosk.runtime.threads import WorkerThread

    fleet.heartbeat = heartbeat_of(status.latest, playlist, settings)
    worker = FleetWorker(fleet, settings.fleet_sync_seconds)
    view = FleetView(status, playlist)
    worker.status.connect(view.show)
    worker.content_changed.connect(view.reload)
    view.show(fleet.status)
    thread = WorkerThread(worker, "fleet")
    thread.view = view  # type: ignore[attr-defined]  # kept alive with the thread
    thread.start()
    return thread


def _first_run_setup(args: argparse.Namespace, ctx: Any, app: Any) -> Any:
    """The settings to run with: after the first-run set-up when this install has not had it
    (cxkiosk/first_run.py) or --setup asks for it; None when the kiosk was stopped meanwhile."""
    from cxkiosk import first_run

    if not getattr(args, "setup", False):
        if first_run.is_done(ctx.paths, ctx.settings):
            return ctx.settings
        timed = bool(getattr(args, "screenshot", None)) or args.quit_after is not None
        reason = first_run.why_not_shown(demo=getattr(args, "demo", False), timed=timed,
                                         platform=app.platformName())
        if reason:
            logging.getLogger("cxkiosk.setup").info("first-run set-up pending; not shown: %s", reason)
            return ctx.settings
    from ui.setup.wizard import run_setup

    return run_setup(ctx.paths, ctx.settings)


def _quit_on_signals(app: Any) -> Any:
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


def _heartbeat(app: Any) -> Any:
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


def _unattended(app: Any, settings: Any, status: Any, data: Any) -> tuple[Any, Any]:
    """Screen saver held off, the supervisor's last word on the panel, the daily restart."""
    from pathlib import Path

    from cxkiosk.runtime.awake import Awake
    from cxkiosk.runtime.daily_restart import DailyRestart
    from cxkiosk.supervisor import HEARTBEAT_ENV, STATE_NAME, describe_state, read_state

    awake = Awake()
    status.set("screen", awake.start())
    supervised = bool(os.environ.get(HEARTBEAT_ENV))
    # a kiosk started by hand must not show an old supervisor's restarts
    state = read_state(Path(data) / STATE_NAME) if supervised else None
    status.set("supervisor", describe_state(state)[1])
    daily = DailyRestart(settings.daily_restart_hour, app.exit, supervised=supervised, parent=app)
    return awake, daily

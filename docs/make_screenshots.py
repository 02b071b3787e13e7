"""Screenshots of what an operator and a visitor see, at 1920x1080 and 1280x720, into docs/.

    .venv/bin/python docs/make_screenshots.py --xvfb       # starts an Xvfb per size (what docs/ has)
    DISPLAY=:0 .venv/bin/python docs/make_screenshots.py   # on a desktop's X server
    .venv/bin/python docs/make_screenshots.py              # offscreen (widget grabs, no X server)
    ... --only setup,shipped,billboard,admin               # some parts only

What it shoots (docs/SCREENS.md lists every file):
- `setup/`: each page of the first-run set-up, with real parts: the shipped demo clip as the
  camera, an NFC tag emulated by nfcpy's udp driver, the tests' loopback OpenAI-compatible server.
- `shipped/`: each slide and clip of the shipped content.db in a real Billboard, 3 s into a clip
  or after a slide's entrance, with its QR code (a stand-in `showroom_page`) and the local-mode
  consent notice a kiosk with a camera shows. 1080p saved at half size to keep the repo small.
- `billboard/` and `admin/`: the kiosk itself (`main.py run --demo`, in this process) on a
  fresh data folder: the idle loop, the demo visitor targeted, then the admin panel opened over
  it as Ctrl+Shift+A does, the PIN page and each tab. The data folder holds a PIN, a controller
  and privacy link, a showroom page, one item whose file is missing (so Content shows item
  health) and a few hours of sample plays (so Figures has rows; marked in docs/SCREENS.md).

Under X (Xvfb or a desktop) each shot is the screen as the X server has it (QScreen.grabWindow),
after a wait: NOTES.md, a grab 1.6 s after a window appears is black under Xvfb.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOCS = ROOT / "docs"
SIZES = ((1920, 1080), (1280, 720))
PARTS = ("setup", "shipped", "billboard", "admin")
SHOWROOM = "https://shop.halden.example/showroom"  # a stand-in for the operator's own page
PIN = "4711"


# --- the parent: one child process per screen size -------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xvfb", action="store_true", help="start an Xvfb of each size (needs Xvfb)")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS))
    parser.add_argument("--size", help=argparse.SUPPRESS)  # the child: WIDTHxHEIGHT
    args = parser.parse_args()
    parts = [p for p in args.only.split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    if args.size:
        width, height = (int(n) for n in args.size.split("x"))
        return shoot_all(width, height, parts)
    for number, (width, height) in enumerate(SIZES):
        env = dict(os.environ)
        xvfb = None
        if args.xvfb:
            display = f":{91 + number}"
            xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{width}x{height}x24",
                                     "-nolisten", "tcp"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
            deadline = time.monotonic() + 10
            while not socket.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
        elif env.get("DISPLAY"):
            env["QT_QPA_PLATFORM"] = "xcb"
        else:
            env["QT_QPA_PLATFORM"] = "offscreen"
        try:
            code = subprocess.call([sys.executable, __file__, "--size", f"{width}x{height}",
                                    "--only", ",".join(parts)], env=env, cwd=ROOT)
        finally:
            if xvfb is not None:
                xvfb.terminate()
                xvfb.wait(5)
        if code:
            return code
    return 0


# --- the child: everything at one size --------------------------------------------------------------


def shoot_all(width: int, height: int, parts: list[str]) -> int:
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    os.chdir(ROOT)
    from cxkiosk.runtime.qt_messages import route_qt_messages

    route_qt_messages()  # FFmpeg's and PipeWire's chatter to the log, as the kiosk does
    from PySide6.QtWidgets import QApplication

    import ui.webpage  # noqa: F401 - declares the slides' URL scheme before the QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    shots = Shots(app, width, height)
    if "setup" in parts:
        shoot_setup(shots)
    if "shipped" in parts:
        shoot_shipped(shots)
    if "billboard" in parts or "admin" in parts:
        shoot_kiosk(shots, admin="admin" in parts)
    for path in shots.written:
        print(f"written {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")
    return 0 if shots.written else 1


class Shots:
    """Waits and grabs: the X server's screen under X, the widget itself offscreen."""

    def __init__(self, app: Any, width: int, height: int) -> None:
        self.app, self.width, self.height = app, width, height
        self.on_x = app.platformName() == "xcb"
        self.written: list[Path] = []

    def wait(self, seconds: float, until: Any = None) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if until is not None and until():
                return True
            self.app.processEvents()
            time.sleep(0.02)
        self.app.processEvents()
        return until is not None and bool(until())

    def place(self, window: Any, full: bool = True) -> None:
        """Full screen without a window manager: the geometry first, then fullscreen (NOTES.md)."""
        if full:
            window.setGeometry(0, 0, self.width, self.height)
            if self.on_x:
                window.showFullScreen()
            else:
                window.show()
        else:
            window.show()

    def save(self, widget: Any, name: str, scale: float = 1.0) -> None:
        from PySide6.QtCore import Qt

        if self.on_x:
            image = self.app.primaryScreen().grabWindow(0, 0, 0, self.width, self.height).toImage()
        else:
            image = widget.grab().toImage()
        if scale != 1.0:
            smooth = Qt.TransformationMode.SmoothTransformation
            image = image.scaledToWidth(int(image.width() * scale), smooth)
        path = DOCS / f"{name}-{self.height}p.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path)):
            raise SystemExit(f"could not write {path}")
        self.written.append(path)


# --- the first-run set-up ------------------------------------------------------------------------


def _green(pixmap: Any) -> bool:
    """The preview shows a face box (drawn in green for a visitor facing the screen)."""
    if pixmap is None or pixmap.isNull():
        return False
    image = pixmap.toImage()
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            if c.green() > 150 and c.red() < 60 and c.blue() < 60:
                return True
    return False


def shoot_setup(shots: Shots) -> None:
    from cxkiosk.config import Paths, Settings
    from cxkiosk.push.nfc import Type3TagMemory
    from tests.fake_openai import FakeOpenAI
    from tests.nfc_helpers import emulated_tag
    from ui.setup.wizard import SetupWizard

    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as server, \
            emulated_tag(Type3TagMemory(writable=True, blocks=16)) as tag:
        wizard = SetupWizard(Paths.for_data_dir(tmp), Settings())
        # As run_setup places it: at most 1280x720, centred on the screen.
        wizard.resize(min(1280, shots.width), min(720, shots.height))
        if shots.on_x:
            wizard.move((shots.width - wizard.width()) // 2, (shots.height - wizard.height()) // 2)
        wizard.show()

        def shoot(name: str) -> None:
            shots.wait(0.8)
            shots.save(wizard, f"setup/{wizard.currentId() + 1}-{name}")

        shots.wait(1.5)
        wizard.name.name.setText("Ginza showroom, entrance")
        shoot("name")
        wizard.next()
        shoot("camera-none")  # this machine has no camera: what most first starts here look like
        wizard.camera.source.setEditText("file:resources/demo/visitor.mp4")
        wizard.camera.restart()
        shots.wait(8, until=lambda: wizard.camera.preview.pixmap() is not None
                   and not wizard.camera.preview.pixmap().isNull())
        shots.wait(12, until=lambda: _green(wizard.camera.preview.pixmap()))  # the visitor walks up
        shoot("camera")
        wizard.next()
        wizard.privacy.page.radios["full"].setChecked(True)
        shoot("privacy")
        wizard.next()
        wizard.pin.dialog.pin.setText(PIN)
        wizard.pin.dialog.confirm.setText("4712")
        wizard.next()  # refused: the two PINs differ
        shoot("pin")
        wizard.pin.dialog.confirm.setText(PIN)
        wizard.next()
        wizard.nfc.device.setText(tag)
        wizard.nfc.test()
        shots.wait(20, until=lambda: not wizard.nfc.trial.running)
        shoot("nfc")
        wizard.next()
        page = wizard.provider.page
        page.preset.setCurrentIndex(page.preset.findData("custom"))
        page.base_url.setText(server.base_url)
        page.model.setText("qwen2.5-vl")
        page.base_url.editingFinished.emit()  # as leaving the field does: the key line follows
        wizard.provider.test()
        shots.wait(15, until=lambda: not wizard.provider.trial.running)
        shoot("provider")
        wizard.interrupt()
        shots.wait(0.5)
        wizard.deleteLater()
        shots.wait(0.3)


# --- each shipped item ------------------------------------------------------------------------------


def shoot_shipped(shots: Shots) -> None:
    from cxkiosk.config import Settings
    from cxkiosk.consent import consent_notice
    from cxkiosk.content import database
    from cxkiosk.content.media import MediaFolders
    from cxkiosk.push.links import link_policy, qr_link
    from cxkiosk.values import Choice
    from ui.billboard import Billboard

    database.open_database(str(ROOT / "content.db"), readonly=True)
    try:
        rows = list(database.Content.select().order_by(database.Content.id))
        items = [(row.to_item(), row.idle) for row in rows if row.kind in ("video", "slide")]
    finally:
        database.close_database()
    settings = Settings(showroom_page=SHOWROOM)
    board = Billboard(call_to_action=settings.qr_call_to_action, load_timeout=15.0,
                      link_for=lambda choice: qr_link(choice.pushed_item, settings, choice.code),
                      policy=link_policy(settings), media=MediaFolders.shipped())
    board.set_notice(consent_notice(settings))  # a kiosk with a camera shows it over every item
    shots.place(board)
    scale = 0.5 if shots.height >= 1080 else 1.0
    for item, idle in items:
        started: list = []
        board.started.connect(started.append)
        board.play(Choice(item, trigger="idle" if idle else "targeted"))
        shots.wait(15, until=started.__len__)
        board.started.disconnect()
        if not started:
            raise SystemExit(f"{item.title}: did not start")
        shots.wait(3.0 if item.kind == "video" else 1.8)
        name = f"{'clip' if item.kind == 'video' else 'slide'}-{Path(item.path).stem}"
        shots.save(board, f"shipped/{name}", scale)
    board.stop_all()
    board.close()
    board.deleteLater()
    shots.wait(0.3)


# --- the kiosk in --demo, and the admin panel over it ------------------------------------------------


def prepare_data(data: Path) -> None:
    """A kiosk as an operator has it after a day: PIN, controller, links, one broken item, plays."""
    from cxkiosk import first_run
    from cxkiosk.config import Paths, Settings, save_settings
    from cxkiosk.content import database
    from cxkiosk.pin import hash_pin

    paths = Paths.for_data_dir(data)
    data.mkdir(parents=True, exist_ok=True)
    save_settings(paths, Settings(kiosk_name="Ginza showroom, entrance", admin_pin_hash=hash_pin(PIN),
                                  consent_controller="Halden & Co. Ltd, 4-1 Ginza, Tokyo",
                                  privacy_link="https://shop.halden.example/privacy",
                                  showroom_page=SHOWROOM, nfc_device="none"), old=Settings())
    first_run.mark_done(paths, first_run.FINISHED)
    shutil.copy(ROOT / "content.db", data / "content.db")
    database.open_database(str(data / "content.db"))
    try:
        # An item whose file was deleted: the Content tab's health shows it failing, and why.
        database.Content.update(path="media/new-season-2027.mp4").where(database.Content.id == 2).execute()
        fill_sample_figures(database)
    finally:
        database.close_database()


def fill_sample_figures(database: Any) -> None:
    """Sample plays, audience and taps over the last hours of today: the Figures tab's rows."""
    rng = random.Random(15)
    items = [row.id for row in database.Content.select().where(database.Content.kind.in_(("video", "slide")))]
    now = datetime.now()
    at = max(now.replace(hour=0, minute=0, second=0, microsecond=0), now - timedelta(hours=10))
    plays, audience, taps = [], [], []
    n = 0
    # Up to an hour ago: the last hour's plays count against each item's hourly cap, and the demo
    # visitor would be shown whatever the sample had not played yet rather than the item for them.
    while at < now - timedelta(minutes=65):
        trigger = rng.choices(("idle", "targeted", "holdout"), (60, 35, 5))[0]
        watchers = rng.choice((0, 0, 1, 1, 2)) if trigger == "idle" else rng.randint(1, 2)
        code = f"s{n:07x}"
        plays.append({"item": rng.choice(items), "start": at, "end": at + timedelta(seconds=10),
                      "outcome": "completed", "trigger": trigger, "ots": watchers + rng.randint(0, 1),
                      "watchers": watchers, "attention": watchers * rng.uniform(2, 9),
                      "segment": "women 25-55" if trigger != "idle" else "", "code": code})
        if watchers:
            audience.append({"time": at, "source": "local", "count": watchers, "provider": "local",
                             "people": json.dumps([{"gender": rng.choice(("female", "male")),
                                                    "age": rng.randint(22, 64), "facing": True}] * watchers),
                             "dwell": rng.uniform(4, 20), "watchers": watchers})
            if rng.random() < 0.15:
                taps.append({"item": plays[-1]["item"], "time": at + timedelta(seconds=4),
                             "kind": rng.choice(("qr", "nfc-write")), "code": code})
        at += timedelta(seconds=rng.randint(40, 160))
        n += 1
    with database.database.atomic():
        database.PlayLog.insert_many(plays).execute()
        database.AudienceLog.insert_many(audience).execute()
        if taps:
            database.TapLog.insert_many(taps).execute()


def shoot_kiosk(shots: Shots, admin: bool) -> None:
    from PySide6.QtCore import QTimer

    import main as kiosk
    from ui.billboard import Billboard

    tmp = Path(tempfile.mkdtemp(prefix="cxkiosk-shots-"))
    data = tmp / "kiosk"
    prepare_data(data)
    failures: list[str] = []

    def board() -> Any:
        shown = (w for w in shots.app.topLevelWidgets() if isinstance(w, Billboard) and w.isVisible())
        return next(shown, None)

    def drive() -> None:
        try:
            if not shots.wait(30, until=lambda: board() is not None and board().current is not None):
                failures.append("the billboard played nothing")
                return
            billboard = board()
            if not shots.on_x:
                billboard.setGeometry(0, 0, shots.width, shots.height)
            # The demo visitor walks up: the targeted item with "for: ...", its QR code, the notice.
            if not shots.wait(90, until=lambda: not billboard.reasons.isHidden()):
                failures.append("the demo visitor was never targeted")
                return
            shots.wait(3.5)
            shots.save(billboard, "billboard/demo-targeted")
            if admin:
                shoot_admin(shots, billboard, failures)
        finally:
            QTimer.singleShot(0, shots.app.quit)

    QTimer.singleShot(0, drive)
    code = kiosk.main(["run", "--demo", "--data-dir", str(data), "--quit-after", "600"]
                      + (["--windowed"] if not shots.on_x else []))
    shutil.rmtree(tmp, ignore_errors=True)
    if code or failures:
        raise SystemExit(f"the kiosk run: exit {code}; {'; '.join(failures)}")


def shoot_admin(shots: Shots, billboard: Any, failures: list[str]) -> None:
    from PySide6.QtWidgets import QApplication

    from ui.admin.panel import AdminPanel

    billboard.admin_requested.emit()  # what Ctrl+Shift+A does (tests/test_overlays.py sends the keys)

    def panel() -> Any:
        shown = (w for w in QApplication.topLevelWidgets() if isinstance(w, AdminPanel) and w.isVisible())
        return next(shown, None)

    if not shots.wait(5, until=lambda: panel() is not None):
        failures.append("the admin panel did not open")
        return
    p = panel()
    target = p  # offscreen: the panel alone; under X the screen, the panel over the billboard
    shots.wait(1.5)
    shots.save(target, "admin/0-pin")
    p.pin_dialog.pin.setText(PIN)
    p.pin_dialog.submit()
    if not shots.wait(5, until=lambda: p.tabs is not None):
        failures.append("the PIN did not unlock the panel")
        return
    names = ("content", "prompts", "devices", "provider", "privacy", "figures")
    for index, name in enumerate(names):
        p.tabs.setCurrentIndex(index)
        shots.wait(1.5)
        if name == "content":
            # The failing item selected, as an operator looking at why it does not play would.
            shots.wait(60, until=lambda: any(h.failing for h in p._health.values()))
            failing = next(h.item_id for h in p._health.values() if h.failing)
            p.content.table.selectRow(p.content.model.keys.index(failing))
            shots.wait(1.0)
        elif name == "prompts":
            bench = p.prompts.bench
            for _ in range(6):  # the demo visitor comes and goes: a frame with her face in it
                bench.try_live()
                shots.wait(30, until=lambda b=bench: not b._waiting.isActive() and b._thread is None)
                if not bench.sees.text().startswith("0 faces"):
                    break
                shots.wait(2.0)
            shots.wait(1.0)
        elif name == "devices":
            shots.wait(4)  # the live preview's first frames
        elif name == "figures":
            shots.wait(4)
        shots.save(target, f"admin/{index + 1}-{name}")
    p.close()
    shots.wait(0.5)


if __name__ == "__main__":
    raise SystemExit(main())

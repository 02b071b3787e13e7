"""Screenshots of each page of the first-run set-up, offscreen at 1280x720, into docs/setup/.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/setup/screenshots.py

Real parts throughout: the shipped demo clip as the camera (live preview with its face box), an
NFC tag emulated by nfcpy's udp driver for the reader test, the loopback OpenAI-compatible server
of the tests for the provider test.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from PySide6.QtWidgets import QApplication  # noqa: E402

from cxkiosk.config import Paths, Settings  # noqa: E402
from cxkiosk.push.nfc import Type3TagMemory  # noqa: E402
from tests.fake_openai import FakeOpenAI  # noqa: E402
from tests.nfc_helpers import emulated_tag  # noqa: E402
from ui.setup.wizard import SetupWizard  # noqa: E402

OUT = ROOT / "docs" / "setup"


def settle(app: QApplication, seconds: float, until=None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until and until()):
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()


def _green(pixmap) -> bool:
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


def main() -> None:
    app = QApplication.instance() or QApplication([sys.argv[0]])
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as server, \
            emulated_tag(Type3TagMemory(writable=True, blocks=16)) as tag:
        paths = Paths.for_data_dir(tmp)
        wizard = SetupWizard(paths, Settings())
        wizard.resize(1280, 720)
        wizard.show()
        shots = []

        def shoot(name: str) -> None:
            settle(app, 0.3)
            path = OUT / f"{wizard.currentId() + 1}-{name}.png"
            wizard.grab().save(str(path))
            shots.append(path)

        settle(app, 0.5)
        wizard.name.name.setText("Ginza showroom, entrance")
        shoot("name")
        wizard.next()
        shoot("camera-none")  # this machine has no camera: what most first starts here look like
        wizard.camera.source.setEditText("file:resources/demo/visitor.mp4")
        wizard.camera.restart()
        settle(app, 8, until=lambda: wizard.camera.preview.pixmap() is not None
               and not wizard.camera.preview.pixmap().isNull())
        # The demo visitor walks up after a few seconds: wait for the face box (green).
        settle(app, 12, until=lambda: _green(wizard.camera.preview.pixmap()))
        shoot("camera")
        wizard.next()
        wizard.privacy.page.radios["full"].setChecked(True)
        shoot("privacy")
        wizard.next()
        wizard.pin.dialog.pin.setText("4711")
        wizard.pin.dialog.confirm.setText("4712")
        wizard.next()  # refused: the two PINs differ
        wizard.pin.dialog.confirm.setText("4712")
        shoot("pin")
        wizard.pin.dialog.pin.setText("4711")
        wizard.pin.dialog.confirm.setText("4711")
        wizard.next()
        wizard.nfc.device.setText(tag)
        wizard.nfc.test()
        settle(app, 20, until=lambda: not wizard.nfc.trial.running)
        shoot("nfc")
        wizard.next()
        page = wizard.provider.page
        page.preset.setCurrentIndex(page.preset.findData("custom"))
        page.base_url.setText(server.base_url)
        page.model.setText("qwen2.5-vl")
        page.base_url.editingFinished.emit()  # as leaving the field does: the key line follows
        wizard.provider.test()
        settle(app, 15, until=lambda: not wizard.provider.trial.running)
        shoot("provider")
        wizard.interrupt()
        settle(app, 0.5)
    for path in shots:
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()

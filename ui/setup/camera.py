"""The set-up's camera page: pick the source (the admin panel's SourcePicker) and see it live
(its CameraPreview), fed by a capture worker of its own until the kiosk's starts."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton

from cxkiosk.config import Settings
from cxkiosk.runtime.capture import CaptureWorker
from cxkiosk.runtime.threads import WorkerThread
from cxkiosk.sensing.sources import SourceError, parse_spec
from ui.admin import widgets
from ui.admin.devices import CameraPreview, SourcePicker
from ui.admin.widgets import message, note
from ui.setup.pages import SetupPage

VIDEO_FILES = "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All files (*)"
# What `auto` does with no camera (cxkiosk/runtime: the playlist plays, the camera is waited for;
# the demo clip only ever plays with --demo).
NO_CAMERA = ("No camera found on this computer. Keep auto and the kiosk plays its playlist and starts "
             "watching when a camera is plugged in; or pick a video file, or none.")


class PreviewFeed(QObject):
    """One capture worker at a time, for the preview only (no age/gender, nothing to the model).
    A replaced worker is asked to stop and left to end on its own thread, so switching sources
    never waits for a camera to open; `close()` joins them all before the kiosk opens its own."""

    def __init__(self, preview: CameraPreview, status: QLabel) -> None:
        super().__init__(preview)
        self.preview, self.status = preview, status
        self._current: WorkerThread | None = None
        self._ending: list[WorkerThread] = []

    @property
    def running(self) -> bool:
        return self._current is not None

    def start(self, spec: str, s: Settings) -> None:
        self.stop()
        worker = CaptureWorker(spec, width=s.camera_width, height=s.camera_height, attributes=False,
                               preview_width=640, min_face=s.face_min_px, threshold=s.face_threshold,
                               facing_degrees=s.facing_degrees)
        worker.set_preview(True)
        worker.preview.connect(self._image)
        worker.status.connect(self._status)
        run = WorkerThread(worker, "setup-preview")
        self._current = run
        message(self.status, f"Opening {spec}…")
        run.start()

    @Slot(object)
    def _image(self, image: Any) -> None:
        if self._current is not None and self.sender() is self._current.worker:
            self.preview.show_image(image)

    @Slot(str)
    def _status(self, text: str) -> None:
        if self._current is not None and self.sender() is self._current.worker:
            message(self.status, text)

    def stop(self) -> None:
        run, self._current = self._current, None
        if run is not None:
            run.worker.request_stop()
            run.thread.quit()
            self._ending.append(run)
        self._ending = [r for r in self._ending if r.running]

    def close(self, timeout: float = 3.0) -> None:
        self.stop()
        for run in self._ending:
            run.stop(timeout)
        self._ending = []


class CameraPage(SetupPage):
    def __init__(self) -> None:
        super().__init__("Camera", "The camera that watches the visitors. The preview shows what it sees, "
                         "with a box around each face it finds (green: looking at the screen).")
        self.source = SourcePicker()
        self.source.activated.connect(lambda _index: self.restart())
        self.source.lineEdit().editingFinished.connect(self.restart)
        self.browse = QPushButton("Video file…")
        self.browse.clicked.connect(self._pick_file)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(self.browse)
        form = QFormLayout()
        form.addRow("Source", row)
        self.preview = CameraPreview("")
        self.preview.setMinimumSize(480, 270)
        self.preview.setMargin(24)  # what it says instead of a picture keeps off the edges
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.feed = PreviewFeed(self.preview, self.status)
        self.body.addLayout(form)
        self.body.addWidget(self.preview, 1)
        self.body.addWidget(self.status)
        self.body.addWidget(note("The preview is only on this screen; frames are never saved."))
        self.body.addWidget(self.message)
        self._settings = Settings()
        self._shown_spec = ""

    @property
    def has_camera(self) -> bool:
        return bool(self.source.cameras)

    def load(self, s: Settings) -> None:
        self._settings = s
        self.source.setEditText(s.source)

    def apply(self, s: Settings) -> None:
        s.source = self.source.spec

    def _pick_file(self) -> None:
        path = widgets.pick_file(self, "A video file as the camera", VIDEO_FILES, save=False)
        if path:
            self.source.setEditText(f"file:{path}")
            self.restart()

    def _preview_spec(self, spec: str) -> tuple[str, str]:
        """(spec to open for the preview, or "", and what to say instead)."""
        try:
            kind, _ = parse_spec(spec)
        except SourceError as exc:
            return "", str(exc)
        if spec.strip().lower() == "auto":
            if not self.has_camera:
                return "", NO_CAMERA
            return self.source.cameras[0][0], ""
        if kind == "none":
            return "", "No sensing: the billboard plays its playlist, nobody is watched."
        if kind == "camera" and not self.has_camera:
            return "", NO_CAMERA
        return spec, ""

    def restart(self) -> None:
        """(Re)start the preview for the source in the field; only while the page is on screen."""
        spec = self.source.spec
        if not self.isVisible() or (spec == self._shown_spec and self.feed.running):
            return
        self._shown_spec = spec
        self.preview.clear()
        target, reason = self._preview_spec(spec)
        if not target:
            self.feed.stop()
            self.preview.setText(reason)
            message(self.status, "")
            return
        self.message.clear()
        self.feed.start(target, self._settings)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._shown_spec = ""
        self.restart()

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.feed.stop()

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        spec = self.source.spec
        if spec.lower() != "auto":
            try:
                parse_spec(spec)
            except SourceError as exc:
                return self.refuse(str(exc))
        self.message.clear()
        return True

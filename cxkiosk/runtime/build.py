"""The kiosk's workers and the chain between them, built and wired from the settings.

`build_runtime(...)` gives a `Runtime`: capture, classifier and NFC workers on their threads
(not started), the selector, and the `KioskChain` that joins them to the programme. The GUI
composition root (ui/app.py) builds the billboard and the programme, asks for the runtime, and
starts it; nothing here touches a widget. Who may sense, estimate and send is the Privacy value's
answer, decided once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxkiosk.config import Privacy, Settings
from cxkiosk.content import prompt_store, records
from cxkiosk.content.playlist import Playlist
from cxkiosk.content.selection import Selector
from cxkiosk.push.links import qr_link
from cxkiosk.push.nfc import PushResult, is_off
from cxkiosk.resources import source_path
from cxkiosk.runtime.captions import CaptionWorker
from cxkiosk.runtime.capture import CaptureWorker
from cxkiosk.runtime.chain import KioskChain
from cxkiosk.runtime.classifier import ClassifierWorker
from cxkiosk.runtime.nfc import NfcWorker
from cxkiosk.runtime.programme import PlayRecord, Programme
from cxkiosk.runtime.retention import PurgeWorker, RetentionTimer
from cxkiosk.runtime.status import StatusBoard
from cxkiosk.runtime.threads import WorkerThread
from cxkiosk.sensing.sources import SourceError, parse_spec
from cxkiosk.values import Audience, Choice, VisitEvent

log = logging.getLogger("cxkiosk.runtime")


@dataclass
class Runtime:
    chain: KioskChain
    selector: Selector
    capture: CaptureWorker | None = None
    classifier: ClassifierWorker | None = None
    nfc: NfcWorker | None = None
    captions: CaptionWorker | None = None  # a model is in use and `captions` is on
    retention: RetentionTimer | None = None  # old logs purged at start and daily
    threads: list[WorkerThread] = field(default_factory=list)

    @property
    def sensing(self) -> bool:
        """A camera or sensor is on (the consent notice must show)."""
        return self.capture is not None

    def start(self) -> None:
        for thread in self.threads:
            thread.start()
        if self.retention is not None:
            self.retention.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Each thread joins within its bound; a hung device never blocks exit for long."""
        if self.retention is not None:
            self.retention.stop()
        for thread in self.threads:
            thread.stop(timeout)


def build_runtime(settings: Settings, source: str, programme: Programme, playlist: Playlist,
                  status: StatusBoard, data_dir: Path, *, demo: bool = False) -> Runtime:
    """Every worker for these settings, wired to the programme. `source` is the spec to open
    ("auto" is the first camera, waited for); `demo`: the records this run writes are marked
    demo (the shipped clip is no visitor)."""
    selector = Selector.from_settings(settings)
    on_screen = {"code": ""}  # the play whose link the tag carries: a tap counts for it
    nfc = _nfc_worker(settings, status, lambda: on_screen["code"], demo)

    def push(choice: Choice) -> None:
        on_screen["code"] = choice.code
        item = choice.pushed_item
        if nfc is not None:
            nfc.set_link(qr_link(item, settings, choice.code) or None, item.id, item.title)

    def log_visit(event: VisitEvent, audience: Audience, provider: str, latency: float | None) -> None:
        records.log_audience(audience, provider=provider, latency_ms=latency, dwell=event.dwell,
                             watchers=event.watchers, sensitive=settings.sensitive_attributes, demo=demo)

    if source.startswith("file:resources/"):  # shipped media, wherever the install folder is
        source = "file:" + str(source_path(source[len("file:"):]))
    privacy = Privacy.of(settings)
    try:
        kind, problem = parse_spec(source)[0], ""
    except SourceError as exc:
        kind, problem = "none", str(exc)
    problem = problem or privacy.refusal(kind, source)
    if problem:
        logging.getLogger("cxkiosk.capture").error("%s", problem)

    chain = KioskChain(programme, lambda audience, playable: selector.choose(audience, playable=playable),
                       privacy=privacy, source_kind=kind, playable=playlist.healthy, push_link=push,
                       log_visit=log_visit, model_wait=settings.model_timeout + 2.0,
                       holdout_share=settings.holdout_share)
    programme.now_playing.connect(chain.on_now_playing)
    programme.choice_failed.connect(chain.on_choice_failed)
    runtime = Runtime(chain, selector, nfc=nfc)
    if nfc is not None:
        runtime.threads.append(WorkerThread(nfc, "nfc"))
    _retention(settings, runtime)
    if not privacy.allows_source(kind):
        status.set("camera", problem or ("privacy mode off" if privacy.mode == "off"
                                         else "no camera or sensor in use"))
        status.set("model", f"privacy mode {privacy.mode}: no model is called")
        return runtime

    capture = CaptureWorker(source, width=settings.camera_width, height=settings.camera_height,
                            attributes=privacy.estimates_locally, profile_crops=privacy.may_send(kind),
                            min_face=settings.face_min_px, threshold=settings.face_threshold,
                            facing_degrees=settings.facing_degrees)
    capture.visit_event.connect(chain.on_visit_event)
    capture.status.connect(status.camera)
    runtime.capture = capture
    runtime.threads.append(WorkerThread(capture, "capture"))
    if not chain.uses_model:
        status.set("model", f"privacy mode {privacy.mode}: no model is called")
        return runtime

    from cxkiosk.profiling.client import Classifier

    classifier = Classifier(settings, data_dir, prompt=prompt_store.active_prompt)
    worker = ClassifierWorker(classifier, source="thermal" if kind == "thermal" else "camera")
    capture.profile_request.connect(worker.request)  # capture thread to classifier thread
    chain.visit_over.connect(worker.visit_ended)
    worker.classified.connect(chain.on_classified)
    worker.failed.connect(status.model)
    worker.recovered.connect(status.model)
    runtime.classifier = worker
    runtime.threads.append(WorkerThread(worker, "classifier"))
    if settings.captions and not classifier.problem:
        runtime.captions = _caption_worker(settings, data_dir, classifier, chain)
        runtime.threads.append(WorkerThread(runtime.captions, "captions"))
    status.set("model", classifier.problem or f"{settings.provider}: ready")
    return runtime


def _retention(settings: Settings, runtime: Runtime) -> None:
    """Old logs purged once at start and then daily, on a thread of their own."""
    purger = PurgeWorker()
    runtime.threads.append(WorkerThread(purger, "retention"))
    runtime.retention = RetentionTimer(settings)
    runtime.retention.purge_wanted.connect(purger.purge)  # queued to the purger's thread


def _caption_worker(settings: Settings, data_dir: Path, profiling: Any, chain: KioskChain) -> CaptionWorker:
    """Captions through their own client on their own thread, within profiling's call caps."""
    from cxkiosk.captions.writer import BLOCKED_FILE, CaptionWriter
    from cxkiosk.profiling.client import Classifier

    client = Classifier(settings, data_dir, budget=profiling.budget)
    banned = tuple(w.strip() for w in settings.caption_banned.split(",") if w.strip())
    writer = CaptionWriter(client.write, settings.caption_language, banned,
                           template=lambda: prompt_store.active_prompt("caption"),
                           blocked_file=data_dir / BLOCKED_FILE)
    worker = CaptionWorker(writer, client.abort)
    chain.caption_wanted.connect(worker.request)  # queued to the captions thread
    return worker


def _nfc_worker(settings: Settings, status: StatusBoard, code: Callable[[], str],
                demo: bool = False) -> NfcWorker | None:
    """The NFC worker, or None when NFC is off or its device path is malformed (the QR code
    still carries the link)."""
    if is_off(settings.nfc_device):
        status.set("nfc", "NFC off; the QR code carries the link")
        return None
    try:
        worker = NfcWorker.from_settings(settings)
    except ValueError as exc:
        logging.getLogger("cxkiosk.nfc").error("NFC off: %s", exc)
        return None
    worker.status.connect(status.nfc)
    # On the NFC thread on purpose (no widget is touched): the tap counts for the play on screen
    # at the moment of the push, and the record is queued to the writer thread.
    worker.pushed.connect(lambda result: _log_tap(result, code(), demo))  # worker thread: no widgets
    return worker


def _log_tap(result: PushResult, code: str, demo: bool = False) -> None:
    """A verified NFC push counts as a tap, for the play on screen; a database hiccup costs that
    row, never the kiosk."""
    if not result.ok:
        return
    try:
        records.log_tap(result.item_id, result.kind, code=code, demo=demo)
    except Exception:
        logging.getLogger("cxkiosk.nfc").exception("could not store the tap")


def record_play(r: PlayRecord, demo: bool = False) -> None:
    """Proof of play, with who saw it, into the PlayLog (marked demo in a `--demo` run)."""
    viewers = r.viewers
    records.log_play(r.item.id, r.chosen.id, r.started, r.ended, r.outcome, r.reason, r.trigger, r.audience,
                     ots=viewers.ots if viewers else None, watchers=viewers.watchers if viewers else None,
                     attention=viewers.attention if viewers else None, segment=r.segment, code=r.code,
                     caption=r.caption, demo=demo, stamp=r.stamp)

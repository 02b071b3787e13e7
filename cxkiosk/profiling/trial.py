"""The prompt bench: one picture through what the kiosk does with a visitor, every step kept
for the operator to see, and nothing reaching the billboard.

`try_prompt` finds the faces and the local audience as the capture thread does, sends the same
crop with the prompt under test (the editor's text, saved or not) through the same bounded client
and strict parser (`Classifier.exchange`), and asks the selector what it would choose for the
audience the kiosk would target: the model's, or the local one when the model gives nothing.
It plays nothing, records nothing (no proof of play, no visit), pushes no link and changes no
circuit breaker of the kiosk's; a model call it makes counts against the hourly and daily call
caps like any other, because it costs the same. The picture stays in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cxkiosk.config import Privacy, Settings
from cxkiosk.profiling.client import Classifier, TokenUsage
from cxkiosk.profiling.image import Box, prepare_image
from cxkiosk.profiling.limits import CallBudget, CircuitBreaker
from cxkiosk.sensing.agegender import AgeGenderEstimator, audience_of
from cxkiosk.sensing.faces import Face, FaceDetector
from cxkiosk.values import Audience, Choice

UNREADABLE = "could not read the reply"


@dataclass(frozen=True)
class Trial:
    prompt: str  # the text under test, as it was sent (or would have been)
    source: str  # "camera" | "thermal": which prompt it is
    local: Audience  # what the kiosk sees by itself (faces, local age and gender)
    crop: bytes  # the JPEG sent to the model (or that `full` mode would send); b"" if none
    crop_size: tuple[int, int]  # its width and height in pixels
    sent: bool  # the crop left the machine
    reply: str | None  # the model's reply, raw; None when no reply came
    audience: Audience | None  # read from the reply; None when nothing usable came back
    targeted: Audience  # whom the choice is for: the model's audience, else the local one
    choice: Choice | None  # what the selector would choose now, with its reasons
    latency_ms: float  # the model call as the kiosk would wait for it; 0 without one
    local_ms: float  # face detection and local age/gender
    usage: TokenUsage | None  # as the server reported it
    calls: tuple[int, int] | None  # model calls in the last hour and day, this one included
    error: str = ""  # one line; "" when every step worked
    note: str = ""  # what else the operator should know ("nothing was sent"...)


def bench_classifier(settings: Settings, prompt: str, data_dir: Path | None = None,
                     budget: CallBudget | None = None) -> Classifier:
    """A client that sends `prompt` (not the stored one), within the kiosk's call caps (`budget`:
    the running kiosk's own, so both count the same calls) and with a circuit breaker of its own,
    so a failing try never pauses the kiosk's profiling."""
    return Classifier(settings, data_dir, prompt=lambda _source: prompt, breaker=CircuitBreaker(),
                      budget=budget)


def try_prompt(image: np.ndarray, prompt: str, settings: Settings, *,
               choose: Callable[[Audience], Choice | None], source: str = "camera",
               classifier: Classifier | None = None, detector: FaceDetector | None = None,
               estimator: AgeGenderEstimator | None = None) -> Trial:
    """One try of `prompt` on `image`; never raises. `classifier` comes from `bench_classifier`
    with the same prompt; without one, or where the privacy mode keeps images here, nothing is
    sent and the local audience decides, as in the kiosk."""
    kind = "thermal" if source == "thermal" else "camera"
    privacy = Privacy.of(settings)
    started = time.monotonic()
    faces, local, problem = _see(image, kind, detector, estimator)
    local_ms = round((time.monotonic() - started) * 1000, 1)
    boxes: list[Box] = [(f.x, f.y, f.w, f.h) for f in faces]
    try:
        shown = prepare_image(image, boxes)
        crop, size = shown.jpeg, (shown.width, shown.height)
    except (ValueError, TypeError, cv2.error) as exc:
        return _unusable(prompt, source, local, local_ms, f"image unusable: {exc}")

    sends = privacy.may_send(kind) and classifier is not None
    if not prompt.strip():
        problem, sends = "the prompt is empty: write one first", False
    reply: str | None = None
    audience: Audience | None = None
    latency_ms, usage, calls, note = 0.0, None, None, ""
    sent = False
    if sends:
        assert classifier is not None
        went = classifier.exchange(image, boxes, local, source)
        result, reply, usage = went.result, went.reply, went.usage
        calls = classifier.budget.counts()
        latency_ms = result.latency_ms
        if went.sent is not None:
            sent, crop, size = True, went.sent.jpeg, (went.sent.width, went.sent.height)
        if result.used_fallback:
            problem = problem or _model_problem(result.error, went.notes)
            note = "Without a usable answer the kiosk targets the local attributes, as below."
        else:
            audience = result.audience
    elif not problem:
        note = (f"Privacy mode {privacy.mode}: no model is asked and nothing was sent; the kiosk "
                "targets what it sees by itself.")
    targeted = audience if audience is not None else local
    choice = None
    try:
        choice = choose(targeted)
    except Exception as exc:  # a database fault is a line on the bench, not a crash
        problem = problem or f"the selector failed: {_first_line(exc)}"
    return Trial(prompt, source, local, crop, size, sent, reply, audience, targeted, choice,
                 latency_ms, local_ms, usage, calls, problem, note)


def _see(image: np.ndarray, kind: str, detector: FaceDetector | None,
         estimator: AgeGenderEstimator | None) -> tuple[list[Face], Audience, str]:
    """Faces and the local audience, as the capture thread finds them; a heat map has no faces."""
    if kind == "thermal":
        return [], Audience(count=0, source="thermal"), ""
    if detector is None:
        return [], Audience(count=0, source="local"), "face detection is not available"
    try:
        faces = detector.detect(image)
        if estimator is None:
            estimator = AgeGenderEstimator()
        return faces, audience_of(image, faces, estimator), ""
    except (cv2.error, ValueError, TypeError) as exc:
        return [], Audience(count=0, source="local"), f"face detection failed: {_first_line(exc)}"


def _model_problem(error: str, notes: tuple[str, ...]) -> str:
    if error.startswith("reply unusable"):
        return f"{UNREADABLE} ({'; '.join(notes) or 'nothing usable'})"
    return error or "no answer from the model"


def _unusable(prompt: str, source: str, local: Audience, local_ms: float, error: str) -> Trial:
    return Trial(prompt, source, local, b"", (0, 0), False, None, None, local, None, 0.0, local_ms,
                 None, None, error)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__

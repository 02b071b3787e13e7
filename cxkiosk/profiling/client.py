"""Profile the people in front of the screen with a vision language model, within bounds.

`Classifier.classify(image, boxes, local, source)` sends a downscaled JPEG crop around the
detected people to an OpenAI-compatible server and returns a `ClassifyResult`. It never raises
for a model problem: while the model is unavailable (privacy mode, missing key, open circuit
breaker, call cap, timeout, server error, unusable reply) the result carries the local audience
it was given, so targeting continues.

Bounds a kiosk needs and the openai defaults lack: one total deadline per call (the client's
timeout applies per socket read, so a server trickling bytes would never time out), at most one
retry, a circuit breaker, and hourly/daily call caps kept in a small JSON file so a restart does
not reset them. Frames stay in memory; only the encoded crop leaves, and only in `full` mode.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from cxkiosk.audience import Audience
from cxkiosk.config import Privacy, Settings
from cxkiosk.profiling import prompts
from cxkiosk.profiling.providers import LOCAL_KEY, Provider, ProviderError, resolve_provider
from cxkiosk.profiling.replies import parse_reply

try:  # openai 3.x ships httpx under the name httpx2; 1.x used httpx
    import httpcore2 as httpcore
    import httpx2 as httpx
except ImportError:  # pragma: no cover - depends on the installed openai
    import httpcore  # type: ignore[no-redef]
    import httpx  # type: ignore[no-redef]

log = logging.getLogger("cxkiosk.model")

Box = tuple[int, int, int, int]  # x, y, w, h in pixels
PromptSource = Callable[[str], "str | None"]  # source ("camera"|"thermal") -> prompt text

CALLS_FILE = "model_calls.json"
MAX_SIDE = 512  # OpenAI's `detail: low` looks at 512x512; more pixels cost bytes, not accuracy
JPEG_QUALITY = 80
MAX_REPLY_TOKENS = 400


def profile_schema(sensitive: bool = False) -> dict[str, Any]:
    """The JSON schema for structured output (strict mode: every field required, nullable)."""
    person: dict[str, Any] = {
        "gender": {"type": ["string", "null"], "enum": ["male", "female", None]},
        "age": {"type": ["integer", "null"]},
        "glasses": {"type": ["boolean", "null"]},
        "hair": {"type": ["string", "null"]},
        "clothing": {"type": ["string", "null"]},
        "facing": {"type": ["boolean", "null"]},
    }
    if sensitive:
        person.update(ethnicity={"type": ["string", "null"]}, emotion={"type": ["string", "null"]})
    return {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "people": {"type": "array", "items": {
                "type": "object", "properties": person, "required": list(person),
                "additionalProperties": False}},
        },
        "required": ["count", "people"],
        "additionalProperties": False,
    }


# ---------------------------------------------------------------------------- image preparation

@dataclass(frozen=True)
class PreparedImage:
    data_url: str  # data:image/jpeg;base64,... (Ollama refuses http image URLs)
    jpeg_bytes: int
    width: int
    height: int


def crop_box(shape: tuple[int, ...], boxes: Sequence[Box]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) around all boxes with room for hair and clothing, inside the frame."""
    height, width = shape[:2]
    valid = [(int(x), int(y), int(w), int(h)) for x, y, w, h in boxes if w > 0 and h > 0]
    if not valid:
        return 0, 0, width, height
    x0 = min(x for x, _, _, _ in valid)
    y0 = min(y for _, y, _, _ in valid)
    x1 = max(x + w for x, _, w, _ in valid)
    y1 = max(y + h for _, y, _, h in valid)
    bw, bh = x1 - x0, y1 - y0
    # Boxes are often faces: clothing is below them, so the crop reaches further down than up.
    x0, x1 = x0 - bw // 2, x1 + bw // 2
    y0, y1 = y0 - bh // 2, y1 + bh * 2
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(width, x1), min(height, y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 0, 0, width, height
    return x0, y0, x1, y1


def prepare_image(image: np.ndarray, boxes: Sequence[Box] = (), max_side: int = MAX_SIDE,
                  quality: int = JPEG_QUALITY) -> PreparedImage:
    """Crop around the people, downscale, JPEG-encode in memory. ValueError on an unusable image."""
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        raise ValueError("not an image (expected a non-empty BGR or grey numpy array)")
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    x0, y0, x1, y1 = crop_box(image.shape, boxes)
    crop = image[y0:y1, x0:x1]
    scale = max_side / max(crop.shape[:2])
    if scale < 1:
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("the image could not be encoded as JPEG")
    data = encoded.tobytes()
    return PreparedImage("data:image/jpeg;base64," + base64.b64encode(data).decode("ascii"),
                         len(data), crop.shape[1], crop.shape[0])


# ------------------------------------------------------------------------------ cost and faults

class CallBudget:
    """Hourly and daily call caps over rolling windows, persisted so a restart keeps counting.

    A cap of 0 allows no calls (a cost cap that fails open would be no cap).
    """

    def __init__(self, path: Path | None, per_hour: int, per_day: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.path, self.per_hour, self.per_day, self._clock = path, per_hour, per_day, clock
        self._calls: list[float] = self._load()

    def _load(self) -> list[float]:
        if self.path is None or not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return sorted(float(t) for t in data["calls"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.error("call counter %s unreadable (%s); counting from zero", self.path, exc)
            return []

    def _trim(self, now: float) -> None:
        # Entries far in the future mean the clock was set back; they would block calls for days.
        self._calls = [t for t in self._calls if now - 86400 < t <= now + 3600]

    def blocked(self) -> str:
        """Why no call may be made now, or ""."""
        now = self._clock()
        self._trim(now)
        if sum(1 for t in self._calls if t > now - 3600) >= self.per_hour:
            return f"hourly call cap reached ({self.per_hour} calls)"
        if len(self._calls) >= self.per_day:
            return f"daily call cap reached ({self.per_day} calls)"
        return ""

    def record(self) -> None:
        self._calls.append(self._clock())
        self._save()

    def counts(self) -> tuple[int, int]:
        """(calls in the last hour, calls in the last day)."""
        now = self._clock()
        self._trim(now)
        return sum(1 for t in self._calls if t > now - 3600), len(self._calls)

    def _save(self) -> None:
        if self.path is None:
            return
        try:  # temp file + replace: a power cut leaves the old file or the new one, never half
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".calls-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"calls": [round(t, 1) for t in self._calls]}, fh)
            os.replace(tmp, self.path)
        except OSError as exc:
            log.error("cannot save the call counter %s: %s", self.path, exc)


class CircuitBreaker:
    """After `threshold` failures in a row, stop calling for a cool-down, then try once.

    Each failed trial doubles the cool-down (up to `max_cooldown`); a success closes it.
    """

    def __init__(self, threshold: int = 3, cooldown: float = 60.0, max_cooldown: float = 600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold, self.base_cooldown, self.max_cooldown = threshold, cooldown, max_cooldown
        self._clock = clock
        self.failures = 0
        self.cooldown = cooldown
        self.open_until: float | None = None

    def blocked(self) -> str:
        if self.open_until is None:
            return ""
        left = self.open_until - self._clock()
        if left > 0:
            return f"model paused after {self.failures} failures; next try in {left:.0f} s"
        return ""  # half-open: one trial call

    def success(self) -> None:
        self.failures, self.cooldown, self.open_until = 0, self.base_cooldown, None

    def failure(self) -> None:
        self.failures += 1
        if self.open_until is not None:  # the trial call failed
            self.cooldown = min(self.max_cooldown, self.cooldown * 2)
            self.open_until = self._clock() + self.cooldown
        elif self.failures >= self.threshold:
            self.open_until = self._clock() + self.cooldown
            log.warning("model failed %d times in a row; pausing calls for %.0f s", self.failures,
                        self.cooldown)


class VisitGate:
    """Decides when a visit is worth a call: a new visit, a group change that holds, a refresh.

    Trackers flicker: a face lost for a frame or a passer-by would make the group "change" many
    times a minute. A changed head count must hold for `settle` seconds (and `min_gap` after the
    last call) before it is worth a call; a count of 0 inside a visit is a lost face, not a
    change (the tracker ends a visit when people leave).
    """

    def __init__(self, refresh_seconds: float = 0.0, settle: float = 2.0, min_gap: float = 5.0) -> None:
        self.refresh_seconds, self.settle, self.min_gap = refresh_seconds, settle, min_gap
        self.forget()

    def check(self, visit_id: object, count: int, now: float) -> float | None:
        """0: call now; None: no call needed; > 0: ask again after that many seconds."""
        if visit_id != self._visit:
            return self._called(visit_id, count, now)
        since_call = now - self._last
        if count == self._count or count <= 0:
            self._candidate = None
            if self.refresh_seconds > 0 and since_call >= self.refresh_seconds:
                return self._called(visit_id, self._count, now)
            return None
        if self._candidate != count:
            self._candidate, self._since = count, now
        wait = max(self.settle - (now - self._since), self.min_gap - since_call)
        return self._called(visit_id, count, now) if wait <= 0 else wait

    def due(self, visit_id: object, count: int, now: float) -> bool:
        return self.check(visit_id, count, now) == 0

    def _called(self, visit_id: object, count: int, now: float) -> float:
        self._visit, self._count, self._last, self._candidate = visit_id, count, now, None
        return 0.0

    def forget(self) -> None:
        self._visit: object = None
        self._count = -1
        self._last = float("-inf")
        self._candidate: int | None = None
        self._since = 0.0


# ----------------------------------------------------------------------- deadline and abort

class _CallGuard:
    """One total deadline per call and an abort switch, applied at the socket level.

    httpx's timeout bounds each read, not the whole response; clamping every socket operation to
    the time left makes the deadline real. `abort()` shuts the sockets down so a blocked read
    returns at once (closing a socket from another thread does not wake a blocked recv on Linux).
    """

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.total = 0.0  # seconds the current call was given
        self.aborted = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def clamp(self, timeout: float | None, timeout_exc: type[Exception]) -> float | None:
        if self.aborted.is_set():
            raise httpcore.ConnectError("cancelled")
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise timeout_exc("total time for the call used up")
        return left if timeout is None else min(timeout, left)

    def track(self, sock: Any, add: bool) -> None:
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            (self._sockets.add if add else self._sockets.discard)(sock)

    def abort(self) -> None:
        self.aborted.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _GuardedStream(httpcore.NetworkStream):
    def __init__(self, inner: Any, guard: _CallGuard) -> None:
        self._inner, self._guard = inner, guard
        guard.track(inner.get_extra_info("socket"), True)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._guard.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._guard.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._guard.track(self._inner.get_extra_info("socket"), False)
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> _GuardedStream:
        timeout = self._guard.clamp(timeout, httpcore.ConnectTimeout)
        return _GuardedStream(self._inner.start_tls(ssl_context, server_hostname, timeout), self._guard)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, inner: Any, guard: _CallGuard) -> None:
        self._inner, self._guard = inner, guard

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> _GuardedStream:
        timeout = self._guard.clamp(timeout, httpcore.ConnectTimeout)
        return _GuardedStream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options),
                              self._guard)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> _GuardedStream:
        timeout = self._guard.clamp(timeout, httpcore.ConnectTimeout)
        return _GuardedStream(self._inner.connect_unix_socket(path, timeout, socket_options), self._guard)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx transport whose sockets obey the guard, and whose failures retry within the deadline.

    The openai client honours a server's Retry-After of up to 60 s by sleeping, which no socket
    deadline can cut short: the header is dropped (its own short backoff applies), and with
    under a second (or half the call's time) left, the retry is called off.
    """

    def __init__(self, guard: _CallGuard) -> None:
        super().__init__()
        self._guard = guard
        pool = getattr(self, "_pool", None)
        if pool is not None and hasattr(pool, "_network_backend"):
            pool._network_backend = _GuardedBackend(pool._network_backend, guard)
        else:  # pragma: no cover - a future httpx layout; calls still have per-read timeouts
            log.warning("cannot install the total call deadline on this httpx version")

    def handle_request(self, request: Any) -> Any:
        response = super().handle_request(request)
        if response.status_code == 429 or response.status_code >= 500:
            for name in ("retry-after", "retry-after-ms"):
                if name in response.headers:
                    del response.headers[name]
            deadline, total = self._guard.deadline, self._guard.total
            if deadline is not None and deadline - time.monotonic() < min(1.0, total / 2):
                response.headers["x-should-retry"] = "false"
        return response


def _guarded_http_client(guard: _CallGuard, timeout: float) -> Any:
    import openai

    return openai.DefaultHttpxClient(transport=_GuardedTransport(guard), timeout=timeout)


# ---------------------------------------------------------------------------------- classifier

@dataclass(frozen=True)
class ClassifyResult:
    audience: Audience
    provider: str
    model: str
    latency_ms: float = 0.0  # the whole call as the kiosk saw it; 0 when no call was made
    bytes_sent: int = 0  # JPEG bytes of the image sent (the request body is ~4/3 of it, base64)
    tokens: int = 0  # total tokens the server reported
    used_fallback: bool = False  # True: `audience` is the local one (no model answer)
    error: str = ""  # why the model's answer is missing; "" when it was used or never asked
    server_ms: float | None = None  # the server's own processing time, when it reports it
    reply_format: str = ""  # "json" | "lines" | "none"


@dataclass
class ClassifierStats:
    calls: int = 0
    failures: int = 0
    bytes_sent: int = 0
    tokens: int = 0
    last_error: str = ""


@dataclass
class _Config:
    provider: Provider | None
    api_key: str
    problem: str = ""  # why no call can be made with this configuration


class Classifier:
    """Model profiling with fallback. Use from one thread at a time; `abort()` from any thread."""

    def __init__(self, settings: Settings, data_dir: Path | None = None,
                 prompt: PromptSource | None = None, api_key: str | None = None,
                 clock: Callable[[], float] = time.time, breaker: CircuitBreaker | None = None) -> None:
        self.settings = settings
        self._prompt = prompt
        self.structured = settings.structured_output
        self.breaker = breaker or CircuitBreaker()
        self.budget = CallBudget(data_dir / CALLS_FILE if data_dir else None,
                                 settings.calls_per_hour, settings.calls_per_day, clock)
        self.stats = ClassifierStats()
        self._guard = _CallGuard()
        self._client: Any = None
        self._config = self._configure(api_key)

    def _configure(self, api_key: str | None) -> _Config:
        s = self.settings
        try:
            provider = resolve_provider(s.provider, s.base_url, s.model)
        except ProviderError as exc:
            return _Config(None, "", str(exc))
        if api_key is None:
            from cxkiosk.profiling.secrets import get_api_key

            # OPENAI_API_KEY is for OpenAI and remote servers; a server on this machine gets
            # only a key stored for it by name, never the OpenAI one.
            remote = provider.needs_key or not provider.is_local
            api_key = get_api_key(provider.name, environ=None if remote else {})
        if provider.needs_key and not api_key:
            return _Config(provider, "", f"no API key for {provider.name}: set OPENAI_API_KEY or store "
                                         "the key in the admin panel (it goes to the OS keyring)")
        return _Config(provider, api_key or LOCAL_KEY)

    @property
    def provider(self) -> Provider | None:
        return self._config.provider

    @property
    def problem(self) -> str:
        """Why this classifier cannot call a model at all (configuration), or ""."""
        return self._config.problem

    def may_call(self, source: str = "camera") -> bool:
        """Whether the privacy mode lets an image of this source ("camera"/"thermal") leave."""
        return Privacy.of(self.settings).may_send(source)

    def abort(self) -> None:
        """Thread-safe: end an in-flight call now and refuse further calls (shutdown)."""
        self._guard.abort()

    def warm_up(self) -> None:
        """Import openai and build the client now (no network), so the first visitor does not
        wait for it (about half a second on a kiosk PC)."""
        if self._config.provider is not None and not self._config.problem:
            try:
                self._openai()
            except Exception as exc:  # a broken install shows up on the first call, with its reason
                log.warning("model client could not be prepared: %s", exc)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _openai(self) -> Any:
        if self._client is None:
            import openai

            cfg = self._config
            assert cfg.provider is not None
            timeout = self.settings.model_timeout
            self._client = openai.OpenAI(base_url=cfg.provider.base_url, api_key=cfg.api_key,
                                         timeout=timeout, max_retries=1,
                                         http_client=_guarded_http_client(self._guard, timeout))
        return self._client

    def prompt_text(self, source: str) -> str:
        text = None
        if self._prompt is not None:
            try:
                text = self._prompt(source)
            except Exception:  # the DB may be locked or gone; the default prompt still works
                log.exception("reading the %s prompt failed; using the default", source)
        if isinstance(text, str) and text.strip():
            return text
        if source == "thermal":
            return prompts.THERMAL
        return prompts.JSON_PROFILE if self.structured else prompts.SEED_LINES

    def classify(self, image: np.ndarray, boxes: Sequence[Box] = (), local: Audience | None = None,
                 source: str = "camera") -> ClassifyResult:
        """Profile the people in `image`; never raises for a model or network problem."""
        fallback = local if local is not None else Audience(count=len(boxes), source="local")
        cfg = self._config
        provider_name = cfg.provider.name if cfg.provider else self.settings.provider
        model = cfg.provider.model if cfg.provider else self.settings.model

        def without_model(error: str) -> ClassifyResult:
            if error:
                self.stats.last_error = error
            return ClassifyResult(fallback, provider_name, model, used_fallback=True, error=error)

        if not self.may_call(source):
            return without_model("")
        if self._guard.aborted.is_set():
            return without_model("classifier stopped")
        blocked = cfg.problem or self.breaker.blocked() or self.budget.blocked()
        if blocked:
            return without_model(blocked)
        try:
            prepared = prepare_image(image, boxes if source != "thermal" else ())
        except (ValueError, TypeError, cv2.error) as exc:  # a bad frame or box costs no call
            return without_model(f"image unusable: {exc}")

        self.budget.record()
        self.stats.calls += 1
        self.stats.bytes_sent += prepared.jpeg_bytes
        started = time.monotonic()
        self._guard.deadline = started + self.settings.model_timeout
        self._guard.total = self.settings.model_timeout
        try:
            text, tokens, server_ms = self._call(prepared, source)
            error = ""
        except Exception as exc:  # every failure becomes a fallback, never a crash
            text, tokens, server_ms, error = None, 0, None, self._describe(exc)
        finally:
            self._guard.deadline = None
        latency_ms = (time.monotonic() - started) * 1000
        self.stats.tokens += tokens
        parsed = None if error else parse_reply(text, f"model:{model}", self.settings.sensitive_attributes)
        if parsed is not None and parsed.audience is None:
            error = "reply unusable: " + "; ".join(parsed.notes)
        common = dict(provider=provider_name, model=model, latency_ms=round(latency_ms, 1),
                      bytes_sent=prepared.jpeg_bytes, tokens=tokens, server_ms=server_ms)
        if error:
            self.breaker.failure()
            self.stats.failures += 1
            self.stats.last_error = error
            log.warning("model call failed after %.0f ms: %s; using local attributes", latency_ms, error)
            return ClassifyResult(fallback, used_fallback=True, error=error,
                                  reply_format=parsed.format if parsed else "", **common)
        assert parsed is not None and parsed.audience is not None
        self.breaker.success()
        audience = parsed.audience
        if not self.settings.sensitive_attributes:
            audience = audience.without_sensitive()
        log.info("model call: %.0f ms, %d bytes, %d tokens, %s (%s)", latency_ms, prepared.jpeg_bytes,
                 tokens, audience.summary(), parsed.format)
        return ClassifyResult(audience, reply_format=parsed.format, **common)

    def _call(self, prepared: PreparedImage, source: str) -> tuple[str, int, float | None]:
        import openai

        cfg = self._config
        assert cfg.provider is not None
        image_url: dict[str, str] = {"url": prepared.data_url}
        if cfg.provider.detail_low:
            image_url["detail"] = "low"
        messages = [{"role": "user", "content": [
            {"type": "text", "text": self.prompt_text(source)},
            {"type": "image_url", "image_url": image_url}]}]
        request: dict[str, Any] = dict(model=cfg.provider.model, messages=messages,
                                       max_tokens=MAX_REPLY_TOKENS)
        structured = self.structured and source != "thermal"
        if structured:
            request["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "audience", "strict": True,
                "schema": profile_schema(self.settings.sensitive_attributes)}}
        completions = self._openai().chat.completions
        try:
            raw = completions.with_raw_response.create(**request)
        except openai.BadRequestError:
            if not structured:
                raise
            # Some servers (llama.cpp has) answer 400 to json_schema: ask again without it, and
            # stop sending it for the rest of this run.
            log.warning("%s rejected structured output; continuing without it (turn off "
                        "structured_output in settings to skip this)", cfg.provider.name)
            self.structured = False
            request.pop("response_format")
            request["messages"][0]["content"][0]["text"] = self.prompt_text(source)
            raw = completions.with_raw_response.create(**request)
        completion = raw.parse()
        server_ms = _header_ms(raw.headers.get("openai-processing-ms"))
        text = completion.choices[0].message.content if completion.choices else None
        tokens = int(getattr(completion.usage, "total_tokens", 0) or 0) if completion.usage else 0
        return text or "", tokens, server_ms

    def _describe(self, exc: Exception) -> str:
        """A short reason for logs and the admin panel; never the response body (it may echo the
        request, image included)."""
        import openai

        timeout = self.settings.model_timeout
        if self._guard.aborted.is_set():
            return "classifier stopped"
        if isinstance(exc, openai.APITimeoutError):
            return f"no answer within {timeout:g} s"
        if isinstance(exc, openai.RateLimitError):
            return "rate limited by the server (429)"
        if isinstance(exc, openai.AuthenticationError):
            return "the server rejected the API key (401)"
        if isinstance(exc, openai.APIStatusError):
            return f"server error {exc.status_code}"
        if isinstance(exc, openai.APIConnectionError):
            url = self._config.provider.base_url if self._config.provider else "?"
            return f"cannot reach {url}"
        return f"unexpected {type(exc).__name__}"


def _header_ms(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None

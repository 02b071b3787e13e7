"""Profile the people in front of the screen with a vision language model, within bounds.

`Classifier.classify(image, boxes, local, source)` sends a downscaled JPEG crop around the
detected people (`image.py`) to an OpenAI-compatible server and returns a `ClassifyResult`. It
never raises for a model problem: while the model is unavailable (privacy mode, missing key,
open circuit breaker, call cap, timeout, server error, unusable reply) the result carries the
local audience it was given, so targeting continues.

Bounds a kiosk needs and the openai defaults lack: one total deadline per call (`deadline.py`),
at most one retry, a circuit breaker and call caps that survive restarts (`limits.py`). Frames
stay in memory; only the encoded crop leaves, and only when the Privacy value allows it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from cxkiosk.config import Privacy, Settings
from cxkiosk.profiling import prompts
from cxkiosk.profiling.deadline import REPLY_MAX_BYTES, CallGuard, guarded_http_client, openai_module
from cxkiosk.profiling.image import Box, PreparedImage, prepare_image
from cxkiosk.profiling.limits import CALLS_FILE, CallBudget, CircuitBreaker
from cxkiosk.profiling.providers import LOCAL_KEY, Provider, ProviderError, resolve_provider
from cxkiosk.profiling.replies import parse_reply, profile_schema
from cxkiosk.values import Audience

log = logging.getLogger("cxkiosk.model")

PromptSource = Callable[[str], "str | None"]  # source ("camera"|"thermal") -> prompt text

MAX_REPLY_TOKENS = 400


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


@dataclass(frozen=True)
class TokenUsage:
    """Tokens as the server reported them (its `usage`); None where it said nothing."""

    prompt: int | None = None
    completion: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class Exchange:
    """One classification as it went: what was sent, what came back, how it was read. The kiosk
    keeps only `result`; the admin panel's prompt bench shows the rest (memory only)."""

    result: ClassifyResult
    sent: PreparedImage | None = None  # the crop that left the machine; None when nothing did
    reply: str | None = None  # the reply's text as the server sent it; None when none came
    usage: TokenUsage | None = None
    notes: tuple[str, ...] = ()  # what the parser dropped, or why it could not read the reply


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
                 clock: Callable[[], float] = time.time, breaker: CircuitBreaker | None = None,
                 budget: CallBudget | None = None) -> None:
        self.settings = settings
        self._prompt = prompt
        self.structured = settings.structured_output
        self.breaker = breaker or CircuitBreaker()
        # One budget for every caller of the model (profiling and captions share the caps).
        self.budget = budget or CallBudget(data_dir / CALLS_FILE if data_dir else None,
                                           settings.calls_per_hour, settings.calls_per_day, clock)
        self.stats = ClassifierStats()
        self._guard = CallGuard()
        self._client: Any = None
        self._config = self._configure(api_key)

    def _configure(self, api_key: str | None) -> _Config:
        s = self.settings
        try:
            provider = resolve_provider(s.provider, s.base_url, s.model)
        except ProviderError as exc:
            return _Config(None, "", str(exc))
        from cxkiosk.profiling.secrets import api_key_for, insecure_for_keys

        if api_key is None:
            api_key = api_key_for(provider)  # the key of this server, never another's
        if api_key and (insecure := insecure_for_keys(provider)):
            return _Config(provider, "", insecure)
        if provider.needs_key and not api_key:
            return _Config(provider, "", f"no API key for {provider.base_url}: store it in the admin "
                                         "panel (it goes to the OS keyring) or set OPENAI_API_KEY")
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
            openai = openai_module()
            cfg = self._config
            assert cfg.provider is not None
            timeout = self.settings.model_timeout
            self._client = openai.OpenAI(base_url=cfg.provider.base_url, api_key=cfg.api_key,
                                         timeout=timeout, max_retries=1,
                                         http_client=guarded_http_client(self._guard, timeout))
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
        return self.exchange(image, boxes, local, source).result

    def exchange(self, image: np.ndarray, boxes: Sequence[Box] = (), local: Audience | None = None,
                 source: str = "camera") -> Exchange:
        """`classify`, with the crop sent, the raw reply and the token usage kept beside the result."""
        fallback = local if local is not None else Audience(count=len(boxes), source="local")
        cfg = self._config
        provider_name = cfg.provider.name if cfg.provider else self.settings.provider
        model = cfg.provider.model if cfg.provider else self.settings.model

        def without_model(error: str) -> Exchange:
            if error:
                self.stats.last_error = error
            return Exchange(ClassifyResult(fallback, provider_name, model, used_fallback=True, error=error))

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
        self._guard.received = 0
        text: str | None = None
        usage: TokenUsage | None = None
        server_ms: float | None = None
        try:
            text, usage, server_ms = self._call(prepared, source)
            error = ""
        except Exception as exc:  # every failure becomes a fallback, never a crash
            error = self._describe(exc)
        finally:
            self._guard.deadline = None
        latency_ms = (time.monotonic() - started) * 1000
        tokens = (usage.total or 0) if usage else 0
        self.stats.tokens += tokens
        parsed = None if error else parse_reply(text, f"model:{model}", self.settings.sensitive_attributes)
        if parsed is not None and parsed.audience is None:
            error = "reply unusable: " + "; ".join(parsed.notes)
        call = ClassifyResult(fallback, provider_name, model, latency_ms=round(latency_ms, 1),
                              bytes_sent=prepared.jpeg_bytes, tokens=tokens, server_ms=server_ms)
        went = Exchange(call, prepared, text, usage, parsed.notes if parsed else ())
        if error:
            self.breaker.failure()
            self.stats.failures += 1
            self.stats.last_error = error
            log.warning("model call failed after %.0f ms: %s; using local attributes", latency_ms, error)
            return replace(went, result=replace(call, used_fallback=True, error=error,
                                                reply_format=parsed.format if parsed else ""))
        assert parsed is not None and parsed.audience is not None
        self.breaker.success()
        audience = parsed.audience
        if not self.settings.sensitive_attributes:
            audience = audience.without_sensitive()
        log.info("model call: %.0f ms, %d bytes, %d tokens, %s (%s)", latency_ms, prepared.jpeg_bytes,
                 tokens, audience.summary(), parsed.format)
        return replace(went, result=replace(call, audience=audience, reply_format=parsed.format))

    def write(self, prompt: str, max_tokens: int = 80) -> tuple[str, str]:
        """One text-only call (a caption): (text, "") or ("", why not). Counted against the same
        call caps, deadline and circuit breaker as profiling; never raises."""
        cfg = self._config
        blocked = cfg.problem or self.breaker.blocked() or self.budget.blocked()
        if blocked or self._guard.aborted.is_set():
            return "", blocked or "stopped"
        assert cfg.provider is not None
        self.budget.record()
        self.stats.calls += 1
        started = time.monotonic()
        self._guard.deadline = started + self.settings.model_timeout
        self._guard.total = self.settings.model_timeout
        self._guard.received = 0
        try:
            completion = self._openai().chat.completions.create(
                model=cfg.provider.model, max_tokens=max_tokens,
                messages=[{"role": "user", "content": prompt}])
            text = completion.choices[0].message.content if completion.choices else ""
        except Exception as exc:  # a caption is optional: any failure means the tagline
            self.breaker.failure()
            return "", self._describe(exc)
        finally:
            self._guard.deadline = None
        self.breaker.success()
        return text or "", ""

    def _call(self, prepared: PreparedImage, source: str) -> tuple[str, TokenUsage | None, float | None]:
        openai = openai_module()
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
        return text or "", _usage(completion.usage), server_ms

    def _describe(self, exc: Exception) -> str:
        """A short reason for logs and the admin panel; never the response body (it may echo the
        request, image included)."""
        openai = openai_module()
        timeout = self.settings.model_timeout
        if self._guard.aborted.is_set():
            return "classifier stopped"
        if self._guard.received > REPLY_MAX_BYTES:
            return f"reply larger than {REPLY_MAX_BYTES // 1024} kB; cut off"
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


def _usage(usage: Any) -> TokenUsage | None:
    """The server's token counts; a server that sends none (or nonsense) gives None."""
    if usage is None:
        return None

    def count(name: str) -> int | None:
        value = getattr(usage, name, None)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

    found = TokenUsage(count("prompt_tokens"), count("completion_tokens"), count("total_tokens"))
    return None if found == TokenUsage() else found


def _header_ms(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None

"""Model providers: one OpenAI-compatible client, pointed at OpenAI or an on-premise server.

A preset fills in the address and a model; settings (or `--base-url/--model`) override either.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


class ProviderError(ValueError):
    """A provider setting that cannot work; the message says what to change."""


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    base_url: str
    model: str
    needs_key: bool  # local servers accept any key; OpenAI refuses a call without one
    detail_low: bool  # OpenAI's image `detail: low` (85 tokens per image); others ignore or reject it


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("openai", "OpenAI", "https://api.openai.com/v1", "gpt-4o-mini", True, True),
    Preset("ollama", "Ollama", "http://localhost:11434/v1", "qwen2.5vl", False, False),
    Preset("llamacpp", "llama.cpp server", "http://localhost:8080/v1", "default", False, False),
    Preset("vllm", "vLLM", "http://localhost:8000/v1", "Qwen/Qwen2.5-VL-3B-Instruct", False, False),
    Preset("lmstudio", "LM Studio", "http://localhost:1234/v1", "qwen2.5-vl-7b-instruct", False, False),
    Preset("custom", "Custom OpenAI-compatible server", "", "", False, False),
)}

# A placeholder key for servers that need none: the openai client refuses to start without one.
LOCAL_KEY = "not-needed"


@dataclass(frozen=True)
class Provider:
    """The provider one call goes to, after settings and flags are applied."""

    name: str
    base_url: str
    model: str
    needs_key: bool
    detail_low: bool

    @property
    def is_local(self) -> bool:
        host = (urlsplit(self.base_url).hostname or "").lower()
        return host in ("localhost", "127.0.0.1", "::1") or host.endswith(".local")


def resolve_provider(name: str, base_url: str = "", model: str = "") -> Provider:
    """Preset + overrides; ProviderError when the result cannot be called."""
    preset = PRESETS.get((name or "").strip().lower())
    if preset is None:
        raise ProviderError(f"unknown provider {name!r}; choose from {', '.join(PRESETS)}")
    url = (base_url or preset.base_url).strip().rstrip("/")
    if not url:
        raise ProviderError(f"provider {preset.name} needs a base URL (--base-url http://host:port/v1)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderError(f"base URL {url!r} is not an http(s) address")
    chosen_model = (model or preset.model).strip()
    if not chosen_model:
        raise ProviderError(f"provider {preset.name} needs a model name (--model NAME)")
    # OpenAI itself behind a custom address still wants a key and understands detail: low.
    is_openai = parts.hostname == "api.openai.com"
    return Provider(name=preset.name, base_url=url, model=chosen_model,
                    needs_key=preset.needs_key or is_openai, detail_low=preset.detail_low or is_openai)

"""The model API key: in the OS keyring (or an environment variable), nowhere else; and which
server a key may go to.

Never in settings.json, the database or a log line. When the only keyring backend is the
null/fail one (a headless Linux box without Secret Service) or one that writes plain text,
storing is refused with a message saying so, rather than quietly keeping the key in a file.

A key belongs to one server. The OpenAI key (keyring entry "openai", or OPENAI_API_KEY) goes
only to OpenAI's own https address; any other server has its own entry, named after its
address (`key_entry`), or CXKIOSK_SERVER_API_KEY. No key goes over plain http to a host that
is not this machine: a stored key for such a server is refused, not sent.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from typing import Any
from urllib.parse import urlsplit

import keyring
import keyring.errors

from cxkiosk.profiling.providers import Provider

log = logging.getLogger("cxkiosk.secrets")

SERVICE = "cxkiosk"
ENV_KEY = "OPENAI_API_KEY"  # OpenAI's own address only
SERVER_ENV_KEY = "CXKIOSK_SERVER_API_KEY"  # the configured non-OpenAI server
OPENAI_ENTRY = "openai"
OPENAI_HOST = "api.openai.com"
# Backends that keep nothing (null, fail) or keep it readable on disk (keyrings.alt plaintext).
_REFUSED = ("keyring.backends.null", "keyring.backends.fail", "keyrings.alt.file.PlaintextKeyring")


class SecretStoreError(RuntimeError):
    """The key cannot be stored or removed safely; the message says why and what to do."""


def _backend(backend: Any = None) -> Any:
    return backend if backend is not None else keyring.get_keyring()


def _refused(backend: Any) -> bool:
    kind = f"{type(backend).__module__}.{type(backend).__name__}"
    if kind.startswith(_REFUSED):
        return True
    chained = getattr(backend, "backends", None)  # keyring's ChainerBackend
    if chained is not None:
        return not chained or all(_refused(b) for b in chained)
    return False


def keyring_problem(backend: Any = None, *, secret: str = "the API key", env: str = ENV_KEY) -> str | None:
    """Why a secret cannot be kept safely here, or None when the OS keyring works. `secret` and
    `env` name what was not stored and the variable to use instead (the database password's
    store, cxkiosk.fleet.credentials, shares this refusal)."""
    kb = _backend(backend)
    if _refused(kb):
        return (f"no secure OS keyring is available (backend: {type(kb).__module__}); {secret} was not "
                f"stored. Install/unlock the system keyring, or set {env} in the kiosk's environment")
    return None


def store_api_key(key: str, provider: str = "openai", backend: Any = None) -> None:
    """Put the key in the OS keyring; SecretStoreError when that is not safe or fails."""
    key = (key or "").strip()
    if not key or any(c.isspace() for c in key):
        raise SecretStoreError("the API key is empty or contains spaces")
    problem = keyring_problem(backend)
    if problem:
        raise SecretStoreError(problem)
    try:
        _backend(backend).set_password(SERVICE, provider, key)
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(f"the OS keyring refused the key: {exc}") from exc
    log.info("API key for %s stored in the OS keyring (%s)", provider, mask(key))


def delete_api_key(provider: str = "openai", backend: Any = None) -> bool:
    """Remove a stored key; False when none was stored."""
    try:
        _backend(backend).delete_password(SERVICE, provider)
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(f"the OS keyring refused to delete the key: {exc}") from exc
    return True


def get_api_key(provider: str = "openai", environ: dict[str, str] | None = None,
                backend: Any = None) -> str | None:
    """The environment variable wins (an integrator's explicit choice), then the keyring."""
    env = os.environ if environ is None else environ
    if env.get(ENV_KEY, "").strip():
        return env[ENV_KEY].strip()
    kb = _backend(backend)
    if _refused(kb):  # nothing can be stored there, so there is nothing to read (and no noise)
        return None
    try:
        return kb.get_password(SERVICE, provider) or None
    except keyring.errors.KeyringError as exc:
        log.warning("cannot read the API key from the OS keyring: %s", exc)
        return None


def mask(key: str | None) -> str:
    """A form safe for logs and the admin panel: 'sk-…1234'."""
    if not key:
        return "(none)"
    return f"{key[:3]}…{key[-4:]}" if len(key) > 12 else "…"


# --- which key goes where ----------------------------------------------------------------------


def is_openai(provider: Provider) -> bool:
    """The provider's address is OpenAI's own, over https."""
    parts = urlsplit(provider.base_url)
    return parts.scheme == "https" and (parts.hostname or "").lower() == OPENAI_HOST


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def key_entry(provider: Provider) -> str:
    """The keyring entry of this provider's key: "openai" for OpenAI's own address, otherwise one
    named after the server (scheme, host and port), so a key never follows a changed address."""
    if is_openai(provider):
        return OPENAI_ENTRY
    parts = urlsplit(provider.base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"server:{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def insecure_for_keys(provider: Provider) -> str:
    """Why no key may be sent to this provider ("" when one may): plain http off this machine."""
    parts = urlsplit(provider.base_url)
    if parts.scheme == "https" or _loopback(parts.hostname or ""):
        return ""
    return (f"{provider.base_url} is plain http to another machine, so no API key is sent to it; use "
            "an https address (or a server that needs no key)")


def api_key_for(provider: Provider, environ: dict[str, str] | None = None, backend: Any = None) -> str | None:
    """The key for this provider's server, and only for it (None when none is stored)."""
    env = os.environ if environ is None else environ
    name = ENV_KEY if is_openai(provider) else SERVER_ENV_KEY
    if env.get(name, "").strip():
        return env[name].strip()
    return get_api_key(key_entry(provider), environ={}, backend=backend)

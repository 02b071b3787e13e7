"""The model API key: in the OS keyring (or the OPENAI_API_KEY environment variable), nowhere else.

Never in settings.json, the database or a log line. When the only keyring backend is the
null/fail one (a headless Linux box without Secret Service) or one that writes plain text,
storing is refused with a message saying so, rather than quietly keeping the key in a file.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import keyring
import keyring.errors

log = logging.getLogger("cxkiosk.secrets")

SERVICE = "cxkiosk"
ENV_KEY = "OPENAI_API_KEY"
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


def keyring_problem(backend: Any = None) -> str | None:
    """Why a key cannot be kept safely here, or None when the OS keyring works."""
    kb = _backend(backend)
    if _refused(kb):
        return (f"no secure OS keyring is available (backend: {type(kb).__module__}); the API key was not "
                f"stored. Install/unlock the system keyring, or set {ENV_KEY} in the kiosk's environment")
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

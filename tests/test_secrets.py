"""The API key lives in the OS keyring or the environment, never in settings, and a keyring that
cannot keep it safely is refused with a message."""

from __future__ import annotations

import json

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import pytest

from cxkiosk.config import Paths, Settings, load_settings, save_settings
from cxkiosk.profiling.secrets import (
    ENV_KEY,
    SecretStoreError,
    delete_api_key,
    get_api_key,
    keyring_problem,
    mask,
    store_api_key,
)

KEY = "sk-test-0123456789abcdef"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A working OS-keyring stand-in (the test machine has no Secret Service)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.store[(service, username)]


@pytest.mark.parametrize("backend", [keyring.backends.null.Keyring(), keyring.backends.fail.Keyring()])
def test_storing_is_refused_when_the_keyring_cannot_keep_secrets(backend):
    with pytest.raises(SecretStoreError, match="no secure OS keyring"):
        store_api_key(KEY, backend=backend)
    assert keyring_problem(backend) is not None
    assert get_api_key(environ={}, backend=backend) is None


def test_key_round_trips_through_a_working_keyring_and_never_reaches_settings(data_dir):
    backend = MemoryKeyring()
    assert keyring_problem(backend) is None
    store_api_key(f"  {KEY} ", provider="openai", backend=backend)
    assert get_api_key("openai", environ={}, backend=backend) == KEY
    assert get_api_key("ollama", environ={}, backend=backend) is None
    paths = Paths.for_data_dir(data_dir)
    save_settings(paths, load_settings(paths, environ={}))
    assert KEY not in paths.settings_file.read_text(encoding="utf-8")
    assert "api_key" not in json.loads(paths.settings_file.read_text(encoding="utf-8"))
    assert delete_api_key("openai", backend=backend) is True
    assert delete_api_key("openai", backend=backend) is False
    assert get_api_key("openai", environ={}, backend=backend) is None


def test_environment_variable_wins_over_the_keyring():
    backend = MemoryKeyring()
    store_api_key(KEY, backend=backend)
    assert get_api_key(environ={ENV_KEY: " sk-from-env-999999 "}, backend=backend) == "sk-from-env-999999"


@pytest.mark.parametrize("bad", ["", "   ", "sk-has space-inside"])
def test_empty_or_malformed_key_is_refused(bad):
    with pytest.raises(SecretStoreError, match="empty or contains spaces"):
        store_api_key(bad, backend=MemoryKeyring())


def test_key_is_masked_in_logs(caplog):
    caplog.set_level("DEBUG")
    store_api_key(KEY, backend=MemoryKeyring())
    assert KEY not in caplog.text and mask(KEY) in caplog.text
    assert mask(None) == "(none)" and "0123" not in mask("short-key")


def test_settings_have_no_field_for_a_key():
    assert not [name for name in vars(Settings()) if "key" in name.lower() and "kiosk" not in name]

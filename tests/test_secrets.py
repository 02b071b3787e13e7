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
    OPENAI_ENTRY,
    SecretStoreError,
    api_key_for,
    delete_api_key,
    get_api_key,
    insecure_for_keys,
    key_entry,
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


# --- a key goes to its own server only ---------------------------------------------------------------


def _sent_key(server) -> str:
    return server.requests[-1]["headers"].get("authorization", "")


def test_the_openai_key_never_goes_to_another_server(memory_keyring, monkeypatch):
    from cxkiosk.profiling.client import Classifier
    from tests.fake_openai import FakeOpenAI

    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-secret-000000000000")
    store_api_key("sk-stored-openai-000000000000", OPENAI_ENTRY)
    with FakeOpenAI() as server:
        for provider in ("custom", "ollama", "openai"):  # "openai" pointed at another address
            classifier = Classifier(Settings(privacy="full", provider=provider, base_url=server.base_url,
                                             model="m", model_timeout=5.0), None)
            result = classifier.classify(*_frame_and_face())
            if server.requests:
                assert "openai" not in _sent_key(server) and "sk-" not in _sent_key(server)
            else:
                assert result.used_fallback
        assert len(server.requests) == 2  # "openai" at a foreign address needs its own key: no call


def test_a_server_gets_the_key_stored_for_its_own_address(memory_keyring, monkeypatch):
    from cxkiosk.profiling.client import Classifier
    from cxkiosk.profiling.providers import resolve_provider
    from tests.fake_openai import FakeOpenAI

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeOpenAI() as server:
        provider = resolve_provider("custom", server.base_url, "m")
        store_api_key("server-key-1234567890", key_entry(provider))
        Classifier(Settings(privacy="full", provider="custom", base_url=server.base_url, model="m",
                            model_timeout=5.0), None).classify(*_frame_and_face())
        assert _sent_key(server) == "Bearer server-key-1234567890"
        moved = server.base_url.replace("127.0.0.1", "localhost")  # another address, no key for it
        Classifier(Settings(privacy="full", provider="custom", base_url=moved, model="m",
                            model_timeout=5.0), None).classify(*_frame_and_face())
        assert _sent_key(server) == "Bearer not-needed"


@pytest.mark.parametrize("url", ["http://10.0.0.5:8000/v1", "http://gpu.showroom.local/v1",
                                 "http://api.openai.com/v1", "http://192.168.1.20/v1"])
def test_no_key_goes_over_plain_http_to_another_machine(memory_keyring, monkeypatch, url):
    from cxkiosk.profiling.client import Classifier
    from cxkiosk.profiling.providers import resolve_provider

    provider = resolve_provider("custom", url, "m")
    assert insecure_for_keys(provider)
    store_api_key("server-key-1234567890", key_entry(provider))
    monkeypatch.setenv("CXKIOSK_SERVER_API_KEY", "env-server-key-123456")
    classifier = Classifier(Settings(privacy="full", provider="custom", base_url=url, model="m"), None)
    assert "plain http" in classifier.problem  # refused before any connection is made
    assert api_key_for(resolve_provider("openai")) is None  # nor is the OpenAI key reused


def test_loopback_and_https_may_carry_keys():
    from cxkiosk.profiling.providers import resolve_provider

    for url in ("http://127.0.0.1:8080/v1", "http://localhost:11434/v1", "http://[::1]:8000/v1",
                "https://gpu.example/v1", "https://api.openai.com/v1"):
        assert insecure_for_keys(resolve_provider("custom", url, "m")) == ""
    assert key_entry(resolve_provider("openai")) == OPENAI_ENTRY
    assert key_entry(resolve_provider("custom", "https://gpu.example/v1", "m")) == \
        "server:https://gpu.example:443"


def _frame_and_face():
    import numpy as np

    from cxkiosk.values import Audience

    frame = np.full((480, 640, 3), 120, np.uint8)
    return frame, [(200, 120, 160, 160)], Audience()

"""The set-up's model provider page: the admin panel's Provider tab as it is (preset, address,
model, the API key into the OS keyring) and its test call, on a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cxkiosk.config import Privacy, Settings
from cxkiosk.profiling.providers import ProviderError, resolve_provider
from cxkiosk.runtime.provider_test import ProviderTestWorker
from ui.admin.provider import ProviderPage
from ui.setup.pages import SetupPage
from ui.setup.trial import Trial


class ProviderStep(SetupPage):
    def __init__(self, data_dir: Path, edited: Callable[[], Settings]) -> None:
        super().__init__("Model provider", "")
        self.data_dir = data_dir
        self.edited = edited  # the settings as the set-up's pages show them now
        self.page = ProviderPage()
        self.page.layout().setContentsMargins(0, 0, 0, 0)
        self.page.test_button.clicked.connect(self.test)
        self.trial = Trial(self.page.test_button, self.page.test_status, "setup-provider-test")
        self.body.addWidget(self.page)
        self.finish_layout()

    def load(self, s: Settings) -> None:
        self.page.load(s)

    def apply(self, s: Settings) -> None:
        self.page.apply(s)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        mode = self.edited().privacy
        if Privacy(mode).uses_model:
            self.setSubTitle(f"In the {mode} privacy mode a model profiles the visitors: choose it, and "
                             "test it before you finish.")
        else:
            self.setSubTitle(f"In the {mode} privacy mode nothing is sent to a model: this can stay as it is "
                             "until the mode is full or thermal.")

    def test(self) -> None:
        settings = self.page.test_settings(self.edited())
        key = self.page.api_key.text().strip() or None
        self.trial.start(ProviderTestWorker(settings, self.data_dir, key), f"Calling {settings.provider}…")

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        s = self.edited()
        if Privacy.of(s).uses_model:
            try:
                resolve_provider(s.provider, s.base_url, s.model)
            except ProviderError as exc:
                return self.refuse(str(exc))
        if self.page.api_key.text().strip() and not self.page.store_key():
            return self.refuse("The API key was not stored (see above): fix that, or clear the key field.")
        self.trial.stop()
        self.message.clear()
        return True

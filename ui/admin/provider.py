"""The Provider tab: preset, address, model, the API key into the OS keyring, a test call."""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cxkiosk.config import Settings
from cxkiosk.profiling.providers import PRESETS, Provider, ProviderError, resolve_provider
from ui.admin.widgets import (
    message,
    note,
    pair,
)

log = logging.getLogger("cxkiosk.admin")


# --- provider ------------------------------------------------------------------------------------


class ProviderPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset = QComboBox()
        for preset in PRESETS.values():
            self.preset.addItem(preset.label, preset.name)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.base_url = QLineEdit()
        self.model = QLineEdit()
        self.structured = QCheckBox("Ask for structured output (JSON schema); "
                                    "turn off for servers that refuse it")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(1, 120)
        self.timeout.setSuffix(" s")
        self.per_hour, self.per_day = QSpinBox(), QSpinBox()
        self.per_hour.setRange(0, 3600)  # the bounds of Settings.calls_per_hour / calls_per_day
        self.per_day.setRange(0, 86400)
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("paste a new key to store it in the OS keyring")
        self.key_state = QLabel()
        self.store_button = QPushButton("Store key")
        self.store_button.clicked.connect(self.store_key)
        self.key_status = QLabel()
        self.key_status.setWordWrap(True)
        self.base_url.editingFinished.connect(self._show_key_state)  # a key belongs to one address
        self.test_button = QPushButton("Test with a sample image")
        self.test_status = QLabel()
        self.test_status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Provider", self.preset)
        form.addRow("Base URL", self.base_url)
        form.addRow("Model", self.model)
        form.addRow("", self.structured)
        form.addRow("Timeout", self.timeout)
        form.addRow("Calls per hour / day", pair(self.per_hour, self.per_day))
        key_row = QHBoxLayout()
        key_row.addWidget(self.api_key, 1)
        key_row.addWidget(self.store_button)
        form.addRow("API key", key_row)
        form.addRow("", self.key_state)
        form.addRow("", self.key_status)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(test_row)
        layout.addWidget(note("The key is kept in the operating system's keyring, never in the settings "
                               "file. Images are sent to the model only in the 'full' privacy mode; "
                               "the test sends a drawn sample image, not a camera frame."))
        layout.addStretch(1)

    @property
    def provider_name(self) -> str:
        return self.preset.currentData()

    def _preset_changed(self, _index: int) -> None:
        preset = PRESETS[self.provider_name]
        self.base_url.setPlaceholderText(preset.base_url or "http://host:port/v1")
        self.model.setPlaceholderText(preset.model or "model name")
        self._show_key_state()

    def _provider(self) -> Provider | None:
        """The provider the fields describe now (None while its address is not usable)."""
        try:
            return resolve_provider(self.provider_name, self.base_url.text().strip(),
                                    self.model.text().strip())
        except ProviderError:
            return None

    def _show_key_state(self) -> None:
        from cxkiosk.profiling.secrets import api_key_for, mask

        provider = self._provider()
        if provider is None:
            self.key_state.setText("set the server's address first")
            return
        key = api_key_for(provider)
        if key:
            self.key_state.setText(f"key for {provider.base_url} in use: {mask(key)}")
        else:
            self.key_state.setText("no key stored for this server" + ("" if not provider.needs_key
                                                                      else " — it needs one"))

    def load(self, s: Settings) -> None:
        index = self.preset.findData(s.provider)
        self.preset.setCurrentIndex(max(0, index))
        self._preset_changed(self.preset.currentIndex())
        self.base_url.setText(s.base_url)
        self.model.setText(s.model)
        self.structured.setChecked(s.structured_output)
        self.timeout.setValue(s.model_timeout)
        self.per_hour.setValue(s.calls_per_hour)
        self.per_day.setValue(s.calls_per_day)

    def apply(self, s: Settings) -> None:
        s.provider = self.provider_name
        s.base_url = self.base_url.text().strip()
        s.model = self.model.text().strip()
        s.structured_output = self.structured.isChecked()
        s.model_timeout = self.timeout.value()
        s.calls_per_hour, s.calls_per_day = self.per_hour.value(), self.per_day.value()

    def store_key(self) -> bool:
        """Keyring only; the field is cleared once stored. False (with the reason shown) otherwise."""
        from cxkiosk.profiling.secrets import SecretStoreError, insecure_for_keys, key_entry, store_api_key

        key = self.api_key.text().strip()
        if not key:
            message(self.key_status, "Type or paste a key first.", False)
            return False
        provider = self._provider()
        if provider is None:
            message(self.key_status, "Key not stored: set the server's address first.", False)
            return False
        if insecure := insecure_for_keys(provider):
            message(self.key_status, f"Key not stored: {insecure}.", False)
            return False
        try:
            store_api_key(key, key_entry(provider))
        except SecretStoreError as exc:
            message(self.key_status, f"Key not stored: {exc}", False)
            return False
        self.api_key.clear()
        message(self.key_status, "Key stored in the OS keyring.", True)
        self._show_key_state()
        return True

    def test_settings(self, base: Settings) -> Settings:
        """What the test call uses: the fields as shown, with images allowed out for this one call."""
        s = replace(base)
        self.apply(s)
        s.privacy = "full"
        return s

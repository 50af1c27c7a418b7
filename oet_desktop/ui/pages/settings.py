"""Settings: audio devices, the endpoint window, turn-taking, models and voice, GPU use (with the reason when
it is off), an optional language-model server and its API key, audio retention, the passphrase, and export or
erase everything."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from oet_desktop.core.models.catalog import Catalog, ModelRole
from oet_desktop.services.settings import SETTING_DEFAULTS
from oet_desktop.ui.pages.common import heading, wrapped

TURN_MODES = (("half_duplex", "Half-duplex: the patient finishes before you speak (recommended)"),
              ("barge_in", "Barge-in: you can interrupt the patient"),
              ("push_to_talk", "Push-to-talk: hold Space while you speak"))


class SettingsPage(QWidget):
    """Edits the profile's settings; ``changed`` carries (key, value) for each edit."""

    changed = Signal(str, object)
    api_key_changed = Signal(str)
    """A new API key for the language-model server (empty: remove the saved one)."""
    passphrase_requested = Signal()
    export_requested = Signal()
    erase_requested = Signal()

    def __init__(self, catalog: Catalog, gpu_build: bool | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.input_device = QComboBox()
        self.output_device = QComboBox()
        self.endpoint = QSpinBox()
        self.endpoint.setRange(400, 2000)
        self.endpoint.setSingleStep(100)
        self.endpoint.setSuffix(" ms")
        self.turn_mode = QComboBox()
        for value, label in TURN_MODES:
            self.turn_mode.addItem(label, value)
        self.models: dict[ModelRole, QComboBox] = {}
        for role in (ModelRole.LLM, ModelRole.STT, ModelRole.TTS):
            combo = QComboBox()
            for entry in catalog.by_role(role):
                combo.addItem(f"{entry.name} ({entry.tier})", entry.id)
            self.models[role] = combo
        self.gpu = QComboBox()
        for value, label in (("auto", "Automatic"), ("on", "On"), ("off", "Off")):
            self.gpu.addItem(label, value)
        self.gpu_reason = wrapped()
        self.set_gpu_build(gpu_build)
        self.server_url = QLineEdit()
        self.server_url.setPlaceholderText("none: the models run on this computer")
        self.server_url.setAccessibleName("Language-model server address")
        self.server_model = QLineEdit()
        self.server_model.setPlaceholderText("default")
        self.server_model.setAccessibleName("Model name on the server")
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setAccessibleName("API key of the language-model server")
        self.api_key_button = QPushButton("Save &key")
        self.api_key_state = wrapped()
        self.keep_audio = QCheckBox("&Keep recordings until I delete them")
        self.retention = QSpinBox()
        self.retention.setRange(1, 3650)
        self.retention.setSuffix(" days")
        for spin in (self.endpoint, self.retention):
            spin.setKeyboardTracking(False)  # saved when the number is finished (Enter, focus out), not per key
        self.passphrase_button = QPushButton("Set or change the &passphrase…")
        self.export_button = QPushButton("E&xport everything…")
        self.erase_button = QPushButton("&Erase everything…")
        self.status = wrapped()

        audio = QFormLayout()
        audio.addRow("&Microphone:", self.input_device)
        audio.addRow("&Speaker:", self.output_device)
        audio.addRow("End of turn after a &pause of:", self.endpoint)
        audio.addRow("&Turn-taking:", self.turn_mode)
        models = QFormLayout()
        models.addRow("&Language model:", self.models[ModelRole.LLM])
        models.addRow("Speech &recognition:", self.models[ModelRole.STT])
        models.addRow("&Voice:", self.models[ModelRole.TTS])
        models.addRow("&GPU:", self.gpu)
        models.addRow(self.gpu_reason)
        models.addRow(wrapped("Optional: an OpenAI-compatible server for the patient's language model (for "
                              "example llama.cpp's server on another computer). Role-plays then send the "
                              "conversation's text to it; nothing else leaves this computer."))
        models.addRow("Server &address:", self.server_url)
        models.addRow("Model on the ser&ver:", self.server_model)
        key_row = QHBoxLayout()
        key_row.addWidget(self.api_key, 1)
        key_row.addWidget(self.api_key_button)
        models.addRow("API &key:", key_row)
        models.addRow(self.api_key_state)
        privacy = QFormLayout()
        privacy.addRow(self.keep_audio)
        privacy.addRow("Delete recordings &older than:", self.retention)
        privacy.addRow(wrapped("Transcripts, feedback and scores are always kept."))
        buttons = QHBoxLayout()
        for button in (self.passphrase_button, self.export_button, self.erase_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        privacy.addRow(buttons)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        for title, form in (("Audio", audio), ("Models", models), ("Your data", privacy)):
            box = QGroupBox(title)
            box.setLayout(form)
            body_layout.addWidget(box)
        body_layout.addWidget(self.status)
        body_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Settings"))
        layout.addWidget(scroll)

        self.input_device.currentIndexChanged.connect(lambda: self._emit("input_device", self.input_device))
        self.output_device.currentIndexChanged.connect(lambda: self._emit("output_device", self.output_device))
        self.endpoint.valueChanged.connect(lambda value: self._set("endpoint_ms", value))
        self.turn_mode.currentIndexChanged.connect(lambda: self._emit("turn_mode", self.turn_mode))
        self.gpu.currentIndexChanged.connect(lambda: self._emit("gpu", self.gpu))
        for role, combo in self.models.items():
            combo.currentIndexChanged.connect(lambda _=0, r=role, c=combo: self._emit(f"model_{r.value}", c))
        self.server_url.editingFinished.connect(
            lambda: self._set("llm_server_url", self.server_url.text().strip() or None))
        self.server_model.editingFinished.connect(
            lambda: self._set("llm_server_model", self.server_model.text().strip() or None))
        self.api_key_button.clicked.connect(self._save_api_key)
        self.api_key.returnPressed.connect(self._save_api_key)
        self.keep_audio.toggled.connect(self._retention_changed)
        self.retention.valueChanged.connect(self._retention_changed)
        self.passphrase_button.clicked.connect(self.passphrase_requested.emit)
        self.export_button.clicked.connect(self.export_requested.emit)
        self.erase_button.clicked.connect(self.erase_requested.emit)

    def set_gpu_build(self, gpu_build: bool | None) -> None:
        """Say whether the GPU can be used, and why not (None: not known yet)."""
        self.gpu.setEnabled(bool(gpu_build))
        self.gpu_reason.setText(
            "" if gpu_build else "Checking whether the GPU can be used…" if gpu_build is None else
            "The GPU is not used: this build of llama.cpp has no GPU support, so the models run on the processor. "
            "Installing a CUDA or Metal build of llama-cpp-python enables it.")

    def load(self, values: dict[str, Any], devices: list[Any], gpu_build: bool | None = None,
             api_key_saved: bool = False) -> None:
        """Show the saved values (and the sound devices there are) without emitting changes."""
        self._loading = True
        if gpu_build is not None:
            self.set_gpu_build(gpu_build)
        self.api_key_saved(api_key_saved)
        try:
            for combo, key, wants_input in ((self.input_device, "input_device", True),
                                            (self.output_device, "output_device", False)):
                combo.clear()
                combo.addItem("System default", None)
                for device in devices:
                    if (device.input_channels if wants_input else device.output_channels) > 0:
                        combo.addItem(device.name, device.name)
                index = combo.findData(values.get(key))
                combo.setCurrentIndex(max(0, index))
            self.endpoint.setValue(int(values.get("endpoint_ms") or SETTING_DEFAULTS["endpoint_ms"]))
            self.turn_mode.setCurrentIndex(max(0, self.turn_mode.findData(values.get("turn_mode", "half_duplex"))))
            self.gpu.setCurrentIndex(max(0, self.gpu.findData(values.get("gpu", "auto"))))
            for role, combo in self.models.items():
                chosen = values.get(f"model_{role.value}")
                if chosen is not None and combo.findData(chosen) >= 0:
                    combo.setCurrentIndex(combo.findData(chosen))
            self.server_url.setText(values.get("llm_server_url") or "")
            self.server_model.setText(values.get("llm_server_model") or "")
            days = values.get("audio_retention_days")
            self.keep_audio.setChecked(not days)
            self.retention.setValue(int(days or 90))
            self.retention.setEnabled(bool(days))
        finally:
            self._loading = False

    def _emit(self, key: str, combo: QComboBox) -> None:
        self._set(key, combo.currentData())

    def _set(self, key: str, value: object) -> None:
        if not self._loading:
            self.changed.emit(key, value)

    def _retention_changed(self) -> None:
        self.retention.setEnabled(not self.keep_audio.isChecked())
        self._set("audio_retention_days", None if self.keep_audio.isChecked() else self.retention.value())

    def _save_api_key(self) -> None:
        self.api_key_changed.emit(self.api_key.text().strip())
        self.api_key.clear()

    def api_key_saved(self, saved: bool) -> None:
        """Say whether a key is kept (never showing it)."""
        self.api_key_state.setText("A key is saved in the system keyring." if saved else
                                   "No key is saved (most local servers need none). Save an empty key to remove "
                                   "one.")

    def say(self, text: str) -> None:
        """Show the outcome of an action (saved, exported…)."""
        self.status.setText(text)



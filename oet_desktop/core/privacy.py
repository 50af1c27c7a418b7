"""Nothing leaves the computer: switch off the telemetry and phone-home of every library the app loads.

The switches are environment variables read once, when each library loads (ONNX Runtime latches its decision when
its environment is created), so :func:`disable_telemetry` must run before any of them is imported. ``oet_desktop``
calls it on import, which puts it ahead of every entry point.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from types import MappingProxyType

TELEMETRY_OFF: Mapping[str, str] = MappingProxyType({
    # ONNX Runtime (runs the Piper voice): since 1.29 its Linux/macOS builds send 1DS telemetry to
    # mobile.events.data.microsoft.com and keep a device id and an event store in
    # <cache>/Microsoft/DeveloperTools/.onnxruntime/. Set before the runtime's environment is created, this makes
    # it create no uploader, events, device id or offline store.
    "ORT_DISABLE_TELEMETRY": "1",
    # Hugging Face hub (under sentence-transformers and transformers): no request to the Hub at all, so no
    # telemetry, update check or "is there a newer revision?" call; the models are local files.
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    # The hub's telemetry opt-outs (also read by transformers' user agent and by hf_xet's transfer reports).
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "HF_XET_TELEMETRY_ENABLED": "0",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    # Not telemetry: keeps the hub's progress bars out of the app's console and logs.
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
})
"""Environment variables that turn telemetry off, with their "off" values. CTranslate2 (faster-whisper),
llama.cpp, Piper and PyTorch have no telemetry to turn off."""


def disable_telemetry(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set every switch in :data:`TELEMETRY_OFF`, overriding any other value: the app promises no telemetry,
    so a value inherited from the shell (``ORT_DISABLE_TELEMETRY=0``, say) cannot turn it back on."""
    environ.update(TELEMETRY_OFF)

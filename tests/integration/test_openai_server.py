"""The OpenAI-compatible backend against a real server: llama.cpp's own, serving the default model."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from oet_desktop.core.engines import EngineSet
from oet_desktop.core.llm.openai_backend import OpenAICompatibleModel
from oet_desktop.core.llm.types import ChatMessage, GenerationSettings
from oet_desktop.core.models.catalog import ModelRole
from oet_desktop.core.models.registry import ModelRegistry
from oet_desktop.core.settings import EngineSettings

pytestmark = [pytest.mark.models, pytest.mark.server]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(registry: ModelRegistry) -> Iterator[str]:
    """`python -m llama_cpp.server` on a free loopback port; yields its /v1 base URL."""
    port = _free_port()
    model = registry.resolve_default(ModelRole.LLM).main_path
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "1024", "--model_alias", "smollm2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "llama.cpp server exited"
            try:
                if httpx.get(f"{base}/models", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "llama.cpp server did not start"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def test_replies_stream_from_the_server(llama_server: str) -> None:
    with httpx.Client(timeout=30.0) as client:
        model = OpenAICompatibleModel(llama_server, "smollm2", client)
        messages = [ChatMessage("system", "You are a patient called Tom. Reply in one short sentence."),
                    ChatMessage("user", "Hello Tom, how are you today?")]
        pieces = list(model.stream_chat(messages, GenerationSettings(max_tokens=30, temperature=0.0, seed=1)))
    print(f"server reply: {''.join(pieces)!r} stats: {model.last_stats}")
    assert len(pieces) > 3
    assert len("".join(pieces).split()) >= 3
    assert model.last_stats is not None
    assert 0 < model.last_stats.time_to_first_token < 5


def test_settings_switch_the_app_to_the_server(llama_server: str, registry: ModelRegistry) -> None:
    engines = EngineSet(registry, EngineSettings(llm_server_url=llama_server, llm_server_model="smollm2"))
    model = engines.language_model()
    assert model.info.backend == "openai-compatible"
    settings = GenerationSettings(max_tokens=20, temperature=0.0, stop=("\n", "."))
    text = "".join(model.stream_chat([ChatMessage("user", "Describe your kitchen.")], settings))
    assert text
    assert "." not in text

"""GPU offload decisions and fallback, and the OpenAI-compatible backend's errors (no model needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from oet_desktop.core.errors import EngineError
from oet_desktop.core.llm.llama_cpp_backend import CPU_ONLY_BUILD_REASON, LlamaCppModel, decide_offload
from oet_desktop.core.llm.openai_backend import OpenAICompatibleModel
from oet_desktop.core.llm.types import ChatMessage, GenerationSettings

HELLO = [ChatMessage("user", "Hello")]


def test_offload_decisions() -> None:
    assert decide_offload("off", True).gpu_layers == 0
    assert decide_offload("auto", False) == decide_offload("on", False)
    assert decide_offload("on", False).reason == CPU_ONLY_BUILD_REASON
    assert decide_offload("auto", True).gpu_layers == -1


class GpuFailsModel(LlamaCppModel):
    """Simulates a GPU build whose GPU load fails (driver missing, out of memory)."""

    opened: list[int]

    def _open(self, gpu_layers: int) -> Any:
        self.opened = [*getattr(self, "opened", []), gpu_layers]
        if gpu_layers:
            raise RuntimeError("CUDA error: out of memory")
        return object()


def test_a_failed_gpu_load_falls_back_to_cpu_and_records_why() -> None:
    model = GpuFailsModel(Path("model.gguf"), gpu="auto", gpu_supported=True)
    model.load()
    assert model.opened == [-1, 0]
    assert model.info.device == "cpu"
    assert "out of memory" in model.info.reason
    assert "runs on the CPU" in model.info.reason


def test_openai_backend_reports_an_unreachable_server_clearly() -> None:
    with httpx.Client(timeout=2.0) as client:
        model = OpenAICompatibleModel("http://127.0.0.1:9/v1", "any", client)
        with pytest.raises(EngineError) as caught:
            list(model.stream_chat(HELLO, GenerationSettings()))
    assert "http://127.0.0.1:9/v1 cannot be reached" in caught.value.paragraph()
    assert "Settings" in caught.value.paragraph()


def test_openai_backend_reports_a_refused_request() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(401, text="invalid api key"))
    with httpx.Client(transport=transport) as client:
        model = OpenAICompatibleModel("http://school-server/v1", "llama", client)
        with pytest.raises(EngineError, match="HTTP 401: invalid api key"):
            list(model.stream_chat(HELLO, GenerationSettings()))


def test_openai_backend_parses_server_sent_events() -> None:
    body = (
        'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n'
        'data: {"choices":[{"delta":{"content":"Hello"}}]}\n\n'
        ": keep-alive\n\n"
        'data: {"choices":[{"delta":{"content":" there."}}]}\n\n'
        "data: [DONE]\n\n"
    )
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append({"url": str(request.url), "json": json.loads(request.read()),
                     "auth": request.headers.get("authorization")})
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        model = OpenAICompatibleModel("http://server/v1/", "m", client, api_key="k")
        pieces = list(model.stream_chat(HELLO, GenerationSettings(stop=("\n",), max_tokens=20)))
    assert pieces == ["Hello", " there."]
    assert seen[0]["url"] == "http://server/v1/chat/completions"
    assert seen[0]["json"]["stream"] is True
    assert seen[0]["json"]["stop"] == ["\n"]
    assert seen[0]["auth"] == "Bearer k"
    assert model.last_stats is not None
    assert model.last_stats.completion_tokens == 2

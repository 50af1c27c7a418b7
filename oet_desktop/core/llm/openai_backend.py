"""A language model behind an OpenAI-compatible HTTP server (llama.cpp server, vLLM, Ollama), streamed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx

from oet_desktop.core.errors import EngineError
from oet_desktop.core.llm.types import ChatMessage, GenerationSettings, GenerationStats, LlmInfo


class OpenAICompatibleModel:
    """Streams chat completions from ``{base_url}/chat/completions`` (``base_url`` usually ends in ``/v1``)."""

    def __init__(self, base_url: str, model: str, client: httpx.Client, api_key: str | None = None) -> None:
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._base = base_url
        self._model = model
        self._client = client
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.info = LlmInfo(backend="openai-compatible", model=model, device="server",
                            reason=f"Replies come from the server at {base_url}.")
        self.last_stats: GenerationStats | None = None
        self._loaded = False

    def load(self) -> None:
        """Nothing to load locally; the server holds the model."""
        self._loaded = True

    def unload(self) -> None:
        """Nothing to free locally."""
        self._loaded = False

    @property
    def is_loaded(self) -> bool:
        """Whether :meth:`load` was called."""
        return self._loaded

    def stream_chat(self, messages: list[ChatMessage], settings: GenerationSettings) -> Iterator[str]:
        """Stream the reply's content deltas (server-sent events)."""
        body: dict[str, object] = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": settings.max_tokens,
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "stream": True,
        }
        if settings.stop:
            body["stop"] = list(settings.stop)
        if settings.seed is not None:
            body["seed"] = settings.seed
        began = time.perf_counter()
        stats = GenerationStats()
        try:
            with self._client.stream("POST", self._url, json=body, headers=self._headers) as response:
                if response.status_code >= 400:
                    response.read()
                    raise EngineError(
                        f"The language model server at {self._base} refused the request "
                        f"(HTTP {response.status_code}: {response.text[:200]}).",
                        "Check the server address, model name and API key in Settings.",
                    )
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    piece = _delta_content(data)
                    if not piece:
                        continue
                    if stats.completion_tokens == 0:
                        stats.time_to_first_token = time.perf_counter() - began
                    stats.completion_tokens += 1
                    self.last_stats = stats
                    yield piece
        except httpx.HTTPError as exc:
            raise EngineError(
                f"The language model server at {self._base} cannot be reached ({exc.__class__.__name__}: {exc}).",
                "Check that it is running and the address in Settings is right, or switch back to the local model.",
            ) from exc
        stats.total_seconds = time.perf_counter() - began
        self.last_stats = stats


def _delta_content(data: str) -> str:
    try:
        event = json.loads(data)
        choices = event.get("choices") or []
        return str((choices[0].get("delta") or {}).get("content") or "") if choices else ""
    except (ValueError, AttributeError, IndexError):
        return ""

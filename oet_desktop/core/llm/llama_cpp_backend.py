"""llama.cpp in-process (llama-cpp-python): GPU offload when possible, CPU otherwise, with the reason."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oet_desktop.core.errors import EngineError
from oet_desktop.core.llm.types import ChatMessage, GenerationSettings, GenerationStats, LlmInfo
from oet_desktop.core.system.llama_build import require_runnable

log = logging.getLogger(__name__)

CPU_ONLY_BUILD_REASON = (
    "This llama.cpp build has no GPU backend (it was built for the CPU only), so the model runs on the CPU. "
    'To use an NVIDIA GPU reinstall it with LLAMA_CMAKE_ARGS="-DGGML_CUDA=on" scripts/install.sh; '
    "on Apple Silicon the standard build uses Metal."
)


@dataclass(frozen=True)
class OffloadDecision:
    """How many layers go to the GPU (-1: all) and why."""

    gpu_layers: int
    reason: str


def decide_offload(preference: str, build_supports_gpu: bool) -> OffloadDecision:
    """``preference`` is "auto", "on" or "off"."""
    if preference == "off":
        return OffloadDecision(0, "GPU offload is turned off in the settings; the model runs on the CPU.")
    if not build_supports_gpu:
        return OffloadDecision(0, CPU_ONLY_BUILD_REASON)
    return OffloadDecision(-1, "All layers are offloaded to the GPU.")


def build_supports_gpu() -> bool:
    """Whether the installed llama.cpp was built with a GPU backend (False if it cannot even be imported)."""
    try:
        require_runnable()
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception as exc:  # a broken or mismatched build must not take the doctor down with it
        log.warning("llama.cpp cannot be imported: %s", exc)
        return False


def _common_prefix(a: Any, b: Any) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class LlamaCppModel:
    """A GGUF model run by llama.cpp in this process.

    The persona prefix stays in llama.cpp's KV cache: each call evaluates only the tokens after the longest
    prefix it shares with the previous call (``last_stats.reused_prefix_tokens`` says how many were reused).
    One reply streams at a time: starting a new one (or unloading) closes a reply still open, e.g. after
    barge-in. Use the model from one worker thread.
    """

    def __init__(
        self,
        model_path: Path,
        context_tokens: int = 2048,
        threads: int | None = None,
        gpu: str = "auto",
        gpu_supported: bool | None = None,
    ) -> None:
        self.model_path = model_path
        self._context_tokens = context_tokens
        self._threads = threads or max(1, os.cpu_count() or 1)
        self._gpu_preference = gpu
        self._gpu_supported = gpu_supported
        self._llama: Any = None
        self._active: Any = None  # llama.cpp's generator of the reply being streamed
        self._lock = threading.Lock()
        self.info = LlmInfo(backend="llama.cpp", model=model_path.name)
        self.last_stats: GenerationStats | None = None

    def load(self) -> None:
        """Load the model, offloading to the GPU when the build and hardware allow, else on the CPU."""
        with self._lock:
            if self._llama is not None:
                return
            supported = build_supports_gpu() if self._gpu_supported is None else self._gpu_supported
            decision = decide_offload(self._gpu_preference, supported)
            try:
                self._llama = self._open(decision.gpu_layers)
                device = "gpu" if decision.gpu_layers else "cpu"
                reason = decision.reason
            except Exception as exc:
                if decision.gpu_layers == 0:
                    raise EngineError(
                        f"The language model {self.model_path.name} could not be loaded ({exc}).",
                        "Run `oet-desktop doctor` to check the models, and reinstall the one it names.",
                    ) from exc
                log.warning("GPU load failed (%s); loading on the CPU", exc)
                try:
                    self._llama = self._open(0)
                except Exception as cpu_exc:
                    raise EngineError(
                        f"The language model {self.model_path.name} could not be loaded on the GPU ({exc}) "
                        f"or the CPU ({cpu_exc}).",
                        "Run `oet-desktop doctor` to check the models, and reinstall the one it names.",
                    ) from cpu_exc
                device, reason = "cpu", f"Loading on the GPU failed ({exc}); the model runs on the CPU."
            if decision.gpu_layers and self._gpu_preference == "on" and device == "cpu":
                log.warning(reason)
            self.info = LlmInfo(backend="llama.cpp", model=self.model_path.name, device=device, reason=reason,
                                extra={"threads": str(self._threads), "context": str(self._context_tokens)})
            log.info("language model %s on %s: %s", self.model_path.name, device, reason)

    def _open(self, gpu_layers: int) -> Any:
        require_runnable()  # a clear message instead of an illegal-instruction crash
        from llama_cpp import Llama

        return Llama(
            model_path=str(self.model_path),
            n_ctx=self._context_tokens,
            n_threads=self._threads,
            n_gpu_layers=gpu_layers,
            verbose=False,
        )

    def unload(self) -> None:
        """Free the model and its KV cache (closing a reply still streaming)."""
        with self._lock:
            self._close_active()
            if self._llama is not None:
                self._llama.close()
            self._llama = None

    def _close_active(self) -> None:
        active, self._active = self._active, None
        if active is not None:
            active.close()

    @property
    def is_loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._llama is not None

    def stream_chat(self, messages: list[ChatMessage], settings: GenerationSettings) -> Iterator[str]:
        """Stream a reply using the model's own chat template."""
        self.load()
        with self._lock:
            self._close_active()
            llama = self._llama
            previous = list(getattr(llama, "_input_ids", []))  # llama-cpp-python keeps the evaluated tokens here
            began = time.perf_counter()
            stats = GenerationStats()
            self.last_stats = stats
            try:
                stream = llama.create_chat_completion(
                    messages=[{"role": m.role, "content": m.content} for m in messages],
                    max_tokens=settings.max_tokens,
                    temperature=settings.temperature,
                    top_p=settings.top_p,
                    stop=list(settings.stop) or None,
                    seed=settings.seed,
                    stream=True,
                )
            except (ValueError, RuntimeError) as exc:
                raise _generation_error(exc) from exc
            self._active = stream
        try:
            for chunk in stream:
                piece = chunk["choices"][0]["delta"].get("content")
                if not piece:
                    continue
                if stats.completion_tokens == 0:
                    stats.time_to_first_token = time.perf_counter() - began
                    stats.reused_prefix_tokens = _common_prefix(previous, getattr(llama, "_input_ids", []))
                stats.completion_tokens += 1
                stats.total_seconds = time.perf_counter() - began
                yield piece
        except (ValueError, RuntimeError) as exc:
            raise _generation_error(exc) from exc
        finally:
            stream.close()
            if self._active is stream:
                self._active = None
            stats.total_seconds = time.perf_counter() - began
            stats.prompt_tokens = max(0, int(getattr(llama, "n_tokens", 0)) - stats.completion_tokens)


def _generation_error(exc: Exception) -> EngineError:
    if "context window" in str(exc):
        return EngineError(f"The conversation no longer fits the language model's memory ({exc}).",
                           "Start a new role-play, or choose a larger context in Settings.")
    return EngineError(f"The language model failed while replying ({exc}).",
                       "Try again; if it keeps failing, run `oet-desktop doctor`.")

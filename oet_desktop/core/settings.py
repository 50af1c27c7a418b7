"""Engine settings: which models to use and where they run."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EngineSettings:
    """Model choices (catalogue ids) and hardware preferences. ``None`` means the catalogue's default."""

    stt_model: str | None = None
    llm_model: str | None = None
    tts_model: str | None = None
    embedding_model: str | None = None
    gpu: str = "auto"
    """"auto" (use a GPU when the build and machine have one), "on" or "off"."""
    llm_server_url: str | None = None
    """An OpenAI-compatible server (e.g. http://localhost:8080/v1) used instead of the local model."""
    llm_server_model: str = "default"
    llm_server_api_key: str | None = field(default=None, repr=False)
    """Sent only to ``llm_server_url`` (never printed or logged)."""
    deterministic_voice: bool = False
    llm_phrasing: str = "auto"
    """Which interlocutor moves the language model phrases: "auto", "scripted", "free" or "all"."""
    llm_context_tokens: int = 2048
    embedder_in_process: bool = True
    """False runs the sentence-embedding model in a child process (the window does: importing torch would
    otherwise freeze it for up to half a second)."""

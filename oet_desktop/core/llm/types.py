"""The language-model interface shared by every backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat: role is "system", "user" or "assistant"."""

    role: str
    content: str


@dataclass(frozen=True)
class GenerationSettings:
    """Sampling settings for one reply."""

    max_tokens: int = 96
    temperature: float = 0.6
    top_p: float = 0.9
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass
class GenerationStats:
    """Figures from the latest reply."""

    time_to_first_token: float = 0.0
    total_seconds: float = 0.0
    completion_tokens: int = 0
    reused_prefix_tokens: int = 0
    prompt_tokens: int = 0

    @property
    def tokens_per_second(self) -> float:
        """Generation speed after the first token."""
        after_first = self.total_seconds - self.time_to_first_token
        return (self.completion_tokens - 1) / after_first if self.completion_tokens > 1 and after_first > 0 else 0.0


@dataclass
class LlmInfo:
    """What is running where, and why (e.g. why the GPU is not used)."""

    backend: str
    model: str
    device: str = "cpu"
    reason: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class LanguageModel(Protocol):
    """A chat model that streams its reply."""

    info: LlmInfo
    last_stats: GenerationStats | None

    def load(self) -> None:
        """Make the model ready (idempotent)."""

    def unload(self) -> None:
        """Free its resources."""

    @property
    def is_loaded(self) -> bool:
        """Whether it is ready."""

    def stream_chat(self, messages: list[ChatMessage], settings: GenerationSettings) -> Iterator[str]:
        """Yield the reply's text in pieces as it is generated."""

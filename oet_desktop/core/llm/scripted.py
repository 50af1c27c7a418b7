"""A fake language model that streams prepared replies word by word (for fast unit tests)."""

from __future__ import annotations

from collections.abc import Iterator

from oet_desktop.core.llm.types import ChatMessage, GenerationSettings, GenerationStats, LlmInfo


class ScriptedLanguageModel:
    """Replies with the given texts in turn; records the messages it was sent."""

    def __init__(self, replies: list[str]) -> None:
        self._replies = list(replies)
        self.info = LlmInfo(backend="scripted", model="scripted")
        self.last_stats: GenerationStats | None = None
        self.received: list[list[ChatMessage]] = []
        self._loaded = False

    def load(self) -> None:
        """Nothing to load."""
        self._loaded = True

    def unload(self) -> None:
        """Nothing to free."""
        self._loaded = False

    @property
    def is_loaded(self) -> bool:
        """Whether :meth:`load` was called."""
        return self._loaded

    def stream_chat(self, messages: list[ChatMessage], settings: GenerationSettings) -> Iterator[str]:
        """The next reply, cut at the first stop sequence, word by word."""
        self.received.append(list(messages))
        reply = self._replies[(len(self.received) - 1) % len(self._replies)] if self._replies else ""
        for stop in settings.stop:
            if stop in reply:
                reply = reply[: reply.index(stop)]
        words = reply.split(" ")
        self.last_stats = GenerationStats(completion_tokens=len(words))
        for index, word in enumerate(words):
            yield word if index == 0 else " " + word

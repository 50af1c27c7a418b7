"""Builds the speech, language and voice engines from the settings and the model registry."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import httpx

from oet_desktop.core.embeddings.embedder import SentenceTransformerEmbedder
from oet_desktop.core.embeddings.process_embedder import ProcessEmbedder
from oet_desktop.core.llm.llama_cpp_backend import LlamaCppModel
from oet_desktop.core.llm.openai_backend import OpenAICompatibleModel
from oet_desktop.core.llm.types import LanguageModel
from oet_desktop.core.models.catalog import ModelRole
from oet_desktop.core.models.registry import ModelRegistry, ResolvedModel
from oet_desktop.core.settings import EngineSettings
from oet_desktop.core.speech.stt import FasterWhisperTranscriber
from oet_desktop.core.tts.voice import PiperVoiceEngine


class Engine(Protocol):
    """What the set needs of every engine."""

    def load(self) -> None: ...

    def unload(self) -> None: ...


class EngineSet:
    """The engines of one app run, created on first use (loading happens on first use too).

    Thread-safe: one re-entrant lock guards the creation of every engine, so threads asking for an engine at
    the same time (the window's warm-up and a role-play starting) get the very same object, built once. The
    lock is held only while an engine object is created (its model's files checked, their checksums cached by
    size and time, and the object constructed; the model itself is loaded by the engine's own ``load()``, under
    the engine's own lock), and by :meth:`reconfigure` and :meth:`unload_all`.

    :meth:`reconfigure` is the one owner of a settings change: it unloads and drops the engines built from the
    old settings (each engine's ``unload()`` waits for a ``load()`` in progress on another thread, so a model is
    never left loaded half-way), and the next call builds them from the new settings. A caller holding an
    engine across a change (a warm-up loading engines one by one) can ask :meth:`is_current` after loading it,
    and unload it when it is no longer the set's.
    """

    def __init__(
        self,
        registry: ModelRegistry,
        settings: EngineSettings,
        http_client: Callable[[], httpx.Client] = lambda: httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0)),
    ) -> None:
        self.registry = registry
        self._settings = settings
        self._http_client = http_client
        self._lock = threading.RLock()
        self._transcriber: FasterWhisperTranscriber | None = None
        self._language_model: LanguageModel | None = None
        self._voice: PiperVoiceEngine | None = None
        self._embedder: SentenceTransformerEmbedder | ProcessEmbedder | None = None

    @property
    def settings(self) -> EngineSettings:
        """The settings the engines are built from (changed only by :meth:`reconfigure`)."""
        return self._settings

    def model_id(self, role: ModelRole) -> str:
        """The catalogue id in use for a role (the setting, or the catalogue's default)."""
        settings = self._settings
        chosen = {
            ModelRole.STT: settings.stt_model,
            ModelRole.LLM: settings.llm_model,
            ModelRole.TTS: settings.tts_model,
            ModelRole.EMBEDDING: settings.embedding_model,
        }[role]
        return chosen or self.registry.catalog.default_for(role).id

    def _model(self, role: ModelRole, chosen: str | None) -> ResolvedModel:
        return self.registry.resolve(chosen or self.model_id(role))

    def transcriber(self) -> FasterWhisperTranscriber:
        """Speech-to-text."""
        with self._lock:
            if self._transcriber is None:
                settings = self._settings
                model = self._model(ModelRole.STT, settings.stt_model)
                device = "cpu" if settings.gpu == "off" else "auto"
                self._transcriber = FasterWhisperTranscriber(model.main_path, device_preference=device)
            return self._transcriber

    def language_model(self) -> LanguageModel:
        """The local llama.cpp model, or the configured OpenAI-compatible server."""
        with self._lock:
            if self._language_model is None:
                settings = self._settings
                if settings.llm_server_url:
                    self._language_model = OpenAICompatibleModel(
                        settings.llm_server_url, settings.llm_server_model, self._http_client(),
                        settings.llm_server_api_key,
                    )
                else:
                    model = self._model(ModelRole.LLM, settings.llm_model)
                    self._language_model = LlamaCppModel(
                        model.main_path, context_tokens=settings.llm_context_tokens, gpu=settings.gpu
                    )
            return self._language_model

    def voice(self) -> PiperVoiceEngine:
        """Text-to-speech."""
        with self._lock:
            if self._voice is None:
                settings = self._settings
                model = self._model(ModelRole.TTS, settings.tts_model)
                self._voice = PiperVoiceEngine(model.main_path, deterministic=settings.deterministic_voice)
            return self._voice

    def embedder(self) -> SentenceTransformerEmbedder | ProcessEmbedder:
        """Sentence embeddings (in a child process when ``settings.embedder_in_process`` is off)."""
        with self._lock:
            if self._embedder is None:
                settings = self._settings
                model = self._model(ModelRole.EMBEDDING, settings.embedding_model)
                self._embedder = (SentenceTransformerEmbedder(model.main_path) if settings.embedder_in_process
                                  else ProcessEmbedder(model.main_path))
            return self._embedder

    def is_current(self, engine: object) -> bool:
        """Whether ``engine`` is one of the engines this set hands out now (False once :meth:`reconfigure` has
        dropped it: a caller that loaded it meanwhile should unload it)."""
        with self._lock:
            return any(engine is built for built in self._built())

    def _built(self) -> list[Engine]:
        return [engine for engine in (self._transcriber, self._language_model, self._voice, self._embedder)
                if engine is not None]

    def reconfigure(self, settings: EngineSettings) -> bool:
        """Use ``settings`` from now on: False (engines kept) when they equal the current ones; otherwise unload
        and drop every engine built, so the next call builds it from the new settings, and return True.

        Waits for an engine being created on another thread (the set's lock) and for a model being loaded (each
        engine's ``unload()`` takes the lock its ``load()`` holds), so no engine of the old settings is handed out
        or left loaded by those calls once this returns."""
        with self._lock:
            if settings == self._settings:
                return False
            retired = self._built()
            self._transcriber = self._language_model = self._voice = self._embedder = None
            self._settings = settings
            _unload_each(retired)
            return True

    def load_all(self) -> None:
        """Load every engine now (benchmarks; the app loads on demand)."""
        self.transcriber().load()
        self.language_model().load()
        self.voice().load()
        self.embedder().load()

    def unload_all(self) -> None:
        """Free every loaded engine (they stay the set's engines, and load again on next use)."""
        with self._lock:
            _unload_each(self._built())


def _unload_each(engines: list[Engine]) -> None:
    """Unload every engine, even when one fails (the first failure is raised afterwards)."""
    failure: Exception | None = None
    for engine in engines:
        try:
            engine.unload()
        except Exception as error:
            failure = failure or error
    if failure is not None:
        raise failure

"""Builds the speech, language and voice engines from the settings and the model registry."""

from __future__ import annotations

from collections.abc import Callable

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


class EngineSet:
    """The engines of one app run, created on first use (loading happens on first use too)."""

    def __init__(
        self,
        registry: ModelRegistry,
        settings: EngineSettings,
        http_client: Callable[[], httpx.Client] = lambda: httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0)),
    ) -> None:
        self.registry = registry
        self.settings = settings
        self._http_client = http_client
        self._transcriber: FasterWhisperTranscriber | None = None
        self._language_model: LanguageModel | None = None
        self._voice: PiperVoiceEngine | None = None
        self._embedder: SentenceTransformerEmbedder | ProcessEmbedder | None = None

    def model_id(self, role: ModelRole) -> str:
        """The catalogue id in use for a role (the setting, or the catalogue's default)."""
        chosen = {
            ModelRole.STT: self.settings.stt_model,
            ModelRole.LLM: self.settings.llm_model,
            ModelRole.TTS: self.settings.tts_model,
            ModelRole.EMBEDDING: self.settings.embedding_model,
        }[role]
        return chosen or self.registry.catalog.default_for(role).id

    def _model(self, role: ModelRole, chosen: str | None) -> ResolvedModel:
        return self.registry.resolve(chosen or self.model_id(role))

    def transcriber(self) -> FasterWhisperTranscriber:
        """Speech-to-text."""
        if self._transcriber is None:
            model = self._model(ModelRole.STT, self.settings.stt_model)
            device = "cpu" if self.settings.gpu == "off" else "auto"
            self._transcriber = FasterWhisperTranscriber(model.main_path, device_preference=device)
        return self._transcriber

    def language_model(self) -> LanguageModel:
        """The local llama.cpp model, or the configured OpenAI-compatible server."""
        if self._language_model is None:
            if self.settings.llm_server_url:
                self._language_model = OpenAICompatibleModel(
                    self.settings.llm_server_url, self.settings.llm_server_model, self._http_client(),
                    self.settings.llm_server_api_key,
                )
            else:
                model = self._model(ModelRole.LLM, self.settings.llm_model)
                self._language_model = LlamaCppModel(
                    model.main_path, context_tokens=self.settings.llm_context_tokens, gpu=self.settings.gpu
                )
        return self._language_model

    def voice(self) -> PiperVoiceEngine:
        """Text-to-speech."""
        if self._voice is None:
            model = self._model(ModelRole.TTS, self.settings.tts_model)
            self._voice = PiperVoiceEngine(model.main_path, deterministic=self.settings.deterministic_voice)
        return self._voice

    def embedder(self) -> SentenceTransformerEmbedder | ProcessEmbedder:
        """Sentence embeddings (in a child process when ``settings.embedder_in_process`` is off)."""
        if self._embedder is None:
            model = self._model(ModelRole.EMBEDDING, self.settings.embedding_model)
            self._embedder = (SentenceTransformerEmbedder(model.main_path) if self.settings.embedder_in_process
                              else ProcessEmbedder(model.main_path))
        return self._embedder

    def load_all(self) -> None:
        """Load every engine now (benchmarks; the app loads on demand)."""
        self.transcriber().load()
        self.language_model().load()
        self.voice().load()
        self.embedder().load()

    def unload_all(self) -> None:
        """Free every loaded engine."""
        for engine in (self._transcriber, self._language_model, self._voice, self._embedder):
            if engine is not None:
                engine.unload()

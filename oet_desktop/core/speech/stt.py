"""Speech-to-text with faster-whisper: words with timestamps and probabilities."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol

import numpy as np

from oet_desktop.core.audio.types import SAMPLE_RATE, Samples
from oet_desktop.core.errors import EngineError

log = logging.getLogger(__name__)

FILLER_PROMPT = "So, um, I was, uh, thinking... hmm, er, well, you know, okay."
"""A short prompt full of fillers: Whisper imitates the prompt's style, so it keeps more "um"/"uh"."""


@dataclass(frozen=True)
class Word:
    """One recognised word; times in seconds from the start of the audio given."""

    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Transcript:
    """The text of an audio clip, its words, and how long recognition took."""

    text: str
    words: tuple[Word, ...]
    audio_seconds: float
    processing_seconds: float
    language: str = "en"

    @property
    def real_time_factor(self) -> float:
        """Processing time divided by audio duration (below 1 is faster than real time)."""
        return self.processing_seconds / self.audio_seconds if self.audio_seconds else 0.0


class Transcriber(Protocol):
    """Turns 16 kHz mono audio into a :class:`Transcript`."""

    def transcribe(self, samples: Samples, *, keep_fillers: bool = False, context: str = "",
                   word_timestamps: bool = True, vocabulary: str = "") -> Transcript:
        """Recognise speech in ``samples``; ``context`` is earlier text of the conversation; ``vocabulary``
        lists words the speaker is likely to use (the role-play's terms and names). Without
        ``word_timestamps`` it is faster and ``words`` is empty."""


@dataclass
class SttDevice:
    """Where recognition runs, and why."""

    device: str
    compute_type: str
    reason: str


_PARSED_TOKENIZERS: dict[Path, Any] = {}
_TOKENIZER_SWAP = threading.Lock()


def preparse_tokenizer(model_dir: Path) -> None:
    """Parse a Whisper model's tokenizer.json now. The ``tokenizers`` library holds Python's global lock while
    it parses (about 0.1 s for Whisper's), which would freeze a window if it happened during a background model
    load; the window calls this before it shows, and the model load then uses the parsed tokenizer."""
    path = Path(model_dir) / "tokenizer.json"
    if path.is_file() and Path(model_dir) not in _PARSED_TOKENIZERS:
        import tokenizers

        _PARSED_TOKENIZERS[Path(model_dir)] = tokenizers.Tokenizer.from_file(str(path))


class _ParsedTokenizers:
    """Stands in for the ``tokenizers`` module while a WhisperModel is built: ``Tokenizer.from_file`` returns the
    tokenizer parsed in advance; everything else is the real module."""

    def __init__(self, real: Any, parsed: Any) -> None:
        self._real = real
        self.Tokenizer = SimpleNamespace(from_file=lambda path: parsed, from_buffer=real.Tokenizer.from_buffer,
                                         from_pretrained=real.Tokenizer.from_pretrained)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def choose_stt_device(preference: str = "auto", cuda_devices: int | None = None) -> SttDevice:
    """CUDA (float16) when asked for or available, otherwise CPU int8; the reason is recorded."""
    if cuda_devices is None:
        import ctranslate2

        cuda_devices = int(ctranslate2.get_cuda_device_count())
    if preference == "cpu":
        return SttDevice("cpu", "int8", "CPU chosen in settings.")
    if cuda_devices > 0:
        return SttDevice("cuda", "float16", f"{cuda_devices} CUDA device(s) found.")
    reason = "No CUDA device is available to CTranslate2; using the CPU (int8)."
    return SttDevice("cpu", "int8", reason)


@dataclass
class FasterWhisperTranscriber:
    """faster-whisper on a local CTranslate2 model folder. Loads on first use; :meth:`unload` frees it."""

    model_dir: Path
    device_preference: str = "auto"
    cpu_threads: int = 0
    """0: one thread per CPU core (CTranslate2's own default of 4 oversubscribes a 2-core machine)."""
    beam_size: int = 1
    language: str = "en"
    _model: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    device: SttDevice | None = field(default=None, init=False)

    def load(self) -> None:
        """Load the model (idempotent): CUDA when available, else (or if CUDA fails) the CPU."""
        with self._lock:
            if self._model is not None:
                return
            choice = choose_stt_device(self.device_preference)
            try:
                self._model = self._open(choice)
            except Exception as exc:
                if choice.device != "cuda":
                    raise self._load_error(exc) from exc
                log.warning("CUDA load failed (%s); falling back to CPU", exc)
                self._fall_back_to_cpu(f"CUDA failed to load the model ({exc}); using the CPU.")
                return
            self.device = choice

    def _open(self, choice: SttDevice) -> Any:
        import faster_whisper.transcribe as whisper_module
        from faster_whisper import WhisperModel

        threads = self.cpu_threads or min(8, os.cpu_count() or 1)
        parsed = _PARSED_TOKENIZERS.get(Path(self.model_dir))
        if parsed is None:
            return WhisperModel(str(self.model_dir), device=choice.device, compute_type=choice.compute_type,
                                cpu_threads=threads, local_files_only=True)
        with _TOKENIZER_SWAP:  # WhisperModel parses tokenizer.json itself: hand it the one parsed in advance
            real = whisper_module.tokenizers
            whisper_module.tokenizers = _ParsedTokenizers(real, parsed)
            try:
                return WhisperModel(str(self.model_dir), device=choice.device, compute_type=choice.compute_type,
                                    cpu_threads=threads, local_files_only=True)
            finally:
                whisper_module.tokenizers = real

    def _fall_back_to_cpu(self, reason: str) -> None:
        choice = SttDevice("cpu", "int8", reason)
        try:
            self._model = self._open(choice)
        except Exception as exc:
            raise self._load_error(exc) from exc
        self.device = choice

    def _load_error(self, exc: Exception) -> EngineError:
        return EngineError(
            f"The speech recognition model in {self.model_dir} could not be loaded ({exc}).",
            "Run `oet-desktop doctor` to check the models, and reinstall the one it names.",
        )

    def unload(self) -> None:
        """Free the model's memory."""
        with self._lock:
            self._model = None

    @property
    def is_loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._model is not None

    def _recognise(self, audio: Samples, prompt: str | None, word_timestamps: bool,
                   vocabulary: str | None) -> tuple[list[str], list[Word]]:
        segments, _info = self._model.transcribe(
            audio, language=self.language, beam_size=self.beam_size, word_timestamps=word_timestamps,
            condition_on_previous_text=False, initial_prompt=prompt, vad_filter=False, hotwords=vocabulary,
        )
        texts: list[str] = []
        words: list[Word] = []
        for segment in segments:  # a generator: decoding happens while iterating
            texts.append(segment.text.strip())
            words.extend(_words(segment))
        return texts, words

    def transcribe(self, samples: Samples, *, keep_fillers: bool = False, context: str = "",
                   word_timestamps: bool = True, vocabulary: str = "") -> Transcript:
        """Recognise ``samples`` (16 kHz mono float32), with word timestamps unless told not to. ``vocabulary``
        goes to Whisper as hot words (before the prompt), biasing it towards the role-play's terms."""
        self.load()
        audio = np.asarray(samples, dtype=np.float32)
        prompt = " ".join(p for p in (FILLER_PROMPT if keep_fillers else "", context) if p) or None
        began = time.perf_counter()
        try:
            texts, words = self._recognise(audio, prompt, word_timestamps, vocabulary or None)
        except RuntimeError as exc:  # e.g. CUDA libraries missing: they only fail at the first encode
            if self.device is None or self.device.device != "cuda":
                raise EngineError(f"Speech recognition failed ({exc}).",
                                  "Try again; if it keeps failing, run `oet-desktop doctor`.") from exc
            log.warning("CUDA transcription failed (%s); falling back to CPU", exc)
            with self._lock:
                self._fall_back_to_cpu(f"CUDA failed while transcribing ({exc}); using the CPU.")
            texts, words = self._recognise(audio, prompt, word_timestamps, vocabulary or None)
        return Transcript(
            text=" ".join(t for t in texts if t),
            words=tuple(words),
            audio_seconds=audio.size / SAMPLE_RATE,
            processing_seconds=time.perf_counter() - began,
            language=self.language,
        )


def _words(segment: Any) -> list[Word]:
    return [Word(w.word.strip(), float(w.start), float(w.end), float(w.probability))
            for w in (segment.words or []) if w.word.strip()]

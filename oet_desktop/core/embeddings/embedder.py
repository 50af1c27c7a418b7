"""Sentence embeddings with sentence-transformers, loaded from a local folder (never from a hub)."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from oet_desktop.core.errors import EngineError

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Maps texts to unit-length vectors; cosine similarity is their dot product."""

    @property
    def dimension(self) -> int:
        """Length of each vector."""

    def embed(self, texts: list[str]) -> Vectors:
        """One row per text, L2-normalised."""


def cosine_matrix(a: Vectors, b: Vectors) -> Vectors:
    """Similarity of every row of ``a`` with every row of ``b`` (both already normalised)."""
    return np.asarray(a @ b.T, dtype=np.float32)


@dataclass
class SentenceTransformerEmbedder:
    """A sentence-transformers model from a folder on disk, on the CPU by default."""

    model_dir: Path
    device: str = "cpu"
    _model: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def load(self) -> None:
        """Load the model (idempotent); the Hugging Face hub is switched off when ``oet_desktop`` is imported
        (:mod:`oet_desktop.core.privacy`)."""
        with self._lock:
            if self._model is not None:
                return
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

            try:
                self._model = SentenceTransformer(str(self.model_dir), device=self.device, local_files_only=True)
            except Exception as exc:
                raise EngineError(
                    f"The embedding model in {self.model_dir} could not be loaded ({exc}).",
                    "Run `oet-desktop doctor` to check the models, and reinstall the one it names.",
                ) from exc

    def unload(self) -> None:
        """Free the model's memory."""
        with self._lock:
            self._model = None

    @property
    def is_loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._model is not None

    @property
    def dimension(self) -> int:
        """384 for all-MiniLM-L6-v2."""
        self.load()
        return int(self._model.get_embedding_dimension())

    def embed(self, texts: list[str]) -> Vectors:
        """Normalised embeddings, one row per text."""
        self.load()
        vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class HashingEmbedder:
    """A fake: bag-of-words hashed into a vector (shared words → similar). For fast unit tests only."""

    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        """Vector length."""
        return self._dimension

    def embed(self, texts: list[str]) -> Vectors:
        """Normalised word-count vectors."""
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z']+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self._dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.asarray(out / np.where(norms == 0, 1.0, norms), dtype=np.float32)

"""Sentence embeddings computed in a separate process. Importing torch loads hundreds of MB of native code while
holding Python's global lock, which freezes every other thread (the window's included) for up to half a second;
in a child process it cannot. The child is started on first use and answers over a pipe."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from oet_desktop.core.embeddings.embedder import SentenceTransformerEmbedder, Vectors
from oet_desktop.core.errors import EngineError, UserFacingError

log = logging.getLogger(__name__)


def _serve(model_dir: str, device: str, pipe: Connection) -> None:
    """The child: load the model, then answer ("embed", texts) and ("dimension",) until ("stop",)."""
    embedder = SentenceTransformerEmbedder(Path(model_dir), device)
    while True:
        try:
            request = pipe.recv()
        except EOFError:
            return
        if request[0] == "stop":
            return
        try:
            if request[0] == "embed":
                pipe.send(("ok", embedder.embed(list(request[1]))))
            elif request[0] == "dimension":
                pipe.send(("ok", embedder.dimension))
            else:
                pipe.send(("error", f"unknown request {request[0]!r}"))
        except UserFacingError as error:
            pipe.send(("user_error", (error.problem, error.fix)))
        except Exception as error:  # reported in the parent
            pipe.send(("error", f"{type(error).__name__}: {error}"))


class ProcessEmbedder:
    """The :class:`SentenceTransformerEmbedder` of ``model_dir``, run in a child process (same vectors)."""

    def __init__(self, model_dir: Path, device: str = "cpu") -> None:
        self.model_dir = model_dir
        self.device = device
        self._lock = threading.Lock()
        self._process: Any = None
        self._pipe: Connection | None = None
        self._dimension: int | None = None

    def load(self) -> None:
        """Start the child and load the model there (idempotent)."""
        with self._lock:
            self._ensure_started()
            self._dimension = int(self._ask(("dimension",)))

    def _ensure_started(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks inherited
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(str(self.model_dir), self.device, child),
                                  name="oet-embedder", daemon=True)
        process.start()
        child.close()
        self._process, self._pipe = process, parent
        log.info("embedding model process %s started for %s", process.pid, self.model_dir)

    def _ask(self, request: tuple[Any, ...]) -> Any:
        assert self._pipe is not None
        try:
            self._pipe.send(request)
            status, value = self._pipe.recv()
        except (EOFError, OSError, BrokenPipeError) as error:
            self._process = None
            raise EngineError(f"The embedding model's process stopped ({error}).",
                              "Try again; if it keeps happening, run `oet-desktop doctor`.") from error
        if status == "ok":
            return value
        if status == "user_error":
            raise UserFacingError(*value)
        raise EngineError(f"The embedding model failed: {value}.", "Run `oet-desktop doctor` to check the models.")

    def unload(self) -> None:
        """Stop the child (its memory is freed with it)."""
        with self._lock:
            if self._process is not None and self._pipe is not None:
                with contextlib.suppress(OSError, BrokenPipeError):
                    self._pipe.send(("stop",))
                self._process.join(5)
                if self._process.is_alive():
                    self._process.kill()
            self._process, self._pipe, self._dimension = None, None, None

    @property
    def is_loaded(self) -> bool:
        """Whether the child is running with the model loaded."""
        return self._dimension is not None and self._process is not None and self._process.is_alive()

    @property
    def dimension(self) -> int:
        """The vectors' length."""
        if self._dimension is None:
            self.load()
        assert self._dimension is not None
        return self._dimension

    def embed(self, texts: list[str]) -> Vectors:
        """Normalised embeddings, one row per text (computed in the child)."""
        with self._lock:
            self._ensure_started()
            vectors = np.asarray(self._ask(("embed", list(texts))), dtype=np.float32)
            if self._dimension is None and vectors.ndim == 2:
                self._dimension = int(vectors.shape[1])  # the child has the model loaded now
            return vectors

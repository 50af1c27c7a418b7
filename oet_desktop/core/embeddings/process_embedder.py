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


LOAD_FIX = "Run `oet-desktop doctor` to check the models, and reinstall the one it names."


def _serve(model_dir: str, device: str, pipe: Connection) -> None:
    """The child: load the model and say so first (("ready", dimension), or ("load_error", (problem, fix)) and
    exit), then answer ("embed", texts) and ("dimension",) until ("stop",)."""
    try:
        embedder = SentenceTransformerEmbedder(Path(model_dir), device)
        embedder.load()
        dimension = embedder.dimension
    except UserFacingError as error:
        pipe.send(("load_error", (error.problem, error.fix)))
        return
    except BaseException as error:  # anything else (a broken install…) is reported too, never a silent exit
        pipe.send(("load_error", (f"The embedding model in {model_dir} could not be loaded "
                                  f"({type(error).__name__}: {error}).", LOAD_FIX)))
        return
    pipe.send(("ready", dimension))
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
        """Start the child and load the model there (idempotent); a model that cannot be loaded raises
        :class:`EngineError` naming its folder."""
        with self._lock:
            self._ensure_started()
            if self._dimension is None:
                self._dimension = int(self._ask(("dimension",)))

    def _ensure_started(self) -> None:
        """Start the child and wait for its first word: the model loaded, or why not."""
        if self._process is not None and self._process.is_alive():
            return
        self._discard()
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks inherited
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(str(self.model_dir), self.device, child),
                                  name="oet-embedder", daemon=True)
        process.start()
        child.close()
        self._process, self._pipe = process, parent
        log.info("embedding model process %s started for %s", process.pid, self.model_dir)
        try:
            status, value = parent.recv()
        except (EOFError, OSError) as error:
            raise self._died("while loading the model", error) from error
        if status == "ready":
            self._dimension = int(value)
            return
        self._discard()
        if status == "load_error":
            problem, fix = value
            raise EngineError(str(problem), str(fix))
        raise EngineError(f"The embedding model in {self.model_dir} could not be loaded (its process answered "
                          f"{status!r}).", LOAD_FIX)

    def _died(self, doing: str, error: BaseException) -> EngineError:
        """The child stopped without a word (killed, crashed, out of memory): a clear error, never EOFError."""
        process = self._process
        code = None
        if process is not None:
            process.join(5)
            code = process.exitcode
        self._discard()
        how = ("it did not exit" if code is None else f"exit code {code}" if code >= 0
               else f"exit code {code}: killed by signal {-code}")
        detail = f"; {type(error).__name__}: {error}" if str(error) else ""
        log.warning("the embedding model process for %s stopped %s (%s%s)", self.model_dir, doing, how, detail)
        return EngineError(f"The embedding model's process for {self.model_dir} stopped unexpectedly {doing} "
                           f"({how}{detail}).",
                           "Try again; if it keeps happening, run `oet-desktop doctor` to check the models and "
                           "reinstall the one it names, or free some memory.")

    def _discard(self) -> None:
        """Forget the child (ended or ending) and close our end of its pipe."""
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        if self._pipe is not None:
            with contextlib.suppress(OSError):
                self._pipe.close()
        self._process, self._pipe, self._dimension = None, None, None

    def _ask(self, request: tuple[Any, ...]) -> Any:
        assert self._pipe is not None
        try:
            self._pipe.send(request)
            status, value = self._pipe.recv()
        except (EOFError, OSError) as error:
            raise self._died("while answering", error) from error
        if status == "ok":
            return value
        if status == "user_error":
            raise EngineError(*value)
        raise EngineError(f"The embedding model in {self.model_dir} failed: {value}.", LOAD_FIX)

    def unload(self) -> None:
        """Stop the child (its memory is freed with it)."""
        with self._lock:
            if self._process is not None and self._pipe is not None:
                with contextlib.suppress(OSError, BrokenPipeError):
                    self._pipe.send(("stop",))
                self._process.join(5)
            self._discard()  # kills a child that did not stop, closes the pipe

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

"""The embedding child process reports a model that fails to load, and the parent raises a clear
:class:`EngineError` naming the model folder (never a bare EOFError), also when the child dies without a word.
These start a real child process (a fresh interpreter importing sentence-transformers: a few seconds each)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from oet_desktop.core.embeddings.process_embedder import ProcessEmbedder
from oet_desktop.core.errors import EngineError


@pytest.fixture
def bogus_model(tmp_path: Path) -> Path:
    folder = tmp_path / "all-MiniLM-L6-v2"
    folder.mkdir()
    (folder / "config.json").write_text("{ this is not : json", encoding="utf-8")
    return folder


def test_a_model_that_fails_to_load_in_the_child_raises_a_clear_engine_error(bogus_model: Path) -> None:
    embedder = ProcessEmbedder(bogus_model)
    try:
        with pytest.raises(EngineError) as raised:
            embedder.load()
        assert type(raised.value) is EngineError
        assert str(bogus_model) in raised.value.problem
        assert "could not be loaded" in raised.value.problem
        assert "config" in raised.value.problem  # what the loader said
        assert "doctor" in raised.value.fix
        assert "EOFError" not in raised.value.paragraph()
        assert not embedder.is_loaded
        with pytest.raises(EngineError):  # embedding without loading says the same, it does not hang
            embedder.embed(["hello"])
    finally:
        embedder.unload()


def test_a_child_that_dies_without_a_word_raises_a_clear_engine_error(bogus_model: Path) -> None:
    embedder = ProcessEmbedder(bogus_model)

    def kill_the_child() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            process = embedder._process
            if process is not None and process.pid is not None:
                time.sleep(0.2)  # still importing sentence-transformers (seconds): it has not answered yet
                process.kill()
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_the_child)
    killer.start()
    try:
        with pytest.raises(EngineError) as raised:
            embedder.load()
        message = raised.value.paragraph()
        assert str(bogus_model) in raised.value.problem
        assert "stopped" in raised.value.problem
        assert "exit code" in raised.value.problem
        assert "EOFError" not in message
        assert "()" not in message
        assert "doctor" in raised.value.fix
        assert not embedder.is_loaded
    finally:
        killer.join()
        embedder.unload()

"""The real default voice and (child-process) embedding engines, asked for and loaded by threads at once: one
engine each, one embedding child process, and both work; a settings change then frees them."""

from __future__ import annotations

import multiprocessing
import threading

import numpy as np
import pytest

from oet_desktop.core.engines import EngineSet
from oet_desktop.core.models.registry import ModelRegistry
from oet_desktop.core.settings import EngineSettings

pytestmark = pytest.mark.models

THREADS = 4


def embedder_children() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == "oet-embedder"]


def test_threads_racing_to_load_the_real_voice_and_embedder_share_one_of_each(registry: ModelRegistry) -> None:
    engines = EngineSet(registry, EngineSettings(deterministic_voice=True, embedder_in_process=False))
    before = len(embedder_children())
    barrier = threading.Barrier(THREADS)
    got: list[tuple[object, object]] = []
    errors: list[BaseException] = []

    def warm() -> None:  # what the window's warm-up and a role-play starting both do
        try:
            barrier.wait(10)
            embedder, voice = engines.embedder(), engines.voice()
            embedder.load()
            voice.load()
            got.append((embedder, voice))
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=warm) for _ in range(THREADS)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert not errors, errors
        assert len(got) == THREADS
        embedders, voices = {id(e) for e, _ in got}, {id(v) for _, v in got}
        assert len(embedders) == 1, f"{len(embedders)} embedders built"
        assert len(voices) == 1, f"{len(voices)} voices built"
        assert len(embedder_children()) - before == 1, "more than one embedding child process started"

        embedder, voice = engines.embedder(), engines.voice()
        vectors = embedder.embed(["The patient is worried about the injections."])
        assert vectors.shape == (1, embedder.dimension)
        assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-3)
        audio, rate = voice.speak_all("Hello.")
        assert rate == voice.sample_rate
        assert 0.2 < audio.size / rate < 3.0

        # A settings change frees what the warm-up loaded: the child process stops, the voice unloads.
        assert engines.reconfigure(EngineSettings(deterministic_voice=False, embedder_in_process=False)) is True
        assert not embedder.is_loaded
        assert not voice.is_loaded
        assert len(embedder_children()) == before
        assert engines.voice() is not voice
    finally:
        engines.unload_all()

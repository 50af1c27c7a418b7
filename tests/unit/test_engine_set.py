"""EngineSet's one lock: engines built once when several threads ask at once, and ``reconfigure`` as the one
owner of rebuilding after a settings change (never leaving an engine of the old settings in use or loaded).

The engine classes are replaced by slow fakes (a constructor that sleeps) so the race is reproducible without
loading any model; the load-versus-reconfigure tests use the real engine classes with only the model opening
replaced, so the engines' own load locks are what is checked."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from oet_desktop.core import engines as engines_module
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.models.catalog import ModelRole, load_catalog
from oet_desktop.core.models.checksums import ChecksumCache
from oet_desktop.core.models.registry import ModelRegistry
from oet_desktop.core.paths import catalog_path
from oet_desktop.core.settings import EngineSettings

THREADS = 8
BUILD_SECONDS = 0.05


class FakeEngine:
    """Stands in for an engine class: a slow constructor that counts instances; load/unload counted too."""

    built: list[FakeEngine]
    entered: threading.Event

    def __init__(self, path: Path, *_args: Any, **_kwargs: Any) -> None:
        type(self).entered.set()
        time.sleep(BUILD_SECONDS)
        self.path = path
        self.loads = 0
        self.unloads = 0
        type(self).built.append(self)

    def load(self) -> None:
        self.loads += 1

    def unload(self) -> None:
        self.unloads += 1


def fake_class(name: str) -> type[FakeEngine]:
    return type(name, (FakeEngine,), {"built": [], "entered": threading.Event()})


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    """The shipped catalogue (for the default ids); no model file is opened, ``_model`` is replaced below."""
    return ModelRegistry(load_catalog(catalog_path()), tmp_path / "models", ChecksumCache(tmp_path / "cache.json"))


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> dict[str, type[FakeEngine]]:
    """Every engine class in oet_desktop.core.engines replaced by a slow counting fake; each model resolves to
    ``Path(<catalogue id>)``, so an engine's path says which settings it was built from."""
    classes = {name: fake_class(name) for name in (
        "FasterWhisperTranscriber", "PiperVoiceEngine", "LlamaCppModel", "OpenAICompatibleModel",
        "SentenceTransformerEmbedder", "ProcessEmbedder")}
    for name, cls in classes.items():
        monkeypatch.setattr(engines_module, name, cls)

    def model(self: EngineSet, role: ModelRole, chosen: str | None) -> SimpleNamespace:
        return SimpleNamespace(main_path=Path(chosen or self.model_id(role)))

    monkeypatch.setattr(EngineSet, "_model", model)
    return classes


def race(call: Callable[[], object], threads: int = THREADS) -> list[object]:
    """``call`` from ``threads`` threads released together; their results (errors re-raised)."""
    barrier = threading.Barrier(threads)
    results: list[object] = [None] * threads
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(5)
            results[index] = call()
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    if errors:
        raise errors[0]
    return results


ACCESSORS: list[tuple[str, str, EngineSettings]] = [
    ("transcriber", "FasterWhisperTranscriber", EngineSettings()),
    ("voice", "PiperVoiceEngine", EngineSettings()),
    ("language_model", "LlamaCppModel", EngineSettings()),
    ("language_model", "OpenAICompatibleModel", EngineSettings(llm_server_url="http://localhost:1/v1")),
    ("embedder", "SentenceTransformerEmbedder", EngineSettings()),
    ("embedder", "ProcessEmbedder", EngineSettings(embedder_in_process=False)),
]


@pytest.mark.parametrize(("method", "class_name", "settings"), ACCESSORS,
                         ids=[f"{m}-{c}" for m, c, _ in ACCESSORS])
def test_concurrent_first_calls_build_one_engine(registry: ModelRegistry, fakes: dict[str, type[FakeEngine]],
                                                 method: str, class_name: str, settings: EngineSettings) -> None:
    engines = EngineSet(registry, settings, http_client=lambda: SimpleNamespace())  # type: ignore[arg-type,return-value]
    results = race(getattr(engines, method))
    assert len(fakes[class_name].built) == 1, f"{len(fakes[class_name].built)} {class_name} built at once"
    assert all(result is results[0] for result in results)
    assert getattr(engines, method)() is results[0]


def test_all_engines_raced_at_once_are_each_built_once(registry: ModelRegistry,
                                                      fakes: dict[str, type[FakeEngine]]) -> None:
    engines = EngineSet(registry, EngineSettings(embedder_in_process=False))
    methods = [engines.transcriber, engines.voice, engines.language_model, engines.embedder] * 3
    barrier = threading.Barrier(len(methods))
    seen: dict[str, set[int]] = {}
    lock = threading.Lock()

    def run(method: Callable[[], object]) -> None:
        barrier.wait(5)
        engine = method()
        with lock:
            seen.setdefault(method.__name__, set()).add(id(engine))

    workers = [threading.Thread(target=run, args=(m,)) for m in methods]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert {name: len(ids) for name, ids in seen.items()} == {
        "transcriber": 1, "voice": 1, "language_model": 1, "embedder": 1}
    for name in ("FasterWhisperTranscriber", "PiperVoiceEngine", "LlamaCppModel", "ProcessEmbedder"):
        assert len(fakes[name].built) == 1, name


def test_reconfigure_with_equal_settings_keeps_the_engines(registry: ModelRegistry,
                                                           fakes: dict[str, type[FakeEngine]]) -> None:
    engines = EngineSet(registry, EngineSettings(stt_model="a"))
    transcriber, voice = engines.transcriber(), engines.voice()
    assert engines.reconfigure(EngineSettings(stt_model="a")) is False
    assert engines.transcriber() is transcriber
    assert engines.voice() is voice
    assert transcriber.unloads == voice.unloads == 0  # type: ignore[attr-defined]


def test_reconfigure_with_changed_settings_unloads_and_rebuilds(registry: ModelRegistry,
                                                                fakes: dict[str, type[FakeEngine]]) -> None:
    engines = EngineSet(registry, EngineSettings(stt_model="old"))
    transcriber, voice, embedder = engines.transcriber(), engines.voice(), engines.embedder()
    new = EngineSettings(stt_model="new")
    assert engines.reconfigure(new) is True
    assert engines.settings == new
    assert transcriber.unloads == voice.unloads == embedder.unloads == 1  # type: ignore[attr-defined]
    assert fakes["LlamaCppModel"].built == []  # never built, so nothing to unload (and not built by reconfigure)
    fresh = engines.transcriber()
    assert fresh is not transcriber
    assert fresh.path == Path("new")  # type: ignore[attr-defined]
    assert engines.voice() is not voice
    assert engines.embedder() is not embedder
    assert not engines.is_current(transcriber)
    assert engines.is_current(fresh)


def test_reconfigure_racing_a_first_call_never_leaves_an_old_engine(registry: ModelRegistry,
                                                                    fakes: dict[str, type[FakeEngine]]) -> None:
    """A thread builds the transcriber from the old settings while the settings change: once reconfigure has
    returned, the engine in use is built from the new settings, and the old one was unloaded."""
    transcribers = fakes["FasterWhisperTranscriber"]
    for _ in range(5):
        transcribers.built.clear()
        transcribers.entered.clear()
        engines = EngineSet(registry, EngineSettings(stt_model="old"))
        got: list[object] = []
        worker = threading.Thread(target=lambda engines=engines, got=got: got.append(engines.transcriber()))
        worker.start()
        assert transcribers.entered.wait(5)  # the worker is inside the (slow) constructor, old settings read
        assert engines.reconfigure(EngineSettings(stt_model="new")) is True
        after = engines.transcriber()
        worker.join(5)
        assert after.path == Path("new")  # type: ignore[attr-defined]
        assert engines.transcriber() is after
        old = [t for t in transcribers.built if t.path == Path("old")]
        assert len(old) == 1
        assert old[0].unloads == 1, "the engine built from the old settings was not unloaded"
        assert got == [old[0]]
        assert not engines.is_current(old[0])


def test_reconfigure_racing_many_callers(registry: ModelRegistry, fakes: dict[str, type[FakeEngine]]) -> None:
    """Threads keep asking for the transcriber and voice while the settings change several times: after each
    reconfigure returns, the engines handed out come from the new settings, and every other engine built was
    unloaded."""
    engines = EngineSet(registry, EngineSettings(stt_model="s0", tts_model="v0"))
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            engines.transcriber()
            engines.voice()

    workers = [threading.Thread(target=ask) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        for round_ in range(1, 6):
            time.sleep(BUILD_SECONDS / 2)
            assert engines.reconfigure(EngineSettings(stt_model=f"s{round_}", tts_model=f"v{round_}")) is True
            assert engines.transcriber().path == Path(f"s{round_}")  # type: ignore[attr-defined]
            assert engines.voice().path == Path(f"v{round_}")  # type: ignore[attr-defined]
    finally:
        stop.set()
        for worker in workers:
            worker.join(10)
    current = {engines.transcriber(), engines.voice()}
    for cls in (fakes["FasterWhisperTranscriber"], fakes["PiperVoiceEngine"]):
        stale = [e for e in cls.built if e not in current]
        assert all(e.unloads == 1 for e in stale), [(e.path, e.unloads) for e in stale]
        assert len({e.path for e in cls.built}) == len(cls.built), "an engine was built twice for one setting"


def test_unload_all_is_safe_while_engines_are_built(registry: ModelRegistry,
                                                    fakes: dict[str, type[FakeEngine]]) -> None:
    engines = EngineSet(registry, EngineSettings())
    transcriber = fakes["FasterWhisperTranscriber"]
    worker = threading.Thread(target=engines.transcriber)
    worker.start()
    assert transcriber.entered.wait(5)
    engines.unload_all()  # waits for the engine being built, then unloads it
    worker.join(5)
    assert [t.unloads for t in transcriber.built] == [1]


# The real engine classes, with only the model opening replaced by a slow fake: reconfigure must wait for a load
# in progress (the engines' own load locks) instead of unloading half-way and leaving the old model loaded.


class SlowModel:
    def __init__(self, started: threading.Event) -> None:
        started.set()
        time.sleep(0.2)
        self.closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def slow_opening(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The real transcriber, voice and llama.cpp engines, opening a fake model slowly."""
    from oet_desktop.core.llm.llama_cpp_backend import LlamaCppModel
    from oet_desktop.core.speech.stt import FasterWhisperTranscriber

    started = threading.Event()
    monkeypatch.setattr(FasterWhisperTranscriber, "_open", lambda self, choice: SlowModel(started))
    monkeypatch.setattr(LlamaCppModel, "_open", lambda self, layers: SlowModel(started))
    piper = pytest.importorskip("piper")
    monkeypatch.setattr(piper.PiperVoice, "load", staticmethod(lambda *args, **kwargs: SlowModel(started)))
    monkeypatch.setattr(EngineSet, "_model", lambda self, role, chosen: SimpleNamespace(
        main_path=Path(chosen or self.model_id(role))))
    return started


@pytest.mark.parametrize("method", ["transcriber", "voice", "language_model"])
def test_reconfigure_waits_for_a_load_in_progress(registry: ModelRegistry, slow_opening: threading.Event,
                                                  method: str) -> None:
    engines = EngineSet(registry, EngineSettings(gpu="off"))
    old = getattr(engines, method)()
    loading = threading.Thread(target=old.load)
    loading.start()
    assert slow_opening.wait(5)  # the old engine is half-way through loading
    assert engines.reconfigure(EngineSettings(gpu="off", stt_model="x", tts_model="y", llm_model="z")) is True
    assert not old.is_loaded, "reconfigure returned with the old engine still loaded (unloaded mid-load)"
    loading.join(5)
    assert not old.is_loaded
    assert getattr(engines, method)() is not old


def test_engine_loaded_from_a_stale_reference_can_be_told_apart(registry: ModelRegistry,
                                                                fakes: dict[str, type[FakeEngine]]) -> None:
    """A warm-up holding an engine across a reconfigure can ask whether it is still the set's engine (and
    unload it when not), as the window's warm-up does."""
    engines = EngineSet(registry, EngineSettings(stt_model="old"))
    held = engines.transcriber()
    assert engines.is_current(held)
    engines.reconfigure(EngineSettings(stt_model="new"))
    assert not engines.is_current(held)
    assert not engines.is_current(object())

"""Fixtures: isolated user folders, the real model registry and engines, and a PulseAudio virtual mic."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from oet_desktop.core.engines import EngineSet
from oet_desktop.core.models.catalog import load_catalog
from oet_desktop.core.models.checksums import ChecksumCache
from oet_desktop.core.models.registry import ModelRegistry
from oet_desktop.core.paths import catalog_path
from oet_desktop.core.settings import EngineSettings
from tests.keyring_backend import MemoryKeyring

REPO = Path(__file__).resolve().parents[1]
JFK_FLAC = REPO / "tests" / "fixtures" / "audio" / "jfk.flac"
"""A real recording (public domain: President Kennedy's 1961 inaugural address), kept in the repository."""
JFK_TEXT = ("And so my fellow Americans, ask not what your country can do for you, "
            "ask what you can do for your country.")


TEST_KEYRING = "tests.keyring_backend.SharedTestKeyring"


def user_environment(home: Path) -> dict[str, str]:
    """Environment for a user whose HOME is ``home``: XDG folders inside it, and a test keyring (a JSON file in
    it, shared by the CLI processes a test runs) standing in for the OS keyring, which is absent headless."""
    env = {name: str(home / sub) for name, sub in (("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
                                                    ("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"))}
    return {**env, "HOME": str(home), "PYTHON_KEYRING_BACKEND": TEST_KEYRING,
            "OET_TEST_KEYRING_FILE": str(home / "test-keyring.json"), "PYTHONPATH": str(REPO)}


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME, XDG data/cache/config/state folders and keyring (never the real ones), and
    no passphrase in the environment."""
    home = tmp_path / "home"
    for name, value in user_environment(home).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OET_DESKTOP_PASSPHRASE", raising=False)
    monkeypatch.delenv("OET_DESKTOP_NEW_PASSPHRASE", raising=False)
    home.mkdir()
    return home


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    """The shipped catalogue over the installed model packages (checksums verified, cached per session)."""
    cache = tmp_path_factory.mktemp("checksums") / "cache.json"
    return ModelRegistry(load_catalog(catalog_path()), tmp_path_factory.mktemp("models"), ChecksumCache(cache))


@pytest.fixture(scope="session")
def engines(registry: ModelRegistry) -> Iterator[EngineSet]:
    """The real default engines, deterministic voice; loaded on first use, shared by the session."""
    engine_set = EngineSet(registry, EngineSettings(deterministic_voice=True))
    yield engine_set
    engine_set.unload_all()


@dataclass
class VirtualAudio:
    """A running PulseAudio with a null sink ``vsink`` and a virtual microphone ``vmic`` fed by it."""

    env: dict[str, str]
    sink: str = "vsink"
    source: str = "vmic"

    def play(self, wav: Path) -> subprocess.Popen[bytes]:
        """Play a WAV into the sink (so the virtual microphone hears it)."""
        return subprocess.Popen(["paplay", "-d", self.sink, str(wav)], env=self.env)


@pytest.fixture(scope="session")
def virtual_audio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualAudio]:
    """Start a private PulseAudio server with a virtual microphone, and point PortAudio at it."""
    for tool in ("pulseaudio", "pactl", "paplay"):
        assert shutil.which(tool), f"{tool} is not installed (scripts/install.sh installs it)"
    base = tmp_path_factory.mktemp("pulse")
    runtime, home = base / "run", base / "home"
    runtime.mkdir(mode=0o700)
    home.mkdir()
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(home)}
    subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1", "-n", "--load=module-native-protocol-unix",
                    f"--log-target=file:{base / 'pulse.log'}"], env=env, check=True)
    deadline = time.monotonic() + 10
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "PulseAudio did not start"
        time.sleep(0.1)
    for command in (
        ["load-module", "module-null-sink", "sink_name=vsink", "sink_properties=device.description=VirtualSpeaker"],
        ["load-module", "module-virtual-source", "source_name=vmic", "master=vsink.monitor"],
        ["set-default-sink", "vsink"],
        ["set-default-source", "vmic"],
    ):
        subprocess.run(["pactl", *command], env=env, check=True, capture_output=True)
    previous = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    from oet_desktop.core.audio.devices import refresh_devices

    refresh_devices()
    try:
        yield VirtualAudio(env)
    finally:
        subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True)
        if previous is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = previous
        refresh_devices()


@pytest.fixture
def patient_sink(virtual_audio: VirtualAudio) -> Iterator[str]:
    """A second null sink for the patient's voice, so it can be recorded apart from the candidate's."""
    env = virtual_audio.env
    module = subprocess.run(["pactl", "load-module", "module-null-sink", "sink_name=psink"], env=env,
                            check=True, capture_output=True, text=True).stdout.strip()
    # The app's speaker plays to the default sink; the candidate's WAVs go to vsink by name.
    subprocess.run(["pactl", "set-default-sink", "psink"], env=env, check=True)
    try:
        yield "psink"
    finally:
        subprocess.run(["pactl", "set-default-sink", virtual_audio.sink], env=env, capture_output=True)
        subprocess.run(["pactl", "unload-module", module], env=env, capture_output=True)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring installed as the process's keyring backend (there is no OS keyring headless)."""
    import keyring

    backend = MemoryKeyring()
    before = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mounts small tmpfs file systems (a real full disk; remountable read-only), unmounted afterwards. Needs
    root, as CI has; elsewhere the test is skipped with that reason."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)

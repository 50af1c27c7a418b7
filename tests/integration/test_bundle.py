"""The app as a candidate installs it: the PyInstaller bundle is built once, then run outside the source tree
and the virtual environment (`env -i`, a temp home, PATH without `.venv`, another working directory): the
version, the doctor with the four default models and its live checks, a demo role-play scored and reported as a
PDF, the window reaching its first-run page (a screenshot from the bundle); then the .deb built from it installs
with apt, runs from PATH, validates, and `dpkg -r` removes every file it installed. Sizes and launch times go to
bench-results/bundle.json.

Set OET_BUNDLE_DIR to an already-built bundle (dist/oet-desktop) to skip the build when working on this test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from oet_desktop.bench.launch import run_launch_benchmark
from oet_desktop.core.assessment.criteria import ALL_CRITERIA
from tests.results import write_result

pytestmark = [pytest.mark.bundle, pytest.mark.timeout(3600)]
REPO = Path(__file__).resolve().parents[2]
VERSION = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-c",
                          "import importlib.metadata as m; print(m.version('oet-desktop'))"],
                         capture_output=True, text=True, check=True).stdout.strip()
PASSPHRASE = "bundle test passphrase"
LAUNCH_TARGET_S = 2.5


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The bundle (built now, unless OET_BUNDLE_DIR names one) and its .tar.gz, with the build time."""
    given = os.environ.get("OET_BUNDLE_DIR")
    if given:
        bundle = Path(given)
        return {"bundle": bundle, "archive": next(bundle.parent.glob(f"oet-desktop-{VERSION}-linux-*.tar.gz")),
                "build_s": None, "dist": bundle.parent}
    dist = tmp_path_factory.mktemp("dist")
    began = time.perf_counter()
    subprocess.run([str(REPO / "scripts" / "build-bundle.sh"), str(dist)], check=True, cwd=REPO)
    return {"bundle": dist / "oet-desktop", "archive": next(dist.glob(f"oet-desktop-{VERSION}-linux-*.tar.gz")),
            "build_s": round(time.perf_counter() - began, 1), "dist": dist}


def _outside(tmp: Path) -> dict[str, str]:
    """A bare environment: a temp home and XDG folders, PATH without the virtual environment."""
    home = tmp / "home"
    folders = {"HOME": home, "XDG_DATA_HOME": home / "data", "XDG_CONFIG_HOME": home / "config",
               "XDG_CACHE_HOME": home / "cache", "XDG_STATE_HOME": home / "state",
               "XDG_RUNTIME_DIR": home / "run"}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    (home / "run").chmod(0o700)
    return {**{k: str(v) for k, v in folders.items()}, "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
            "QT_QPA_PLATFORM": "offscreen", "OET_DESKTOP_PASSPHRASE": PASSPHRASE}


def _run(program: str | Path, *args: str, env: dict[str, str], cwd: Path, timeout: int = 900
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in env.items()), str(program), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL)


def test_the_bundle_runs_outside_the_source_tree_and_the_venv(built: dict[str, object], tmp_path: Path) -> None:
    bundle = Path(str(built["bundle"]))
    program = bundle / "oet-desktop"
    env = _outside(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    version = _run(program, "--version", env=env, cwd=elsewhere)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"oet-desktop {VERSION}"

    doctor = _run(program, "doctor", "--json", env=env, cwd=elsewhere)
    report = json.loads(doctor.stdout)
    defaults = [m for m in report["models"] if m["tier"] == "default"]
    assert sorted(m["role"] for m in defaults) == ["embedding", "llm", "stt", "tts"]
    assert all(m["present"] and m["verified"] for m in defaults), defaults
    assert all(str(bundle) in m["path"] for m in defaults)  # the bundle's own copies, not the venv's
    assert sorted(report["speed"]) == ["llm", "stt", "tts"]
    assert report["problems"] == [], report["problems"]
    assert doctor.returncode == 0, doctor.stderr
    assert report["hardware"]["llama_build"] == "CPU (portable)"

    practice = _run(program, "practice", "--demo", "--fast", env=env, cwd=elsewhere)
    assert practice.returncode == 0, practice.stderr[-2000:]
    assert "Saved in your profile as" in practice.stdout
    for criterion in ALL_CRITERIA:
        assert criterion.label in practice.stdout
    pdf = tmp_path / "report.pdf"
    reported = _run(program, "report", "latest", "--pdf", str(pdf), env=env, cwd=elsewhere)
    assert reported.returncode == 0, reported.stderr[-2000:]
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Appropriateness" in text
    assert "not an OET result" in text.replace("\n", " ")

    first_run = _outside(tmp_path / "window")
    shot = tmp_path / "first-run.png"
    window = _run(program, "--first-run-screenshot", str(shot), env=first_run, cwd=elsewhere, timeout=120)
    assert window.returncode == 0, window.stderr[-2000:]
    assert window.stdout.strip().endswith("first-run")
    assert shot.stat().st_size > 10_000
    (REPO / "bench-results").mkdir(exist_ok=True)
    shutil.copy(shot, REPO / "bench-results" / "bundle-first-run.png")

    built["launch"] = run_launch_benchmark(5, program, first_launch=True,
                                           environ={"PATH": env["PATH"], "LANG": "C.UTF-8",
                                                    "QT_QPA_PLATFORM": "offscreen"}, target_s=LAUNCH_TARGET_S)


def test_the_deb_installs_runs_from_path_validates_and_removes_cleanly(built: dict[str, object],
                                                                       tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("installing the .deb needs root: run this test as root (CI does)")
    bundle, dist = Path(str(built["bundle"])), Path(str(built["dist"]))
    subprocess.run([str(REPO / "scripts" / "build-deb.sh"), str(bundle), str(dist)], check=True, cwd=REPO,
                   env={**os.environ, "DEB_GZIP_LEVEL": "1"})
    deb = next(dist.glob(f"oet-desktop_{VERSION}_*.deb"))
    built["deb"] = deb
    depends = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True,
                             check=True).stdout
    needed = [item.split("|")[0].split("(")[0].strip() for item in depends.split(",")]
    missing = [name for name in needed if subprocess.run(["dpkg-query", "-W", "-f=${Status}", name],
                                                         capture_output=True, text=True).stdout
               != "install ok installed"]
    if missing:  # what a user's apt would bring in; dpkg -i itself never downloads
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True,
                       capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    install = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    installed = [Path(p) for p in subprocess.run(["dpkg", "-L", "oet-desktop"], capture_output=True, text=True,
                                                 check=True).stdout.split()]
    files = [p for p in installed if p.is_file() or p.is_symlink()]
    try:
        env = _outside(tmp_path)
        launcher = shutil.which("oet-desktop", path=env["PATH"])
        assert launcher == "/usr/bin/oet-desktop"
        assert _run("oet-desktop", "--version", env=env, cwd=tmp_path).stdout.strip() == f"oet-desktop {VERSION}"
        doctor = _run("oet-desktop", "doctor", "--json", "--no-live", env=env, cwd=tmp_path)
        assert doctor.returncode == 0, doctor.stderr
        assert all(m["verified"] for m in json.loads(doctor.stdout)["models"] if m["tier"] == "default")
        desktop = Path("/usr/share/applications/io.github.oetdesktop.OetDesktop.desktop")
        assert desktop in files
        valid = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert valid.returncode == 0, valid.stdout + valid.stderr
        metainfo = Path("/usr/share/metainfo/io.github.oetdesktop.OetDesktop.metainfo.xml")
        appstream = subprocess.run(["appstreamcli", "validate", "--no-net", "--pedantic", str(metainfo)],
                                   capture_output=True, text=True)
        assert appstream.returncode == 0, appstream.stdout + appstream.stderr
        icons = [p for p in files if "/icons/hicolor/" in str(p)]
        assert len(icons) >= 5
    finally:
        removed = subprocess.run(["dpkg", "-r", "oet-desktop"], capture_output=True, text=True)
    assert removed.returncode == 0, removed.stderr
    left = [str(p) for p in files if p.exists() or p.is_symlink()]
    assert left == [], left[:20]
    assert not Path("/opt/oet-desktop").exists()


def test_the_figures_are_recorded(built: dict[str, object]) -> None:
    bundle = Path(str(built["bundle"]))
    sizes: dict[str, int] = {}
    for path in bundle.rglob("*"):
        if path.is_file():
            parts = path.relative_to(bundle).parts
            top = "/".join(parts[:2]) if parts[0] == "_internal" and len(parts) > 1 else parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    unpacked = sum(sizes.values())
    largest = sorted(sizes.items(), key=lambda item: -item[1])[:10]
    archive = Path(str(built["archive"]))
    with tarfile.open(archive) as tar:
        assert any(member.name == "oet-desktop/oet-desktop" for member in tar.getmembers())
    launch = built.get("launch")
    assert isinstance(launch, dict), "the bundle's run test did not finish"
    figures = {"version": VERSION, "build_s": built["build_s"], "unpacked_mb": round(unpacked / 1e6, 1),
               "tar_gz_mb": round(archive.stat().st_size / 1e6, 1),
               "deb_mb": round(Path(str(built["deb"])).stat().st_size / 1e6, 1) if "deb" in built else None,
               "largest_parts_mb": {name: round(size / 1e6, 1) for name, size in largest},
               "launch_first_start": launch}
    write_result("bundle", figures)
    print(json.dumps(figures, indent=1))
    assert launch["median_s"] <= LAUNCH_TARGET_S, launch

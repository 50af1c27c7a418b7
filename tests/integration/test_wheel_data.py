"""A plain wheel install finds the model catalogue, the scenarios, the lexicons and the fonts as package data
(not only relative to a source checkout)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_the_catalogue_scenarios_lexicons_and_fonts(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(REPO)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("oet_desktop-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "oet_desktop/models/catalog.yaml" in names
    assert "oet_desktop/resources/lexicon/medical-terms.yaml" in names
    assert "oet_desktop/resources/fonts/DejaVuSans.ttf" in names
    assert "oet_desktop/resources/icons/oet-desktop.png" in names
    scenarios = [n for n in names if n.startswith("oet_desktop/resources/scenarios/") and n.endswith(".yaml")]
    bundled = list((REPO / "oet_desktop" / "resources" / "scenarios").rglob("*.yaml"))
    assert len(scenarios) == len(bundled) == 42
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    probe = ("from oet_desktop.core.paths import catalog_path, project_root; "
             "from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir; "
             "print(project_root()); print(len(ScenarioLibrary.load([bundled_scenarios_dir()]).scenarios))")
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                           env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                           timeout=120)
    assert found.returncode == 0, found.stderr
    root, count = found.stdout.split()
    assert Path(root) == site / "oet_desktop"
    assert count == "42"

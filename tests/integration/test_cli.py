"""The `oet-desktop` command as a user runs it: doctor, bench, and one-paragraph errors (never a traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from oet_desktop.core.llm.llama_cpp_backend import build_supports_gpu
from oet_desktop.core.paths import catalog_path
from tests.conftest import JFK_FLAC, JFK_TEXT
from tests.helpers import word_error_rate

pytestmark = pytest.mark.models

CLI = str(Path(sys.executable).with_name("oet-desktop"))


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def assert_one_paragraph(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    message = result.stderr.strip()
    assert "\n" not in message, message
    for text in expected:
        assert text in message, message


def root_with_catalogue(tmp_path: Path, edit) -> dict[str, str]:
    """A copy of the app's resource root whose catalogue was changed by ``edit``."""
    raw = yaml.safe_load(catalog_path().read_text())
    edit(raw)
    (tmp_path / "root" / "models").mkdir(parents=True)
    (tmp_path / "root" / "models" / "catalog.yaml").write_text(yaml.safe_dump(raw))
    return {"OET_DESKTOP_ROOT": str(tmp_path / "root")}


def test_doctor_json_reports_models_verified_and_engine_speed() -> None:
    result = run_cli("--gpu", "on", "doctor", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    defaults = [m for m in report["models"] if m["tier"] == "default"]
    assert {m["role"] for m in defaults} == {"stt", "llm", "tts", "embedding"}
    assert all(m["present"] and m["verified"] for m in defaults)
    for engine in ("stt", "llm", "tts"):
        check = report["speed"][engine]
        assert check["verdict"]
        assert isinstance(check["fast_enough"], bool)
    assert report["speed"]["stt"]["figures"]["real_time_factor"] > 0
    assert report["speed"]["tts"]["figures"]["real_time_factor"] > 0
    assert report["speed"]["llm"]["figures"]["time_to_first_token_s"] > 0
    assert report["speed"]["llm"]["figures"]["tokens_per_second"] > 0
    # asked for the GPU: on a CPU-only build it runs on the CPU and says why
    assert report["hardware"]["llama_gpu_reason"]
    if not build_supports_gpu():
        assert report["hardware"]["llama_gpu_offload"] is False
        assert report["speed"]["llm"]["device"] == "cpu"
        assert "no GPU backend" in report["speed"]["llm"]["device_reason"]
    print(json.dumps(report["speed"], indent=1))


def test_doctor_text_report_has_verdicts() -> None:
    result = run_cli("doctor")
    assert result.returncode == 0, result.stderr
    for text in ("Machine", "Models", "Speed on this machine", "whisper-tiny.en", "verified", "STT", "LLM", "TTS"):
        assert text in result.stdout


def test_transcribe_command_prints_the_text() -> None:
    result = run_cli("transcribe", str(JFK_FLAC))
    assert result.returncode == 0, result.stderr
    assert word_error_rate(JFK_TEXT, result.stdout) <= 0.10


def test_missing_model_says_which_and_how_to_install_it(tmp_path: Path) -> None:
    def remove_package(raw: dict) -> None:
        raw["models"][0]["source"]["module"] = "no_such_whisper_package"

    result = run_cli("transcribe", str(JFK_FLAC), env=root_with_catalogue(tmp_path, remove_package))
    assert_one_paragraph(result, "whisper-tiny.en", "is not installed", "oet-desktop models install whisper-tiny.en")


def test_corrupt_model_fails_its_checksum_with_the_fix(tmp_path: Path) -> None:
    def wrong_digest(raw: dict) -> None:
        raw["models"][0]["files"][1]["sha256"] = "0" * 64

    result = run_cli("transcribe", str(JFK_FLAC), env=root_with_catalogue(tmp_path, wrong_digest))
    assert_one_paragraph(result, "failed its checksum", "model.bin", "oet-desktop models install whisper-tiny.en")


def test_non_audio_and_missing_files_are_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Patient is anxious about discharge.")
    assert_one_paragraph(run_cli("transcribe", str(notes)), str(notes), "is not an audio file")
    assert_one_paragraph(run_cli("transcribe", str(tmp_path / "gone.wav")), "does not exist")


def test_no_audio_device_is_a_clear_message(tmp_path: Path) -> None:
    empty_runtime = tmp_path / "no-sound-server"
    empty_runtime.mkdir(mode=0o700)
    result = run_cli("record", "--seconds", "1", "--out", str(tmp_path / "x.wav"),
                     env={"XDG_RUNTIME_DIR": str(empty_runtime)})
    assert_one_paragraph(result, "No microphone was found", "headset")


def test_unknown_model_lists_the_choices() -> None:
    assert_one_paragraph(run_cli("models", "install", "gpt-99"), "There is no model called 'gpt-99'",
                         "whisper-tiny.en")


def test_bench_engines_prints_figures_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "engines.json"
    result = run_cli("bench", "engines", "--out", str(out), "--audio", str(JFK_FLAC))
    assert result.returncode == 0, result.stderr
    print(result.stdout)
    data = json.loads(out.read_text())
    for key in ("stt_synthesised", "stt_recorded", "llm", "tts"):
        assert key in data["results"]
    assert data["peak_rss_mb_all_loaded"] > 100
    assert "STT RTF" in result.stdout
    assert "Peak RSS" in result.stdout


def test_doctor_lists_a_broken_model_once_and_still_checks_the_other_engines(tmp_path: Path) -> None:
    def corrupt_llm(raw: dict) -> None:
        llm = next(m for m in raw["models"] if m["role"] == "llm" and m["tier"] == "default")
        llm["files"][0]["sha256"] = "f" * 64

    result = run_cli("doctor", "--json", env=root_with_catalogue(tmp_path, corrupt_llm))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert len(report["problems"]) == 1
    assert "smollm2-135m-instruct-q4_1 failed its checksum" in report["problems"][0]
    assert sorted(report["speed"]) == ["stt", "tts"]


def test_practice_demo_completes_and_prints_where_the_bundle_is(tmp_path: Path) -> None:
    result = run_cli("practice", "--demo", "--fast", "--scenario", "veterinary-science-canine-diabetes-insulin",
                     "--out", str(tmp_path / "bundle"), timeout=600)
    assert result.returncode == 0, result.stderr
    assert f"Session bundle: {tmp_path / 'bundle'}" in result.stdout
    assert "That is the end of the role-play." in result.stdout
    session = json.loads((tmp_path / "bundle" / "session.json").read_text())
    kinds = [turn["move_kind"] for turn in session["turns"]]
    assert kinds[0] == "cue"
    assert "fact" in kinds
    assert kinds[-1] == "closing"
    assert (tmp_path / "bundle" / "candidate.wav").stat().st_size > 100_000
    assert (tmp_path / "bundle" / "patient.wav").stat().st_size > 100_000


def test_practice_needs_turns_or_demo(tmp_path: Path) -> None:
    assert_one_paragraph(run_cli("practice", "--scenario", "nursing-insulin-start-driver"),
                         "There are no candidate turns", "--demo")
    assert_one_paragraph(run_cli("practice", "--scenario", "nope", "--demo"), "There is no role-play called 'nope'")

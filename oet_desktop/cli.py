"""The `oet-desktop` command: launches the app by default; headless subcommands for everything else."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from oet_desktop import __version__
from oet_desktop.app import AppContext, build_context
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.logging_setup import configure_logging
from oet_desktop.core.paths import AppPaths
from oet_desktop.core.settings import EngineSettings

if TYPE_CHECKING:
    from oet_desktop.core.content.scenario import Scenario
    from oet_desktop.core.practice.headless import HeadlessParts
    from oet_desktop.core.storage.worker import StorageThread

log = logging.getLogger("oet_desktop.cli")

EXIT_USER_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oet-desktop", description="Offline OET Speaking practice.")
    parser.add_argument("--version", action="version", version=f"oet-desktop {__version__}")
    parser.add_argument("--verbose", action="store_true", help="log debug detail to the console")
    parser.add_argument("--gpu", choices=["auto", "on", "off"], default="auto", help="GPU use for the models")
    parser.add_argument("--llm-server", metavar="URL",
                        help="use an OpenAI-compatible server (e.g. http://localhost:8080/v1) instead of llama.cpp")
    parser.add_argument("--llm-server-model", default="default", help="model name to ask the server for")
    parser.add_argument("--exit-when-interactive", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command")

    doctor = sub.add_parser("doctor", help="check this machine, the models and their speed")
    doctor.add_argument("--json", action="store_true", help="print JSON")
    doctor.add_argument("--no-live", action="store_true", help="skip the live speed check")

    models = sub.add_parser("models", help="list, verify and install models")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    listing = models_sub.add_parser("list", help="every model in the catalogue and its state")
    listing.add_argument("--json", action="store_true")
    models_sub.add_parser("verify", help="check every installed model's SHA-256")
    install = models_sub.add_parser("install", help="install or repair a model")
    install.add_argument("model_id")

    bench = sub.add_parser("bench", help="benchmarks that print figures and write JSON")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True)
    bench_practice = bench_sub.add_parser("practice", help="turn latency over real-time role-plays")
    bench_practice.add_argument("--out", type=Path, default=Path("bench-results/practice.json"))
    bench_practice.add_argument("--scenarios", nargs="+", default=[
        "nursing-insulin-start-driver", "medicine-statin-reluctant-patient", "pharmacy-apixaban-discharge"])
    bench_practice.add_argument("--fast", action="store_true", help="simulated clock (no overlap: pessimistic)")
    bench_feedback = bench_sub.add_parser("feedback", help="time to score a 5-minute role-play")
    bench_feedback.add_argument("--out", type=Path, default=Path("bench-results/feedback.json"))
    bench_feedback.add_argument("--runs", type=int, default=5)
    bench_launch = bench_sub.add_parser("launch", help="time from launch to an interactive window")
    bench_launch.add_argument("--out", type=Path, default=Path("bench-results/launch.json"))
    bench_launch.add_argument("--runs", type=int, default=5)
    bench_storage = bench_sub.add_parser("storage", help="open, save and list times of the encrypted store")
    bench_storage.add_argument("--out", type=Path, default=Path("bench-results/storage.json"))
    bench_storage.add_argument("--runs", type=int, default=5)
    bench_storage.add_argument("--sessions", type=int, default=1000, help="sessions in the listed history")
    engines = bench_sub.add_parser("engines", help="speed and memory of the default engines")
    engines.add_argument("--out", type=Path, default=Path("bench-results/engines.json"))
    engines.add_argument("--audio", type=Path, nargs="*", default=[], help="recorded speech to time STT on")

    scenarios = sub.add_parser("scenarios", help="the role-play library")
    scenarios_sub = scenarios.add_subparsers(dest="scenarios_command", required=True)
    scenario_list = scenarios_sub.add_parser("list", help="every role-play, filterable")
    scenario_list.add_argument("--profession", help="e.g. nursing, medicine, veterinary_science")
    scenario_list.add_argument("--difficulty", type=int, choices=[1, 2, 3])
    scenario_list.add_argument("--search", default="", help="words in the title, setting or card")
    scenario_show = scenarios_sub.add_parser("show", help="the candidate card of one role-play")
    scenario_show.add_argument("scenario_id")
    scenario_show.add_argument("--interlocutor", action="store_true", help="also show the interlocutor card")
    scenario_validate = scenarios_sub.add_parser("validate", help="check scenario files (yours or the bundled)")
    scenario_validate.add_argument("paths", type=Path, nargs="*", help="files or folders (default: all loaded)")

    practice = sub.add_parser("practice", help="a whole role-play, headless, through the real pipeline")
    practice.add_argument("--scenario", help="scenario id (see `oet-desktop scenarios list`)")
    practice.add_argument("--candidate-audio", type=Path, nargs="+", default=[], metavar="FILE",
                          help="the candidate's turns, one audio file each")
    practice.add_argument("--demo", action="store_true", help="use candidate turns synthesised for the scenario")
    practice.add_argument("--typed", type=Path, metavar="FILE",
                          help="a typed role-play: the candidate's turns, one a line, from this text file (the "
                               "patient still answers aloud; feedback covers what text can show)")
    practice.add_argument("--fast", action="store_true", help="simulated clock: as fast as the machine allows")
    practice.add_argument("--turn-mode", choices=["half_duplex", "barge_in"], default="half_duplex")
    practice.add_argument("--out", type=Path, metavar="DIR",
                          help="also write the session as a bundle (JSON + WAV) to this folder")
    practice.add_argument("--phrasing", choices=["auto", "scripted", "free", "all"], default="auto",
                          help="which moves the language model phrases (auto: by model size)")

    report = sub.add_parser("report", help="feedback on a role-play, or progress over all of them, as text or PDF")
    report.add_argument("session", nargs="?", default=None,
                        help="a saved role-play (its name, the start of it, or `latest`) or a session bundle folder")
    report.add_argument("--progress", action="store_true", help="progress over every saved session")
    report.add_argument("--pdf", type=Path, metavar="FILE", help="write the report as a PDF")
    report.add_argument("--page-size", choices=["A4", "Letter"], default="A4")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("--sessions", type=Path, metavar="DIR",
                        help="read session bundles from this folder instead of your encrypted profile")
    report.add_argument("--narrative", choices=["auto", "template", "llm"], default="auto",
                        help="who writes the summary (auto: the language model when it is a capable one)")
    report.add_argument("--rescore", action="store_true", help="score again even if feedback was saved")
    report.add_argument("--name", help="candidate name printed on the progress PDF")

    from oet_desktop.profile_commands import add_profile_commands

    add_profile_commands(sub)

    transcribe = sub.add_parser("transcribe", help="transcribe an audio file")
    transcribe.add_argument("audio", type=Path)
    transcribe.add_argument("--json", action="store_true", help="print words with times and probabilities")
    transcribe.add_argument("--keep-fillers", action="store_true", help="prompt Whisper to keep um/uh")

    say = sub.add_parser("say", help="speak text with the voice into a WAV file")
    say.add_argument("text")
    say.add_argument("--out", type=Path, required=True)

    sub.add_parser("devices", help="list microphones and speakers")
    record = sub.add_parser("record", help="record from the microphone into a WAV file")
    record.add_argument("--seconds", type=float, default=5.0)
    record.add_argument("--out", type=Path, required=True)
    record.add_argument("--device", help="device index or part of its name")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `oet-desktop` console script."""
    args = _parser().parse_args(argv)
    paths = AppPaths.for_user()
    configure_logging(paths.log_dir, verbose=args.verbose)
    settings = EngineSettings(gpu=args.gpu, llm_server_url=args.llm_server, llm_server_model=args.llm_server_model)
    try:
        context = build_context(paths, settings)
        handler = _HANDLERS.get(args.command or "launch", _launch)
        return handler(context, args)
    except UserFacingError as exc:
        print(exc.paragraph(), file=sys.stderr)
        log.info("user-facing error: %s", exc.paragraph())
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


def _launch(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.ui.launch import run_window

    return run_window(context, exit_when_interactive=args.exit_when_interactive)


def _doctor(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.core.system.doctor import format_report, run_doctor

    report = run_doctor(context.registry, context.engines, live=not args.no_live)
    print(json.dumps(report.as_dict(), indent=2) if args.json else format_report(report))
    return 0 if report.ok else 1


def _models(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.core.system.doctor import model_report

    if args.models_command == "install":
        return _install(context, args.model_id)
    rows, problems = model_report(context.registry)
    if args.models_command == "list" and args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        state = "verified" if row["verified"] else ("CORRUPT" if row["present"] else "not installed")
        print(f"{row['role']:<9} {row['id']:<42} {row['tier']:<11} {row['size_mb']:>8} MB  {state}")
        if row["problem"] and (row["present"] or row["tier"] == "default"):
            print(f"          {row['problem']}")
    return 1 if problems else 0


def _install(context: AppContext, model_id: str) -> int:
    from oet_desktop.core.models.download import DownloadProgress
    from oet_desktop.core.models.installer import install_model

    entry = context.registry.entry(model_id)
    last = [-1]

    def progress(p: DownloadProgress) -> None:
        percent = int(100 * p.done_bytes / max(1, p.total_bytes))
        if percent != last[0]:
            last[0] = percent
            print(f"\r{p.file}: {percent}% of {p.total_bytes / 1e6:.0f} MB", end="", file=sys.stderr)

    import httpx

    with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as client:
        resolved = install_model(context.registry, entry, client, progress)
    print(f"\n{entry.id} is installed and verified at {resolved.root}")
    return 0


def _headless_parts(context: AppContext, phrasing: str) -> HeadlessParts:
    from oet_desktop.core.practice.headless import parts_from_engines

    return parts_from_engines(context.engines, context.catalog, phrasing)


def _practice(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.profile_commands import unlocked_profile

    library = context.load_scenarios()
    scenario_id = args.scenario or ("nursing-insulin-start-driver" if args.demo else None)
    if scenario_id is None:
        raise UserFacingError("No role-play was chosen.", "Add --scenario ID (see `oet-desktop scenarios list`).")
    scenario = library.get(scenario_id)
    if scenario is None:
        raise UserFacingError(f"There is no role-play called {scenario_id!r}.",
                              "See `oet-desktop scenarios list` for the ids.")
    if sum(map(bool, (args.demo, args.candidate_audio, args.typed))) > 1:
        raise UserFacingError("Choose one source of candidate turns.",
                              "Use only one of --candidate-audio, --demo and --typed.")
    if not args.demo and not args.candidate_audio and not args.typed:
        raise UserFacingError("There are no candidate turns to play.",
                              "Give one audio file per turn with --candidate-audio, a text file with --typed, or "
                              "use --demo.")
    typed = _typed_turns(args.typed) if args.typed else None
    with unlocked_profile(context, create_for=scenario.profession) as storage:  # before any work: fail early
        return _practise(context, args, scenario, storage, typed)


def _typed_turns(path: Path) -> list[str]:
    from oet_desktop.core.practice.headless import read_typed_turns

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise UserFacingError(f"The typed role-play {path} does not exist.",
                              "Give a text file with one candidate turn a line.") from error
    except (OSError, UnicodeDecodeError) as error:
        raise UserFacingError(f"The typed role-play {path} could not be read: {error}.",
                              "Give a UTF-8 text file with one candidate turn a line.") from error
    turns = read_typed_turns(text)
    if not turns:
        raise UserFacingError(f"The typed role-play {path} has no turns in it.",
                              "Write one candidate turn a line (lines starting with # are skipped).")
    return turns


def _practise(context: AppContext, args: argparse.Namespace, scenario: Scenario, storage: StorageThread,
              typed: list[str] | None) -> int:
    from datetime import datetime

    from oet_desktop.core.audio.files import read_audio
    from oet_desktop.core.practice.engine import TurnMode
    from oet_desktop.core.practice.headless import demo_turns, run_headless, run_typed, synthesise_turns
    from oet_desktop.core.practice.record import SessionRecord
    from oet_desktop.core.practice.session import Mode
    from oet_desktop.core.storage.journal import SessionJournal
    from oet_desktop.feedback_commands import score_new_session

    clips = [read_audio(path) for path in args.candidate_audio]
    parts = _headless_parts(context, args.phrasing)
    if args.demo:
        texts = demo_turns(scenario)
        print(f"Demo: {len(texts)} candidate turns synthesised for {scenario.id}.")
        clips = synthesise_turns(context.engines.voice(), texts)
    session_id = f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{scenario.id}"
    turn_mode = TurnMode.TYPED.value if typed else args.turn_mode
    record = SessionRecord(scenario.id, Mode.PRACTICE.value, turn_mode, parts.models)
    journal = SessionJournal(storage, session_id, record)
    pace = "typed" if typed else "simulated clock" if args.fast else "real time"
    print(f"{scenario.title} ({scenario.profession.label}); {pace}\n")
    try:
        if typed:
            run_typed(scenario, typed, parts, on_turn=print, checkpoint=journal.checkpoint, record=record)
        else:
            run_headless(scenario, clips, parts, fast=args.fast, turn_mode=TurnMode(args.turn_mode), on_turn=print,
                         checkpoint=journal.checkpoint, record=record)
    except BaseException:
        with contextlib.suppress(Exception):  # keep everything said so far; the first error is the one to show
            journal.finish("interrupted")
        raise
    journal.finish(record.final_status())
    print(f"\nSaved in your profile as {session_id}")
    answered = [t for t in record.turns if t.candidate_text]
    if answered and not typed:
        latencies = sorted(t.latency.response * 1000 for t in answered)
        print(f"{len(answered)} turns; response latency median {latencies[len(latencies) // 2]:.0f} ms")
    bundle = None
    if args.out:
        bundle = record.write_bundle(args.out).parent
        print(f"Session bundle: {bundle}")
    score_new_session(context, storage, record, scenario, session_id, bundle)
    return 0


def _bench(context: AppContext, args: argparse.Namespace) -> int:
    if args.bench_command == "practice":
        return _bench_practice(context, args)
    if args.bench_command == "launch":
        return _bench_launch(args)
    if args.bench_command == "storage":
        from oet_desktop.profile_commands import bench_storage_command

        return bench_storage_command(context, args)
    if args.bench_command == "feedback":
        from oet_desktop.feedback_commands import bench_feedback_command

        return bench_feedback_command(context, args)
    from oet_desktop.core.system.bench import run_engine_benchmark

    result = run_engine_benchmark(context.engines, args.audio)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    res = result["results"]
    print(f"Machine: {result['machine']['cpu']}, {result['machine']['logical_cores']} threads, "
          f"{result['machine']['ram_gb']} GB; LLM on {result['machine']['llm_device']}")
    print(f"STT RTF (synthesised speech)   {res['stt_synthesised']['figures']['real_time_factor']:.3f}")
    if "stt_recorded" in res:
        print(f"STT RTF (recorded speech)      {res['stt_recorded']['figures']['real_time_factor']:.3f}")
    print(f"LLM time to first token        {res['llm']['figures']['time_to_first_token_s'] * 1000:.0f} ms "
          f"(cold {res['llm']['figures']['cold_time_to_first_token_s'] * 1000:.0f} ms)")
    print(f"LLM tokens/s                   {res['llm']['figures']['tokens_per_second']:.1f}")
    print(f"TTS RTF                        {res['tts']['figures']['real_time_factor']:.3f}")
    print(f"Peak RSS, all engines loaded   {result['peak_rss_mb_all_loaded']:.0f} MB")
    print(f"Load times (s)                 {result['load_seconds']}")
    print(f"Written to {args.out}")
    return 0


def _scenarios(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.core.content.cards import format_cards
    from oet_desktop.core.content.library import ScenarioLibrary
    from oet_desktop.core.content.loader import load_scenario_file
    from oet_desktop.core.content.scenario import Profession

    if args.scenarios_command == "validate":
        if args.paths:
            files = [p for path in args.paths for p in (sorted(path.rglob("*.y*ml")) if path.is_dir() else [path])]
            results = [load_scenario_file(f, str(f)) for f in files]
        else:
            results = context.load_scenarios().results
        for result in results:
            for line in result.errors:
                print(f"error: {line}")
            for line in result.warnings:
                print(f"warning: {line}")
        bad = sum(1 for r in results if not r.ok)
        print(f"{len(results) - bad} of {len(results)} scenario files are valid.")
        return 1 if bad else 0
    library: ScenarioLibrary = context.load_scenarios()
    if args.scenarios_command == "show":
        scenario = library.get(args.scenario_id)
        if scenario is None:
            raise UserFacingError(f"There is no role-play called {args.scenario_id!r}.",
                                  "See `oet-desktop scenarios list` for the ids.")
        print(format_cards(scenario, with_interlocutor=args.interlocutor))
        return 0
    profession = None
    if args.profession:
        try:
            profession = Profession(args.profession)
        except ValueError:
            raise UserFacingError(f"{args.profession!r} is not an OET profession.",
                                  f"Choose one of: {', '.join(p.value for p in Profession)}.") from None
    for scenario in library.filter(profession, args.difficulty, args.search):
        level = "*" * (scenario.difficulty or 0)
        print(f"{scenario.id:<52} {scenario.profession.label:<22} {level:<3} {scenario.title}")
    for line in library.errors:
        print(f"error: {line}", file=sys.stderr)
    return 0


def _bench_launch(args: argparse.Namespace) -> int:
    from oet_desktop.ui.bench import run_launch_benchmark

    result = run_launch_benchmark(args.runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"Launch to an interactive window ({result['platform']}): median {result['median_s']:.2f} s, "
          f"max {result['max_s']:.2f} s over {args.runs} launches (target <= 2 s)")
    print(f"Written to {args.out}")
    return 0


def _bench_practice(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.core.practice.bench import run_practice_benchmark

    library = context.load_scenarios()
    missing = [s for s in args.scenarios if library.get(s) is None]
    if missing:
        raise UserFacingError(f"Unknown role-plays: {', '.join(missing)}.", "See `oet-desktop scenarios list`.")
    scenarios = [library.scenarios[s] for s in args.scenarios]
    result = run_practice_benchmark(scenarios, _headless_parts(context, "auto"), context.engines.voice(), args.fast)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{result['turns']} turns over {len(scenarios)} role-plays ({result['mode']}); moves {result['moves']}")
    print(f"{'stage':<16}{'p50 ms':>9}{'p95 ms':>9}")
    for stage, figures in result["stages"].items():
        print(f"{stage:<16}{figures['p50_ms']:>9.0f}{figures['p95_ms']:>9.0f}")
    print(f"Written to {args.out}")
    return 0


def _transcribe(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.core.audio.files import read_audio

    samples = read_audio(args.audio)
    transcript = context.engines.transcriber().transcribe(samples, keep_fillers=args.keep_fillers)
    if args.json:
        print(json.dumps({"text": transcript.text, "audio_seconds": transcript.audio_seconds,
                          "real_time_factor": round(transcript.real_time_factor, 4),
                          "words": [w.__dict__ for w in transcript.words]}, indent=2))
    else:
        print(transcript.text)
    return 0


def _say(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.core.audio.files import write_wav

    samples, rate = context.engines.voice().speak_all(args.text)
    write_wav(args.out, samples, rate)
    print(f"{args.out}: {samples.size / rate:.2f} s at {rate} Hz")
    return 0


def _devices(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.core.audio.devices import list_devices

    for device in list_devices():
        marks = [m for m, on in (("default input", device.is_default_input),
                                 ("default output", device.is_default_output)) if on]
        print(f"{device.index:>3}  {device.name}  [{device.host_api}] in:{device.input_channels} "
              f"out:{device.output_channels} {int(device.default_sample_rate)} Hz {', '.join(marks)}")
    return 0


def _record(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.core.audio.files import write_wav
    from oet_desktop.core.audio.microphone import MicrophoneInput
    from oet_desktop.core.audio.types import SAMPLE_RATE, level_dbfs

    device: int | str | None = int(args.device) if args.device and args.device.isdigit() else args.device
    microphone = MicrophoneInput(device)
    print(f"Recording {args.seconds:.1f} s from {microphone.device.name}…", file=sys.stderr)
    samples = microphone.record(args.seconds)
    write_wav(args.out, samples, SAMPLE_RATE)
    print(f"{args.out}: {samples.size / SAMPLE_RATE:.2f} s, level {level_dbfs(samples):.1f} dBFS")
    return 0


def _profile(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.profile_commands import profile_command

    return profile_command(context, args)


def _history(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.profile_commands import history_command

    return history_command(context, args)


def _report(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.feedback_commands import report_command

    return report_command(context, args)


_HANDLERS: dict[str, Callable[[AppContext, argparse.Namespace], int]] = {
    "launch": _launch, "doctor": _doctor, "models": _models, "scenarios": _scenarios, "bench": _bench,
    "practice": _practice, "report": _report, "profile": _profile, "history": _history,
    "transcribe": _transcribe, "say": _say, "devices": _devices, "record": _record,
}

if __name__ == "__main__":
    sys.exit(main())

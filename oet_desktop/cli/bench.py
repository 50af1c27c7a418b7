"""`bench …`: the benchmarks; each prints its figures and writes them, stamped with date, machine, CPU and
commit, to a JSON file."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from oet_desktop.bench.results import write_result
from oet_desktop.core.errors import UserFacingError
from oet_desktop.services import feedback, practice
from oet_desktop.services.context import AppContext

PRACTICE_SCENARIOS = ["nursing-insulin-start-driver", "medicine-statin-reluctant-patient",
                      "pharmacy-apixaban-discharge"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `bench …`."""
    parser = sub.add_parser("bench", help="benchmarks that print figures and write JSON")
    commands = parser.add_subparsers(dest="bench_command", required=True)
    run = commands.add_parser("practice", help="turn latency over real-time role-plays")
    run.set_defaults(handler=bench_practice)
    run.add_argument("--out", type=Path, default=Path("bench-results/practice.json"))
    run.add_argument("--scenarios", nargs="+", default=PRACTICE_SCENARIOS)
    run.add_argument("--fast", action="store_true", help="simulated clock (no overlap: pessimistic)")
    run.add_argument("--phrasing", choices=["auto", "scripted", "free", "all"], default="auto",
                     help="which moves the language model phrases (all: every reply from the model, checked)")
    scoring = commands.add_parser("feedback", help="time to score a 5-minute role-play")
    scoring.set_defaults(handler=bench_feedback)
    scoring.add_argument("--out", type=Path, default=Path("bench-results/feedback.json"))
    scoring.add_argument("--runs", type=int, default=5)
    launch = commands.add_parser("launch", help="time from launch to an interactive window")
    launch.set_defaults(handler=bench_launch)
    launch.add_argument("--out", type=Path, default=Path("bench-results/launch.json"))
    launch.add_argument("--runs", type=int, default=5)
    launch.add_argument("--program", type=Path, help="the executable to launch (e.g. a built bundle's oet-desktop)")
    launch.add_argument("--first-launch", action="store_true", help="a fresh, empty home folder for every launch")
    storage = commands.add_parser("storage", help="open, save and list times of the encrypted store")
    storage.set_defaults(handler=bench_storage)
    storage.add_argument("--out", type=Path, default=Path("bench-results/storage.json"))
    storage.add_argument("--runs", type=int, default=5)
    storage.add_argument("--sessions", type=int, default=1000, help="sessions in the listed history")
    engines = commands.add_parser("engines", help="speed and memory of the default engines")
    engines.set_defaults(handler=bench_engines)
    engines.add_argument("--out", type=Path, default=Path("bench-results/engines.json"))
    engines.add_argument("--audio", type=Path, nargs="*", default=[], help="recorded speech to time STT on")


def bench_engines(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop bench engines`."""
    from oet_desktop.bench.engines import run_engine_benchmark

    result = run_engine_benchmark(context.engines, args.audio)
    write_result(args.out, result)
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


def bench_launch(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop bench launch`."""
    from oet_desktop.bench.launch import run_launch_benchmark

    result = run_launch_benchmark(args.runs, args.program, args.first_launch)
    write_result(args.out, result)
    print(f"Launch to an interactive window ({result['platform']}): median {result['median_s']:.2f} s, "
          f"max {result['max_s']:.2f} s over {args.runs} launches (target <= 2 s)")
    print(f"Written to {args.out}")
    return 0


def bench_practice(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop bench practice`."""
    from oet_desktop.bench.practice import run_practice_benchmark

    library = context.load_scenarios()
    missing = [s for s in args.scenarios if library.get(s) is None]
    if missing:
        raise UserFacingError(f"Unknown role-plays: {', '.join(missing)}.", "See `oet-desktop scenarios list`.")
    scenarios = [library.scenarios[s] for s in args.scenarios]
    parts = practice.practice_parts(context, args.phrasing)
    result = run_practice_benchmark(scenarios, parts, context.engines.voice(), args.fast)
    write_result(args.out, result)
    print(f"{result['turns']} turns over {len(scenarios)} role-plays ({result['mode']}); moves {result['moves']}")
    print(f"{'stage':<16}{'p50 ms':>9}{'p95 ms':>9}")
    for stage, figures in result["stages"].items():
        print(f"{stage:<16}{figures['p50_ms']:>9.0f}{figures['p95_ms']:>9.0f}")
    print(f"Written to {args.out}")
    return 0


def bench_feedback(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop bench feedback`: time to score a 5-minute role-play."""
    from oet_desktop.bench.feedback import five_minute_conversation, run_feedback_benchmark

    scenario = context.load_scenarios().get(practice.DEMO_SCENARIO)
    if scenario is None:
        raise UserFacingError(f"The benchmark's role-play ({practice.DEMO_SCENARIO}) is not installed.",
                              "Reinstall the app so the bundled scenarios are in place.")
    print("Preparing a 5-minute role-play (synthesised and transcribed; not timed)\u2026")
    conversation = five_minute_conversation(scenario, context.engines.voice(), context.engines.transcriber())
    result = run_feedback_benchmark(feedback.assessor(context), conversation, args.runs)
    write_result(args.out, result)
    print(f"Embedder loaded in {result['embedder_load_s']:.1f} s (already loaded after a role-play).")
    print(f"{result['role_play_s']:.0f} s role-play, {result['candidate_turns']} candidate turns, "
          f"{result['candidate_words']} words: first scoring {result['first_run_s'] * 1000:.0f} ms, then median "
          f"{result['median_s'] * 1000:.0f} ms, max {result['max_s'] * 1000:.0f} ms (target \u2264 2000 ms)")
    print(f"Written to {args.out}")
    return 0


def bench_storage(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop bench storage`: the store's promised figures, on this machine's disk."""
    from oet_desktop.bench.storage import run_storage_benchmark

    context.paths.cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=context.paths.cache_dir, prefix="bench-storage-") as scratch:
        result = run_storage_benchmark(Path(scratch), feedback.example_report(), args.runs, args.sessions)
    write_result(args.out, result)
    opened, saved, going, listed = (result["open_raw_key_ms"], result["save_5min_session_ms"],
                                    result["save_as_it_goes_ms"], result["list_sessions_ms"])
    print(f"Open with the keyring (raw) key       median {opened['median']:7.1f} ms  max {opened['max']:7.1f} ms"
          "  (target <= 50)")
    print(f"Save a 5-minute role-play, both sides median {saved['median']:7.1f} ms  max {saved['max']:7.1f} ms"
          "  (target <= 300)")
    print(f"  saved as it goes: wait per turn     median {going['checkpoint_wait_median']:7.1f} ms  max "
          f"{going['checkpoint_wait_max']:7.1f} ms; final save median {going['final_save_median']:.1f} ms")
    print(f"List {listed['sessions']} sessions with scores     median {listed['median']:7.1f} ms  max "
          f"{listed['max']:7.1f} ms  (target <= 50)")
    print(f"Written to {args.out}")
    return 0

"""`practice` and `scenarios …`: a whole role-play headless through the real pipeline (from audio files, a
typed script or the demo), and the role-play library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oet_desktop.cli.common import unlocked_profile
from oet_desktop.cli.feedback import print_scores
from oet_desktop.core.practice.engine import TurnMode
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.services import library as scenarios
from oet_desktop.services import practice
from oet_desktop.services.context import AppContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `practice` and `scenarios …`."""
    scenario_parser = sub.add_parser("scenarios", help="the role-play library")
    scenario_parser.set_defaults(handler=scenarios_command)
    commands = scenario_parser.add_subparsers(dest="scenarios_command", required=True)
    listing = commands.add_parser("list", help="every role-play, filterable")
    listing.add_argument("--profession", help="e.g. nursing, medicine, veterinary_science")
    listing.add_argument("--difficulty", type=int, choices=[1, 2, 3])
    listing.add_argument("--search", default="", help="words in the title, setting or card")
    show = commands.add_parser("show", help="the candidate card of one role-play")
    show.add_argument("scenario_id")
    show.add_argument("--interlocutor", action="store_true", help="also show the interlocutor card")
    validate = commands.add_parser("validate", help="check scenario files (yours or the bundled)")
    validate.add_argument("paths", type=Path, nargs="*", help="files or folders (default: all loaded)")

    run = sub.add_parser("practice", help="a whole role-play, headless, through the real pipeline")
    run.set_defaults(handler=practice_command)
    run.add_argument("--scenario", help="scenario id (see `oet-desktop scenarios list`)")
    run.add_argument("--candidate-audio", type=Path, nargs="+", default=[], metavar="FILE",
                     help="the candidate's turns, one audio file each")
    run.add_argument("--demo", action="store_true", help="use candidate turns synthesised for the scenario")
    run.add_argument("--typed", type=Path, metavar="FILE",
                     help="a typed role-play: the candidate's turns, one a line, from this text file (the patient "
                          "still answers aloud; feedback covers what text can show)")
    run.add_argument("--fast", action="store_true", help="simulated clock: as fast as the machine allows")
    run.add_argument("--turn-mode", choices=["half_duplex", "barge_in"], default="half_duplex")
    run.add_argument("--out", type=Path, metavar="DIR",
                     help="also write the session as a bundle (JSON + WAV) to this folder")
    run.add_argument("--phrasing", choices=["auto", "scripted", "free", "all"], default="auto",
                     help="which moves the language model phrases (auto: by model size)")


def practice_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop practice`: one role-play, saved in the profile and scored."""
    library = scenarios.load_library(context)
    scenario = practice.find_scenario(library, args.scenario or (practice.DEMO_SCENARIO if args.demo else None))
    practice.CandidateTurns.check_choice(args.candidate_audio, args.typed, args.demo)  # before the profile opens
    with unlocked_profile(context, create_for=scenario.profession) as storage:  # before any slow work
        turns = practice.CandidateTurns.choose(context, scenario, args.candidate_audio, args.typed, args.demo,
                                               on_note=print)
        pace = "typed" if turns.typed is not None else "simulated clock" if args.fast else "real time"
        print(f"{scenario.title} ({scenario.profession.label}); {pace}\n")
        def saved(session_id: str, record: SessionRecord, bundle: Path | None) -> None:
            print(f"\nSaved in your profile as {session_id}")
            answered = [t for t in record.turns if t.candidate_text]
            if answered and turns.typed is None:
                latencies = sorted(t.latency.response * 1000 for t in answered)
                print(f"{len(answered)} turns; response latency median {latencies[len(latencies) // 2]:.0f} ms")
            if bundle is not None:
                print(f"Session bundle: {bundle}")

        run = practice.run_practice(context, storage, scenario, turns, args.phrasing, args.fast,
                                    TurnMode(args.turn_mode), args.out, on_turn=print, on_saved=saved)
    print_scores(run.report, run.session_id)
    return 0


def scenarios_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop scenarios list|show|validate`."""
    if args.scenarios_command == "validate":
        results = scenarios.validate(context, args.paths)
        for result in results:
            for line in result.errors:
                print(f"error: {line}")
            for line in result.warnings:
                print(f"warning: {line}")
        bad = sum(1 for r in results if not r.ok)
        print(f"{len(results) - bad} of {len(results)} scenario files are valid.")
        return 1 if bad else 0
    library = scenarios.load_library(context)
    if args.scenarios_command == "show":
        print(scenarios.cards(library, args.scenario_id, args.interlocutor))
        return 0
    for scenario in scenarios.find(library, args.profession, args.difficulty, args.search):
        level = "*" * (scenario.difficulty or 0)
        print(f"{scenario.id:<52} {scenario.profession.label:<22} {level:<3} {scenario.title}")
    for line in library.errors:
        print(f"error: {line}", file=sys.stderr)
    return 0

"""`oet-desktop bench practice`: response latency over real-time role-plays with the default models, and, when
the language model phrases moves, how many of its lines were said and how many were replaced by the card's."""

from __future__ import annotations

import platform
import statistics
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import psutil

from oet_desktop import __version__
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.practice.director import MoveKind
from oet_desktop.core.practice.headless import PracticeParts, demo_turns, run_headless, synthesise_turns
from oet_desktop.core.practice.realiser import phrasing_name
from oet_desktop.core.practice.record import TurnLatency, TurnRecord
from oet_desktop.core.system.hardware import cpu_description
from oet_desktop.core.tts.voice import PiperVoiceEngine


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (linear interpolation)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(turns: list[TurnRecord]) -> dict[str, dict[str, float]]:
    """p50/p95 (ms) of every latency stage over the candidate turns."""
    out: dict[str, dict[str, float]] = {}
    for stage in fields(TurnLatency):
        values = [getattr(t.latency, stage.name) for t in turns]
        present = [v * 1000 for v in values if v is not None]
        if present:
            out[stage.name] = {"p50_ms": round(percentile(present, 50), 1), "p95_ms": round(percentile(present, 95), 1),
                               "mean_ms": round(statistics.fmean(present), 1), "n": len(present)}
    return out


def phrasing_summary(turns: list[TurnRecord], kinds: frozenset[MoveKind]) -> dict[str, Any]:
    """Of the replies the language model was asked to phrase (moves of ``kinds``): how many of its lines were
    said ("accepted"), how many were replaced by the scripted line, the accepted share, and why (by rule)."""
    asked = [t for t in turns if t.move_kind in {kind.value for kind in kinds}]
    accepted = sum(1 for t in asked if t.reply_source == "llm")
    reasons: dict[str, int] = {}
    for turn in asked:
        if turn.reply_source != "llm" and turn.reply_rejection:
            rule = turn.reply_rejection.split(":", 1)[0]
            reasons[rule] = reasons.get(rule, 0) + 1
    return {"asked": len(asked), "accepted": accepted, "replaced": len(asked) - accepted,
            "accepted_share": round(accepted / len(asked), 3) if asked else None,
            "replaced_because": dict(sorted(reasons.items()))}


def run_practice_benchmark(scenarios: list[Scenario], parts: PracticeParts, voice: PiperVoiceEngine,
                           fast: bool = False) -> dict[str, Any]:
    """Real-time role-plays of the demo turns of each scenario; latency of every candidate turn. ``parts`` were
    built with a phrasing (``parts_from_engines(..., phrasing)``): the result names it and, unless it is
    "scripted", says what share of the language model's lines were said rather than replaced."""
    turns: list[TurnRecord] = []
    per_scenario: dict[str, int] = {}
    for scenario in scenarios:
        record = run_headless(scenario, synthesise_turns(voice, demo_turns(scenario)), parts, fast=fast)
        answered = [t for t in record.turns if t.candidate_text]
        turns.extend(answered)
        per_scenario[scenario.id] = len(answered)
    brand, _flags = cpu_description()
    stages = summarise(turns)
    return {
        "app_version": __version__,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"os": platform.platform(), "cpu": brand, "logical_cores": psutil.cpu_count()},
        "mode": "simulated clock" if fast else "real time",
        "models": parts.models,
        "phrasing": phrasing_name(parts.phrasing),
        "model_lines": phrasing_summary(turns, parts.phrasing),
        "turns": len(turns),
        "scenarios": per_scenario,
        "stages": stages,
        "targets_ms": {"response_p50": 1000, "response_p95": 1500, "processing_p50": 300},
        "moves": {kind: sum(1 for t in turns if t.move_kind == kind) for kind in sorted({t.move_kind for t in turns})},
    }

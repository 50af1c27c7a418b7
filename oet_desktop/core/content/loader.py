"""Load and validate scenario files (format version 1), with messages naming the file, key path and problem.

Every problem in a file is reported (not only the first), as ``FILE: KEY.PATH: problem``; a file with
errors is not loaded, and never stops other files from loading.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oet_desktop.core.content.scenario import (
    CandidateCard,
    Cue,
    CueKind,
    CueTrigger,
    Fact,
    InterlocutorCard,
    Move,
    Profession,
    Scenario,
    Task,
)

ID_PATTERN = re.compile(r"^[a-z0-9-]+$")
SEXES = ("male", "female", "other")
TOP_KEYS = {"format", "id", "profession", "title", "difficulty", "setting", "candidate", "interlocutor", "language"}
CANDIDATE_KEYS = {"role", "background", "tasks"}
TASK_KEYS = {"id", "text", "probes"}
INTERLOCUTOR_KEYS = {"role", "name", "age", "sex", "brief", "stance", "facts", "cues", "resolution"}
FACT_KEYS = {"id", "about", "say"}
CUE_KEYS = {"id", "when", "intent", "say"}
WHEN_KINDS = ("at", "after_task", "after_seconds", "after_turns")


@dataclass
class LoadResult:
    """The outcome of loading one file: a scenario, or the errors that stopped it (and any warnings)."""

    path: Path
    label: str
    scenario: Scenario | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file loaded."""
        return self.scenario is not None and not self.errors


class _Checker:
    """Walks the parsed YAML, recording problems against key paths."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, path: str, problem: str) -> None:
        self.errors.append(f"{self.label}: {path}: {problem}" if path else f"{self.label}: {problem}")

    def warn(self, path: str, problem: str) -> None:
        self.warnings.append(f"{self.label}: {path}: {problem}")

    def mapping(self, parent: dict[str, Any], key: str, path: str, required: bool = True) -> dict[str, Any] | None:
        value = parent.get(key)
        if value is None:
            if required:
                self.error(path, "missing")
            return None
        if not isinstance(value, dict):
            self.error(path, f"must be a mapping of keys, not {_kind(value)}")
            return None
        return value

    def text(self, parent: dict[str, Any], key: str, path: str, required: bool = True) -> str | None:
        value = parent.get(key)
        if value is None:
            if required:
                self.error(path, "missing")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(path, f"must be text, not {_kind(value)}")
            return None
        text = str(value).strip()
        if not text and required:
            self.error(path, "is empty")
            return None
        return text or None

    def sequence(self, parent: dict[str, Any], key: str, path: str, required: bool = True) -> list[Any] | None:
        value = parent.get(key)
        if value is None:
            if required:
                self.error(path, "missing")
            return None
        if not isinstance(value, list):
            self.error(path, f"must be a list, not {_kind(value)}")
            return None
        return value

    def unknown_keys(self, mapping: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in mapping:
            if key not in allowed:
                hint = _closest(str(key), allowed)
                self.warn(f"{path}.{key}" if path else str(key),
                          "unknown key, ignored" + (f" (did you mean {hint!r}?)" if hint else ""))

    def ident(self, parent: dict[str, Any], key: str, path: str) -> str | None:
        value = self.text(parent, key, path)
        if value is not None and not ID_PATTERN.match(value):
            self.error(path, f"{value!r} may only contain lower-case letters, digits and hyphens")
            return None
        return value


def _entries(check: _Checker, items: list[Any], path: str, keys: set[str], shape: str
             ) -> Iterator[tuple[str, dict[str, Any], str | None]]:
    """Each list entry that is a mapping, as (key path, entry, its id), after the checks every list shares:
    a mapping, no unknown keys, a valid id used once."""
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        if not isinstance(item, dict):
            check.error(where, f"must be a mapping with {shape}, not {_kind(item)}")
            continue
        check.unknown_keys(item, keys, where)
        item_id = check.ident(item, "id", f"{where}.id")
        if item_id in seen:
            check.error(f"{where}.id", f"{item_id!r} is used twice")
            item_id = None
        elif item_id:
            seen.add(item_id)
        yield where, item, item_id


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)


def _closest(key: str, allowed: set[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.7)
    return matches[0] if matches else None


def _sentences(text: str) -> int:
    cleaned = re.sub(r"\b(Mr|Mrs|Ms|Dr|St|e\.g|i\.e|etc)\.", r"\1", text)
    return len([s for s in re.split(r"[.!?]+(?:\s|$)", cleaned) if s.strip()])


def parse_scenario(raw: Any, label: str, path: Path | None = None) -> LoadResult:
    """Validate parsed YAML against format version 1 and build the :class:`Scenario`."""
    result = LoadResult(path or Path(label), label)
    check = _Checker(label)
    if not isinstance(raw, dict):
        check.error("", f"the file must be a mapping of keys (format, id, ...), not {_kind(raw)}")
        result.errors = check.errors
        return result
    check.unknown_keys(raw, TOP_KEYS, "")
    version = raw.get("format")
    if version is None:
        check.error("format", "missing")
    elif version != 1:
        check.error("format", f"version {version!r} is not supported (this app reads format 1)")
    scenario_id = check.ident(raw, "id", "id")
    profession = _profession(check, raw)
    title = check.text(raw, "title", "title")
    setting = check.text(raw, "setting", "setting")
    difficulty = raw.get("difficulty")
    if difficulty is not None and (isinstance(difficulty, bool) or difficulty not in (1, 2, 3)):
        check.error("difficulty", f"must be 1, 2 or 3, not {difficulty!r}")
        difficulty = None
    candidate = _candidate(check, raw)
    task_ids = {t.id for t in candidate.tasks} if candidate else _written_task_ids(raw)
    interlocutor = _interlocutor(check, raw, task_ids)
    lay_terms = _lay_terms(check, raw)
    result.errors, result.warnings = check.errors, check.warnings
    if check.errors or not (scenario_id and profession and title and setting and candidate and interlocutor):
        return result
    result.scenario = Scenario(
        id=scenario_id, profession=profession, title=title, setting=setting, candidate=candidate,
        interlocutor=interlocutor, difficulty=difficulty, lay_terms=lay_terms, source=label,
    )
    return result


def _written_task_ids(raw: dict[str, Any]) -> set[str]:
    """The task ids in the file even when the card has errors (so cues are not blamed for them)."""
    card = raw.get("candidate")
    tasks = card.get("tasks") if isinstance(card, dict) else None
    if not isinstance(tasks, list):
        return set()
    return {str(task["id"]) for task in tasks if isinstance(task, dict) and "id" in task}


def _profession(check: _Checker, raw: dict[str, Any]) -> Profession | None:
    value = check.text(raw, "profession", "profession")
    if value is None:
        return None
    try:
        return Profession(value)
    except ValueError:
        check.error("profession", f"{value!r} is not one of: {', '.join(p.value for p in Profession)}")
        return None


def _candidate(check: _Checker, raw: dict[str, Any]) -> CandidateCard | None:
    card = check.mapping(raw, "candidate", "candidate")
    if card is None:
        return None
    check.unknown_keys(card, CANDIDATE_KEYS, "candidate")
    role = check.text(card, "role", "candidate.role")
    background = check.text(card, "background", "candidate.background")
    if background and not 2 <= _sentences(background) <= 4:
        check.warn("candidate.background", f"has {_sentences(background)} sentences; a card has 2-4")
    tasks_raw = check.sequence(card, "tasks", "candidate.tasks")
    tasks: list[Task] = []
    if tasks_raw is not None:
        if not 3 <= len(tasks_raw) <= 6:
            check.error("candidate.tasks", f"has {len(tasks_raw)} items; a card has 3 to 6")
        for where, item, task_id in _entries(check, tasks_raw, "candidate.tasks", TASK_KEYS, "id and text"):
            text = check.text(item, "text", f"{where}.text")
            probes = _texts(check, item, "probes", f"{where}.probes", required=False)
            if task_id and text:
                tasks.append(Task(task_id, text, tuple(probes)))
    if role and background and tasks_raw is not None and len(tasks) == len(tasks_raw):
        return CandidateCard(role, background, tuple(tasks))
    return None


def _texts(check: _Checker, parent: dict[str, Any], key: str, path: str, required: bool) -> list[str]:
    items = check.sequence(parent, key, path, required)
    if items is None:
        return []
    out: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, str | int | float) and not isinstance(item, bool) and str(item).strip():
            out.append(str(item).strip())
        else:
            check.error(f"{path}[{index}]", "must be non-empty text")
    if required and not items:
        check.error(path, "is empty")
    return out


def _interlocutor(check: _Checker, raw: dict[str, Any], task_ids: set[str]) -> InterlocutorCard | None:
    card = check.mapping(raw, "interlocutor", "interlocutor")
    if card is None:
        return None
    check.unknown_keys(card, INTERLOCUTOR_KEYS, "interlocutor")
    role = check.text(card, "role", "interlocutor.role")
    name = check.text(card, "name", "interlocutor.name")
    brief = check.text(card, "brief", "interlocutor.brief")
    stance = check.text(card, "stance", "interlocutor.stance", required=False)
    age = card.get("age")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 120):
        check.error("interlocutor.age", f"must be a whole number of years, not {age!r}")
        age = None
    sex = card.get("sex")
    if sex is not None and sex not in SEXES:
        check.error("interlocutor.sex", f"must be one of {', '.join(SEXES)}, not {sex!r}")
        sex = None
    facts = _facts(check, card)
    cues = _cues(check, card, task_ids)
    resolution = _move(check, card, "resolution", "interlocutor.resolution")
    if not (role and name and brief and facts is not None and cues is not None and resolution):
        return None
    return InterlocutorCard(role, name, brief, tuple(facts), tuple(cues), resolution, age, sex, stance)


def _facts(check: _Checker, card: dict[str, Any]) -> list[Fact] | None:
    items = check.sequence(card, "facts", "interlocutor.facts")
    if items is None:
        return None
    facts: list[Fact] = []
    for where, item, fact_id in _entries(check, items, "interlocutor.facts", FACT_KEYS, "id, about and say"):
        about = _texts(check, item, "about", f"{where}.about", required=True)
        say = check.text(item, "say", f"{where}.say")
        if fact_id and about and say:
            facts.append(Fact(fact_id, tuple(about), say))
    return facts if len(facts) == len(items) else None


def _cues(check: _Checker, card: dict[str, Any], task_ids: set[str]) -> list[Cue] | None:
    items = check.sequence(card, "cues", "interlocutor.cues")
    if items is None:
        return None
    cues: list[Cue] = []
    for where, item, cue_id in _entries(check, items, "interlocutor.cues", CUE_KEYS, "id, when, intent and say"):
        trigger = _trigger(check, item, f"{where}.when", task_ids)
        intent = check.text(item, "intent", f"{where}.intent")
        say = check.text(item, "say", f"{where}.say")
        if cue_id and trigger and intent and say:
            cues.append(Cue(cue_id, trigger, intent, say))
    return cues if len(cues) == len(items) else None


def _trigger(check: _Checker, item: dict[str, Any], where: str, task_ids: set[str]) -> CueTrigger | None:
    when = check.mapping(item, "when", where)
    if when is None:
        return None
    forms = "{at: start} | {after_task: ID} | {after_seconds: N} | {after_turns: N}"
    if len(when) != 1 or next(iter(when)) not in WHEN_KINDS:
        check.error(where, f"must be exactly one of {forms}")
        return None
    kind, value = next(iter(when.items()))
    if kind == "at":
        if value != "start":
            check.error(f"{where}.at", f"only 'start' is allowed, not {value!r}")
            return None
        return CueTrigger(CueKind.START)
    if kind == "after_task":
        if value not in task_ids:
            known = ", ".join(sorted(task_ids)) or "none"
            check.error(f"{where}.after_task", f"{value!r} is not a task id of this card (tasks: {known})")
            return None
        return CueTrigger(CueKind.AFTER_TASK, task=str(value))
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        check.error(f"{where}.{kind}", f"must be a number of {'seconds' if 'seconds' in kind else 'turns'} ≥ 0")
        return None
    return CueTrigger(CueKind(kind), amount=float(value))


def _move(check: _Checker, card: dict[str, Any], key: str, where: str) -> Move | None:
    move = check.mapping(card, key, where)
    if move is None:
        return None
    check.unknown_keys(move, {"intent", "say"}, where)
    intent = check.text(move, "intent", f"{where}.intent")
    say = check.text(move, "say", f"{where}.say")
    return Move(intent, say) if intent and say else None


def _lay_terms(check: _Checker, raw: dict[str, Any]) -> dict[str, str]:
    language = check.mapping(raw, "language", "language", required=False)
    if language is None:
        return {}
    check.unknown_keys(language, {"lay_terms"}, "language")
    terms = check.mapping(language, "lay_terms", "language.lay_terms", required=False) or {}
    out: dict[str, str] = {}
    for term, lay in terms.items():
        if not isinstance(lay, str) or not lay.strip():
            check.error(f"language.lay_terms.{term}", "must be the lay wording as text")
            continue
        out[str(term)] = lay.strip()
    return out


def load_scenario_file(path: Path, label: str | None = None) -> LoadResult:
    """Read and validate one file; unreadable or invalid YAML becomes an error, never an exception."""
    label = label or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return LoadResult(path, label, errors=[f"{label}: cannot be read ({exc.__class__.__name__}: {exc})"])
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return LoadResult(path, label, errors=[f"{label}: {where}not valid YAML ({problem})"])
    return parse_scenario(raw, label, path)

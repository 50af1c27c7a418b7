"""Task coverage: which bullets of the candidate card the candidate dealt with, from sentence embeddings
compared with each task's text and probes, and the order in which they were taken."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oet_desktop.core.assessment.conversation import Utterance
from oet_desktop.core.assessment.discourse import sentences
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.embeddings.embedder import Embedder
from oet_desktop.core.practice.director import TASK_THRESHOLD

JUMP_GAP = 2
"""A return to a task counts as a jump when at least this many other tasks came up in between."""


@dataclass(frozen=True)
class TaskMatch:
    """A task with the candidate's closest sentence and its cosine similarity."""

    task_id: str
    text: str
    similarity: float
    sentence: str | None
    utterance: Utterance | None

    @property
    def covered(self) -> bool:
        """True when the closest sentence is similar enough to count."""
        return self.similarity >= TASK_THRESHOLD


@dataclass(frozen=True)
class Coverage:
    """Every task's match, and the order in which tasks came up."""

    tasks: tuple[TaskMatch, ...]
    sequence: tuple[str, ...]
    """The task each on-task sentence belongs to, in the order said (repeats collapsed)."""

    @property
    def share(self) -> float:
        """Share of tasks covered."""
        return sum(t.covered for t in self.tasks) / len(self.tasks) if self.tasks else 0.0

    @property
    def jumps(self) -> int:
        """How often the candidate jumped back to a task after two or more others had come up since (a brief
        return to finish a point, or a closing recap, is not disorganised)."""
        last: dict[str, int] = {}
        back = 0
        for index, task in enumerate(self.sequence):
            if task in last and len(set(self.sequence[last[task] + 1 : index])) >= JUMP_GAP and index < len(
                    self.sequence) - 1:
                back += 1
            last[task] = index
        return back


def measure_coverage(scenario: Scenario, utterances: list[Utterance], embedder: Embedder) -> Coverage:
    """Compare every candidate sentence with every task (text and probes)."""
    tasks = scenario.candidate.tasks
    said = [(s, u) for u in utterances for s in sentences(u.text) if len(s.split()) >= 3]
    if not said or not tasks:
        return Coverage(tuple(TaskMatch(t.id, t.text, 0.0, None, None) for t in tasks), ())
    texts = [[task.text, *task.probes] for task in tasks]
    owner = np.array([i for i, group in enumerate(texts) for _ in group])
    task_vectors = embedder.embed([t for group in texts for t in group])
    sentence_vectors = embedder.embed([s for s, _ in said])
    scores = sentence_vectors @ task_vectors.T  # sentences × task texts
    per_task = np.stack([scores[:, owner == i].max(axis=1) for i in range(len(tasks))], axis=1)
    matches = []
    for i, task in enumerate(tasks):
        best = int(np.argmax(per_task[:, i]))
        matches.append(TaskMatch(task.id, task.text, round(float(per_task[best, i]), 3), said[best][0], said[best][1]))
    sequence: list[str] = []
    for row in per_task:
        best_task = int(np.argmax(row))
        if row[best_task] >= TASK_THRESHOLD and (not sequence or sequence[-1] != tasks[best_task].id):
            sequence.append(tasks[best_task].id)
    return Coverage(tuple(matches), tuple(sequence))

"""Everyday and colloquial phrases with plain words for them ("spend a penny" → toilet), which the director adds
to a question before matching it against the card's facts: the sentence model does not know the idioms."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from oet_desktop.core.paths import project_root


def everyday_phrases_path() -> Path:
    """The project's list of everyday phrases (resources/lexicon/everyday-phrases.yaml)."""
    return project_root() / "resources" / "lexicon" / "everyday-phrases.yaml"


@functools.cache
def load_everyday_phrases(path: Path | None = None) -> dict[str, str]:
    """Everyday phrases (lower case) and plain words for them; empty if the file is absent. Callers must not
    change the mapping (it is shared)."""
    path = path or everyday_phrases_path()
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    phrases = raw.get("phrases", {}) if isinstance(raw, dict) else {}
    return {str(k).lower(): str(v) for k, v in phrases.items()}

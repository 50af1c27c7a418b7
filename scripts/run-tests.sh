#!/usr/bin/env bash
# Lint, type-check and run the whole test suite (real models, real audio path). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
.venv/bin/ruff check oet_desktop sync_server tests
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
.venv/bin/pytest --durations=30 "$@"

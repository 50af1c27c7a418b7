#!/usr/bin/env bash
# Build the one-folder app bundle (PyInstaller) and its versioned .tar.gz.
# Usage: scripts/build-bundle.sh [OUT_DIR]   (default dist/); needs `scripts/install.sh --dev` first
# (PYTHON=... picks another interpreter with the app and PyInstaller installed).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-dist}"
PYTHON="${PYTHON:-.venv/bin/python}"
VERSION="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("oet-desktop"))')"
ARCH="$(uname -m)"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN --distpath "$OUT" --workpath "$WORK" \
  packaging/oet-desktop.spec
echo "$VERSION" > "$OUT/oet-desktop/VERSION"
tar -C "$OUT" -cf - oet-desktop | gzip -1 > "$OUT/oet-desktop-$VERSION-linux-$ARCH.tar.gz"
echo "Bundle: $OUT/oet-desktop ($(du -sh "$OUT/oet-desktop" | cut -f1)); archive: $OUT/oet-desktop-$VERSION-linux-$ARCH.tar.gz ($(du -sh "$OUT/oet-desktop-$VERSION-linux-$ARCH.tar.gz" | cut -f1))"

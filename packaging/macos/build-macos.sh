#!/usr/bin/env bash
# The macOS .app and .dmg (run on a Mac; CI: .github/workflows/installers.yml). PyInstaller's BUNDLE step in
# packaging/oet-desktop.spec lays out "OET Speaking practice.app" (Contents/MacOS, Frameworks, Resources, the
# Info.plist with the microphone usage text). Apple Silicon builds of llama-cpp-python use Metal by default.
# Signing and notarisation need an Apple Developer ID: MACOS_SIGN_IDENTITY ("Developer ID Application: …") in a
# keychain the runner has unlocked, and NOTARY_PROFILE, a profile stored with `xcrun notarytool
# store-credentials` (the workflow does both from its secrets before calling this).
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION="$(python -c 'import importlib.metadata as m; print(m.version("oet-desktop"))')"
ARCH="$(uname -m)"
ICONSET="$(mktemp -d)/oet-desktop.iconset"; mkdir -p "$ICONSET"
for size in 16 32 128 256 512; do cp "packaging/icons/oet-desktop-$size.png" "$ICONSET/icon_${size}x${size}.png"; done
export OET_ICNS="$(dirname "$ICONSET")/oet-desktop.icns"
iconutil -c icns "$ICONSET" -o "$OET_ICNS"
python -m PyInstaller --noconfirm --distpath dist packaging/oet-desktop.spec
APP="dist/OET Speaking practice.app"
if [[ -n "${MACOS_SIGN_IDENTITY:-}" ]]; then
  # Hardened runtime with the microphone entitlement; every Mach-O inside is signed before the app itself.
  find "$APP/Contents" -type f -print0 | while IFS= read -r -d '' file; do
    if file -b "$file" | grep -q "Mach-O"; then
      codesign --force --timestamp --options runtime --sign "$MACOS_SIGN_IDENTITY" "$file"
    fi
  done
  codesign --force --timestamp --options runtime --entitlements packaging/macos/entitlements.plist \
    --sign "$MACOS_SIGN_IDENTITY" "$APP"
fi
"$APP/Contents/MacOS/oet-desktop" --version
DMG="dist/oet-desktop-$VERSION-macos-$ARCH.dmg"
hdiutil create -volname "OET Speaking practice" -srcfolder "$APP" -ov -format UDZO "$DMG"
if [[ -n "${NOTARY_PROFILE:-}" ]]; then
  xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$DMG"
fi
echo "Built $DMG"

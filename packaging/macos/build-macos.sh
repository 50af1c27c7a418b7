#!/usr/bin/env bash
# The macOS .app and .dmg (run on a Mac; CI: .github/workflows/installers.yml). Apple Silicon builds of
# llama-cpp-python use Metal by default. Signing and notarisation need an Apple Developer ID: set
# MACOS_SIGN_IDENTITY ("Developer ID Application: …") and a notarytool keychain profile in NOTARY_PROFILE.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION="$(python -c 'import importlib.metadata as m; print(m.version("oet-desktop"))')"
ARCH="$(uname -m)"
pyinstaller --noconfirm --distpath dist packaging/oet-desktop.spec
APP="dist/OET Speaking practice.app"
rm -rf "$APP"; mkdir -p "$APP/Contents/MacOS" "$APP/Contents/Resources"
cp -R dist/oet-desktop/. "$APP/Contents/MacOS/"
sed "s/@VERSION@/$VERSION/g" packaging/macos/Info.plist > "$APP/Contents/Info.plist"
ICONSET="$(mktemp -d)/oet-desktop.iconset"; mkdir -p "$ICONSET"
for size in 16 32 128 256 512; do cp "packaging/icons/oet-desktop-$size.png" "$ICONSET/icon_${size}x${size}.png"; done
iconutil -c icns "$ICONSET" -o "$APP/Contents/Resources/oet-desktop.icns"
if [[ -n "${MACOS_SIGN_IDENTITY:-}" ]]; then
  # Hardened runtime with the microphone entitlement; every nested library is signed first (--deep is deprecated).
  find "$APP/Contents/MacOS" -type f \( -name "*.dylib" -o -name "*.so" \) -exec \
    codesign --force --timestamp --options runtime --sign "$MACOS_SIGN_IDENTITY" {} +
  codesign --force --timestamp --options runtime --entitlements packaging/macos/entitlements.plist \
    --sign "$MACOS_SIGN_IDENTITY" "$APP"
fi
DMG="dist/oet-desktop-$VERSION-macos-$ARCH.dmg"
hdiutil create -volname "OET Speaking practice" -srcfolder "$APP" -ov -format UDZO "$DMG"
if [[ -n "${NOTARY_PROFILE:-}" ]]; then
  xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$DMG"
fi
echo "Built $DMG"

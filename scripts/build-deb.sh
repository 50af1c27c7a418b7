#!/usr/bin/env bash
# Package a built bundle (scripts/build-bundle.sh) as a .deb: the app under /opt/oet-desktop, a launcher on PATH,
# a desktop entry, hicolor icons and AppStream metainfo. Removing the package removes all of it and leaves the
# user's profile alone (erasing that is `oet-desktop profile erase`).
# Usage: scripts/build-deb.sh [BUNDLE_DIR] [OUT_DIR]   (defaults: dist/oet-desktop, dist/); DEB_GZIP_LEVEL=1..9
# trades size for build time (the CI test uses 1).
set -euo pipefail
umask 022
cd "$(dirname "$0")/.."
BUNDLE="${1:-dist/oet-desktop}"
OUT="${2:-dist}"
APP_ID="io.github.oetdesktop.OetDesktop"
VERSION="$(cat "$BUNDLE/VERSION")"
ARCH="$(dpkg --print-architecture)"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
chmod 755 "$STAGE"
# The bundle carries libraries built against this machine's C library: the package needs at least that glibc.
GLIBC="$(ldd --version | awk 'NR==1 {print $NF}')"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" "$STAGE/usr/share/metainfo" \
  "$STAGE/usr/share/doc/oet-desktop"
cp -a "$BUNDLE" "$STAGE/opt/oet-desktop"
cat > "$STAGE/usr/bin/oet-desktop" <<'LAUNCHER'
#!/bin/sh
exec /opt/oet-desktop/oet-desktop "$@"
LAUNCHER
chmod 755 "$STAGE/usr/bin/oet-desktop"
cp packaging/linux/$APP_ID.desktop "$STAGE/usr/share/applications/"
sed -e "s/@VERSION@/$VERSION/" -e "s/@DATE@/$(date -u +%Y-%m-%d)/" packaging/linux/$APP_ID.metainfo.xml \
  > "$STAGE/usr/share/metainfo/$APP_ID.metainfo.xml"
for png in packaging/icons/oet-desktop-*.png; do
  size="${png##*-}"; size="${size%.png}"
  mkdir -p "$STAGE/usr/share/icons/hicolor/${size}x${size}/apps"
  cp "$png" "$STAGE/usr/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
cat > "$STAGE/usr/share/doc/oet-desktop/copyright" <<'COPYRIGHT'
OET Speaking practice (oet-desktop). The bundled models and libraries keep their own licences; see
/opt/oet-desktop/_internal/*/LICENSE* and the model catalogue (oet_desktop/models/catalog.yaml).
COPYRIGHT
INSTALLED_KB="$(du -sk "$STAGE/opt" "$STAGE/usr" | awk '{s+=$1} END {print s}')"
# What the bundle still takes from the system: the C library, and the X11/Wayland, OpenGL/EGL, font and D-Bus
# libraries Qt's platform plugins load (PortAudio and libsndfile come inside the bundle).
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: oet-desktop
Version: $VERSION
Architecture: $ARCH
Maintainer: OET desktop team <noreply@oet-desktop.invalid>
Installed-Size: $INSTALLED_KB
Section: education
Priority: optional
Depends: libc6 (>= $GLIBC), libegl1, libgl1, libopengl0, libxkbcommon0, libxkbcommon-x11-0, libfontconfig1, libfreetype6, libdbus-1-3, libglib2.0-0, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-shape0, libxcb-randr0, libxcb-render-util0, libxcb-image0, libxcb-xkb1, libx11-xcb1
Recommends: pulseaudio | pipewire-pulse, gnome-keyring | kwalletmanager
Homepage: https://oet-desktop.invalid/
Description: Practise OET Speaking role-plays by voice with an AI patient, offline
 Rehearse the role-plays of the OET Speaking test with an AI patient that listens and answers aloud, then get
 feedback on the nine OET criteria. Speech recognition, the patient's voice and language model and the
 feedback all run on this computer; recordings and scores stay in an encrypted profile.
CONTROL
DEB="$OUT/oet-desktop_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zgzip -z"${DEB_GZIP_LEVEL:-6}" --build "$STAGE" "$DEB" >/dev/null
echo "Package: $DEB ($(du -sh "$DEB" | cut -f1), installs $((INSTALLED_KB / 1024)) MB)"

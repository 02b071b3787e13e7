#!/usr/bin/env bash
# Make dist/cxkiosk-VERSION.dmg from dist/cxkiosk.app (`pyinstaller build.spec` on macOS): the
# app and a link to /Applications, to drag it across. macOS only (hdiutil).
# Signing and notarisation are optional, each done when its variables are set (docs/INSTALLERS.md):
#   MACOS_SIGN_IDENTITY   "Developer ID Application: NAME (TEAMID)" in the keychain: signs the app
#                          (hardened runtime, installers/macos/entitlements.plist) and the dmg
#   NOTARY_APPLE_ID, NOTARY_TEAM_ID, NOTARY_PASSWORD (an app-specific password): notarises the
#                          dmg with notarytool and staples the ticket
# Usage: installers/macos/make-dmg.sh [VERSION]    (default: pyproject.toml's version)
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=${1:-$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)}
APP=dist/cxkiosk.app
DMG="dist/cxkiosk-$VERSION.dmg"
[ -d "$APP" ] || { echo "make-dmg: no $APP; run pyinstaller build.spec first" >&2; exit 1; }
/usr/libexec/PlistBuddy -c "Print :NSCameraUsageDescription" "$APP/Contents/Info.plist" >/dev/null ||
  { echo "make-dmg: $APP has no NSCameraUsageDescription: macOS would kill it on opening the camera" >&2; exit 1; }

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  # Inside out is what --deep gets wrong; PyInstaller already signed each binary ad hoc, so
  # re-sign every Mach-O file, then the bundle, with the hardened runtime notarisation requires.
  find "$APP/Contents" -type f \( -perm -u+x -o -name '*.so' -o -name '*.dylib' \) -print0 |
    xargs -0 -n 20 codesign --force --timestamp --options runtime \
      --entitlements installers/macos/entitlements.plist --sign "$MACOS_SIGN_IDENTITY"
  codesign --force --timestamp --options runtime --entitlements installers/macos/entitlements.plist \
    --sign "$MACOS_SIGN_IDENTITY" "$APP"
  codesign --verify --deep --strict --verbose=2 "$APP"
fi

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "cxkiosk $VERSION" -srcfolder "$STAGE" -ov -format UDZO "$DMG"

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$DMG"
fi
if [ -n "${NOTARY_APPLE_ID:-}" ]; then
  xcrun notarytool submit "$DMG" --apple-id "$NOTARY_APPLE_ID" --team-id "$NOTARY_TEAM_ID" \
    --password "$NOTARY_PASSWORD" --wait
  xcrun stapler staple "$DMG"
  xcrun stapler validate "$DMG"
fi
echo "make-dmg: $DMG"

#!/usr/bin/env bash
# Smoke-test a FROZEN cxkiosk (the program inside a built bundle, not the source), offscreen:
#   1. `cxkiosk check` exits 0 and finds the local age and gender networks
#   2. `cxkiosk --demo` targets the demo clip's visitor (the log says so)
#   3. the web view renders a page: an HTML slide plays (the log) and fills the screenshot (pixels)
# Exits non-zero on the first failure, naming it. Used by installers/build-linux.sh and by the
# Windows and macOS jobs of .github/workflows/installers.yml.
#
# Usage: installers/smoke.sh PATH/TO/cxkiosk[.exe]
#   PYTHON  a Python with OpenCV (requirements.txt) to read the screenshot (default: python3)
# QT_QPA_PLATFORM=offscreen: no screen needed. As root, QtWebEngine needs --no-sandbox (the
# kiosk sets it itself and logs it; set here too, so a failure is not that).
set -euo pipefail
PROGRAM=${1:?usage: installers/smoke.sh PATH/TO/cxkiosk}
PYTHON=${PYTHON:-python3}
[ -e "$PROGRAM" ] || { echo "smoke: no program at $PROGRAM" >&2; exit 1; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }
export QT_QPA_PLATFORM=offscreen
[ "$(id -u)" = 0 ] && export QTWEBENGINE_CHROMIUM_FLAGS="${QTWEBENGINE_CHROMIUM_FLAGS:---no-sandbox}"

SMOKE=$(mktemp -d)
trap 'rm -rf "$SMOKE"' EXIT
last_log() { tail -n 25 "$1/logs/cxkiosk.log" 2>/dev/null || true; }

step "check"
"$PROGRAM" check --no-network --nfc none --data-dir "$SMOKE/check" > "$SMOKE/check.out" 2>&1 ||
  { cat "$SMOKE/check.out"; fail "'cxkiosk check' exited non-zero"; }
cat "$SMOKE/check.out"
# The default privacy mode estimates age and gender locally: the bundle must carry the networks.
grep -q "local age/gender ready" "$SMOKE/check.out" ||
  fail "'cxkiosk check' did not find the local age and gender networks in the bundle"

step "--demo targets a visitor"
"$PROGRAM" --demo --windowed --nfc none --data-dir "$SMOKE/demo" --quit-after "${SMOKE_DEMO_SECONDS:-15}" > "$SMOKE/demo.out" 2>&1 ||
  { cat "$SMOKE/demo.out"; last_log "$SMOKE/demo"; fail "'cxkiosk --demo' exited non-zero"; }
grep -q "targeting 1 person" "$SMOKE/demo/logs/cxkiosk.log" && grep -q "loading targeted item" "$SMOKE/demo/logs/cxkiosk.log" ||
  { last_log "$SMOKE/demo"; fail "the demo's visitor was not targeted within ${SMOKE_DEMO_SECONDS:-15} s"; }
grep -E "targeting|targeted item|playing item" "$SMOKE/demo/logs/cxkiosk.log" | head -4

step "the web view renders an HTML slide"
mkdir -p "$SMOKE/web/media/smoke"
cat > "$SMOKE/web/media/smoke/index.html" <<'HTML'
<!doctype html><html><head><meta charset="utf-8"></head>
<body style="margin:0;height:100vh;background:#1e8c5a;color:#fff;font:64px sans-serif;display:flex;align-items:center;justify-content:center">
<p>frozen build smoke test</p></body></html>
HTML
cat > "$SMOKE/slide.json" <<'JSON'
{"format": "cxkiosk-content", "version": 1, "items": [{"title": "Smoke slide", "kind": "slide",
 "path": "smoke/index.html", "url": "https://www.example.com/smoke", "duration": 60, "idle": true}]}
JSON
"$PROGRAM" content import "$SMOKE/slide.json" --data-dir "$SMOKE/web" --db "$SMOKE/web/smoke.db" ||
  fail "'cxkiosk content import' of the smoke slide failed"
"$PROGRAM" --windowed --nfc none --source none --data-dir "$SMOKE/web" --db "$SMOKE/web/smoke.db" \
  --screenshot "$SMOKE/web.png" --quit-after 8 > "$SMOKE/web.out" 2>&1 ||
  { cat "$SMOKE/web.out"; last_log "$SMOKE/web"; fail "the slide run exited non-zero"; }
grep -q "playing item 1 'Smoke slide'" "$SMOKE/web/logs/cxkiosk.log" ||
  { last_log "$SMOKE/web"; fail "the HTML slide never loaded in the web view"; }
# The slide's green must fill most of the screenshot: Chromium drew it (a page that loaded but
# did not render, the fallback slide or a black window all fail here).
"$PYTHON" - "$SMOKE/web.png" <<'PY' || fail "the screenshot does not show the slide"
import sys
import cv2
image = cv2.imread(sys.argv[1])
if image is None:
    sys.exit(f"{sys.argv[1]} is not an image")
b, g, r = image[..., 0].astype(int), image[..., 1].astype(int), image[..., 2].astype(int)
green = ((abs(r - 0x1e) < 24) & (abs(g - 0x8c) < 24) & (abs(b - 0x5a) < 24)).mean()
print(f"slide colour on {green:.0%} of the screenshot")
sys.exit(0 if green > 0.5 else 1)
PY
echo "smoke: all checks passed"

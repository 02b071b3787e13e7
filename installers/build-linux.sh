#!/usr/bin/env bash
# Build the Linux onedir bundle with build.spec, measure it, check that every bundled library's
# link-time dependencies resolve (ldd: nothing "not found"), then smoke-test the FROZEN program
# (installers/smoke.sh: check, --demo, the web view). Exits non-zero on the first failure.
#
# Usage: installers/build-linux.sh [--no-build] [--max-mb N]
#   PYTHON   a Python with requirements.txt and requirements-build.txt (default: .venv/bin/python)
#   DIST, WORK  PyInstaller's --distpath/--workpath (default: dist/, build/; both in .gitignore)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
DIST=${DIST:-dist}
WORK=${WORK:-build}
MAX_MB=670  # measured 647 MB (docs/INSTALLERS.md): a guard against regrowth
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --max-mb) MAX_MB=$2; shift ;;
    *) echo "build-linux: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

fail() { echo "build-linux: FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }

BUNDLE="$DIST/cxkiosk"
PROGRAM="$BUNDLE/cxkiosk"
if [ "$BUILD" = 1 ]; then
  step "build ($PYTHON -m PyInstaller build.spec)"
  start=$(date +%s)
  "$PYTHON" -m PyInstaller build.spec --noconfirm --log-level WARN --distpath "$DIST" --workpath "$WORK"
  echo "built in $(( $(date +%s) - start )) s"
fi
[ -x "$PROGRAM" ] || fail "no program at $PROGRAM (build first, or drop --no-build)"

step "size"
du -sh "$BUNDLE"
echo "largest files:"
find "$BUNDLE" -type f -printf '%s %P\n' | sort -rn | head -15 |
  awk '{ printf "  %6.1f MB  %s\n", $1 / 1048576, $2 }'
mb=$(du -sm "$BUNDLE" | cut -f1)
[ "$mb" -le "$MAX_MB" ] || fail "the bundle is $mb MB, over the $MAX_MB MB budget"

step "libraries resolve"
missing=$(find "$BUNDLE" -type f \( -name '*.so*' -o -name cxkiosk -o -name QtWebEngineProcess \) \
  -exec sh -c 'for f; do ldd "$f" 2>/dev/null | grep "not found" | sed "s|^|$f: |"; done' sh {} + | sort -u)
[ -z "$missing" ] || fail "bundled files link libraries that are neither bundled nor on this system:
$missing"
echo "ok"

PYTHON="$PYTHON" bash installers/smoke.sh "$PROGRAM"

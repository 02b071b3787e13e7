"""What build.spec leaves out of the bundle, as rules on each file's place in it (the same on
Linux, Windows and macOS), plus the libraries that only the left-out files needed.

Loaded by path from build.spec and tests/test_installers.py (this folder is no package: a
top-level `packaging/` would shadow the PyPA library PyInstaller imports, hence `installers/`).
Sizes saved, measured on Linux, are in docs/INSTALLERS.md.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable

# Qt plugin folders the kiosk never loads: QML debugging, geolocation (pages get no location),
# printing (nothing prints), the GTK theme (it drags in GTK 3, cairo, pango and friends; Qt's own
# style is what a fullscreen kiosk shows), PDF images, and the plugin kinds of the Qt modules
# excluded in build.spec (SQL, Designer, 3D, sensors, text to speech, maps, CAN bus, web view).
UNUSED_PLUGINS = (
    "qmltooling", "position", "printsupport", "sqldrivers", "designer", "sceneparsers",
    "geometryloaders", "renderers", "renderplugins", "assetimporters", "texttospeech", "sensors",
    "geoservices", "canbus", "webview", "virtualkeyboard", "qmllint",
)
# platformthemes/ (GTK 3), imageformats/ (PDF), platforminputcontexts/ (Qt Virtual Keyboard: it
# is QML, which the bundle has none of, so it could not work anyway).
UNUSED_PLUGIN_FILES = ("*qgtk3*", "*qpdf*", "*qtvirtualkeyboard*")

# Languages the kiosk ships (its captions can be Japanese). It installs no QTranslator today, so
# Qt's .qm files are loaded by nothing; the en/ja ones (under 2 MB) stay for Qt's own dialogs
# (the admin panel's file picker) once one is installed. Chromium's locale packs are loaded:
# the system language's, else en-US.
LANGUAGES = ("en", "ja")
CHROMIUM_LOCALES = ("en-US", "ja")

# Chromium's developer tools: the kiosk's web views have none (README: "no dev tools").
UNUSED_RESOURCES = ("qtwebengine_devtools_resources.pak",)


def _parts(dest: str) -> list[str]:
    return dest.replace("\\", "/").split("/")


def keep(dest: str) -> bool:
    """Whether the file at `dest` (its path inside the bundle) stays in the bundle."""
    parts = _parts(dest)
    if not parts or parts[0] != "PySide6":
        return True  # only Qt's files are trimmed here; ours, OpenCV's, numpy's... all stay
    name = parts[-1]
    if "qml" in parts[:-1]:
        return False  # QML imports: the kiosk is QtWidgets; WebEngine needs libQt6Quick, not qml/
    if "plugins" in parts:
        kind = parts[parts.index("plugins") + 1] if parts.index("plugins") + 1 < len(parts) else ""
        if kind in UNUSED_PLUGINS:
            return False
        return not any(fnmatch.fnmatch(name, pattern) for pattern in UNUSED_PLUGIN_FILES)
    if "qtwebengine_locales" in parts:
        return name in {f"{locale}.pak" for locale in CHROMIUM_LOCALES}
    if "translations" in parts and name.endswith(".qm"):
        return any(name.endswith(f"_{lang}.qm") for lang in LANGUAGES)
    return name not in UNUSED_RESOURCES


def file_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/"))
    return base.lower() if os.name == "nt" else base


def only_needed_by(dropped: Iterable[str], kept: Iterable[str], libraries: dict[str, str],
                   imports: Callable[[str], Iterable[str]]) -> set[str]:
    """Libraries (by file name) that the dropped files need, directly or not, and nothing kept
    needs: left in, they would be dead weight (the GTK theme's GTK, the printing plugin's CUPS).

    `libraries` maps a bundled library's file name to its source path; `imports(path)` gives
    the names a binary links against. A library that a kept file only loads with dlopen and a
    dropped one links would be pruned: none is today (the frozen smoke test would fail).
    """
    def closure(roots: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            for name in imports(todo.pop()):
                base = file_name(name)
                if base in libraries and base not in seen:
                    seen.add(base)
                    todo.append(libraries[base])
        return seen

    candidates = closure(dropped)
    # What is kept and no dropped file links (a Python extension, a plugin, a helper program, a
    # library collected for itself) roots what stays.
    roots = [path for path in kept if file_name(path) not in candidates]
    return candidates - closure(roots)

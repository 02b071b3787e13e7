"""The house rules that keep the code easy to change, checked on every run."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUI_MODULES = ("PySide6.QtWidgets", "PySide6.QtGui", "PySide6.QtWebEngineWidgets", "PySide6.QtWebEngineCore",
               "PySide6.QtMultimedia", "PySide6.QtCharts", "ui")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_no_widgets_and_qtcore_only_in_runtime():
    offenders = []
    for path in (ROOT / "cxkiosk").rglob("*.py"):
        rel = path.relative_to(ROOT)
        for name in _imports(path):
            if any(name == g or name.startswith(g + ".") for g in GUI_MODULES):
                offenders.append(f"{rel}: {name}")
            if name.startswith("PySide6") and "runtime" not in rel.parts:
                offenders.append(f"{rel}: {name} (Qt outside cxkiosk/runtime)")
    assert offenders == []


@pytest.mark.skipif(shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
                    reason="ruff not installed")
def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run([ruff, "check", "--no-cache", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]

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


# The chain, in order: a stage imports only the stages before it (and itself). The values and
# settings every stage may use come first; the runtime wires stages; commands drive them.
STAGES = {
    "values": 0, "attributes": 0, "links": 0, "cells": 0, "storage": 0, "config": 0, "resources": 0,
    "log": 0, "memory": 0, "pin": 0, "first_run": 0, "period": 0, "consent": 0,
    # fleet beside content: the database opens with its password, its sync uses the database
    "sensing": 1, "profiling": 2, "content": 3, "fleet": 3,
    "push": 4, "captions": 4, "report": 5, "uplift": 5, "report_html": 5, "report_text": 5, "counting": 5,
    "runtime": 6, "supervisor": 6, "autostart": 6, "commands": 7,
}


def test_the_values_import_no_stage():
    """values.py (and the two policies it validates with) is what every stage may import, so it
    must not pull any stage in with it."""
    allowed = {"cxkiosk.attributes", "cxkiosk.links"}
    offenders = [f"{name}: imports {imported}"
                 for name in ("values", "attributes", "links")
                 for imported in _imports(ROOT / "cxkiosk" / f"{name}.py")
                 if imported.startswith("cxkiosk") and imported not in allowed]
    assert offenders == []


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "cxkiosk" else None


def test_the_core_reads_as_the_chain_and_imports_only_backwards():
    offenders = []
    for path in (ROOT / "cxkiosk").rglob("*.py"):
        rel = path.relative_to(ROOT)
        module = ".".join(rel.with_suffix("").parts)
        mine = _stage(module)
        if mine in (None, "__init__"):
            continue
        if mine not in STAGES:
            offenders.append(f"{rel}: not in a stage (add it to STAGES or move it into one)")
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                if node.module == "cxkiosk":
                    names += [f"cxkiosk.{alias.name}" for alias in node.names]
            for name in names:
                theirs = _stage(name)
                if theirs in STAGES and STAGES[theirs] > STAGES[mine]:
                    offenders.append(f"{rel} ({mine}) imports {name} ({theirs}, a later stage)")
    assert offenders == []


@pytest.mark.skipif(shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
                    reason="ruff not installed")
def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run([ruff, "check", "--no-cache", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_no_widget_builds_a_database_query():
    """The admin panel goes through the content API (cxkiosk.content.library) and the database
    and records modules' functions; a query written in a widget is a rule the core can no longer enforce."""
    import re

    query = re.compile(r"\b(Content|Prompt|PlayLog|AudienceLog|TapLog)\.(select|update|delete|create|"
                       r"insert|get|get_or_none|get_by_id)\(")
    offenders = [f"{path.relative_to(ROOT)}: {m.group(0)}" for path in (ROOT / "ui").rglob("*.py")
                 for m in query.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.mark.skipif(shutil.which("mypy") is None and not (Path(sys.executable).parent / "mypy").exists(),
                    reason="mypy not installed")
def test_mypy_clean():
    """The core type-checks with the config in pyproject.toml (peewee's tuple rows in one place)."""
    mypy = shutil.which("mypy") or str(Path(sys.executable).parent / "mypy")
    result = subprocess.run([mypy], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:]


# Names the kiosk gives objects that live on a worker thread (cxkiosk/runtime/threads.py Worker).
WORKER_NAMES = ("worker", "runtime", "capture", "purger", "captions", "classifier", "fleet_thread")


def test_no_lambda_is_connected_to_a_workers_signal():
    """A lambda or partial connected to a signal of an object on a worker thread runs on that
    thread (PySide takes the sender for its context): one that touched a widget crashed the kiosk.
    Connect a bound method of the receiving object, which Qt queues to that object's thread.
    A lambda that means to run on the worker says so: `# worker thread: no widgets`."""
    found = []
    for path in [*ROOT.joinpath("ui").rglob("*.py"), *ROOT.joinpath("cxkiosk", "runtime").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "connect" and node.args):
                continue
            target = node.args[0]
            is_functor = isinstance(target, ast.Lambda) or (
                isinstance(target, ast.Call) and getattr(target.func, "id", getattr(target.func, "attr", ""))
                == "partial")
            signal = node.func.value  # e.g. runtime.captions.written
            owner = ast.unparse(signal.value) if isinstance(signal, ast.Attribute) else ""
            on_worker = any(part in WORKER_NAMES or part.endswith("worker") for part in owner.split("."))
            if is_functor and on_worker and "worker thread: no widgets" not in lines[node.lineno - 1]:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not found, "lambdas on worker signals run on the worker thread:\n" + "\n".join(found)

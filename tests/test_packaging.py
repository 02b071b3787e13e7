"""What `pip install .` gives a user: a wheel with the code, the shipped files and a working
`cxkiosk` command, found from any folder; and lock files that pin every declared requirement,
with hashes, which is what the README's set-up installs."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from cxkiosk import resources

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SHIPPED = f"cxkiosk/{resources.WHEEL_FOLDER}"
NOT_SOURCE = ("__pycache__", ".pyc")


def _tree(folder: str) -> set[str]:
    """The checkout's files under `folder`, as paths relative to the root (caches left out)."""
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*")
            if p.is_file() and not any(mark in p.as_posix() for mark in NOT_SOURCE)}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the checkout: setuptools leaves build/ in the tree it
    builds, and a stale build/ would carry a deleted file into the next wheel."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", ".*_cache", ".hypothesis", "shot*.png"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(source), "-w", str(work)],
                   check=True, capture_output=True, timeout=240)
    (wheel,) = work.glob("cxkiosk-*.whl")
    return wheel


@pytest.fixture(scope="module")
def names(built: Path) -> set[str]:
    with zipfile.ZipFile(built) as wheel:
        return set(wheel.namelist())


def test_the_wheel_holds_every_module_and_nothing_but_the_program(names):
    code = _tree("cxkiosk") | _tree("ui")
    assert code - names == set()  # a subpackage missing from pyproject's list shows here
    tops = {name.split("/")[0] for name in names}
    assert tops == {"cxkiosk", "ui", f"cxkiosk-{PROJECT['version']}.dist-info"}  # no tests/, bench/, docs/
    assert not [name for name in names if any(mark in name for mark in NOT_SOURCE)]


def test_the_wheel_carries_the_shipped_files_byte_for_byte(built, names):
    shipped = _tree("resources") | {"content.db"}
    assert {f"{SHIPPED}/{name}" for name in shipped} <= names
    with zipfile.ZipFile(built) as wheel:
        for name in ("content.db", "resources/models/face_detection_yunet_2026may.onnx",
                     "resources/models/age_calibration.json", "resources/demo/visitor.mp4"):
            assert wheel.read(f"{SHIPPED}/{name}") == (ROOT / name).read_bytes(), name


def test_the_wheel_declares_the_cxkiosk_command(built):
    with zipfile.ZipFile(built) as wheel:
        entry_points = wheel.read(f"cxkiosk-{PROJECT['version']}.dist-info/entry_points.txt").decode()
    parsed = configparser.ConfigParser()
    parsed.read_string(entry_points)
    assert dict(parsed["console_scripts"]) == {"cxkiosk": "ui.main:main"}


def test_the_installed_command_finds_its_files_from_any_folder(built, tmp_path):
    """Installed (without the dependencies, which this venv has) into a folder of its own, and
    run from a folder that is not the checkout: only the wheel's own files can answer."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(built)], check=True, capture_output=True, timeout=120)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "from cxkiosk.resources import install_root, resource, shipped_db;"
         "print(install_root()); print(resource('player.html').is_file(), shipped_db().is_file())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.split() == [str(target / SHIPPED), "True", "True"], where.stderr
    command = target / "bin" / ("cxkiosk.exe" if os.name == "nt" else "cxkiosk")
    check = subprocess.run([str(command), "check", "--no-network", "--json", "--source", "none",
                            "--data-dir", str(tmp_path / "data")],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=90)
    assert check.returncode == 0, check.stdout + check.stderr
    results = {c["name"]: c for c in json.loads(check.stdout)}
    # The shipped content was copied from the wheel's content.db; YuNet and the age and gender
    # networks (the default privacy mode estimates locally) were found in its models.
    assert results["database"]["ok"] and int(re.search(r"(\d+) items", results["database"]["detail"])[1]) > 0
    assert results["faces"]["ok"] and "YuNet" in results["faces"]["detail"], results["faces"]
    assert "local age/gender ready" in results["faces"]["detail"], results["faces"]


def test_install_root_in_a_checkout_and_in_a_pyinstaller_bundle(monkeypatch, tmp_path):
    assert resources.install_root() == ROOT
    assert resources.shipped_db() == ROOT / "content.db"
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)  # build.spec's datas land here
    assert resources.resource("player.html") == tmp_path / "resources" / "player.html"


# --- the lock files ---

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


def _pins(lock: str) -> dict[str, list[str]]:
    """name -> its pinned versions (one per Python version where markers split it); each pin must
    carry hashes, as pip's --require-hashes wants."""
    pins: dict[str, list[str]] = {}
    hashes: dict[tuple[str, str], int] = {}
    current = ("", "")
    for line in (ROOT / lock).read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            current = (canonicalize_name(match["name"]), match["version"])
            pins.setdefault(current[0], []).append(current[1])
            hashes[current] = 0
        elif line.strip().startswith("--hash=sha256:"):
            hashes[current] += 1
        elif line.strip() and not line.lstrip().startswith("#"):
            pytest.fail(f"{lock}: unexpected line {line!r}")
    assert [pin for pin, count in hashes.items() if count == 0] == []
    return pins


LOCKS = {
    "requirements.lock": PROJECT["dependencies"],
    "requirements-test.lock": PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"],
}


@pytest.mark.parametrize("lock", LOCKS)
def test_the_lock_pins_every_declared_requirement_within_its_range_with_hashes(lock):
    pins = _pins(lock)
    for line in LOCKS[lock]:
        wanted = Requirement(line)
        versions = pins.get(canonicalize_name(wanted.name), [])
        assert versions, f"{lock} does not pin {wanted.name}: run bash .ci/lock"
        assert all(wanted.specifier.contains(v, prereleases=True) for v in versions), (wanted, versions)


def test_the_tests_run_on_the_versions_that_ship():
    runtime, tested = _pins("requirements.lock"), _pins("requirements-test.lock")
    assert {name: tested.get(name) for name in runtime} == runtime


@pytest.mark.parametrize(("requirements", "lock"), [("requirements.txt", "requirements.lock"),
                                                    ("requirements-test.txt", "requirements-test.lock")])
def test_the_readme_set_up_installs_the_lock_and_nothing_unpinned(requirements, lock):
    lines = {line.strip() for line in (ROOT / requirements).read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")}
    assert lines == {"--require-hashes", f"-r {lock}"}

"""`make` picks a Python the course supports (tools/pick-python), with stub
interpreters on a fake PATH: no network, no real venv."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

REPO = Path(__file__).resolve().parents[1]
PICK = REPO / "tools" / "pick-python"
MAKE = shutil.which("make")


def _requires_python() -> SpecifierSet:
    text = (REPO / "pyproject.toml").read_text()
    if tomllib is not None:
        return SpecifierSet(tomllib.loads(text)["project"]["requires-python"])
    return SpecifierSet(re.search(r'^requires-python\s*=\s*"([^"]+)"', text, re.M).group(1))


@pytest.fixture
def fake_path(tmp_path):
    """A PATH with only the stubs written by ``add`` and the few tools the script uses."""
    stubs = tmp_path / "stubs"
    tools = tmp_path / "tools"
    stubs.mkdir()
    tools.mkdir()
    for tool in ("awk", "id", "sh"):
        found = shutil.which(tool)
        if found:
            (tools / tool).symlink_to(found)

    def add(name, version=None, works=True):
        """A stub interpreter answering ``-c`` with its version (or failing, like a dead pyenv shim)."""
        body = f'echo "{version}"' if works else 'echo "pyenv: command not found" >&2; exit 127'
        (stubs / name).write_text(f"#!/bin/sh\n{body}\n")
        (stubs / name).chmod(0o755)
        return str(stubs / name)

    add.path = f"{stubs}{os.pathsep}{tools}"
    return add


def _pick(fake_path, *args):
    env = {"PATH": fake_path.path, "HOME": os.environ.get("HOME", "/")}
    return subprocess.run(["/bin/sh", str(PICK), *args], env=env, capture_output=True, text=True, timeout=30)


def test_the_script_admits_exactly_the_versions_of_requires_python():
    text = PICK.read_text()
    low = re.search(r"^MIN=(\d+\.\d+)$", text, re.M).group(1)
    high = re.search(r"^MAX=(\d+\.\d+)$", text, re.M).group(1)
    spec = _requires_python()
    admitted = {f"3.{m}" for m in range(0, 30) if f"3.{m}.0" in spec}
    lo, hi = int(low.split(".")[1]), int(high.split(".")[1])
    assert admitted == {f"3.{m}" for m in range(lo, hi + 1)}
    # The one line printed when nothing fits names the same versions.
    names = ", ".join(sorted(admitted, key=lambda v: int(v.split(".")[1])))
    assert names.rsplit(", ", 1)[0] + " or " + names.rsplit(", ", 1)[1] in text


def test_python3_is_used_when_supported(fake_path):
    fake_path("python3", "3.11")
    fake_path("python3.13", "3.13")
    out = _pick(fake_path)
    assert out.returncode == 0 and out.stdout.strip() == "python3"


@pytest.mark.parametrize("python3", ["3.9", "3.14", None])
def test_newest_supported_versioned_name_when_python3_is_not_one(fake_path, python3):
    if python3:
        fake_path("python3", python3)
    fake_path("python3.14", "3.14")
    fake_path("python3.13", works=False)   # a shim whose version is not installed
    fake_path("python3.12", "3.12")
    fake_path("python3.10", "3.10")
    out = _pick(fake_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "python3.12"


def test_none_supported_says_in_one_line_what_works_and_how_to_get_it(fake_path):
    fake_path("python3", "3.9")
    fake_path("python3.8", "3.8")
    out = _pick(fake_path)
    assert out.returncode == 1 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "python3 is 3.9" in lines[0]
    assert "3.10, 3.11, 3.12 or 3.13" in lines[0]
    assert "PYTHON=" in lines[0] and "install" in lines[0]


def test_explicit_python_is_checked_too(fake_path):
    good = fake_path("mypython", "3.13")
    old = fake_path("oldpython", "3.8")
    assert _pick(fake_path, good).stdout.strip() == good
    out = _pick(fake_path, old)
    assert out.returncode == 1 and "is 3.8" in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
def test_make_lab_installs_the_lock_into_a_venv_made_with_the_picked_python(fake_path, tmp_path):
    venv = tmp_path / "venv"
    env = {"PATH": fake_path.path, "HOME": os.environ.get("HOME", "/")}
    dry = subprocess.run([MAKE, "-n", "-C", str(REPO), f"VENV={venv}", "lab"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "tools/pick-python" in dry.stdout
    assert "pip install --quiet -r requirements.lock" in dry.stdout
    assert "--no-deps -e ." in dry.stdout
    assert "requirements-dev.lock" not in dry.stdout   # students get no test tools
    dry_test = subprocess.run([MAKE, "-n", "-C", str(REPO), f"VENV={venv}", "test"], env=env,
                              capture_output=True, text=True, timeout=60)
    assert "pip install --quiet -r requirements-dev.lock" in dry_test.stdout

    # For real, up to the venv: the picked stub "creates" nothing, so pip then fails.
    fake_path("python3", "3.9")
    fake_path("python3.12", "3.12")
    run = subprocess.run([MAKE, "-C", str(REPO), f"VENV={venv}", "lab"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert f"python3.12 -m venv {venv}" in run.stdout
    assert run.returncode != 0


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
def test_make_without_a_supported_python_stops_with_the_one_line(fake_path, tmp_path):
    fake_path("python3", "3.9")
    env = {"PATH": fake_path.path, "HOME": os.environ.get("HOME", "/")}
    run = subprocess.run([MAKE, "-C", str(REPO), f"VENV={tmp_path / 'venv'}", "lab"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "No supported Python found (python3 is 3.9)" in run.stderr
    assert "pip install" not in run.stdout
    assert not (tmp_path / "venv").exists()

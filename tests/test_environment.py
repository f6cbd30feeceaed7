"""The environment is reproducible and the student's entry point works.

The locks (requirements.lock, requirements-dev.lock) pin what pyproject.toml
allows, for every Python version it admits; environment.yml installs the same
lock. JupyterLab starts on lessons/ with nbgrader's extension: this is what
`make lab` runs through tools/lab (minus opening a browser); the check is the one
a person would do: the server answers /api/status on loopback (slow: marked so).
tests/test_browser.py drives that lab in a real browser.
"""
import json
import os
import platform
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from lab_server import BIN, REPO, free_port
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version


def _env():
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.slow
def test_nbgrader_lab_extension_is_enabled_and_ok():
    out = subprocess.run([str(BIN / "jupyter"), "labextension", "list"], env=_env(),
                         capture_output=True, text=True, timeout=120)
    text = out.stdout + out.stderr
    line = next((row for row in text.splitlines() if "@jupyter/nbgrader" in row), "")
    assert "enabled" in line and "OK" in line, text


@pytest.mark.slow
def test_jupyterlab_starts_on_lessons_and_answers_api_status(tmp_path):
    port = free_port()
    # tools/lab: what `make lab` runs (on lessons/, the student's config, --allow-root as root).
    cmd = [str(REPO / "tools" / "lab"), "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.open_browser=False"]
    env = _env()
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and status is None:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited early: {proc.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2) as r:
                    status = json.load(r)
            except OSError:
                time.sleep(0.5)
        assert status is not None, "JupyterLab did not answer /api/status within 90 s"
        assert "started" in status
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5) as r:
            names = {item["name"] for item in json.load(r)["content"]}
        lessons = {p.name for p in (REPO / "lessons").iterdir() if p.is_dir()}
        assert lessons <= names
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# ---------------------------------------------------------------- the locks

LOCK = REPO / "requirements.lock"
DEV_LOCK = REPO / "requirements-dev.lock"
LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)\s*(?:;\s*(.+?))?\s*$")


def _pyproject():
    text = (REPO / "pyproject.toml").read_text()
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: pyproject.toml is simple enough for a regex
        def block(name):
            return re.search(rf"^{name} = \[(.*?)^\]", text, re.M | re.S).group(1)
        deps = re.findall(r'^\s*"([^"]+)"', block("dependencies"), re.M)
        dev = re.findall(r'^\s*"([^"]+)"', block("dev"), re.M)
        spec = re.search(r'^requires-python = "([^"]+)"', text, re.M).group(1)
        return spec, deps, dev
    project = tomllib.loads(text)["project"]
    return project["requires-python"], project["dependencies"], project["optional-dependencies"]["dev"]


REQUIRES_PYTHON, DEPENDENCIES, DEV_DEPENDENCIES = _pyproject()
PYTHONS = [f"3.{m}" for m in range(6, 30) if f"3.{m}.0" in SpecifierSet(REQUIRES_PYTHON)]


def _linux(python, full=None):
    """The marker environment of CPython ``python`` (e.g. "3.12"; ``full`` "3.12.4",
    default "3.12.0") on Linux x86_64."""
    return {"python_version": python, "python_full_version": full or f"{python}.0",
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
            "platform_machine": "x86_64", "platform_release": "", "platform_version": "",
            "implementation_version": f"{python}.0", "extra": ""}


def _pins(path, python, full=None):
    """{name: Version} of the lock's lines that apply to ``python`` on Linux x86_64."""
    pins = {}
    for line in path.read_text().splitlines():
        match = LINE.match(line)
        if not match:
            continue
        name, version, marker = match.groups()
        if marker and not Marker(marker).evaluate(_linux(python, full)):
            continue
        name = canonicalize_name(name)
        assert name not in pins, f"{path.name}: two pins of {name} for Python {python}"
        pins[name] = Version(version)
    return pins


def test_requires_python_admits_every_version_tensorflow_has_wheels_for():
    assert PYTHONS == ["3.10", "3.11", "3.12", "3.13"]


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("lock,requirements", [(LOCK, DEPENDENCIES),
                                               (DEV_LOCK, DEPENDENCIES + DEV_DEPENDENCIES)],
                         ids=["requirements.lock", "requirements-dev.lock"])
def test_the_lock_pins_every_dependency_within_pyproject_ranges(lock, requirements, python):
    pins = _pins(lock, python)
    for text in requirements:
        req = Requirement(text)
        if req.marker and not req.marker.evaluate(_linux(python)):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{lock.name} has no pin of {name} for Python {python}: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{lock.name} pins {name}=={pins[name]} for Python {python}, outside pyproject's "
            f"{req.specifier}: run `make lock`")


@pytest.mark.parametrize("python", PYTHONS)
def test_the_two_locks_agree(python):
    runtime, dev = _pins(LOCK, python), _pins(DEV_LOCK, python)
    assert {n: v for n, v in runtime.items() if dev.get(n) != v} == {}
    assert set(dev) - set(runtime) >= {"pytest", "nbval"}


def test_the_locks_say_how_to_refresh_them():
    for lock in (LOCK, DEV_LOCK):
        assert "make lock" in lock.read_text().splitlines()[1], lock.name
    assert re.search(r"^lock:", (REPO / "Makefile").read_text(), re.M)


def test_environment_yml_installs_the_dev_lock_with_a_supported_python():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
    assert python.split("=", 1)[1] in PYTHONS
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "-r requirements-dev.lock" in pip
    assert any(line.startswith("-e .") for line in pip)
    # Nothing else: every version comes from the lock.
    assert len(pip) == 2, pip


def test_the_running_environment_is_the_locked_one():
    """After `make env` / `make test`, .venv holds exactly the pinned versions."""
    stamp = REPO / ".venv" / ".installed-dev"
    if Path(sys.prefix).resolve() != (REPO / ".venv").resolve():
        pytest.skip("not running from the project's .venv")
    if not stamp.exists() or stamp.stat().st_mtime < DEV_LOCK.stat().st_mtime:
        pytest.skip(".venv was not built from the current lock (make env rebuilds it)")
    import sysconfig
    from importlib.metadata import distributions

    python = "%d.%d" % sys.version_info[:2]
    # Only .venv's site-packages: importing setuptools puts its vendored copies
    # (packaging, platformdirs, wheel) on sys.path as well.
    site = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    installed = {canonicalize_name(d.metadata["Name"]): Version(d.version)
                 for d in distributions(path=site)}
    wrong = {name: (str(version), str(installed.get(name)))
             for name, version in _pins(DEV_LOCK, python, platform.python_version()).items()
             if installed.get(name) != version}
    assert wrong == {}, f"pinned vs installed: {wrong}"

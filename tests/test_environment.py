"""The student's entry point works: JupyterLab starts on lessons/ with nbgrader's extension.

This is what `make lab` runs (minus opening a browser); the check is the one a
person would do: the server answers /api/status on loopback.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env():
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_nbgrader_lab_extension_is_enabled_and_ok():
    out = subprocess.run([str(BIN / "jupyter"), "labextension", "list"], env=_env(),
                         capture_output=True, text=True, timeout=120)
    text = out.stdout + out.stderr
    line = next((l for l in text.splitlines() if "@jupyter/nbgrader" in l), "")
    assert "enabled" in line and "OK" in line, text


def test_jupyterlab_starts_on_lessons_and_answers_api_status(tmp_path):
    port = _free_port()
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={REPO / 'lessons'}",
           "--IdentityProvider.token=", "--ServerApp.open_browser=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
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

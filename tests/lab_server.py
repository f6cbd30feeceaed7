"""JupyterLab started as `make lab` starts it (tools/lab), on a free port, for the tests
that talk to a real server: tests/test_browser.py and tests/test_grader_formgrader.py."""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(tmp: Path, log: Path, lab_args: list[str], root: Path, *,
          ready_path: str = "/api/status", timeout: float = 90):
    """``tools/lab *lab_args --root root`` with Jupyter's per-user folders in ``tmp``
    (not the tester's ~/.jupyter, workspaces or kernelspecs) and its output in ``log``;
    yields ``(url, token)`` once ``ready_path`` answers 200; stops the server after."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("JUPYTER_CONFIG_PATH", None)
    for var, name in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                      ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")]:
        env[var] = str(tmp / name)
    port, token = free_port(), secrets.token_hex(16)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(REPO / "tools" / "lab"), *lab_args, "--root", str(root), "--no-browser",
             "--ServerApp.ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp)
    url = f"http://127.0.0.1:{port}"

    def tail() -> str:
        return log.read_text(errors="replace")[-3000:]

    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"tools/lab exited with {proc.returncode}:\n{tail()}")
            try:
                request = urllib.request.Request(f"{url}{ready_path}",
                                                 headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {timeout:.0f} s:\n{tail()}")
            time.sleep(0.3)
        yield url, token
    finally:
        proc.terminate()            # the server shuts its kernels down
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

"""nbgrader's Formgrader beside the grader's CLI, on a graded toy course.

A real ``jupyter server`` with nbgrader's server extensions (as the instructor's
JupyterLab loads them) runs from the course root, where Formgrader reads the
course's ``nbgrader_config.py``; the tests talk to it over HTTP as Formgrader's
pages do:

* the manual-grading page of every graded submission renders (the course
  configuration once replaced Formgrader's page template: HTTP 500).
"""
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fixtures.toy import TOY, hand_in, hand_in_synthetic, toy_course

from grader.autograde import autograde
from grader.gradebook.gradebook import gradebook

pytestmark = pytest.mark.xdist_group("grader-formgrader")

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# ada: full marks; bob: a wrong cube with its visible test edited (modified-tests,
# [MULTIPLIED-NOT-POWERED], 3/6).
GRADED = ["ada", "bob"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = toy_course(tmp_path_factory.mktemp("formgrader") / "course")
    shutil.copyfile(REPO / "nbgrader_config.py", course.root / "nbgrader_config.py")
    hand_in_synthetic(course, "ada", perfect=True)
    hand_in(course, "bob", "submitted-modified-test-cell.ipynb")
    autograde(course, TOY, jobs=1, progress=False)
    return course


class Server:
    def __init__(self, url, token, log):
        self.url, self.token, self.log = url, token, log

    def call(self, method: str, path: str, body=None) -> tuple[int, str]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def json(self, method: str, path: str, body=None):
        status, text = self.call(method, path, body)
        assert status == 200, f"{method} {path}: HTTP {status}\n{text[-2000:]}\n{self.log_tail()}"
        return json.loads(text)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def server(course, tmp_path_factory):
    """``jupyter server`` from the course root (where Formgrader finds nbgrader_config.py),
    with nbgrader's server extensions as the environment enables them and Jupyter's
    per-user folders in a temporary folder."""
    tmp = tmp_path_factory.mktemp("jupyter")
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("JUPYTER_CONFIG_PATH", None)
    for var, name in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                      ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")]:
        env[var] = str(tmp / name)
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp / "server.log"
    command = [str(BIN / "jupyter"), "server", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={course.root}"]
    if os.getuid() == 0:
        command.append("--allow-root")
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=course.root, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", token, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter server exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                if server.call("GET", "/formgrader/api/status")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter server did not answer within 60 s:\n{server.log_tail()}")
            time.sleep(0.3)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def submission_notebook_id(course, student: str) -> str:
    with gradebook(course.db_url) as gb:
        return gb.find_submission_notebook(TOY, TOY, student).id


def test_the_manual_grading_page_renders_for_every_graded_submission(course, server):
    for student in GRADED:
        status, page = server.call("GET", f"/formgrader/submissions/{submission_notebook_id(course, student)}/")
        assert status == 200, f"{student}: HTTP {status}\n{page[-1500:]}\n{server.log_tail()}"
        # Formgrader's own template: a score box per graded cell, the student named.
        for grade_id in ("test_square", "test_square_hidden", "test_cube", "test_cube_hidden"):
            assert f'<input class="score tabbable" id="{grade_id}"' in page
        assert student in page
    # The formgrader's lists load too.
    submissions = server.json("GET", f"/formgrader/api/submissions/{TOY}")
    assert sorted(s["student"] for s in submissions) == GRADED

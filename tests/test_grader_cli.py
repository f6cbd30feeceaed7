"""The command line as an instructor runs it: a subprocess, any PATH, and the demo."""
import os
import re
import shutil
import subprocess
import sys

import pytest
from fixtures.toy import TOY, toy_course

from grader.config import COURSE_CONFIG, ensure_tools_on_path
from grader.demo import run_demo

pytestmark = pytest.mark.xdist_group("grader-cli")


PIPELINE = ["build", "check", "release", "validate", "collect", "autograde", "feedback", "export", "report", "demo"]


def test_help_lists_every_pipeline_step():
    """Each step is a line of its own (name, then its one-line summary), in pipeline order:
    a command that disappears or loses its summary fails, whatever other lines say."""
    out = subprocess.run([sys.executable, "-m", "grader", "--help"], capture_output=True, text=True,
                         check=True).stdout
    commands_section = out.split("positional arguments:", 1)[1].split("options:", 1)[0]
    listed = re.findall(r"^ {4}([a-z_-]+) +\S", commands_section, re.M)
    assert listed == PIPELINE, out
    for command in PIPELINE:
        done = subprocess.run([sys.executable, "-m", "grader", command, "--help"],
                              capture_output=True, text=True)
        assert done.returncode == 0 and f"usage: python -m grader {command}" in done.stdout, \
            done.stdout + done.stderr


def test_cli_works_without_the_venv_on_path(tmp_path):
    """nbgrader shells out to `alembic`; the CLI must find it however it is launched."""
    course = toy_course(tmp_path / "course")
    env = dict(os.environ, PATH="/usr/bin:/bin")
    done = subprocess.run([sys.executable, "-m", "grader", "build", "--course-dir", str(course.root)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert course.release_notebook(TOY).exists()
    done = subprocess.run([sys.executable, "-m", "grader", "check", TOY, "--course-dir", str(course.root)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "in sync" in done.stdout, done.stdout + done.stderr


def test_ensure_tools_on_path_puts_this_interpreters_bin_first(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin")
    ensure_tools_on_path()
    assert os.environ["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable)
    assert os.path.exists(os.path.join(os.path.dirname(sys.executable), "alembic"))


def test_demo_grades_synthetic_students_in_a_throwaway_course(tmp_path):
    source = toy_course(tmp_path / "source")
    lines = []
    result = run_demo(TOY, source=source, jobs=2, cell_timeout=5, progress=False, say=lines.append)
    rows = {r["student"]: r for r in result.rows}
    assert set(rows) == {"perfect", "untouched", "syntax-error", "infinite-loop"}
    assert rows["perfect"]["score"] == 6 and rows["untouched"]["score"] == 0
    assert rows["syntax-error"]["score"] == 3  # square broken, cube fine
    assert rows["infinite-loop"]["flags"] == ["timeout"] and rows["infinite-loop"]["score"] == 3
    assert "infinite-loop" in result.table and "timeout" in result.table
    assert not result.course.root.exists()  # thrown away
    assert not (source.root / "submitted").exists()  # the real course is untouched


def test_a_kept_demo_course_carries_its_configuration_and_commands_run_in_it_use_it(tmp_path):
    source = toy_course(tmp_path / "source")
    # jobs=1: this test is about the kept course; the one above grades the demo with a pool.
    result = run_demo(TOY, source=source, jobs=1, cell_timeout=2, keep=True, progress=False,
                      say=lambda line: None)
    root = result.course.root
    try:
        assert (root / "nbgrader_config.py").read_text() == COURSE_CONFIG
        done = subprocess.run([sys.executable, "-m", "grader", "export"], cwd=root / "feedback",
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "wrote 4 row(s)" in done.stdout   # the demo's four students, not this repository's course
        assert (root / "grades.csv").is_file()
    finally:
        shutil.rmtree(root)

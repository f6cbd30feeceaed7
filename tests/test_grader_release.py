"""grader release: the student folder holds what make lab and Validate need, and no secret.

The secrets are read from solutions/ with the grader's own helpers
(``grader.judge.hidden_tests.secret_lines``/``find_leaks`` via
``grader.course.release.secrets``), never written out here by hand.
"""
import ast
import filecmp
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from fixtures.toy import TOY, toy_course

from grader.cli import main
from grader.config import CELL_TIMEOUT, REPO_ROOT, Course
from grader.course import release as rel
from grader.course.synthesize import student_notebook
from grader.judge.hidden_tests import find_leaks

pytestmark = pytest.mark.xdist_group("grader-release")

STUDENT_TOP = {"Makefile", "README.md", "course_utils", "environment.yml", "jupyter-config", "lessons",
               "nbgrader_config.py", "pyproject.toml", "requirements.lock", "tools"}


@pytest.fixture(scope="module")
def course():
    return Course.at(REPO_ROOT)


@pytest.fixture(scope="module")
def built(course, tmp_path_factory):
    return rel.build_release(course, tmp_path_factory.mktemp("release") / "rnn-course")


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_the_release_holds_the_student_files_only(built, course):
    assert {name.split("/")[0] for name in built.files} == STUDENT_TOP
    for name in built.files:
        assert not name.startswith(("solutions/", "grader/", "tests/", "benchmarks/", "submitted/",
                                    "autograded/", "feedback/", ".git")), name
        assert Path(name).name not in {"gradebook.db", "requirements-dev.lock", "grades.csv"}, name
    assert built.lessons == course.assignments()
    assert sorted(n for n in built.files if n.startswith("lessons/")) == sorted(
        f"lessons/{a}/{a}.ipynb" for a in course.assignments())
    assert _tree(built.root / "tools") == {"lab", "pick-python"}
    assert os.access(built.root / "tools" / "lab", os.X_OK)


def test_lessons_are_the_committed_ones_and_course_utils_ships_whole(built, course):
    """The release's lessons are generated fresh and equal lessons/ (in sync, `grader check`);
    course_utils is the course's, every file: its references are the fallback by design."""
    for assignment in course.assignments():
        assert filecmp.cmp(course.release_notebook(assignment),
                           built.root / "lessons" / assignment / f"{assignment}.ipynb", shallow=False)
    ours, theirs = _tree(REPO_ROOT / "course_utils"), _tree(built.root / "course_utils")
    assert ours == theirs
    assert all(filecmp.cmp(REPO_ROOT / "course_utils" / n, built.root / "course_utils" / n, shallow=False)
               for n in ours)


def test_no_hidden_test_or_solution_line_anywhere(built, course):
    hidden, solution = rel.secrets(course)
    # Every lesson's hidden test cells and solutions contribute: the scan has something to find.
    for assignment in course.assignments():
        nb = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
        assert any(any(s in c.source for s in hidden) for c in nb.cells), assignment
        assert any(any(s in c.source for s in solution) for c in nb.cells), assignment
    texts = rel.text_files(built.root)
    assert set(texts) == set(built.files)  # every file was read as text, none skipped
    for name, text in texts.items():
        assert find_leaks(text, hidden) == [], name
        if not name.startswith("course_utils/"):
            assert find_leaks(text, solution) == [], name
    assert rel.leaks(built.root, course) == {}


def test_the_scan_catches_a_planted_secret(built, course, tmp_path):
    """Negative control: a hidden-test line anywhere, a solution line outside course_utils."""
    hidden, solution = rel.secrets(course)
    copy = tmp_path / "copy"
    shutil.copytree(built.root, copy)
    with open(copy / "course_utils" / "fallback.py", "a") as handle:
        handle.write(f"\n# {hidden[-1]}\n# {solution[0]}\n")
    lesson = copy / "lessons" / "04_lstm" / "04_lstm.ipynb"
    nb = nbformat.read(str(lesson), as_version=4)
    nb.cells[-1].source += "\n" + solution[-1]          # JSON-escaped inside the notebook
    nbformat.write(nb, str(lesson))
    found = rel.leaks(copy, course)
    assert found == {"course_utils/fallback.py": [hidden[-1]],
                     "lessons/04_lstm/04_lstm.ipynb": [solution[-1]]}


def test_a_release_that_would_leak_is_not_written(course, tmp_path, monkeypatch):
    _, solution = rel.secrets(course)
    monkeypatch.setattr(rel, "student_readme", lambda root: f"# README\n\n    {solution[3]}\n")
    out = tmp_path / "leaky"
    with pytest.raises(rel.ReleaseError, match="README.md"):
        rel.build_release(course, out)
    assert not out.exists()


def test_refuses_a_folder_that_is_not_empty(course, tmp_path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(rel.ReleaseError, match="not empty"):
        rel.build_release(course, tmp_path)


def test_the_release_installs_and_make_lab_runs_tools_lab(built):
    pyproject = (built.root / "pyproject.toml").read_text()
    assert 'include = ["course_utils*"]' in pyproject and "grader*" not in pyproject
    assert "requirements-dev" not in (built.root / "environment.yml").read_text()
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps",
                           "--no-build-isolation", "--no-index", "."],
                          cwd=built.root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Would install rnn-course" in done.stdout
    plan = subprocess.run(["make", "-n", "lab"], cwd=built.root, capture_output=True, text=True)
    assert plan.returncode == 0, plan.stderr
    assert "-r requirements.lock" in plan.stdout and "tools/lab" in plan.stdout
    targets = subprocess.run(["make", "-n", "test"], cwd=built.root, capture_output=True, text=True)
    assert targets.returncode != 0  # the student Makefile has no maintainer targets
    readme = (built.root / "README.md").read_text()
    assert "make lab" in readme and "## The course" in readme
    assert "python -m grader" not in readme and "solutions/" not in readme and "tests/" not in readme


def test_validate_works_inside_a_released_lesson(tmp_path, monkeypatch, capsys):
    """nbgrader's Validator, configured from the release's nbgrader_config.py, on the toy
    lesson released from a toy course: the untouched lesson fails its tests, a solved one passes."""
    from nbgrader.validator import Validator
    from traitlets.config.loader import PyFileConfigLoader

    toy = toy_course(tmp_path / "toy")
    out = tmp_path / "out" / "toy-release"
    assert main(["release", "--course-dir", str(toy.root), "--out", str(out), "--zip"]) == 0
    printed = capsys.readouterr().out
    assert "no hidden-test line and no solution line" in printed and "toy-release.zip" in printed
    with zipfile.ZipFile(out.parent / "toy-release.zip") as archive:
        names = {n[len("toy-release/"):] for n in archive.namelist() if not n.endswith("/")}
        assert names == _tree(out)
        assert (archive.getinfo("toy-release/tools/lab").external_attr >> 16) & 0o111
    assert (out / "lessons" / TOY / "toy_checks.py").is_file()

    config_file = out / "nbgrader_config.py"
    assert not [n for n in ast.walk(ast.parse(config_file.read_text()))
                if isinstance(n, (ast.Import, ast.ImportFrom))]  # no grader needed
    config = PyFileConfigLoader(config_file.name, path=str(out)).load_config()
    assert config.Execute.timeout == CELL_TIMEOUT
    monkeypatch.chdir(out)
    lesson = out / "lessons" / TOY / f"{TOY}.ipynb"
    untouched = Validator(config=config).validate(str(lesson))
    assert len(untouched["failed"]) == 2 and "NotImplementedError" in str(untouched["failed"])
    nbformat.write(student_notebook(toy, TOY, perfect=True), str(lesson))
    solved = Validator(config=config).validate(str(lesson))
    assert "failed" not in solved or not solved["failed"]


@pytest.mark.full
def test_nbgrader_validate_runs_a_real_lesson_inside_the_release(built):
    """`nbgrader validate` from the release's root (as the Validate button: its
    nbgrader_config.py), course_utils imported from the release itself: the untouched
    lesson 01 runs to the end and reports its three unfinished exercises."""
    env = dict(os.environ, PYTHONPATH=str(built.root))
    done = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "validate",
                           "lessons/01_simple_rnn/01_simple_rnn.ipynb"], cwd=built.root, env=env,
                          capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    assert "Traceback" not in out.split("The following cell failed", 1)[0], out
    for exercise in ("rnn_cell_forward", "rnn_forward", "predict_last_step"):
        assert f"{exercise} is not implemented yet" in out, out
    probe = subprocess.run([sys.executable, "-c", "import course_utils; print(course_utils.__file__)"],
                           cwd=built.root, env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.strip().startswith(str(built.root))

"""Grades an instructor can trust: hostile and broken submissions graded together in one batch.

The class of ``tests/hostile/submissions.py`` (tampering of every kind the
issue tracker lists, reads and writes outside the student's folder, orphan
processes, an output bomb, copy-paste and file-name accidents) is graded with
``grader.autograde`` next to a perfect and an untouched student and a victim
whose grade the others try to change.  Each must get its score and exactly its
flags, and nothing outside the students' own output folders may change.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from hostile.submissions import FULL, HOSTILE, LESSON, RENAMED

from grader.autograde import autograde
from grader.config import REPO_ROOT, Course
from grader.course.synthesize import student_notebook, write_submission
from grader.gradebook.gradebook import course_scores
from grader.run.demo_cells import is_demo

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading-integrity")]

MARKER = str(4_000_000 + os.getpid() % 100_000)  # "sleep MARKER": the orphans to look for
OWN_OUTPUT = ("autograded", "feedback", "gradebook.db")


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime_ns) of every file of the course outside the grader's own outputs."""
    files = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if path.is_file() and rel.parts[0] not in OWN_OUTPUT:
            stat = path.stat()
            files[rel.as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return files


def _orphans() -> list[int]:
    out = subprocess.run(["pgrep", "-f", f"sleep {MARKER}"], capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split()]


def _drop_demo_cells(path: Path) -> None:
    """The batch grades lesson 01 without its demonstration cells (tag ``demo``).  Four
    attacks read names dynamically (``get_ipython``, ``__import__``), so grading runs every
    demonstration for them (``grader.run.demo_cells``): a quarter of a minute each of
    Keras training and figures that proves nothing about the attack.  The round trips
    grade the lesson with its demonstrations."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [cell for cell in nb.cells if not is_demo(cell)]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("integrity") / "course"
    shutil.copytree(REPO_ROOT / "solutions" / LESSON, root / "solutions" / LESSON,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    _drop_demo_cells(root / "solutions" / LESSON / f"{LESSON}.ipynb")
    course = Course.at(root)
    victim = write_submission(course, "victim", LESSON, student_notebook(course, LESSON))
    write_submission(course, "perfect", LESSON, student_notebook(course, LESSON, perfect=True))
    ctx = {"root": str(root), "gradebook": str(course.gradebook), "marker": MARKER,
           "victim_notebook": str(victim)}
    for name, case in HOSTILE.items():
        nb = case["build"](student_notebook(course, LESSON),
                           student_notebook(course, LESSON, perfect=True), ctx)
        write_submission(course, name, LESSON, nb)
    for name, case in RENAMED.items():
        path = write_submission(course, name, LESSON, student_notebook(course, LESSON, perfect=True))
        path.rename(path.with_name(case["filename"]))
    # Grade the victim first, so that the others' attacks target a real grade.
    autograde(course, LESSON, jobs=1, students=["victim"], progress=False)
    before = _snapshot(root)
    # 2 GiB instead of 4: the growing memory bomb is stopped sooner (lesson 01 needs < 1 GiB).
    result = autograde(course, LESSON, jobs=2, progress=False, sandbox="bwrap", memory="2G")
    time.sleep(1)  # an orphan that escaped would still be running
    orphans = _orphans()
    for pid in orphans:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    records = {r.student: r for r in result.records}
    yield course, records, before, orphans


@pytest.mark.parametrize("name", sorted(HOSTILE) + sorted(RENAMED))
def test_case_gets_its_score_and_flags(batch, name):
    course, records, _, _ = batch
    case = {**HOSTILE, **RENAMED}[name]
    record = records[name]
    assert (record.score, record.flags) == (case["score"], case["flags"]), \
        (record.error, record.details, [(t["grade_id"], t["message"][:200]) for t in record.tests])


def test_perfect_and_victim_are_untouched_by_the_others(batch):
    course, records, _, _ = batch
    assert (records["perfect"].score, records["perfect"].flags) == (FULL, [])
    assert (records["victim"].score, records["victim"].flags) == (0.0, [])
    scores = course_scores(course)
    assert scores[("victim", LESSON)] == (0.0, FULL) and scores[("perfect", LESSON)] == (FULL, FULL)


def test_nothing_outside_the_students_output_changes(batch):
    course, _, before, _ = batch
    after = _snapshot(course.root)
    assert after == before
    assert not list(course.root.rglob("PWNED.txt"))
    assert b"PWNED" not in course.gradebook.read_bytes()


def test_no_process_outlives_its_notebook(batch):
    *_, orphans = batch
    assert orphans == []


def test_output_bomb_leaves_small_files(batch):
    course, records, _, _ = batch
    notebook = course.autograded_notebook("output-bomb", LESSON)
    assert notebook.stat().st_size < 12_000_000
    text = notebook.read_text()
    assert "output cut by the grader" in text


def test_evidence_is_recorded_for_the_instructor(batch):
    _, records, _, _ = batch
    assert any("course.rnn_cell_forward" in e or "rnn_cell_forward" in e
               for e in records["calls-reference"].details["uses-reference"])
    assert "rnn_forward called the course's rnn_forward" in \
        records["calls-reference-hidden"].details["uses-reference"]
    assert any("_core" in e for e in records["patches-checker-core"].details["suspicious-code"])
    assert records["copied-test-cell"].details["duplicated-cells"] == ["test_rnn_forward"]


def test_judged_messages_read_as_before(batch):
    """Feedback still carries the checkers' words (the judge writes them into the cells)."""
    course, records, _, _ = batch
    graded = nbformat.read(str(course.autograded_notebook("patches-numpy", LESSON)), as_version=4)
    messages = [o.get("evalue", "") for c in graded.cells for o in c.get("outputs", [])
                if o.get("output_type") == "error"]
    assert any("h_next" in m and "expected" in m for m in messages), messages

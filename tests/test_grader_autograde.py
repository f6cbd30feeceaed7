"""grader autograde on the toy class: every scenario graded and flagged, nothing stops the batch.

One class is graded once for the module (jobs=2, 5 s per cell so the infinite
loop costs 5 s): the scenario-named submissions of tests/fixtures, a perfect
and an untouched notebook, and a student folder with nothing in it.
"""
import pytest
from fixtures.make_submissions import EXPECTED
from fixtures.toy import TOY, TOY_MAX, fixture_student, hand_in, hand_in_synthetic, toy_course

from grader.autograde import autograde
from grader.gradebook.gradebook import course_scores
from grader.gradebook.records import load_record

pytestmark = pytest.mark.xdist_group("grader-autograde")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = toy_course(tmp_path_factory.mktemp("autograde") / "course")
    for fixture in EXPECTED:
        hand_in(course, fixture_student(fixture), fixture)
    hand_in_synthetic(course, "perfect", perfect=True)
    hand_in_synthetic(course, "untouched")
    (course.submitted / "empty-folder").mkdir()
    result = autograde(course, TOY, jobs=2, cell_timeout=5, progress=False)
    return course, result


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_scenario_is_graded_and_flagged(graded, fixture):
    course, result = graded
    score, flags, misconceptions = EXPECTED[fixture]
    record = next(r for r in result.graded if r.student == fixture_student(fixture))
    assert (record.score, record.max_score) == (score, TOY_MAX), record.error
    assert record.flags == flags, record.error
    assert record.misconceptions == misconceptions


def test_one_bad_submission_never_stops_the_batch(graded):
    course, result = graded
    students = sorted(r.student for r in result.graded)
    assert students == course.students() and len(students) == len(EXPECTED) + 3
    by_student = {r.student: r for r in result.graded}
    assert by_student["perfect"].score == TOY_MAX and not by_student["perfect"].flags
    assert by_student["untouched"].score == 0 and not by_student["untouched"].flags
    assert by_student["empty-folder"].flags == ["missing"]


def test_messages_of_each_test_are_recorded(graded):
    course, result = graded
    record = load_record(course, TOY, "known-mistake")
    tests = {t["grade_id"]: t for t in record.tests}
    assert list(tests) == ["test_square", "test_square_hidden", "test_cube", "test_cube_hidden"]
    assert not tests["test_square"]["passed"] and tests["test_square"]["points"] == 0
    assert "[MULTIPLIED-NOT-POWERED]" in tests["test_square"]["message"]
    assert tests["test_square_hidden"]["hidden"]
    assert tests["test_cube"]["passed"] and tests["test_cube"]["message"].startswith("\u2714 cube")


def test_course_gradebook_holds_every_graded_submission(graded):
    course, result = graded
    scores = course_scores(course)
    for record in result.graded:
        if "missing" in record.flags:  # as in nbgrader: no submission, no gradebook entry
            assert (record.student, TOY) not in scores
        else:
            assert scores[(record.student, TOY)] == (record.score, TOY_MAX)


def test_autograded_notebooks_hold_the_restored_tests(graded):
    course, _ = graded
    # The student replaced the visible cube test; nbgrader ran the original.
    text = course.autograded_notebook("modified-test-cell", TOY).read_text()
    assert "check_cube(cube)" in text and "all tests passed" not in text
    # The deleted hidden test cell was put back and run.
    text = course.autograded_notebook("deleted-test-cell", TOY).read_text()
    assert "check_square(square, hidden=True)" in text


def test_grading_kernels_know_whether_the_demonstration_cells_are_skipped(tmp_path):
    """The kernels of a grading that skips the demonstration cells see
    course_utils.settings.demonstrations_skipped() (lessons then skip the work only those
    cells read); with run_all_cells=True they do not, nor does the kernel of a notebook
    with a code cell of the student's own (grader.run.demo_cells.demo_work_skippable)."""
    answer = ("def square(x):\n"
              "    from course_utils import settings\n"
              "    return x * x if settings.demonstrations_skipped() else x + 1\n")
    import nbformat

    seen = {}
    for case in ("default", "run-all-cells", "a cell of the student's own"):
        course = toy_course(tmp_path / case.replace(" ", "-").replace("'", ""))
        path = hand_in_synthetic(course, "ada", {"square": answer}, perfect=True)
        if case == "a cell of the student's own":   # it may read what demo cells read: not skipped
            nb = nbformat.read(path, as_version=4)
            nb.cells.append(nbformat.v4.new_code_cell("print(square(3))"))
            nbformat.write(nb, path)
        record, = autograde(course, TOY, jobs=1, progress=False,
                            run_all_cells=case == "run-all-cells").graded
        seen[case] = {t["grade_id"]: t["points"] for t in record.tests}
    assert seen["default"]["test_square"] == 1 and seen["default"]["test_square_hidden"] == 2
    for case in ("run-all-cells", "a cell of the student's own"):
        assert seen[case]["test_square"] == 0 and seen[case]["test_square_hidden"] == 0, case
        assert seen[case]["test_cube"] == 1, case   # the rest of the notebook is graded as usual


def _leave_marks(folder: str) -> None:
    """A pool task: a finalizer like the zygote's, and a step of the interpreter's teardown."""
    import atexit
    import multiprocessing.util
    from pathlib import Path

    multiprocessing.util.Finalize(None, Path(folder, "zygote-closed").touch, exitpriority=10)
    atexit.register(Path(folder, "torn-down").touch)


def test_a_pool_worker_closes_its_zygote_and_skips_the_interpreter_teardown(tmp_path):
    """_run_pool's workers end at their last finalizer: the zygote's close (priority 10)
    still runs, the slow teardown (atexit, module clean-up) does not."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from grader.autograde import _init_pool_worker, _spawning_without_main

    initargs = (1, None, str(tmp_path), None)  # no sandbox, no zygote: nothing to start
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_pool_worker, initargs=initargs) as pool:
        with _spawning_without_main():
            pool.submit(_leave_marks, str(tmp_path)).result()
    assert (tmp_path / "zygote-closed").exists()
    assert not (tmp_path / "torn-down").exists()


_GRADE_IN_A_SUBPROCESS = """
import json, sys, threading
import grader.autograde as ag
from grader.config import Course

if sys.argv[2] == "with-a-thread":
    threading.Thread(target=threading.Event().wait, daemon=True).start()
chosen = []
pool_context = ag._pool_context
ag._pool_context = lambda: chosen.append(pool_context().get_start_method()) or pool_context()
result = ag.autograde(Course.at(sys.argv[1]), "00_toy", jobs=2, cell_timeout=5, progress=False)
print(json.dumps({"start": chosen, "records": {r.student: [r.score, r.flags, r.tests]
                                               for r in result.graded}}))
"""


def test_forked_and_spawned_workers_grade_alike(tmp_path):
    """The command line (no thread but its main one) forks its workers; a process with
    threads (a notebook's kernel) spawns them.  Both grade every student alike."""
    import json
    import os
    import subprocess
    import sys

    seen = {}
    for mode in ("main-thread-only", "with-a-thread"):
        course = toy_course(tmp_path / mode)
        hand_in_synthetic(course, "perfect", perfect=True)
        hand_in_synthetic(course, "untouched")
        hand_in_synthetic(course, "wrong-cube", {"cube": "def cube(x):\n    return x * x\n"}, perfect=True)
        done = subprocess.run([sys.executable, "-c", _GRADE_IN_A_SUBPROCESS, str(course.root), mode],
                              capture_output=True, text=True, env=dict(os.environ), timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        seen[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["main-thread-only"]["start"] == ["fork"]
    assert seen["with-a-thread"]["start"] == ["spawn"]
    forked, spawned = seen["main-thread-only"]["records"], seen["with-a-thread"]["records"]
    assert forked == spawned
    assert forked["perfect"][0] == TOY_MAX and forked["untouched"][0] == 0
    assert 0 < forked["wrong-cube"][0] < TOY_MAX

"""Round trip through real grading, for every lesson in solutions/.

Per lesson, one class is graded once with nbgrader through ``grader.autograde``
and given feedback through ``grader.results.feedback``.  It is graded with
``jobs=1``, in the test's own process: xdist's two workers already keep both cores
busy, and a pool per class would only add its workers' start-up (nbgrader and
TensorFlow imported again, a second zygote):

* ``solution``           the solution notebook handed in as is: full marks, no flags;
* ``untouched``          the released lesson: 0, no crash, and no error outside the
                         test cells (the stubs never block a cell that grading runs);
* ``scenario-<name>``    each scenario of ``grader/demo/scenarios/<lesson>.py``: the
                         solution with some exercise cells replaced; it must get
                         its score class and its ``expect_ids`` in the feedback.

No feedback page may contain hidden-test text, grading part of one lesson's class
with ``--jobs 2`` (the pool) must give the same scores as ``--jobs 1``, and the feedback names the
demonstration cells grading skipped.  The full tier (``make test-full``, marker
``full``) grades every class again with every cell run and wants the same points.

Grading a TensorFlow lesson takes seconds per notebook, so the tests of one
lesson share its graded class, and each lesson is an xdist group: run with
``pytest -n 2 --dist loadgroup`` to grade two lessons at a time.
"""
import shutil
from pathlib import Path

import nbformat
import pytest

from grader.autograde import autograde
from grader.config import REPO_ROOT, Course
from grader.course.synthesize import student_notebook, write_submission
from grader.demo.scenarios import scenarios
from grader.judge.hidden_tests import find_leaks, html_text, secret_lines
from grader.results.feedback import generate_feedback

LESSONS = Course.at().assignments()
JOBS = 1  # see the module docstring; test_jobs_2_gives_the_same_scores_as_jobs_1: the pool
PARALLEL_CHECK_LESSON = "01_simple_rnn" if "01_simple_rnn" in LESSONS else (LESSONS or [None])[0]
CRASH_FLAGS = {"error", "kernel-died", "timeout", "invalid-notebook", "missing"}


def _lesson(lesson):
    return pytest.param(lesson, marks=pytest.mark.xdist_group(f"round-trip-{lesson}"), id=lesson)


def _class(course: Course, lesson: str, names=None) -> dict[str, nbformat.NotebookNode]:
    students = {"solution": student_notebook(course, lesson, perfect=True),
                "untouched": student_notebook(course, lesson)}
    for name, scenario in scenarios(lesson).items():
        students[f"scenario-{name}"] = student_notebook(course, lesson, scenario["cells"], perfect=True)
    return {k: v for k, v in students.items() if names is None or k in names}


def _course_with(lesson: str, root: Path) -> Course:
    shutil.copytree(REPO_ROOT / "solutions" / lesson, root / "solutions" / lesson,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return Course.at(root)


@pytest.fixture(scope="session")
def graded_lesson(tmp_path_factory):
    """lesson -> (course, {student: record}, FeedbackResult), graded once per test process."""
    cache = {}

    def grade(lesson):
        if lesson not in cache:
            course = _course_with(lesson, tmp_path_factory.mktemp(f"round-trip-{lesson}"))
            for student, nb in _class(course, lesson).items():
                write_submission(course, student, lesson, nb)
            result = autograde(course, lesson, jobs=JOBS, progress=False)
            feedback = generate_feedback(course, lesson)
            cache[lesson] = (course, {r.student: r for r in result.graded}, feedback)
        return cache[lesson]

    return grade


def _scenario_params():
    return [pytest.param(lesson, name, marks=pytest.mark.xdist_group(f"round-trip-{lesson}"),
                         id=f"{lesson}-{name}")
            for lesson in LESSONS for name in scenarios(lesson)]


@pytest.mark.parametrize("lesson", [_lesson(x) for x in LESSONS])
def test_solution_gets_full_marks(graded_lesson, lesson):
    _, records, _ = graded_lesson(lesson)
    record = records["solution"]
    failed = [(t["grade_id"], t["message"]) for t in record.tests if not t["passed"]]
    assert record.score == record.max_score > 0, failed or record.error
    assert record.flags == []


@pytest.mark.parametrize("lesson", [_lesson(x) for x in LESSONS])
def test_untouched_lesson_gets_zero_without_crashing(graded_lesson, lesson):
    _, records, _ = graded_lesson(lesson)
    record = records["untouched"]
    assert record.score == 0
    assert not CRASH_FLAGS & set(record.flags), record.error
    assert record.tests and not any(t["passed"] for t in record.tests)


@pytest.mark.parametrize("lesson", [_lesson(x) for x in LESSONS])
def test_untouched_lesson_blocks_no_cell_that_grading_runs(graded_lesson, lesson):
    """Every exercise a stub that raises: only test cells may show an error, as in
    tests/test_lessons_never_block.py (which runs the demonstration cells too, in the
    full tier); here, free, for every cell grading runs."""
    course, _, _ = graded_lesson(lesson)
    nb = nbformat.read(str(course.autograded_notebook("untouched", lesson)), as_version=4)
    blocked = []
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            continue   # a test cell: it is meant to fail
        blocked += [(index, meta.get("grade_id"), f"{o.get('ename')}: {str(o.get('evalue'))[:200]}")
                    for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not blocked, f"{lesson}: cells other than test cells raised on the stubs: {blocked}"


@pytest.mark.parametrize("lesson, name", _scenario_params())
def test_scenario_gets_its_score_class_and_names_its_mistakes(graded_lesson, lesson, name):
    course, records, _ = graded_lesson(lesson)
    scenario = scenarios(lesson)[name]
    record = records[f"scenario-{name}"]
    assert not CRASH_FLAGS & set(record.flags), record.error
    got = "zero" if record.score == 0 else "full" if record.score == record.max_score else "partial"
    failed = [(t["grade_id"], t["message"][:200]) for t in record.tests if not t["passed"]]
    assert got == scenario["expect"], f"{record.score}/{record.max_score}: {failed}"
    page = html_text(course.feedback_html(record.student, lesson).read_text())
    for mistake in scenario["expect_ids"]:
        assert f"[{mistake}]" in page, f"[{mistake}] not in the feedback; failures: {failed}"
        assert mistake in record.misconceptions


@pytest.mark.parametrize("lesson", [_lesson(x) for x in LESSONS])
def test_feedback_never_shows_hidden_tests(graded_lesson, lesson):
    course, records, feedback = graded_lesson(lesson)
    assert not feedback.leaks and not feedback.errors
    assert len(feedback.written) == len(records)
    solution = nbformat.read(str(course.source_notebook(lesson)), as_version=4)
    secrets = secret_lines(c.source for c in solution.cells if c.cell_type == "code")
    assert secrets, "a lesson is expected to have hidden tests"
    for page in feedback.written:   # the raw HTML file, scripts, comments and attributes too
        leaked = find_leaks(page.read_text(), secrets)
        assert not leaked, f"{page} holds hidden test text: {leaked}"


@pytest.mark.skipif(PARALLEL_CHECK_LESSON is None, reason="no lessons yet")
@pytest.mark.xdist_group(f"round-trip-{PARALLEL_CHECK_LESSON}")
def test_jobs_2_gives_the_same_scores_as_jobs_1(graded_lesson, tmp_path):
    lesson = PARALLEL_CHECK_LESSON
    _, inline, _ = graded_lesson(lesson)
    names = ["solution", "untouched"] + [f"scenario-{n}" for n in list(scenarios(lesson))[:1]]
    course = _course_with(lesson, tmp_path)
    for student, nb in _class(course, lesson, names).items():
        write_submission(course, student, lesson, nb)
    pooled = {r.student: r for r in autograde(course, lesson, jobs=2, progress=False).graded}
    for name in names:
        assert pooled[name].score == inline[name].score, name
        assert [t["points"] for t in pooled[name].tests] == [t["points"] for t in inline[name].tests]


@pytest.mark.parametrize("lesson", [_lesson(x) for x in LESSONS])
def test_feedback_names_the_demo_cells_not_run(graded_lesson, lesson):
    course, records, _ = graded_lesson(lesson)
    solution = records["solution"]
    assert solution.details.get("not-run"), "grading skipped no demonstration cell"
    page = html_text(course.feedback_html("solution", lesson).read_text())
    assert page.count("not run at grading") == len(solution.details["not-run"])


@pytest.mark.full
@pytest.mark.parametrize("lesson", [_lesson(x) for x in LESSONS])
def test_skipping_demo_cells_changes_no_score(graded_lesson, lesson, tmp_path):
    """The same class graded again with every cell run (--run-all-cells): the same points for
    every test cell of every student.  Every cell of every student: the full tier
    (`make test-full`), a lesson's whole run time per student."""
    _, skipped, _ = graded_lesson(lesson)
    full = _course_with(lesson, tmp_path)
    for student, nb in _class(full, lesson).items():
        write_submission(full, student, lesson, nb)
    ran_all = {r.student: r for r in autograde(full, lesson, jobs=JOBS, progress=False,
                                               run_all_cells=True).graded}
    for name, record in skipped.items():
        assert not ran_all[name].details.get("not-run"), name
        assert ran_all[name].score == record.score, name
        assert [(t["grade_id"], t["points"]) for t in ran_all[name].tests] == \
            [(t["grade_id"], t["points"]) for t in record.tests], name

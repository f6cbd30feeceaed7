"""A whole grading round in a throw-away course: the instructor's tour of the pipeline.

In a temporary course directory holding a copy of one lesson's solution, five
synthetic students hand in:

* ``perfect``        the solution as is
* ``untouched``      the lesson as released (every exercise a stub)
* ``<mistake>``      the solution with one known mistake, taken from the lesson's
                     known mistakes (``grader/demo/scenarios/<lesson>.py``), e.g.
                     rnn_forward feeding h0 to every step -> [STATE-NOT-CARRIED]
* ``syntax-error``   the first exercise cell does not parse
* ``infinite-loop``  the first exercise cell never finishes

They are graded in parallel, feedback and the class report are written, and a
table shows score, flags and misconception ids per student.  The course folder
gets its ``nbgrader_config.py``, so with ``--keep`` the grader's commands and
nbgrader's Formgrader run inside it find it.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..autograde import autograde
from ..config import Course
from ..course.synthesize import solution_sources, student_notebook, write_submission
from ..results.feedback import generate_feedback
from ..results.report import write_report
from ..results.tables import text_table
from .scenarios import scenarios

DEMO_CELL_TIMEOUT = 30  # seconds; the infinite loop costs one of these
PREFERRED_LESSON = "01_simple_rnn"


@dataclass
class DemoResult:
    course: Course
    lesson: str
    rows: list[dict] = field(default_factory=list)
    table: str = ""
    report_text: str = ""
    seconds: float = 0.0


def scenario_mistake(lesson: str) -> tuple[str, dict] | None:
    """The first scenario of ``lesson`` (grader/demo/scenarios) that names a misconception id."""
    for name, scenario in scenarios(lesson).items():
        if scenario.get("expect_ids"):
            return name, scenario
    return None


def _demo_students(course: Course, lesson: str) -> dict[str, tuple[str, object]]:
    """student -> (what it shows, notebook)."""
    solutions = solution_sources(course, lesson)
    first = next(iter(solutions))
    students = {
        "perfect": ("the solution as is", student_notebook(course, lesson, perfect=True)),
        "untouched": ("the lesson as released", student_notebook(course, lesson)),
    }
    mistake = scenario_mistake(lesson)
    if mistake:
        name, scenario = mistake
        students[name.replace("_", "-")] = (
            f"scenario {name!r}: {', '.join(scenario['cells'])} replaced",
            student_notebook(course, lesson, scenario["cells"], perfect=True))
    students["syntax-error"] = (
        f"{first} does not parse",
        student_notebook(course, lesson, {first: solutions[first] + "\n    return (\n"}, perfect=True))
    students["infinite-loop"] = (
        f"{first} loops forever",
        student_notebook(course, lesson, {first: "while True:\n    pass\n\n" + solutions[first]},
                         perfect=True))
    return students


def run_demo(lesson: str | None = None, *, jobs: int | None = None, keep: bool = False,
             cell_timeout: int = DEMO_CELL_TIMEOUT, source: Course | None = None,
             progress: bool = True, say=print) -> DemoResult:
    import time

    started = time.perf_counter()
    source = source or Course.at()
    lessons = source.assignments()
    if not lessons:
        raise RuntimeError(f"no lessons in {source.source}")
    lesson = lesson or (PREFERRED_LESSON if PREFERRED_LESSON in lessons else lessons[0])
    if lesson not in lessons:
        raise RuntimeError(f"no lesson {lesson!r}; choose one of {', '.join(lessons)}")

    root = Path(tempfile.mkdtemp(prefix="grader-demo-"))
    try:
        shutil.copytree(source.source / lesson, root / "solutions" / lesson,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        course = Course.at(root)
        course.write_config()  # nbgrader's Formgrader and the grader's CLI, run in it, find it
        say(f"Demo course: {root}  (lesson {lesson}, cell time limit {cell_timeout} s)")
        students = _demo_students(course, lesson)
        for student, (_, nb) in students.items():
            write_submission(course, student, lesson, nb)
        say(f"{len(students)} synthetic students: {', '.join(students)}")

        graded = autograde(course, lesson, jobs=jobs, cell_timeout=cell_timeout, progress=progress)
        feedback = generate_feedback(course, lesson)
        report = write_report(course, lesson)

        result = DemoResult(course, lesson, report_text=report.text())
        for record in graded.records:
            result.rows.append({
                "student": record.student, "score": record.score, "max_score": record.max_score,
                "flags": record.flags, "misconceptions": record.misconceptions,
                "shows": students[record.student][0], "seconds": record.seconds,
                "feedback": str(course.feedback_html(record.student, lesson)),
            })
        result.table = text_table(
            ["student", "score", "flags", "misconceptions", "what it shows"],
            [[r["student"], f"{r['score']:g}/{r['max_score']:g}", ";".join(r["flags"]) or "-",
              " ".join(f"[{m}]" for m in r["misconceptions"]) or "-", r["shows"]] for r in result.rows],
            align="lrlll")
        say("")
        say(result.table)
        say("")
        say(report.text())
        if feedback.leaks or feedback.errors:
            say(f"feedback problems: {feedback.leaks or ''} {feedback.errors or ''}")
        result.seconds = time.perf_counter() - started
        say(f"\nGraded {len(result.rows)} notebooks in {graded.seconds:.0f} s "
            f"({result.seconds:.0f} s with feedback and report).")
        if keep:
            say(f"Kept {root}: feedback/ (HTML per student), reports/{lesson}/ (histogram, tables), "
                f"autograded/, gradebook.db, nbgrader_config.py. Commands run in it use it "
                f"(cd {root} && python -m grader export); so does nbgrader's Formgrader in a "
                f"JupyterLab started there ({Path(__file__).resolve().parents[2] / 'tools' / 'lab'} "
                f"--instructor --root {root})")
        return result
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)

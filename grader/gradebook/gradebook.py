"""The course gradebook (nbgrader's sqlite database) and how workers write to it.

SQLite takes one writer at a time, and nbgrader's preprocessors commit several
times per notebook.  Parallel workers therefore never touch the course
gradebook: each grades into a private copy of a *template* gradebook that
knows only the assignment, and the parent process copies the resulting grades
into the course gradebook, one student at a time (``store_grades``).  No lock
contention, no retries, and a crashed worker cannot corrupt the course file.
"""
from __future__ import annotations

import contextlib
import functools
import warnings
from pathlib import Path

from ..config import Course
from ..course.build import generate
from ..nbgrader_seam import use_inprocess_alembic_head
from .records import Record

COURSE_ID = ""  # nbgrader's converters use CourseDirectory.course_id, '' by default

# Start of the grader's part of a cell's automatic comment: what Formgrader shows the
# instructor (the comment box's placeholder) and grader feedback leaves out.
NOTES_PREFIX = "grader, for the instructor:"
NOTES_ERROR_CHARS = 300
# Metadata key of the note cell atop an ungraded submission's manual-grading view
# (autograde.write_manual_view); feedback drops the cell.
MANUAL_VIEW_NOTE = "grader_instructor_note"


@contextlib.contextmanager
def gradebook(db_url: str):
    """nbgrader's Gradebook, without the SAWarnings its autoflush raises under SQLAlchemy 2.1."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    use_inprocess_alembic_head()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(db_url, COURSE_ID) as gb:
            yield gb


def sync_assignment(course: Course, assignment: str, release_dir: Path, *,
                    db_url: str | None = None) -> Path:
    """Record ``assignment`` (notebooks, graded cells, full test source) in a gradebook.

    nbgrader's GenerateAssignment does this while writing a release copy; the
    copy goes to ``release_dir`` (not lessons/) and is returned: autograde uses
    it to detect edited or deleted locked cells.  ``db_url`` defaults to the
    course gradebook.
    """
    generate(course, [assignment], release_dir, database=True, db_url=db_url)
    return Path(release_dir) / assignment / f"{assignment}.ipynb"


def read_scores(db_url: str, assignment: str, student: str) -> tuple[float, float, dict[str, float]]:
    """(score, max_score, {grade_id: auto score}) of one submission."""
    with gradebook(db_url) as gb:
        submission = gb.find_submission(assignment, student)
        cells = {grade.name: grade.auto_score for nb in submission.notebooks for grade in nb.grades}
        return float(submission.score), float(submission.max_score), cells


def worker_grades(db_url: str, assignment: str, student: str) -> dict:
    """What ``store_grades`` copies from a worker's private gradebook, as plain data that
    travels to the instructor's process (pickled, from a pool or cluster worker):
    ``{notebook: {"late_penalty": p, "grades": {grade_id: [auto_score, needs_manual_grade]},
    "comments": {name: auto_comment}}}``."""
    with gradebook(db_url) as gb:
        submission = gb.find_submission(assignment, student)
        return {nb.name: {"late_penalty": nb.late_submission_penalty,
                          "grades": {g.name: [g.auto_score, bool(g.needs_manual_grade)] for g in nb.grades},
                          "comments": {c.name: c.auto_comment for c in nb.comments}}
                for nb in submission.notebooks}


def manual_grades(db_url: str, assignment: str, student: str) -> tuple[float, dict[str, float], dict[str, str]]:
    """What the gradebook says now, an instructor's manual scores included:
    (total, {grade_id: score}, {grade_id: "manual (auto a)"} for each manually graded cell).

    nbgrader's ``Grade.score`` is the manual score (plus extra credit) when Formgrader set
    one, else the auto score; the submission's total is their sum.
    """
    with gradebook(db_url) as gb:
        submission = gb.find_submission(assignment, student)
        cells, manual = {}, {}
        for nb in submission.notebooks:
            for grade in nb.grades:
                cells[grade.name] = float(grade.score)
                if grade.manual_score is not None:
                    auto = "none" if grade.auto_score is None else f"{grade.auto_score:g}"
                    manual[grade.name] = f"{grade.score:g} (auto {auto})"
        return float(submission.score), cells, manual


def exercise_of_tests(course: Course, assignment: str) -> tuple[list[str], dict[str, str]]:
    """(solution cells in order, {test cell: the solution cell above it}) of the lesson."""
    path = course.source_notebook(assignment)
    stat = path.stat()
    solutions, owner = _exercise_of_tests(str(path), stat.st_mtime_ns, stat.st_size)
    return list(solutions), dict(owner)


@functools.lru_cache(maxsize=16)
def _exercise_of_tests(path: str, _mtime_ns: int, _size: int):
    """``exercise_of_tests`` of one version of a lesson file (read once per batch, not per
    student)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    solutions, owner, last = [], {}, None
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id"):
            last = meta["grade_id"]
            solutions.append(last)
        elif meta.get("grade") and meta.get("grade_id") and last:
            owner[meta["grade_id"]] = last
    return solutions, owner


def instructor_notes(record: Record, solutions: list[str], owner: dict[str, str]) -> dict[str, str]:
    """{solution cell: note}: the record's flags (with their evidence and the error) on the
    first exercise, each misconception id on the exercise whose tests named it."""
    if not solutions:
        return {}
    lines: dict[str, list[str]] = {}
    if record.flags:
        flags = "; ".join(flag + (f" ({', '.join(record.details[flag])})" if record.details.get(flag) else "")
                          for flag in record.flags)
        error = f"; {record.error.strip()[-NOTES_ERROR_CHARS:]}" if record.error.strip() else ""
        lines.setdefault(solutions[0], []).append(f"flags: {flags}{error}")
    named: dict[str, dict[str, list[str]]] = {}
    for test in record.tests:
        for mid in test.get("misconceptions", []):
            cell = owner.get(test.get("grade_id"), solutions[0])
            named.setdefault(cell, {}).setdefault(mid, []).append(test["grade_id"])
    for cell, ids in named.items():
        lines.setdefault(cell, []).append(
            "misconceptions: " + "; ".join(f"[{mid}] ({', '.join(tests)})" for mid, tests in sorted(ids.items())))
    return {cell: f"{NOTES_PREFIX} " + " | ".join(text) for cell, text in lines.items()}


def _annotate(gb, course: Course, record: Record) -> None:
    """Put the grader's flags and misconception ids where Formgrader shows them: nbgrader's
    flag on the submitted notebook (raised, never cleared: a human may have set it) and the
    automatic comment of the exercise cells (after nbgrader's own, e.g. "No response.")."""
    solutions, owner = exercise_of_tests(course, record.assignment)
    notes = instructor_notes(record, solutions, owner)
    for notebook in gb.find_submission(record.assignment, record.student).notebooks:
        if record.flags:
            notebook.flagged = True
        for comment in notebook.comments:
            mine = notes.get(comment.name)
            if not mine:
                continue
            own = (comment.auto_comment or "").split(NOTES_PREFIX)[0].strip()
            comment.auto_comment = f"{own}\n\n{mine}" if own else mine


def store_grades(course: Course, record: Record, *, grades: dict | None = None,
                 timestamp=None) -> None:
    """Write one graded submission into the course gradebook.

    With ``grades`` (``worker_grades`` of the worker's private gradebook) the auto
    scores, comments and late penalties are the worker's; without them (invalid
    notebook, crash) every graded cell gets 0 and is marked for manual review.  A
    missing submission gets no gradebook entry, as in nbgrader.  Manual scores are
    never touched.  The record's flags and misconception ids go where Formgrader shows
    them (``_annotate``).
    """
    if "missing" in record.flags:
        return
    with gradebook(course.db_url) as gb:
        gb.update_or_create_student(record.student)
        if timestamp is not None:
            submission = gb.update_or_create_submission(record.assignment, record.student,
                                                        timestamp=timestamp)
        else:
            submission = gb.update_or_create_submission(record.assignment, record.student)
        if grades is not None and record.graded:
            targets = {nb.name: nb for nb in submission.notebooks}
            for name, worker_nb in grades.items():
                target = targets[name]
                target.late_submission_penalty = worker_nb["late_penalty"]
                # One lookup table per notebook, not one six-table join per cell.
                by_name = {grade.name: grade for grade in target.grades}
                comments = {comment.name: comment for comment in target.comments}
                for grade_id, (auto_score, needs_manual) in worker_nb["grades"].items():
                    grade = by_name[grade_id]
                    grade.auto_score = auto_score
                    grade.needs_manual_grade = grade.manual_score is not None or needs_manual
                for comment_name, text in worker_nb["comments"].items():
                    comments[comment_name].auto_comment = text
        else:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = True
                for comment in notebook.comments:  # an earlier grading's notes
                    comment.auto_comment = None
        _annotate(gb, course, record)
        gb.db.commit()


def course_scores(course: Course) -> dict[tuple[str, str], tuple[float, float]]:
    """{(student, assignment): (score, max_score)} for every submission in the gradebook."""
    if not course.gradebook.exists():
        return {}
    scores = {}
    with gradebook(course.db_url) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                scores[(submission.student.id, assignment.name)] = (
                    float(submission.score), float(submission.max_score))
    return scores


def assignment_max_scores(course: Course) -> dict[str, float]:
    if not course.gradebook.exists():
        return {}
    with gradebook(course.db_url) as gb:
        return {a.name: float(a.max_score) for a in gb.assignments}

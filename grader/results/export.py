"""Grades CSV: ``student,assignment,score,max_score,flags``, one row per student and lesson.

Scores come from the gradebook (so manual overrides made in nbgrader's
formgrader count); flags come from the grading records.  Rows cover every
student known to the gradebook or to submitted/ and every lesson that has been
graded; a student without a submission for a graded lesson gets score 0 and
the flag ``missing``.
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..config import Course
from ..gradebook.gradebook import assignment_max_scores, course_scores
from ..gradebook.records import load_records, recorded_assignments

HEADER = ["student", "assignment", "score", "max_score", "flags"]


def _number(value: float) -> str:
    return f"{value:g}"


def grade_rows(course: Course, assignments: list[str] | None = None) -> list[dict]:
    scores = course_scores(course)
    max_scores = assignment_max_scores(course)
    records = {}
    for assignment in recorded_assignments(course):
        for record in load_records(course, assignment):
            records[(record.student, assignment)] = record
    lessons = sorted(set(max_scores) | {a for _, a in records})
    if assignments:
        lessons = [a for a in lessons if a in assignments]
    students = sorted({s for s, _ in scores} | {s for s, _ in records} | set(course.students()))

    rows = []
    for student in students:
        for assignment in lessons:
            record = records.get((student, assignment))
            flags = list(record.flags) if record else []
            if (student, assignment) in scores:
                score, max_score = scores[(student, assignment)]
            else:
                score = 0.0
                max_score = max_scores.get(assignment, record.max_score if record else 0.0)
                if not flags:
                    flags = ["missing"]
            rows.append({"student": student, "assignment": assignment, "score": _number(score),
                         "max_score": _number(max_score), "flags": ";".join(flags)})
    return rows


def export_grades(course: Course, out: str | Path | None = None,
                  assignments: list[str] | None = None) -> tuple[Path, int]:
    """Write the CSV (default ``grades.csv`` in the course root); return (path, rows)."""
    path = Path(out) if out else course.root / "grades.csv"
    rows = grade_rows(course, assignments)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path, len(rows)

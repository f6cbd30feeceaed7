"""Grades CSV: ``student,assignment,score,max_score,flags``, one row per student and lesson.

Scores come from the gradebook (so manual overrides made in nbgrader's
formgrader count); flags come from the grading records.  Rows cover every
student known to the gradebook or to submitted/ and every lesson that has been
graded; a student without a submission for a graded lesson gets score 0 and
the flag ``missing``.

``fmt`` chooses the shape (``python -m grader export --format``):

``long`` (the default)
    the columns above.
``canvas``
    Canvas's gradebook import: ``Student, ID, SIS User ID, SIS Login ID, Section``,
    then one column per lesson, and a ``Points Possible`` row first.  ``ID`` is the
    student id (the folder name under submitted/, which ``grader collect`` takes
    from Canvas's file names: Canvas's user id); ``Student`` is the name the
    gradebook knows ("Last, First") or the id; the SIS columns and ``Section`` stay
    empty (Canvas matches a row by one of ID / SIS User ID / SIS Login ID).
``moodle``
    Moodle's grade import (Grades > Import > CSV file): ``ID number, Email
    address, Full name``, then one column per lesson (points).  ``ID number`` is
    the student id; map it (or the e-mail address, filled when the gradebook has
    one) to the Moodle field that holds it under "Identify user by", and each
    lesson column to its grade item.

Formats checked against (public sources, 2026-12): Canvas, the Instructor Guide's "How
do I import grades in the Gradebook?" as its column list is quoted in
ucfopen/Materia#1071 (Student Name, Student ID, SIS User ID, SIS Login ID, Section,
then assignment columns, "retain IDs for existing assignments") and Ohio State's
"Import a CSV File to Carmen Grades" (new assignment columns create assignments);
PrairieLearn/PrairieLearn#4547 (tested imports: Student and Section must be there,
Section may be blank; an assignment column matches by exact name without the id)
and PrairieLearn/PrairieLearn#14628 (its Canvas export puts a "Points Possible" row
first).  Moodle, grade/import/csv in moodle/moodle (``gradeimport_csv_load_data``:
a header row, one identifier column mapped to user id, username, ID number or
e-mail address under "Identify user by", grade item columns mapped by the
teacher).  A lesson column is named after the lesson: name the Canvas assignment
the same, or rename the column to Canvas's ``Name (id)`` of an existing one.
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..config import Course
from ..gradebook.gradebook import assignment_max_scores, course_scores
from ..gradebook.records import load_records, recorded_assignments

HEADER = ["student", "assignment", "score", "max_score", "flags"]
FORMATS = ("long", "canvas", "moodle")
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_HEADER = ["ID number", "Email address", "Full name"]


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


def student_details(course: Course) -> dict[str, dict[str, str]]:
    """student id -> {"name": "Last, First" or "", "email": ...} from the gradebook."""
    if not course.gradebook.exists():
        return {}
    from ..gradebook.gradebook import gradebook

    with gradebook(course.db_url) as gb:
        return {s.id: {"name": ", ".join(p for p in (s.last_name, s.first_name) if p),
                       "email": s.email or ""} for s in gb.students}


def wide_rows(course: Course, rows: list[dict], fmt: str) -> tuple[list[str], list[list[str]]]:
    """The long rows as one row per student and one column per lesson (Canvas, Moodle)."""
    lessons = sorted({r["assignment"] for r in rows})
    students = sorted({r["student"] for r in rows})
    score = {(r["student"], r["assignment"]): r["score"] for r in rows}
    max_score = {r["assignment"]: r["max_score"] for r in rows}
    details = student_details(course)
    table = []
    if fmt == "canvas":
        header = CANVAS_HEADER + lessons
        table.append(["Points Possible", "", "", "", ""] + [max_score[a] for a in lessons])
        for student in students:
            name = details.get(student, {}).get("name") or student
            table.append([name, student, "", "", ""] + [score.get((student, a), "0") for a in lessons])
    else:
        header = MOODLE_HEADER + lessons
        for student in students:
            info = details.get(student, {})
            table.append([student, info.get("email", ""), info.get("name", "")]
                         + [score.get((student, a), "0") for a in lessons])
    return header, table


def export_grades(course: Course, out: str | Path | None = None,
                  assignments: list[str] | None = None, fmt: str = "long") -> tuple[Path, int]:
    """Write the CSV (default ``grades.csv`` in the course root) in ``fmt`` (see the module
    docstring); return (path, data rows: students and lessons for long, students otherwise)."""
    if fmt not in FORMATS:
        raise KeyError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    path = Path(out) if out else course.root / "grades.csv"
    rows = grade_rows(course, assignments)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        if fmt == "long":
            writer = csv.DictWriter(handle, fieldnames=HEADER, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            return path, len(rows)
        header, table = wide_rows(course, rows, fmt)
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(table)
    return path, len({r["student"] for r in rows})

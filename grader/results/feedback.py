"""Per-student feedback HTML that never shows hidden tests.

nbgrader's GenerateFeedback renders ``autograded/<student>/<lesson>/`` to
``feedback/<student>/<lesson>/<lesson>.html`` with the scores from the
gradebook.  Our configuration adds ``HideHiddenTests`` before rendering
(``grader.judge.hidden_tests``); afterwards every page is checked for hidden test
lines, and a page that still shows one is deleted and reported.  Only the HTML
is kept in a feedback folder (nbgrader would also copy the lesson's other
files there).  A submission that could not be graded (missing, invalid
notebook, crashed kernel) gets a short page saying so.
"""
from __future__ import annotations

import html
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from ..config import Course, course_directory, ensure_tools_on_path, nbgrader_config, quiet_nbgrader_logs
from ..gradebook.gradebook import MANUAL_VIEW_NOTE, NOTES_PREFIX, gradebook
from ..gradebook.records import load_records
from ..judge.hidden_tests import HideHiddenTests, find_leaks, secret_lines
from ..nbgrader_seam import feedback_preprocessors

_UNGRADED_TEXT = {
    "missing": "No notebook was submitted for this lesson.",
    "invalid-notebook": "The submitted file could not be opened as a notebook (it is not valid "
                        "notebook JSON), so it could not be graded.",
    "kernel-died": "Python crashed while your notebook was running, so it could not be graded. "
                   "Run it top to bottom yourself (Kernel > Restart & Run All) to find the cell.",
    "error": "Your notebook could not be graded automatically. Your instructor will look at it.",
}


class DropInstructorNotes(NbGraderPreprocessor):
    """The grader's notes for the instructor (flags, misconception ids: the automatic
    comment Formgrader shows, ``gradebook._annotate``; the note atop an ungraded
    submission's manual-grading view) stay out of the student's page; nbgrader's own
    comment and anything the instructor typed stay in."""

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if not cell.get("metadata", {}).get(MANUAL_VIEW_NOTE)]
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            comment = meta.get("comment")
            if isinstance(comment, str) and NOTES_PREFIX in comment:
                meta["comment"] = comment.split(NOTES_PREFIX)[0].strip() or None
        return nb, resources


@dataclass
class FeedbackResult:
    written: list[Path] = field(default_factory=list)
    leaks: dict[str, list[str]] = field(default_factory=dict)  # student -> leaked lines (page removed)
    errors: list[str] = field(default_factory=list)


def hidden_secrets(course: Course, assignment: str) -> list[str]:
    """Hidden test lines of ``assignment``, from the solution and the gradebook."""
    sources = []
    nb = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    sources += [cell.source for cell in nb.cells if cell.cell_type == "code"]
    if course.gradebook.exists():
        with gradebook(course.db_url) as gb:
            try:
                for notebook in gb.find_assignment(assignment).notebooks:
                    sources += [cell.source for cell in notebook.source_cells]
            except Exception:  # noqa: BLE001 - MissingEntry: not graded yet
                pass
    return secret_lines(sources)


def _ungraded_page(student: str, assignment: str, flags: list[str], score: float = 0.0) -> str:
    reason = next((_UNGRADED_TEXT[f] for f in _UNGRADED_TEXT if f in flags), _UNGRADED_TEXT["error"])
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(assignment)}"
            f"</title></head>\n<body>\n<h1>{html.escape(assignment)}: feedback for "
            f"{html.escape(student)}</h1>\n<p>Score: {score:g}</p>\n<p>{html.escape(reason)}</p>\n</body></html>\n")


def feedback_config(course: Course):
    """The course's nbgrader config with HideHiddenTests after GetGrades (which needs the
    grade ids) and before the HTML is rendered."""
    config = nbgrader_config(course)
    config.GenerateFeedback.preprocessors = feedback_preprocessors([HideHiddenTests, DropInstructorNotes])
    # Only in the config this converter runs with: Formgrader's manual-grading page
    # renders with the HTMLExporter too, and its own template (grader.config).
    config.HTMLExporter.template_name = "feedback"
    return config


def generate_feedback(course: Course, assignment: str, students: list[str] | None = None) -> FeedbackResult:
    """Write feedback for every graded student of ``assignment`` (or only ``students``)."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.utils import capture_log

    ensure_tools_on_path()
    quiet_nbgrader_logs()
    result = FeedbackResult()
    records = {r.student: r for r in load_records(course, assignment)
               if not students or r.student in students}
    secrets = hidden_secrets(course, assignment)
    config = feedback_config(course)

    graded = []
    for student, record in sorted(records.items()):
        page = course.feedback_html(student, assignment)
        if page.parent.exists():
            shutil.rmtree(page.parent)
        if record.graded and course.autograded_notebook(student, assignment).is_file():
            graded.append(student)
        else:
            page.parent.mkdir(parents=True)
            page.write_text(_ungraded_page(student, assignment, record.flags, record.score))
            result.written.append(page)

    # One nbgrader run for the whole class (or one per named student); an ungraded
    # submission's autograded notebook (autograde.write_manual_view, for Formgrader) is
    # never rendered: its page is the short one written above.
    ungraded = [s for s in records if s not in graded]
    for pattern in (["*"] if students is None else graded):
        coursedir = course_directory(course, config, assignment_id=assignment, student_id=pattern,
                                     student_id_exclude=",".join(ungraded))
        converter = GenerateFeedback(coursedir=coursedir, config=config)
        converter.force = True
        capture_log(converter)  # failures show up below as missing pages

    for student in graded:
        page = course.feedback_html(student, assignment)
        if not page.is_file():
            result.errors.append(f"{student}: nbgrader could not render the feedback page")
            continue
        for other in page.parent.rglob("*"):  # keep the page only
            if other.is_file() and other != page:
                other.unlink()
        leaked = find_leaks(page.read_text(errors="replace"), secrets)
        if leaked:
            page.unlink()
            result.leaks[student] = leaked
            continue
        result.written.append(page)
    return result

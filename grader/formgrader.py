"""nbgrader's own tools (Formgrader's buttons, the ``nbgrader`` command) set up for this course.

A course root's ``nbgrader_config.py`` (``config.COURSE_CONFIG``) merges
``tools_config``.  The grader never reads that file; nbgrader's Formgrader and
``nbgrader`` commands started in the folder do.  Per Formgrader button:

* **Generate** (``nbgrader generate_assignment``): what ``grader build`` does,
  the same converter configuration (``course.build.generate_config``), so
  ``lessons/`` gets the same bytes, DO NOT EDIT mark included, and
  ``grader check`` still passes; the gradebook records the lesson as
  ``autograde`` records it.
* **Autograde** (``nbgrader autograde``): turned off.  The grader's autograde
  sandboxes each kernel, judges test cells in its own process, flags and keeps
  records; none of that can run inside the Jupyter server.  The button fails
  before anything is touched, with the command to run instead.
* **Generate Feedback** (``nbgrader generate_feedback``): the feedback's
  preprocessors (hidden tests out, the instructor notes out); nbgrader picks its
  feedback template itself.  ``grader feedback`` adds a check of every page for
  hidden test lines and the pages of ungraded submissions.
"""
from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import NotebookExporter

from .config import Course
from .course.build import generate_config
from .results.feedback import feedback_config


class AutogradeWithTheGrader(NotebookExporter):
    """Autograde's exporter: refuses to start, naming ``python -m grader autograde``.

    nbgrader's converter builds its exporter before it touches any folder, so the
    autograded notebook and the gradebook stay as they are.
    """

    def __init__(self, *args, **kwargs):
        parent = kwargs.get("parent")
        coursedir = getattr(parent, "coursedir", None)
        lesson = getattr(coursedir, "assignment_id", "") or "LESSON"
        student = getattr(coursedir, "student_id", "*")
        only = f" --student {student}" if student and student != "*" else ""
        message = (f"nbgrader's Autograde is turned off for this course (nbgrader_config.py): it is "
                   f"graded with the grader, which sandboxes and judges every notebook. Run\n"
                   f"    python -m grader autograde {lesson}{only} --force\n"
                   f"in the course folder {getattr(coursedir, 'root', '')}; Formgrader then shows "
                   f"the new grades (manual grades are kept).")
        if parent is not None and getattr(parent, "log", None) is not None:
            parent.log.error(message)
        from nbgrader.converters.base import NbGraderException

        raise NbGraderException(message)


def tools_config(root: str | Path):
    """The traitlets Config a course root's nbgrader_config.py merges."""
    course = Course.at(root)
    config = generate_config(course)
    config.GenerateFeedback.preprocessors = feedback_config(course).GenerateFeedback.preprocessors
    config.Autograde.exporter_class = AutogradeWithTheGrader
    return config

"""The traitlets configuration every nbgrader converter of this project runs with.

Which preprocessors run at each stage (nbgrader's own lists with ours put in by
``grader.nbgrader_seam``), where the course's folders are, and how quiet
nbgrader's logging is.
"""
from __future__ import annotations

from .config import (AUTOGRADED_DIR, CELL_TIMEOUT, FEEDBACK_DIR, IGNORED_FILES, RELEASE_DIR,
                     SOURCE_DIR, SUBMITTED_DIR, Course)
from .hidden_tests import HideHiddenTests
from .judge import JudgedExecute
from .nbgrader_seam import autograde_preprocessors, feedback_preprocessors
from .quiet_stderr import QuietStderr


def nbgrader_config(course: Course, *, cell_timeout: int = CELL_TIMEOUT):
    """The traitlets Config every nbgrader converter of this project runs with."""
    from traitlets.config import Config

    c = Config()
    c.CourseDirectory.root = str(course.root)
    c.CourseDirectory.source_directory = SOURCE_DIR
    c.CourseDirectory.release_directory = RELEASE_DIR
    c.CourseDirectory.submitted_directory = SUBMITTED_DIR
    c.CourseDirectory.autograded_directory = AUTOGRADED_DIR
    c.CourseDirectory.feedback_directory = FEEDBACK_DIR
    c.CourseDirectory.db_url = course.db_url
    c.CourseDirectory.ignore = list(IGNORED_FILES)

    c.Execute.timeout = cell_timeout
    c.Execute.interrupt_on_timeout = True
    # A deleted test cell is put back (and run) rather than silently scoring 0.
    c.OverwriteCells.add_missing_cells = True

    # nbgrader's default lists (nbgrader_seam derives ours from them): Execute
    # swapped for JudgedExecute (test cells judged in the grader's process, not
    # the kernel; warm sandboxed kernels; notebook deadline; bounded outputs) and
    # QuietStderr right after execution, before SaveAutoGrades scores the cells.
    c.Autograde.autograde_preprocessors = autograde_preprocessors([JudgedExecute, QuietStderr])
    # HideHiddenTests runs after GetGrades (which needs the grade ids) and
    # before the HTML is rendered.
    c.GenerateFeedback.preprocessors = feedback_preprocessors([HideHiddenTests])
    c.HTMLExporter.template_name = "feedback"
    return c


def course_directory(course: Course, config, **traits):
    """An nbgrader CourseDirectory for ``course`` (traits override, e.g. assignment_id)."""
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    for name, value in traits.items():
        setattr(coursedir, name, value)
    return coursedir


def quiet_nbgrader_logs(level: int | None = None) -> None:
    """Keep nbgrader's chatter (every copied file, restored cells) off the terminal.

    Converters run under ``nbgrader.utils.capture_log``, which collects their log
    for our records; nothing should fall through to Python's last-resort
    stderr handler and break the progress bar.
    """
    import logging

    level = logging.WARNING if level is None else level
    for name in ("traitlets", "nbgrader", "NbGraderAPI"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = False
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())

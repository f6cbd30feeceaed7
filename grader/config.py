"""The course layout and the nbgrader configuration, in one place.

nbgrader is never configured from a file: every command builds its
``traitlets.config.Config`` here and passes it to nbgrader's converters, so the
CLI behaves the same however it is launched (``python -m grader``, tests, the
benchmark, a notebook).

Layout of a course root (found as nbgrader finds its configuration: the nearest
folder from the working directory up that holds ``nbgrader_config.py``, else the
repository; ``--course-dir`` elsewhere)::

    solutions/<lesson>/<lesson>.ipynb    instructor source   (nbgrader "source")
    lessons/<lesson>/<lesson>.ipynb      generated release   (nbgrader "release")
    submitted/<student>/<lesson>/        what students handed in
    autograded/<student>/<lesson>/       executed, graded copies
    autograded/.grader/<lesson>/         one JSON grading record per student
    feedback/<student>/<lesson>/         per-student HTML
    reports/<lesson>/                    class summary
    gradebook.db                         nbgrader's sqlite gradebook
    nbgrader_config.py                   COURSE_CONFIG: nbgrader's own tools (Formgrader) see this course
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

SOURCE_DIR = "solutions"
RELEASE_DIR = "lessons"
SUBMITTED_DIR = "submitted"
AUTOGRADED_DIR = "autograded"
FEEDBACK_DIR = "feedback"
REPORTS_DIR = "reports"
RECORDS_DIR = ".grader"  # inside autograded/; glob("*") never matches it
GRADEBOOK_FILE = "gradebook.db"
CONFIG_FILE = "nbgrader_config.py"

# The nbgrader_config.py of every course root: the repository's own file, which demo
# copies into its course, so that nbgrader's Formgrader and CLI, started in the
# folder, see the course as the grader does (grader/formgrader.py: what each of their
# buttons does).  One text, kept in the repository's nbgrader_config.py.
COURSE_CONFIG = (REPO_ROOT / CONFIG_FILE).read_text()

# Some lessons train small Keras models inside one cell.
CELL_TIMEOUT = 180
# A kernel that ignores interrupts could stall one notebook for
# cells x CELL_TIMEOUT; past this many cell timeouts the kernel is killed.
NOTEBOOK_TIMEOUT_CELLS = 5

# Files never copied from a lesson folder into lessons/, autograded/ or feedback/.
IGNORED_FILES = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store", "*.log"]

# Environment of every kernel that runs student code.  TensorFlow's C++ and
# absl logging, the oneDNN banner and Python warnings would otherwise reach
# stderr; nbgrader scores a test cell with any stderr output as 0
# (utils.determine_grade).  Not all of it can be silenced from the environment
# (TF 2.21 writes absl's "WARNING: All log messages before
# absl::InitializeLog()" line whatever TF_CPP_MIN_LOG_LEVEL says), so the
# QuietStderr preprocessor is the second line of defence.
KERNEL_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "KERAS_BACKEND": "tensorflow",
    "PYTHONWARNINGS": "ignore",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "TQDM_DISABLE": "1",
    # Lessons read this (course_utils.settings) to train with their short settings
    # whatever the student's TRAIN_LONGER says: grading never waits on a long run.
    "RNN_COURSE_GRADING": "1",
}
# Set in a kernel's environment when grading skips every demonstration cell of its
# notebook and the demonstration work can go too (grader.judge.judge.JudgedExecute).
DEMOS_SKIPPED_VARIABLE = "RNN_COURSE_DEMOS_SKIPPED"


@dataclass(frozen=True)
class Course:
    """Paths of one course root."""

    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike | None = None) -> "Course":
        return cls(Path(root).resolve() if root else REPO_ROOT)

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    def write_config(self) -> Path:
        """Give the course its ``nbgrader_config.py`` (COURSE_CONFIG) if it has none."""
        if not self.config_file.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            self.config_file.write_text(COURSE_CONFIG)
        return self.config_file

    @property
    def source(self) -> Path:
        return self.root / SOURCE_DIR

    @property
    def release(self) -> Path:
        return self.root / RELEASE_DIR

    @property
    def submitted(self) -> Path:
        return self.root / SUBMITTED_DIR

    @property
    def autograded(self) -> Path:
        return self.root / AUTOGRADED_DIR

    @property
    def feedback(self) -> Path:
        return self.root / FEEDBACK_DIR

    @property
    def reports(self) -> Path:
        return self.root / REPORTS_DIR

    @property
    def gradebook(self) -> Path:
        return self.root / GRADEBOOK_FILE

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.gradebook}"

    def records(self, assignment: str) -> Path:
        return self.autograded / RECORDS_DIR / assignment

    def source_notebook(self, assignment: str) -> Path:
        return self.source / assignment / f"{assignment}.ipynb"

    def release_notebook(self, assignment: str) -> Path:
        return self.release / assignment / f"{assignment}.ipynb"

    def submitted_notebook(self, student: str, assignment: str) -> Path:
        return self.submitted / student / assignment / f"{assignment}.ipynb"

    def autograded_notebook(self, student: str, assignment: str) -> Path:
        return self.autograded / student / assignment / f"{assignment}.ipynb"

    def feedback_html(self, student: str, assignment: str) -> Path:
        return self.feedback / student / assignment / f"{assignment}.html"

    def assignments(self) -> list[str]:
        """Lesson folders of solutions/ that hold a notebook of the same name."""
        if not self.source.is_dir():
            return []
        return sorted(p.name for p in self.source.iterdir()
                      if p.is_dir() and (p / f"{p.name}.ipynb").is_file())

    def students(self) -> list[str]:
        """Student ids = folder names under submitted/."""
        if not self.submitted.is_dir():
            return []
        return sorted(p.name for p in self.submitted.iterdir()
                      if p.is_dir() and not p.name.startswith("."))


def find_course(start: str | os.PathLike | None = None) -> Course | None:
    """The course a command run in ``start`` (default: the working directory) is about:
    the nearest folder from there up holding ``nbgrader_config.py``, as nbgrader
    finds its configuration; None if there is none."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return Course(folder)
    return None


def ensure_tools_on_path() -> None:
    """Put the running interpreter's bin/ first on PATH.

    nbgrader shells out to ``alembic`` when it creates or upgrades a gradebook,
    and kernels are started by name; both must come from this venv even when the
    CLI is launched as ``/path/to/.venv/bin/python -m grader`` without activation.
    """
    bindir = os.path.dirname(sys.executable)  # not resolved: keep the venv's bin/
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir] + [p for p in parts if p])


def kernel_environment(threads: int | None = None) -> dict[str, str]:
    """Environment variables for kernels; ``threads`` caps BLAS/TF threads per kernel.

    ``DEMOS_SKIPPED_VARIABLE`` is not among them: whether a notebook's demonstration work
    is skipped is decided per notebook, and set for its kernel, by ``JudgedExecute``."""
    env = dict(KERNEL_ENV)
    if threads:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "TF_NUM_INTRAOP_THREADS"):
            env[name] = str(threads)
    return env


def apply_kernel_environment(threads: int | None = None) -> None:
    """Set the kernel environment in this process; kernels inherit os.environ (an
    instructor's own ``DEMOS_SKIPPED_VARIABLE`` is dropped: ``JudgedExecute`` sets it)."""
    os.environ.pop(DEMOS_SKIPPED_VARIABLE, None)
    os.environ.update(kernel_environment(threads))


def nbgrader_config(course: Course, *, cell_timeout: int = CELL_TIMEOUT):
    """The traitlets Config every nbgrader converter of this project runs with.

    The preprocessors are set where each converter runs: ``autograde.autograde_config``
    and ``results.feedback.feedback_config`` (nbgrader's default lists with ours put
    in by ``nbgrader_seam``).
    """
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
    # No HTMLExporter.template_name here: Formgrader renders its manual-grading page with
    # the HTMLExporter and its own 'formgrade' template, which a course-wide setting would
    # replace (HTTP 500, TemplateNotFound).  The feedback template is set where feedback
    # is rendered (results.feedback.feedback_config), as nbgrader's GenerateFeedback does.
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

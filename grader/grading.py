"""One submission graded, in a grading worker process (the local pool's or a cluster's).

``grade_one(job)`` grades one student's submission of one lesson with nbgrader's
own Autograde converter into a private copy of the template gradebook: the
integrity checks first (locked cells, duplicated cells, static flags), then the
sandboxed run with ``JudgedExecute`` (test cells judged in this process), then the
grading record.  It never raises for one student's problem.  A worker process is
prepared once (``prepare_grading_process``, ``_init_worker``: nbgrader's tools,
the kernels' environment and zygote, the seams).  ``grader.autograde`` (the local
pool) and ``grader.cluster`` (dask workers) run it.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import sys
import time
import traceback
import types
import warnings
from pathlib import Path

import nbformat

from .config import (
    CELL_TIMEOUT,
    Course,
    apply_kernel_environment,
    course_directory,
    ensure_tools_on_path,
    nbgrader_config,
    quiet_nbgrader_logs,
)
from .gradebook.gradebook import read_scores, worker_grades
from .gradebook.records import Record
from .judge import judge
from .judge.integrity import deduplicate_cells, find_submission, static_flags
from .judge.judge import JudgedExecute, exercise_names
from .judge.outcomes import test_outcomes, timed_out
from .nbgrader_seam import (
    KERNEL_DIED,
    TIMEOUT,
    autograde_preprocessors,
    failure_kind,
    take_execution_failure,
    use_inprocess_alembic_head,
    use_schema_checked_once,
    use_shared_engines,
)
from .run import kernels
from .run.quiet_stderr import QuietStderr


def prepare_grading_process(threads: int) -> None:
    """Make this process a grading worker: nbgrader's tools on PATH, the kernels'
    environment (``threads`` BLAS/TF threads each), quiet logs, the seams."""
    ensure_tools_on_path()
    apply_kernel_environment(threads)
    quiet_nbgrader_logs()
    # nbformat and SQLAlchemy warn about nbgrader internals; they are not ours
    # to fix and must not reach the instructor's terminal.
    warnings.simplefilter("ignore")
    use_inprocess_alembic_head()
    use_schema_checked_once()
    use_shared_engines()


def _init_worker(threads: int, preload_notebook: str | None, root: str,
                 sandbox_settings: dict | None = None) -> None:
    """Runs once in each worker process."""
    prepare_grading_process(threads)
    # Sandboxed (grader.run.sandbox), the zygote runs in the worker's bubblewrap
    # container and every kernel, warm or cold, is forked in there.
    zygote = kernels.worker_zygote(preload_notebook, root, sandbox_settings)
    if zygote is not None:
        kernels.use_zygote(zygote)
        # multiprocessing workers skip atexit; its finalizers do run.
        multiprocessing.util.Finalize(None, zygote.close, exitpriority=10)


def _init_pool_worker(*initargs) -> None:
    """``_init_worker`` for a process of ``_run_pool``'s pool, which then exits quickly.

    A spawned worker ends with ``sys.exit``: a full interpreter teardown of nbgrader,
    nbconvert, SQLAlchemy, tornado and zmq (about 0.3 s, after the last student, on
    every batch's critical path).  When the pool lets it go, every result has been
    sent and ``zygote.close`` (a finalizer of higher priority) has run: nothing is
    left that needs the teardown, so the last finalizer ends the process at once.
    """
    _init_worker(*initargs)
    multiprocessing.util.Finalize(None, _exit_now, exitpriority=0)


def _exit_now() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def locked_cell_changes(submitted, release) -> tuple[list[str], list[str]]:
    """(edited, deleted) grade ids: locked code cells whose checksum differs from the
    release, and test or exercise cells absent from the submission."""
    from nbgrader import utils

    present = {}
    for cell in submitted.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            present.setdefault(grade_id, cell)
    edited, deleted = [], []
    for cell in release.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        mine = present.get(grade_id)
        if mine is None:
            if meta.get("grade") or meta.get("solution") or (
                    cell.cell_type == "code" and meta.get("locked")):
                deleted.append(grade_id)
            continue
        if cell.cell_type == "code" and utils.is_locked(cell):
            try:
                same = utils.compute_checksum(mine) == meta.get("checksum")
            except (KeyError, TypeError, ValueError):  # metadata tampered with
                same = False
            if not same:
                edited.append(grade_id)
    return edited, deleted


def _max_points(release) -> float:
    return float(sum(cell.metadata["nbgrader"].get("points", 0) for cell in release.cells
                     if cell.get("metadata", {}).get("nbgrader", {}).get("grade")))


def _summarise_failure(text: str, limit: int = 1500) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-12:])[-limit:]


def autograde_config(course: Course, *, cell_timeout: int = CELL_TIMEOUT):
    """The course's nbgrader config with nbgrader's autograde preprocessors, its Execute
    swapped for JudgedExecute (test cells judged in the grader's process, not the
    kernel; warm sandboxed kernels; notebook deadline; bounded outputs) and
    QuietStderr right after execution, before SaveAutoGrades scores the cells."""
    config = nbgrader_config(course, cell_timeout=cell_timeout)
    config.Autograde.autograde_preprocessors = autograde_preprocessors([JudgedExecute, QuietStderr])
    return config


def _grade(job: dict, record: Record, extra: dict) -> None:
    from nbgrader.converters import Autograde
    from nbgrader.utils import capture_log

    course = Course(Path(job["root"]))
    student, assignment = job["student"], job["assignment"]
    release = nbformat.read(job["release_notebook"], as_version=4)
    record.max_score = _max_points(release)

    folder = course.submitted / student / assignment
    path, renamed = find_submission(folder, f"{assignment}.ipynb")
    if path is None:
        record.add_flag("missing")
        if folder.is_dir() and any(folder.glob("*.ipynb")):
            record.error = "several notebooks, none named " + f"{assignment}.ipynb: " + \
                ", ".join(sorted(p.name for p in folder.glob("*.ipynb")))
        return
    if renamed:
        record.add_flag("renamed", path.name)
    try:
        submitted = nbformat.read(str(path), as_version=4)
        nbformat.validate(submitted)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same to a grader
        record.add_flag("invalid-notebook")
        record.error = f"{type(exc).__name__}: {exc}"[:500]
        return

    copies = deduplicate_cells(submitted)
    if copies:
        record.add_flag("duplicated-cells", *copies)
    edited, deleted = locked_cell_changes(submitted, release)
    if edited:
        record.add_flag("modified-tests", *edited)
        record.error = f"edited locked cells (restored before grading): {', '.join(edited)}"
    if deleted:
        record.add_flag("deleted-cells", *deleted)
        record.error = (record.error + "; " if record.error else "") + \
            f"deleted cells: {', '.join(deleted)}"
    for flag, evidence in static_flags(submitted, release, exercise_names(release)).items():
        record.add_flag(flag, *evidence)

    # nbgrader grades a staged copy: the submission folder as handed in (evidence is
    # never modified), with the notebook under its expected name and repaired cells.
    staged_root = Path(job["workdir"]) / "staged" / student
    staged = staged_root / student / assignment
    shutil.rmtree(staged_root, ignore_errors=True)
    shutil.copytree(folder, staged, symlinks=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.ipynb"))
    nbformat.write(submitted, str(staged / f"{assignment}.ipynb"))

    db = Path(job["workdir"]) / f"{student}.db"
    shutil.copyfile(job["template_db"], db)
    db_url = f"sqlite:///{db}"
    config = autograde_config(course, cell_timeout=job["cell_timeout"])
    config.CourseDirectory.db_url = db_url
    config.CourseDirectory.submitted_directory = str(staged_root)
    # Checkers are loaded by the judge from the instructor's lesson folder, never the student's.
    config.JudgedExecute.checker_path = [str(course.source / assignment)]
    config.JudgedExecute.trusted_notebook = job["release_notebook"]
    config.JudgedExecute.judge_tests = job.get("judge", True)
    config.JudgedExecute.skip_demo_cells = not job.get("run_all_cells", False)
    coursedir = course_directory(course, config, assignment_id=assignment, student_id=student)
    converter = Autograde(coursedir=coursedir, config=config)
    converter.force = True
    take_execution_failure()
    with kernels.notebook_deadline(job["notebook_timeout"]) as deadline:
        result = capture_log(converter)
    # The exception that stopped the notebook (nbgrader only logs it as text).
    failure = failure_kind(take_execution_failure())
    if kernels.ran_unsandboxed():
        record.add_flag("unsandboxed")
    limit_hits = kernels.take_limit_hits()
    if limit_hits:
        record.add_flag("resource-limit", *limit_hits)
    report = judge.LAST_REPORT
    if report.truncated_cells:
        record.add_flag("output-truncated", *(f"cell {i}" for i in report.truncated_cells))
    if report.not_run_cells:   # demonstration cells skipped (their note is in the feedback)
        record.details["not-run"] = list(report.not_run_cells)
    if report.unjudged_cells:  # not calls of a known checker: they ran in the kernel
        record.details["unjudged"] = list(report.unjudged_cells)
    if report.reference_calls:
        record.add_flag("uses-reference", *(f"{name} called the course's {name}"
                                            for name in sorted(report.reference_calls)))

    autograded = course.autograded_notebook(student, assignment)
    if not result["success"] or not autograded.is_file():
        text = f"{result.get('log', '')}\n{result.get('error', '')}"
        if deadline.expired:
            record.add_flag("timeout")
            record.add_flag("error")
            record.error = (f"the notebook ran longer than {job['notebook_timeout']:.0f} s "
                            "and its kernel was killed")
        elif failure == TIMEOUT:
            # nbclient gives up on a kernel that ignores the interrupt.
            record.add_flag("timeout")
            record.add_flag("error")
            record.error = "a cell ran past the time limit and its kernel did not respond to interrupts"
        elif failure == KERNEL_DIED:
            record.add_flag("kernel-died")
            record.error = "the kernel died while running the notebook"
        else:
            record.add_flag("error")
            record.error = _summarise_failure(text)
        return

    graded = nbformat.read(str(autograded), as_version=4)
    outcomes = test_outcomes(graded)
    record.score, record.max_score, cell_scores = read_scores(db_url, assignment, student)
    for outcome in outcomes:  # the gradebook is authoritative for points
        if cell_scores.get(outcome.grade_id) is not None:
            outcome.points = float(cell_scores[outcome.grade_id])
    record.tests = [o.to_dict() for o in outcomes]
    record.misconceptions = sorted({m for o in outcomes for m in o.misconceptions})
    if timed_out(graded):
        record.add_flag("timeout")
    extra["grades"] = worker_grades(db_url, assignment, student)


def grade_one(job: dict) -> dict:
    """Grade one student's submission (runs in a worker process)."""
    started = time.perf_counter()
    record = Record(student=job["student"], assignment=job["assignment"])
    extra: dict = {"grades": None}
    try:
        _grade(job, record, extra)
    except Exception:  # noqa: BLE001 - one student's problem must not stop the batch
        record.add_flag("error")
        record.error = _summarise_failure(traceback.format_exc())
    finally:   # its grades travel in the result (``extra["grades"]``)
        with contextlib.suppress(OSError):
            (Path(job["workdir"]) / f"{job['student']}.db").unlink()
    record.seconds = round(time.perf_counter() - started, 2)
    return {"record": record.to_dict(), **extra}


@contextlib.contextmanager
def _spawning_without_main():
    """Start spawned workers without re-running the caller's ``__main__``.

    multiprocessing's spawn re-imports the parent's main module in every
    worker; the workers need nothing from it, and it may be pytest, a notebook
    or ``python -`` (stdin, which cannot be re-imported at all).
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _failure(job: dict, message: str) -> dict:
    record = Record(student=job["student"], assignment=job["assignment"], flags=["error"],
                    error=message)
    return {"record": record.to_dict(), "grades": None}


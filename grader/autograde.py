"""Grade every submission of one assignment: in parallel, resumable, never stopped by one bad notebook.

Pipeline of ``autograde(course, assignment)``:

1. The assignment is (re)recorded in the course gradebook from solutions/, so
   a fresh clone needs no setup; a *template* gradebook holding only this
   assignment is made for the workers (see ``grader.gradebook.gradebook``).
   Both happen while the workers start.
2. Students are the folder names under submitted/.  A student whose
   submission and assignment tests are unchanged since their last grading
   record is skipped, unless ``force`` (or the last attempt ended in ``error``).
3. ``jobs`` worker processes (one per CPU by default; forked from the command
   line, which then needs no second import of nbgrader, see ``_pool_context``)
   each grade one student at a time with nbgrader's own Autograde converter,
   into a private copy of the template gradebook.  A worker keeps nbgrader
   imported between students and
   forks each fresh kernel from a zygote that has already imported the
   assignment's heavy modules (``grader.run.kernels``), so per-notebook start-up is
   a fork, not a TensorFlow import.
4. As each student finishes, the parent copies the grades into the course
   gradebook (one writer, no sqlite lock fights) and saves a grading record
   (flags, messages, misconception ids; ``grader.gradebook.records``).

A bad submission (missing, invalid JSON, edited or deleted locked cells, an
infinite loop, a crashing kernel) is graded as far as possible and flagged;
it never stops the batch.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
import types
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .config import (
    CELL_TIMEOUT,
    NOTEBOOK_TIMEOUT_CELLS,
    Course,
    apply_kernel_environment,
    course_directory,
    ensure_tools_on_path,
    nbgrader_config,
    quiet_nbgrader_logs,
)
from .gradebook.gradebook import MANUAL_VIEW_NOTE, manual_grades, read_scores, store_grades, sync_assignment
from .gradebook.records import Record, load_record, save_record, source_fingerprint, submission_fingerprint
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
from .run import sandbox as _sandbox
from .run.quiet_stderr import QuietStderr


class GraderError(RuntimeError):
    pass


@dataclass
class AutogradeResult:
    assignment: str
    graded: list[Record] = field(default_factory=list)   # graded in this run
    skipped: list[Record] = field(default_factory=list)  # already graded, unchanged
    seconds: float = 0.0

    @property
    def records(self) -> list[Record]:
        return sorted(self.graded + self.skipped, key=lambda r: r.student)


# ------------------------------------------------------------- worker side


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
    extra["worker_db_url"] = db_url


def write_manual_view(course: Course, record: Record, release_notebook: Path) -> Path | None:
    """For a submission nbgrader could not grade (kernel died, error, invalid notebook):
    an autograded notebook for Formgrader's manual-grading page, which has nothing to show
    otherwise.  It is the notebook as handed in (or, if that cannot be read, the lesson as
    released), not run and without its stored outputs, under a note naming the flags; every test cell scores 0 and needs
    a manual grade (``store_grades``).  Feedback never renders it (``generate_feedback``
    writes these students' short page)."""
    if record.graded or "missing" in record.flags:
        return None
    try:
        path, _ = find_submission(course.submitted / record.student / record.assignment,
                                  f"{record.assignment}.ipynb")
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
        what = "the notebook as handed in, not run"
    except Exception:  # noqa: BLE001 - any unreadable submission: show the lesson instead
        nb = nbformat.read(str(release_notebook), as_version=4)
        what = "the lesson as released (the submission could not be read as a notebook)"
    error = "\n".join(f"    {line}" for line in record.error.strip().splitlines()) if record.error.strip() else ""
    note = (f"**Not graded automatically** (grader flags: {', '.join(record.flags)}). This is {what}; "
            "every test cell scored 0. Give points by hand in the score boxes.\n\n" + error)
    for cell in nb.cells:  # stored outputs were never produced by grading: not shown
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(note.strip(), metadata={MANUAL_VIEW_NOTE: True}))
    out = course.autograded_notebook(record.student, record.assignment)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out))
    return out


def take_gradebook_scores(course: Course, record: Record) -> bool:
    """Give ``record`` the course gradebook's total and per-test points.

    The gradebook holds an instructor's manual grades (Formgrader), which regrading
    keeps; the record, the autograde table, ``export``, ``report`` and feedback then
    all show the same score.  Manually graded cells are listed under
    ``details["manual-grades"]``.  Returns whether the record changed.
    """
    from nbgrader.api import MissingEntry

    if "missing" in record.flags or not course.gradebook.exists():
        return False
    try:
        total, cells, manual = manual_grades(course.db_url, record.assignment, record.student)
    except MissingEntry:
        return False
    before = record.to_dict()
    record.score = total
    for test in record.tests:
        if test.get("grade_id") in cells:
            test["points"] = cells[test["grade_id"]]
    if manual:
        record.details["manual-grades"] = [f"{grade_id}: {text}" for grade_id, text in sorted(manual.items())]
    else:
        record.details.pop("manual-grades", None)
    return record.to_dict() != before


def grade_one(job: dict) -> dict:
    """Grade one student's submission (runs in a worker process)."""
    started = time.perf_counter()
    record = Record(student=job["student"], assignment=job["assignment"])
    extra: dict = {"worker_db_url": None}
    try:
        _grade(job, record, extra)
    except Exception:  # noqa: BLE001 - one student's problem must not stop the batch
        record.add_flag("error")
        record.error = _summarise_failure(traceback.format_exc())
    record.seconds = round(time.perf_counter() - started, 2)
    return {"record": record.to_dict(), **extra}


# ------------------------------------------------------------- parent side


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


def _started() -> None:
    """A worker's first task: it makes the pool start the worker (``_run_pool``)."""


def _pool_context():
    """How ``_run_pool`` starts its workers.

    ``fork`` when this process runs no thread but its main one (``python -m grader``):
    the workers then start with nbgrader, nbconvert and SQLAlchemy already imported,
    where a spawned worker spends about 2 s of CPU importing them at the start of
    every batch.  ``spawn`` otherwise (a notebook's kernel, say): a fork would copy
    threads' locks and sockets it cannot use.
    """
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _run_pool(jobs: list[dict], workers: int, initargs: tuple, on_result,
              prepare=lambda: None) -> None:
    """Run ``grade_one`` over ``jobs``; call ``on_result(job, result)`` as each finishes.

    The workers start (import nbgrader, start their zygote) while this process
    runs ``prepare()``, the set-up the jobs need (the assignment in the course
    gradebook, its release copy, the template gradebook).
    If a worker process dies (which student code cannot cause: it runs in a
    kernel), the affected students are retried once, one at a time.
    """
    pending, retried = list(jobs), False
    context = _pool_context()
    while pending:
        crashed = []
        size = max(1, min(workers, len(pending)))
        with ProcessPoolExecutor(max_workers=size, mp_context=context,
                                 initializer=_init_pool_worker, initargs=initargs) as pool:
            with _spawning_without_main():  # a worker starts for each task submitted
                for _ in range(size):       # while no worker is idle
                    pool.submit(_started)
            prepare()
            prepare = lambda: None  # noqa: E731 - once, not again for a retry
            with _spawning_without_main():
                futures = {pool.submit(grade_one, job): job for job in pending}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    crashed.append(job)
                    continue
                except Exception as exc:  # noqa: BLE001 - a worker's error is this student's result
                    result = _failure(job, f"{type(exc).__name__}: {exc}")
                on_result(job, result)
        pending = []
        if crashed and not retried:
            pending, workers, retried = crashed, 1, True
        else:
            for job in crashed:
                on_result(job, _failure(job, "the grading worker process crashed"))


def _run_inline(jobs: list[dict], initargs: tuple, on_result, prepare=lambda: None) -> None:
    """One worker's worth of grading in this process: no pool to start for one student."""
    saved_env = dict(os.environ)
    zygote = kernels.current_zygote()
    try:
        with warnings.catch_warnings():
            _init_worker(*initargs)   # the zygote's preload runs while we prepare
            prepare()
            for job in jobs:
                on_result(job, grade_one(job))
    finally:
        mine = kernels.current_zygote()
        if mine is not None and mine is not zygote:
            mine.close()
        kernels.use_zygote(zygote)
        os.environ.clear()
        os.environ.update(saved_env)


def _failure(job: dict, message: str) -> dict:
    record = Record(student=job["student"], assignment=job["assignment"], flags=["error"],
                    error=message)
    return {"record": record.to_dict(), "worker_db_url": None}


def autograde(course: Course, assignment: str, *, jobs: int | None = None, force: bool = False,
              students: list[str] | None = None, cell_timeout: int = CELL_TIMEOUT,
              notebook_timeout: float | None = None, warm_kernels: bool = True,
              progress: bool = True, trust_kernel: bool = False, sandbox: str = "auto",
              memory: int | str | None = None, run_all_cells: bool = False,
              cluster: str | None = None) -> AutogradeResult:
    """Grade ``submitted/*/<assignment>/`` (or only ``students``); see the module docstring.

    ``cluster``: grade on a dask cluster instead of ``jobs`` local processes, a
    scheduler's address or ``local:N`` (``grader.cluster``; the same grading on each
    worker, this process the only writer).

    ``trust_kernel=True`` runs test cells in the student's kernel as plain nbgrader does
    (scores can then be gamed): only for benchmarks and trusted runs.
    ``run_all_cells=True`` runs the demonstration cells too (``grader.run.demo_cells``).
    """
    from tqdm import tqdm

    if assignment not in course.assignments():
        raise GraderError(f"no lesson {assignment!r}: expected {course.source_notebook(assignment)}")
    ensure_tools_on_path()
    quiet_nbgrader_logs()
    use_shared_engines()   # the course gradebook is opened twice per student
    started = time.perf_counter()
    jobs = jobs or os.cpu_count() or 1
    notebook_timeout = notebook_timeout or cell_timeout * NOTEBOOK_TIMEOUT_CELLS
    students = sorted(set(students)) if students else course.students()
    result = AutogradeResult(assignment)
    source_fp = source_fingerprint(course, assignment)

    with tempfile.TemporaryDirectory(prefix="grader-autograde-") as tmp:
        tmp = Path(tmp)
        release_notebook = tmp / "release" / assignment / f"{assignment}.ipynb"
        template_db = tmp / "template.db"

        def record_assignment() -> None:   # done while the workers start
            # The course gradebook and the release copy; then the workers' template.
            sync_assignment(course, assignment, release_notebook.parent.parent)
            sync_assignment(course, assignment, tmp / "template-release",
                            db_url=f"sqlite:///{template_db}")
        (tmp / "work").mkdir()

        todo, fingerprints = [], {}
        for student in students:
            fingerprint = {"submission": submission_fingerprint(course, student, assignment),
                           "source": source_fp}
            previous = load_record(course, assignment, student)
            # Unchanged and graded (or known to be ungradable); a grading
            # *error* may have been transient, so that is tried again.
            up_to_date = (previous is not None and previous.fingerprint == fingerprint
                          and "error" not in previous.flags
                          and (not previous.graded
                               or course.autograded_notebook(student, assignment).is_file()))
            if up_to_date and not force:
                if take_gradebook_scores(course, previous):  # graded by hand since
                    save_record(course, previous)
                result.skipped.append(previous)
                continue
            fingerprints[student] = fingerprint
            todo.append({
                "root": str(course.root), "assignment": assignment, "student": student,
                "template_db": str(template_db), "release_notebook": str(release_notebook),
                "workdir": str(tmp / "work"), "cell_timeout": cell_timeout,
                "notebook_timeout": notebook_timeout, "judge": not trust_kernel,
                "run_all_cells": run_all_cells,
            })

        # Without tqdm's monitor thread: _run_pool forks its workers only from a process
        # that runs no other thread.
        bar = type("Progress", (tqdm,), {"monitor_interval": 0})(
            total=len(todo), desc=f"autograde {assignment}", unit="nb",
            disable=not progress or not todo, dynamic_ncols=True)

        def on_result(job: dict, outcome: dict) -> None:
            record = Record.from_dict(outcome["record"])
            record.fingerprint = fingerprints[record.student]
            timestamp = None
            if "missing" not in record.flags:
                timestamp = course_directory(course, nbgrader_config(course)).get_existing_timestamp(
                    str(course.submitted / record.student / assignment))
            store_grades(course, record, worker_db_url=outcome.get("worker_db_url"),
                         timestamp=timestamp)
            take_gradebook_scores(course, record)  # manual grades kept by store_grades
            write_manual_view(course, record, release_notebook)
            save_record(course, record)
            result.graded.append(record)
            flags = f" [{';'.join(record.flags)}]" if record.flags else ""
            bar.set_postfix_str(f"{record.student} {record.score:g}/{record.max_score:g}{flags}")
            bar.update(1)

        threads = max(1, (os.cpu_count() or 1) // max(1, min(jobs, len(todo) or 1)))
        # The zygotes start before the release is written: they preload what the
        # instructor's notebook imports (the release's imports are the same cells).
        preload = str(course.source_notebook(assignment)) if warm_kernels else None
        try:
            if cluster and todo:   # each worker resolves the sandbox on its own machine
                from .cluster import grade_on_cluster

                grade_on_cluster(cluster, course, assignment, todo, on_result, record_assignment,
                                 release_notebook=release_notebook, template_db=template_db,
                                 workdir=tmp / "work", sandbox=(sandbox, memory, 2 * notebook_timeout),
                                 warm_kernels=warm_kernels)
                return _finished(result, started)
            # --sandbox auto|bwrap|none, --memory: see grader.run.sandbox.
            sandbox_settings = _sandbox.grading_settings(
                sandbox, memory, cpu_seconds=2 * notebook_timeout) if todo else None
            initargs = (threads, preload, str(course.root), sandbox_settings)
            if len(todo) == 1 or jobs == 1:
                _run_inline(todo, initargs, on_result, record_assignment)
            elif todo:
                _run_pool(todo, jobs, initargs, on_result, record_assignment)
            else:
                record_assignment()
        finally:
            bar.close()
    return _finished(result, started)


def _finished(result: AutogradeResult, started: float) -> AutogradeResult:
    result.graded.sort(key=lambda r: r.student)
    result.seconds = time.perf_counter() - started
    return result

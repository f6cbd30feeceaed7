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
   or the workers of a dask cluster (``cluster``: ``grader.cluster``) each grade
   one student at a time (``grader.grading.grade_one``: nbgrader's own Autograde
   converter, into a private copy of the template gradebook).  A worker keeps
   nbgrader imported between students and forks each fresh kernel from a zygote
   that has already imported the assignment's heavy modules
   (``grader.run.kernels``), so per-notebook start-up is a fork, not a TensorFlow
   import.
4. As each student finishes, the parent copies the grades into the course
   gradebook (one writer, no sqlite lock fights) and saves a grading record
   (flags, messages, misconception ids; ``grader.gradebook.records``).

A bad submission (missing, invalid JSON, edited or deleted locked cells, an
infinite loop, a crashing kernel) is graded as far as possible and flagged;
it never stops the batch.
"""
from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import time
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
    course_directory,
    ensure_tools_on_path,
    nbgrader_config,
    quiet_nbgrader_logs,
)
from .gradebook.gradebook import MANUAL_VIEW_NOTE, manual_grades, store_grades, sync_assignment
from .gradebook.records import Record, load_record, save_record, source_fingerprint, submission_fingerprint
from .grading import (  # noqa: F401 - autograde_config, locked_cell_changes: this module's API too
    _failure,
    _init_pool_worker,
    _init_worker,
    _spawning_without_main,
    autograde_config,
    grade_one,
    locked_cell_changes,
)
from .judge.integrity import find_submission
from .nbgrader_seam import (
    use_shared_engines,
)
from .run import kernels
from .run import sandbox as _sandbox


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




# ------------------------------------------------------------- parent side




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
            store_grades(course, record, grades=outcome.get("grades"),
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
                                 sandbox=(sandbox, memory, 2 * notebook_timeout),
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

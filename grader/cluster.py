"""Grading on a dask cluster: ``autograde(course, lesson, cluster=ADDRESS)``.

``ADDRESS`` is a running ``dask scheduler`` (``tcp://host:8786``) with its
workers, or ``local:N``, a ``LocalCluster`` of N worker processes started here.

Each task is self-contained, so workers need the course package installed (the
same commit and library versions: checked, ``package_fingerprint``) and
bubblewrap, but no shared filesystem:

* in, once per worker (``client.run(open_lesson)``, and a task every grading
  task depends on, for workers that join later): the lesson's folder of
  solutions/ (its notebook, which the zygote preloads, and the lesson's own
  files), then the release notebook and the template gradebook the instructor's
  process wrote;
* in, per task: one student's submission folder, as bytes;
* out, per task: the grading record, the autograded folder (as bytes) and the
  grades of the worker's private gradebook (``grade_task``).

On a worker a task grades exactly as a process of the local pool does
(``grader.grading.grade_one``): the same sandbox, kernel zygote and judge.
The zygote starts when the lesson is opened and serves the lesson's tasks.  A
worker process grades one student at a time (start workers with
``--nthreads 1``; a lock makes more threads wait), so concurrency follows the
number of worker processes, one per core.

The instructor's process stays the only writer of the course gradebook and the
records (``autograde``'s ``on_result``, as with the local pool): a student is
recorded whole or not at all, and a run that stops (``ClusterLost``) is resumed
by running it again.  While it grades, the scheduler's ``allowed-failures`` is
1 and its ``worker-saturation`` 1.0 (a worker holds only the task it runs): a
student whose worker dies is tried once more (on another worker, or the one its
nanny restarts), and one whose worker dies again is recorded with the ``error``
flag (dask's ``KilledWorker``).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import multiprocessing.util
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .config import IGNORED_FILES, Course

LOCAL = "local:"
WORKDIR_PREFIX = "grader-cluster-"   # + the worker's pid: a worker's lesson folder in its temp dir
CONNECT_TIMEOUT = 20.0     # s to reach a scheduler
WORKERS_TIMEOUT = 60.0     # s for a scheduler without workers to get one
TASKS_PER_WORKER = 3       # submitted ahead of the results: bounds the scheduler's memory
# Versions that can change a score; a worker whose differ from the instructor's is refused.
SCORED_PACKAGES = ("numpy", "scipy", "tensorflow", "keras", "nbgrader", "nbclient", "nbconvert",
                   "nbformat", "ipykernel", "jupyter_client")


class ClusterError(RuntimeError):
    """The cluster cannot grade (no scheduler, no worker, a worker of another version)."""


class ClusterLost(ClusterError):
    """The scheduler went away during a run."""


# ------------------------------------------------------------------ shipped bytes


def _ignored(relative: PurePosixPath) -> bool:
    return any(part.startswith(".") or any(PurePosixPath(part).match(p) for p in IGNORED_FILES)
               for part in relative.parts)


def folder_files(folder: Path, *, skip_ignored: bool = False) -> dict[str, bytes]:
    """{posix relative path: bytes} of the regular files under ``folder`` (symlinks are not
    followed or shipped); ``skip_ignored`` drops what nbgrader ignores (``IGNORED_FILES``)."""
    files: dict[str, bytes] = {}
    for parent, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(parent, d)))
        for name in sorted(names):
            path = Path(parent, name)
            relative = PurePosixPath(path.relative_to(folder).as_posix())
            if path.is_symlink() or not path.is_file() or (skip_ignored and _ignored(relative)):
                continue
            files[str(relative)] = path.read_bytes()
    return files


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``folder_files``' output under ``folder`` (paths that would leave it are refused)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"a shipped file name leaves its folder: {name!r}")
        path = folder.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def package_fingerprint() -> dict[str, str]:
    """What a worker must share with the instructor's process for the same scores: the
    Python version, the versions of ``SCORED_PACKAGES`` and a digest of the course
    package's sources (``course_utils`` and ``grader``: checkers, judge, grading)."""
    from importlib import metadata

    found = {"python": "%d.%d" % sys.version_info[:2]}
    for name in SCORED_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for package in (here.parent / "course_utils", here):
        for path in sorted(package.rglob("*.py")):
            digest.update(path.relative_to(package.parent).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    found["course package"] = digest.hexdigest()[:16]
    return found


_FINGERPRINT: dict[str, str] | None = None


def _own_fingerprint() -> dict[str, str]:
    global _FINGERPRINT
    if _FINGERPRINT is None:
        _FINGERPRINT = package_fingerprint()
    return _FINGERPRINT


# ------------------------------------------------------------------ worker side


@dataclass
class _OpenLesson:
    key: str
    root: Path              # a course root of this lesson only: solutions/, submitted/, autograded/
    zygote: object | None
    release_notebook: Path
    template_db: Path
    warning: str = ""


_open: _OpenLesson | None = None
_lock = threading.Lock()   # one student at a time per worker process
_exit_hook_installed = False


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except ValueError:      # not in a dask worker (tests call these directly)
        return "this process"


def _open_lesson(lesson: dict) -> _OpenLesson:
    """This process's state for ``lesson`` (opened if it is not the open one)."""
    global _open, _exit_hook_installed
    from .config import apply_kernel_environment, ensure_tools_on_path
    from .run import sandbox as _sandbox
    from .run.zygote import worker_zygote_preloading

    if _open is not None and _open.key == lesson["key"]:
        return _open
    close_lesson()
    mine = _own_fingerprint()
    if mine != lesson["packages"]:
        differ = ", ".join(f"{name} {mine.get(name)} (instructor: {value})"
                           for name, value in lesson["packages"].items() if mine.get(name) != value)
        raise ClusterError(f"worker {_worker_address()} has other versions: {differ}; install the "
                           "instructor's commit of the course (make env) on it")
    _remove_orphans()
    root = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-"))
    assignment = lesson["assignment"]
    course = Course(root)
    zygote = None
    try:
        write_files(course.source / assignment, lesson["files"])
        # The zygote first (its environment, then the light modules that start it): nbgrader
        # and Jupyter are imported below while it preloads TensorFlow.
        threads = lesson["threads"].get(_worker_address(), 1)
        ensure_tools_on_path()
        apply_kernel_environment(threads)
        warning = io.StringIO()
        with contextlib.redirect_stderr(warning):   # said once by the instructor's process
            settings = _sandbox.grading_settings(*lesson["sandbox"])
        zygote = worker_zygote_preloading(lesson["preload"], str(root), settings)
        from . import grading
        from .run import kernels

        grading.prepare_grading_process(threads)
    except BaseException:   # no sandbox here (--sandbox bwrap), a full disk: nothing left behind
        if zygote is not None:
            zygote.close()
        shutil.rmtree(root, ignore_errors=True)
        raise
    kernels.note_sandboxing(settings)
    kernels.use_zygote(zygote)
    _open = _OpenLesson(lesson["key"], root, zygote, root / "release" / assignment / f"{assignment}.ipynb",
                        root / "template.db", warning.getvalue().strip())
    if not _exit_hook_installed:   # dask's worker processes run multiprocessing's finalizers
        multiprocessing.util.Finalize(None, close_lesson, exitpriority=10)
        if multiprocessing.parent_process() is not None:   # a nanny's worker process
            # As the local pool's workers do (grader.grading._init_pool_worker): once the
            # worker has closed and the lesson is closed, skip Python's teardown of
            # nbgrader, SQLAlchemy, tornado and zmq (0.3 s, at the end of every local:N run).
            multiprocessing.util.Finalize(None, grading._exit_now, exitpriority=0)
        _exit_hook_installed = True
    return _open


def _remove_orphans() -> None:
    """Remove the lesson folders of worker processes that were killed (nothing else
    removes them) on this machine."""
    from .run.sandbox import owner_gone

    for folder in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*-*"):
        if owner_gone(folder.name, WORKDIR_PREFIX):
            shutil.rmtree(folder, ignore_errors=True)


def _stop_profiling() -> None:
    """Stop dask's statistical profiler in this worker: every 10 ms it samples the stack
    of the thread that grades (20 students of lesson 03 on local:2: 0.4 and 0.8 s
    sooner without it, in two alternating pairs of runs)."""
    try:
        from distributed import get_worker

        callbacks = get_worker().periodic_callbacks
    except (ImportError, ValueError, AttributeError):
        return
    for name in ("profile", "profile-cycle"):
        if name in callbacks:
            callbacks[name].stop()


def open_lesson(lesson: dict) -> dict:
    """Open ``lesson`` in this worker (``client.run``): check the versions, start the zygote
    (its preload runs while the instructor's process records the assignment).
    Returns ``{"warning": ...}`` or ``{"error": ...}``."""
    _stop_profiling()
    # client.run calls this on the worker's event loop: never wait there for a task
    # (of another batch) to finish; its next task of this lesson opens it instead.
    if not _lock.acquire(blocking=False):
        return {"warning": ""}
    try:
        return {"warning": _open_lesson(lesson).warning}
    except ClusterError as exc:
        return {"error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - reported by the instructor's process
        return {"error": f"worker {_worker_address()}: {type(exc).__name__}: {exc}"}
    finally:
        _lock.release()


def finish_lesson(key: str) -> None:
    """The end of a run (``client.run``): close lesson ``key`` if this worker has it open
    and grades nothing now.  A worker busy with a task of another run (another batch on
    the same cluster) keeps it; that run closes its own."""
    if not _lock.acquire(blocking=False):
        return
    try:
        if _open is not None and _open.key == key:
            close_lesson()
    finally:
        _lock.release()


def close_lesson() -> None:
    """Stop this worker's zygote and remove its files (before a new lesson, at exit)."""
    global _open
    state, _open = _open, None
    if state is None:
        return
    from .run import kernels

    if state.zygote is not None:
        with contextlib.suppress(Exception):
            state.zygote.close()
        if kernels.current_zygote() is state.zygote:
            kernels.use_zygote(None)
    shutil.rmtree(state.root, ignore_errors=True)


def grade_task(bundle: dict, job: dict) -> dict:
    """One student, graded on a dask worker: ``job`` is ``autograde``'s job plus the
    submission folder's files (``"submission"``, None if there is none).  Returns
    ``{"record", "autograded", "grades", "worker"}``; never raises for one
    student's problem."""
    from .grading import _failure, _summarise_failure

    started = time.perf_counter()
    with _lock:
        try:
            state = _open_lesson(bundle["lesson"])
            if not state.template_db.exists():
                write_files(state.release_notebook.parent, {state.release_notebook.name: bundle["release"]})
                state.template_db.write_bytes(bundle["template_db"])
            result = _grade_here(state, job)
        except Exception:  # noqa: BLE001 - this student's error, like grade_one's
            result = _failure(job, _summarise_failure(traceback.format_exc()))
            result["record"]["seconds"] = round(time.perf_counter() - started, 2)
            result.update(autograded=None)
    result["worker"] = _worker_address()
    return result


def _grade_here(state: _OpenLesson, job: dict) -> dict:
    from . import grading

    course = Course(state.root)
    student, assignment = job["student"], job["assignment"]
    for folder in (course.submitted / student, course.autograded / student):
        shutil.rmtree(folder, ignore_errors=True)
    (course.submitted / student).mkdir(parents=True)
    if job["submission"] is not None:
        write_files(course.submitted / student / assignment, job["submission"])
    work = state.root / "work"
    work.mkdir(exist_ok=True)
    local = {key: value for key, value in job.items() if key != "submission"}
    local.update(root=str(state.root), template_db=str(state.template_db),
                 release_notebook=str(state.release_notebook), workdir=str(work))
    try:
        outcome = grading.grade_one(local)   # looked up here: tests stand in for it
        graded = course.autograded / student / assignment
        return {"record": outcome["record"], "grades": outcome["grades"],
                "autograded": folder_files(graded) if graded.is_dir() else None}
    finally:   # (grade_one deletes the student's private gradebook)
        for folder in (course.submitted / student, course.autograded / student, work / "staged" / student):
            shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------ instructor side


def _set_retries(dask_scheduler, allowed_failures: int, saturation: float) -> tuple:
    """Set how often a task may lose its worker, and how many tasks a worker holds per
    thread (1.0: only the one it runs, so a dying worker takes only that one down with
    it); return the previous values."""
    old = dask_scheduler.allowed_failures, dask_scheduler.WORKER_SATURATION
    dask_scheduler.allowed_failures, dask_scheduler.WORKER_SATURATION = allowed_failures, saturation
    return old


@contextlib.contextmanager
def _quiet_dask_logs():
    """distributed's notes (a worker restarted, a task retried, the client reconnecting,
    with tracebacks) would break the progress bar; what they mean reaches the records
    and, for a lost scheduler, ``ClusterLost``'s message."""
    import logging

    import distributed  # noqa: F401 - its loggers exist once it is imported

    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
               if name == "distributed" or name.startswith("distributed.")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


@contextlib.contextmanager
def connect(address: str):
    """A dask ``Client`` of ``address`` (``local:N`` starts and ends a ``LocalCluster``),
    with the scheduler retrying a dead worker's student once while it is open."""
    with _quiet_dask_logs():
        with _connected(address) as client:
            yield client


def _local_worker_config() -> dict:
    """dask settings of a ``local:N`` cluster's workers.

    Forked, as the local pool's are (``grader.autograde._pool_context``), when this
    process runs no thread but its main one: a worker then starts with nbgrader and
    dask imported, where a spawned one imports them again while the zygotes import
    TensorFlow (20 students of lesson 03: 0.6 and 1.2 s sooner in two alternating
    pairs of runs).  The nannies fork from dask's event-loop thread, the only other
    thread then, with the main thread waiting for them.  Without dask's statistical
    profiler (``open_lesson`` stops it on other workers too).
    """
    import threading

    method = "fork" if threading.active_count() == 1 else "spawn"
    return {"distributed.worker.multiprocessing-method": method,
            "distributed.worker.profile.enabled": False}


@contextlib.contextmanager
def _connected(address: str):
    import logging

    import dask
    from distributed import Client, LocalCluster

    from .grading import _spawning_without_main

    cluster = None
    if address.startswith(LOCAL):
        try:
            workers = int(address[len(LOCAL):])
        except ValueError:
            workers = 0
        if workers < 1:
            raise ClusterError(f"--cluster {address}: expected local:N with N >= 1 worker processes")
        with _spawning_without_main(), dask.config.set(_local_worker_config()):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, worker_dashboard_address=None,
                                   memory_limit=0, silence_logs=logging.CRITICAL)
        client = Client(cluster, set_as_default=False)
    else:
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"cannot reach a dask scheduler at {address} within {CONNECT_TIMEOUT:.0f} s "
                               f"({exc}); start one with `dask scheduler` (README: grading on a "
                               "cluster)") from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except TimeoutError:
            raise ClusterError(f"the dask scheduler at {address} has had no worker for "
                               f"{WORKERS_TIMEOUT:.0f} s; start them with `dask worker {address} "
                               "--nthreads 1`") from None
        previous = client.run_on_scheduler(_set_retries, allowed_failures=1, saturation=1.0)
        try:
            yield client
        finally:
            if client.status == "running":
                with contextlib.suppress(Exception):
                    client.run_on_scheduler(_set_retries, allowed_failures=previous[0],
                                            saturation=previous[1])
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=10)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=10)


def kernel_threads(client) -> dict[str, int]:
    """{worker address: BLAS/TF threads per kernel}: a host's cores shared by its workers."""
    cores = client.run(os.cpu_count)
    workers = client.scheduler_info(n_workers=-1)["workers"]
    per_host: dict[str, int] = {}
    for info in workers.values():
        per_host[info["host"]] = per_host.get(info["host"], 0) + max(1, info.get("nthreads", 1))
    return {address: max(1, (cores.get(address) or 1) // per_host.get(info["host"], 1))
            for address, info in workers.items()}


def _lesson_message(lesson: dict) -> dict:
    """``lesson`` with its ``key``: a digest of what a worker opens (files, sandbox, preload)."""
    key = hashlib.sha256()
    for name in sorted(lesson["files"]):
        key.update(name.encode() + b"\0" + lesson["files"][name] + b"\0")
    key.update(repr((lesson["sandbox"], lesson["preload"], sorted(lesson["threads"].items()))).encode())
    return {**lesson, "key": key.hexdigest()}


def grade_on_cluster(address: str, course: Course, assignment: str, jobs: list[dict], on_result: Callable,
                     prepare: Callable[[], None], *, release_notebook: Path, template_db: Path,
                     sandbox: tuple, warm_kernels: bool = True) -> None:
    """Grade ``jobs`` (``autograde``'s) on the cluster at ``address``; call
    ``on_result(job, result)`` here, in this process, as each student finishes, with a
    result shaped as ``grade_one``'s (the autograded folder written under the course).
    ``prepare()`` records the assignment
    while the workers open the lesson.  ``sandbox``: ``(mode, memory, cpu_seconds)``,
    resolved on each worker.  Raises ``ClusterLost`` if the scheduler goes away."""
    from concurrent.futures import CancelledError  # distributed's FutureCancelledError is one

    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    from .grading import _failure
    from .run.zygote import preload_modules

    done, futures = 0, {}
    with connect(address) as client:
        lesson = _lesson_message({
            "assignment": assignment, "packages": _own_fingerprint(), "sandbox": tuple(sandbox),
            "preload": preload_modules(course.source_notebook(assignment)) if warm_kernels else None,
            "threads": kernel_threads(client),
            "files": folder_files(course.source / assignment, skip_ignored=True)})
        try:
            with ThreadPoolExecutor(1) as opener:
                opening = opener.submit(client.run, open_lesson, lesson)
                prepare()
                statuses = opening.result()
            errors = sorted({status["error"] for status in statuses.values() if status.get("error")})
            if errors:
                raise ClusterError("; ".join(errors))
            for warning in sorted({s["warning"] for s in statuses.values() if s.get("warning")}):
                print(warning, file=sys.stderr, flush=True)
            # A task, not scattered data: if every worker holding it dies (a killed worker
            # and its nanny's new process), the scheduler computes it again from its arguments.
            bundle = client.submit(_bundle, lesson, release_notebook.read_bytes(), template_db.read_bytes(),
                                   key=f"lesson-{assignment}-{lesson['key'][:16]}-{os.urandom(4).hex()}")

            def submit(job):
                folder = course.submitted / job["student"] / assignment
                task = {**job, "submission": folder_files(folder) if folder.is_dir() else None}
                return client.submit(grade_task, bundle, task, pure=False,
                                     key=f"grade-{assignment}-{job['student']}-{os.urandom(4).hex()}")

            waiting = list(jobs)
            ahead = TASKS_PER_WORKER * max(1, len(lesson["threads"]))
            for job in waiting[:ahead]:
                futures[submit(job)] = job
            waiting = waiting[ahead:]
            running = as_completed(list(futures), loop=client.loop)
            for future in running:
                job = futures.pop(future)
                try:
                    result = future.result()
                except KilledWorker:
                    result = _died_twice(job)
                except CancelledError as exc:
                    if client.status != "running":
                        raise ClusterLost(_lost_message(address, done, len(jobs))) from None
                    # dask gave up on this one task (its data lost): a rerun grades the student
                    result = _failure(job, f"dask cancelled this student's task: {exc}")
                except Exception as exc:  # noqa: BLE001 - this student's error
                    result = _failure(job, f"{type(exc).__name__}: {exc}")
                if client.status not in ("running", "connecting"):
                    raise ClusterLost(_lost_message(address, done, len(jobs)))
                on_result(job, _received(course, result))
                done += 1
                if waiting:
                    job = waiting.pop(0)
                    new = submit(job)
                    futures[new] = job
                    running.add(new)
        finally:
            if client.status == "running":   # not after a lost scheduler: it would wait for it
                with contextlib.suppress(Exception):
                    client.cancel(list(futures))
                with contextlib.suppress(Exception):
                    client.run(finish_lesson, lesson["key"])


def _bundle(lesson: dict, release: bytes, template_db: bytes) -> dict:
    """What every task of a run needs from the instructor's process (``grade_task``)."""
    return {"lesson": lesson, "release": release, "template_db": template_db}


def _died_twice(job: dict) -> dict:
    from .grading import _failure

    return _failure(job, "the grading worker died twice while grading this notebook "
                         "(it was tried twice); see the workers' logs")


def _lost_message(address: str, done: int, total: int) -> str:
    return (f"lost the dask scheduler at {address} after {done} of {total} students; their grades "
            f"and records are saved. Run the same command again to grade the other {total - done}.")


def _received(course: Course, result: dict) -> dict:
    """A worker's result as ``grade_one`` returns it, its autograded folder written under
    the course (over what is there, as nbgrader's own copy does)."""
    record = result["record"]
    if result.get("autograded") is not None:
        write_files(course.autograded / record["student"] / record["assignment"], result["autograded"])
    return {"record": record, "grades": result.get("grades")}

"""How the kernels that run student code are started, watched and stopped.

``GradingExecute`` is nbgrader's ``Execute`` preprocessor with our kernel
manager.  The manager's provisioner starts each kernel

* warm: forked from a ``Zygote`` (``grader.run.kernel_zygote``) that has already
  imported the assignment's heavy modules, when this process has one; or
* cold: as a normal ``python -m ipykernel_launcher`` subprocess otherwise, or
  whenever the zygote is unavailable.

Either way the kernel is one fresh process per notebook, and every live kernel
is registered so that ``notebook_deadline`` can kill a kernel that ignores
interrupts (nbclient's per-cell timeout interrupts; it cannot kill).

Sandboxed grading (``grader.run.sandbox``): the zygote runs inside one bubblewrap
container per grading worker, every kernel is forked in there (never cold,
never outside), is reached over ZeroMQ ``ipc`` sockets in the container's
socket directory, works in a private directory holding only the student's own
notebook (``sandbox_notebook``), and when it shuts down the zygote kills every
other process of the container and wipes its writable places before the next
student.  A zygote that dies or hangs is replaced by a fresh container.
"""
from __future__ import annotations

import contextlib
import copy
import os
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from ..nbgrader_seam import AdoptingProvisioner, HookedKernelManager, SeamExecute
from .zygote import (  # noqa: F401 - kernels.Zygote & co. are this module's API too
    KERNEL_MODULES,
    NOT_PRELOADED,
    PRELOADABLE,
    READY_TIMEOUT,
    REPLY_TIMEOUT,
    SANDBOX_ENV,
    Zygote,
    ZygoteError,
    _pidfd_pids,
    _sandbox_env,
    pidfd_supported,
    preload_modules,
    worker_zygote_preloading,
    zygote_for,
)

_zygote: "Zygote | None" = None
_live: set["GradingProvisioner"] = set()
_live_lock = threading.Lock()
# The notebook whose kernel starts next (name, bytes), put in its sandbox's working directory.
_notebook_file: tuple[str, bytes] | None = None
# Resource limits the sandboxed kernels hit since ``take_limit_hits()`` was last called.
_limit_hits: list[str] = []


def sandbox_notebook(nb, name: str) -> None:
    """The notebook the next sandboxed kernel finds in its working directory: the
    student's cells as they are, test cells emptied (hidden tests never enter the
    sandbox), no outputs."""
    global _notebook_file
    import nbformat

    if nb is None:
        _notebook_file = None
        return
    view = copy.deepcopy(nb)
    for cell in view.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cell.source = ""
        elif "BEGIN HIDDEN TESTS" in cell.get("source", ""):
            cell.source = ""
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    _notebook_file = (os.path.basename(name) or "notebook.ipynb", nbformat.writes(view).encode())


def _lesson_files(folder, limit: int = 64 * 2**20) -> dict[str, bytes]:
    """The files next to the notebook nbgrader executes (the lesson's own files, such as
    a helper module or data, and what else the student handed in), for the sandbox's
    working directory.  Never a notebook (nbgrader's copy holds the hidden tests),
    never a symlink, at most ``limit`` bytes in all."""
    found: dict[str, bytes] = {}
    if not folder or not os.path.isdir(folder):
        return found
    total = 0
    for parent, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not os.path.islink(os.path.join(parent, d)))
        for name in sorted(names):
            path = os.path.join(parent, name)
            if name.endswith(".ipynb") or name.startswith(".") or os.path.islink(path) \
                    or not os.path.isfile(path):
                continue
            size = os.path.getsize(path)
            if total + size > limit:
                continue
            with open(path, "rb") as handle:
                found[os.path.relpath(path, folder)] = handle.read()
            total += size
    return found


def take_limit_hits() -> list[str]:
    """Resource limits sandboxed kernels hit since the last call (for a grading record)."""
    hits = list(_limit_hits)
    _limit_hits.clear()
    return hits


def use_zygote(zygote: "Zygote | None") -> None:
    """Make kernels of this process fork from ``zygote`` (None: cold kernels)."""
    global _zygote
    _zygote = zygote


def current_zygote() -> "Zygote | None":
    return _zygote


class ForkedProcess:
    """The ``Popen`` surface jupyter_client uses, for a kernel forked by the zygote.

    The kernel is the zygote's child, not ours, so liveness comes from a pidfd
    (which also makes signals immune to pid reuse).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int | None = None):
        self.pid = pid
        self.returncode: int | None = None
        self._pidfd = os.pidfd_open(pid) if pidfd is None else pidfd
        self._lock = threading.Lock()  # the deadline thread polls too

    def _exited(self, timeout: float | None) -> bool:
        with self._lock:
            if self.returncode is None and select.select([self._pidfd], [], [], timeout)[0]:
                self.returncode = -1  # the exit status belongs to the zygote
                os.close(self._pidfd)
            return self.returncode is not None

    def poll(self) -> int | None:
        self._exited(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._exited(0.05):
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        with self._lock:
            if self.returncode is None:
                signal.pidfd_send_signal(self._pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _ipykernel_argv(cmd: list[str]) -> list[str] | None:
    """Arguments after ``-m ipykernel_launcher`` if ``cmd`` starts a kernel of this interpreter."""
    if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]:
        if os.path.realpath(cmd[0]) == os.path.realpath(sys.executable):
            return list(cmd[3:])
    return None


class GradingProvisioner(AdoptingProvisioner):
    """LocalProvisioner that forks kernels from the zygote and registers them."""

    sandboxed = False
    _counters: dict | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs):
        argv = _ipykernel_argv(cmd)
        zygote = _zygote
        if zygote is not None and zygote.sandbox is not None:
            return self._launch_sandboxed(zygote, cmd, argv, kwargs)
        if zygote is not None and argv is not None and zygote.alive:
            cwd = str(kwargs.get("cwd") or os.getcwd())
            env = dict(kwargs.get("env") or os.environ)
            try:
                pid = zygote.spawn(argv, env, cwd)
            except ZygoteError as exc:
                self.log.warning("Starting a cold kernel: %s", exc)
            else:
                info = self.adopt(ForkedProcess(pid), pid, cwd)
                self._register()
                return info
        # A cold kernel's own stderr (ipykernel's start-up warnings, fd-level
        # echoes) would scribble over the progress bar; cell output is unaffected.
        kwargs["stdout"] = kwargs["stderr"] = subprocess.DEVNULL
        info = await super().launch_kernel(cmd, **kwargs)
        self._register()
        return info

    def _launch_sandboxed(self, zygote: Zygote, cmd: list[str], argv, kwargs):
        """Fork the kernel in the worker's sandbox; never fall back to an unsandboxed one."""
        from .sandbox import WORKDIR

        if argv is None or "-f" not in argv:
            raise RuntimeError(f"sandboxed grading runs this interpreter's ipykernel, not {cmd}")
        files = {"connection.json": Path(argv[argv.index("-f") + 1]).read_bytes()}
        for name, data in _lesson_files(kwargs.get("cwd")).items():
            files[f"files/{name}"] = data
        if _notebook_file is not None:
            files[f"files/{_notebook_file[0]}"] = _notebook_file[1]
        env = zygote.sandbox.environment(_sandbox_env(kwargs.get("env") or os.environ))
        for attempt in (0, 1):
            if not zygote.alive or attempt:
                zygote.restart()  # a previous kernel killed or stopped it: a fresh container
            try:
                zygote.reset()  # nothing of the previous student is left running or on disk
                if not zygote.alive:
                    raise ZygoteError("the sandbox could not be reset")
                request = {"stage": str(zygote.sandbox.stage(files)),
                           "rlimits": zygote.sandbox.rlimits()}
                self._counters = zygote.sandbox.limit_counters()
                pidfd = zygote.spawn_sandboxed(argv, env, WORKDIR, **request)
                break
            except ZygoteError as exc:
                if attempt:
                    raise RuntimeError(f"cannot start a sandboxed kernel: {exc}") from exc
        pid = _pidfd_pids(pidfd)[0]
        info = self.adopt(ForkedProcess(pid, pidfd), pid, WORKDIR)
        self.sandboxed = True
        self._register()
        return info

    def _register(self) -> None:
        with _live_lock:
            _live.add(self)

    async def cleanup(self, restart: bool = False) -> None:
        with _live_lock:
            _live.discard(self)
        zygote = _zygote
        if self.sandboxed and zygote is not None and zygote.sandbox is not None:
            # The kernel is gone; so must be everything it started (setsid, double
            # fork, nohup), and whatever it left in /tmp.
            self.sandboxed = False
            zygote.reset()
            after = zygote.sandbox.limit_counters()
            before = self._counters or {}
            if after.get("oom_kill", 0) > before.get("oom_kill", 0):
                _limit_hits.append("memory")
            if after.get("pids_max", 0) > before.get("pids_max", 0):
                _limit_hits.append("processes")
        await super().cleanup(restart=restart)

    def kill_now(self) -> None:
        """SIGKILL the kernel's process group (called from the deadline thread)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(OSError):
            if self.pgid:
                os.killpg(self.pgid, signal.SIGKILL)
            else:
                process.kill()


class GradingKernelManager(HookedKernelManager):
    """A kernel manager whose kernels are started by ``GradingProvisioner``."""

    def configure_transport(self) -> None:
        zygote = _zygote
        if zygote is not None and zygote.sandbox is not None:
            # ZeroMQ over unix sockets in the directory shared with the sandbox
            # (which has no network); a fresh unguessable prefix per kernel.
            self.transport = "ipc"
            self.cache_ports = False
            self.ip = str(zygote.sandbox.ipc_dir / f"k{uuid.uuid4().hex[:16]}")

    def new_provisioner(self):
        return GradingProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)


class GradingExecute(SeamExecute):
    """nbgrader's Execute preprocessor with ``GradingKernelManager``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", GradingKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        resources = resources if resources is not None else {}
        name = resources.get("unique_key") or resources.get("metadata", {}).get("name") or "notebook"
        sandbox_notebook(nb, f"{name}.ipynb")
        try:
            return super().preprocess(nb, resources, km)
        finally:
            sandbox_notebook(None, "")


def kill_running_kernels() -> int:
    """SIGKILL every kernel this process started that is still running."""
    with _live_lock:
        live = list(_live)
    for provisioner in live:
        provisioner.kill_now()
    return len(live)


class notebook_deadline(contextlib.AbstractContextManager):
    """Kill this process's kernels if the block runs longer than ``seconds``.

    Used around one notebook: nbclient turns the dead kernel into an error and
    nbgrader moves on; ``expired`` tells the caller why.
    """

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.expired = False
        self._timer: threading.Timer | None = None

    def _fire(self) -> None:
        self.expired = True
        kill_running_kernels()

    def __enter__(self):
        if self.seconds:
            self._timer = threading.Timer(self.seconds, self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc):
        if self._timer is not None:
            self._timer.cancel()
        return False



_unsandboxed = False


def worker_zygote(preload_notebook: str | None, root: str | os.PathLike | None,
                  sandbox_settings: dict | None = None) -> Zygote | None:
    """The zygote of one grading worker (``sandbox_settings`` from
    ``grader.run.sandbox.grading_settings``), or None for cold unsandboxed kernels.

    Sandboxed, there is always one (preloading nothing with ``preload_notebook=None``):
    every kernel is forked in the sandbox.
    """
    note_sandboxing(sandbox_settings)
    modules = preload_modules(Path(preload_notebook)) if preload_notebook else None
    return worker_zygote_preloading(modules, root, sandbox_settings)


def note_sandboxing(sandbox_settings: dict | None) -> None:
    """Remember whether this worker grades without the sandbox ``auto`` asked for."""
    global _unsandboxed
    _unsandboxed = bool((sandbox_settings or {}).get("unsandboxed"))


def ran_unsandboxed() -> bool:
    """True in a worker that grades without the sandbox ``auto`` asked for."""
    return _unsandboxed



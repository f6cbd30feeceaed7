"""How the kernels that run student code are started, watched and stopped.

``GradingExecute`` is nbgrader's ``Execute`` preprocessor with our kernel
manager.  The manager's provisioner starts each kernel

* warm: forked from a ``Zygote`` (``grader.kernel_zygote``) that has already
  imported the assignment's heavy modules, when this process has one; or
* cold: as a normal ``python -m ipykernel_launcher`` subprocess otherwise, or
  whenever the zygote is unavailable.

Either way the kernel is one fresh process per notebook, and every live kernel
is registered so that ``notebook_deadline`` can kill a kernel that ignores
interrupts (nbclient's per-cell timeout interrupts; it cannot kill).
"""
from __future__ import annotations

import ast
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbgrader.preprocessors import Execute

# Top-level packages a zygote may import before forking.  They start no threads
# of their own at import (numpy's OpenBLAS pool is fork-aware) and register no
# IPython hooks at import (ipywidgets and matplotlib_inline do, so they and
# matplotlib.pyplot are left to the kernel).
PRELOADABLE = ("course_utils", "numpy", "scipy", "pandas", "tensorflow", "keras")

_zygote: "Zygote | None" = None
_live: set["GradingProvisioner"] = set()
_live_lock = threading.Lock()


class ZygoteError(RuntimeError):
    pass


class Zygote:
    """Client side of a ``grader.kernel_zygote`` process (one per grading worker)."""

    def __init__(self, preload: list[str], cwd: str | os.PathLike | None = None):
        self.preload = list(preload)
        self.loaded: list[str] = []
        self.failed: list[str] = []
        self._ready = False
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "grader.kernel_zygote", *self.preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=cwd, text=True, bufsize=1)

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def _read(self) -> dict:
        line = self._proc.stdout.readline()
        if not line:
            raise ZygoteError("the kernel zygote exited")
        return json.loads(line)

    def wait_ready(self) -> None:
        """Block until the preload is done (it runs while nbgrader sanitises)."""
        if not self._ready:
            hello = self._read()
            self.loaded, self.failed = hello.get("loaded", []), hello.get("failed", [])
            self._ready = True

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str) -> int:
        """Fork a kernel running ``ipykernel_launcher *argv``; return its pid."""
        if not self.alive:
            raise ZygoteError("the kernel zygote is not running")
        try:
            self.wait_ready()
            self._proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd}) + "\n")
            self._proc.stdin.flush()
            reply = self._read()
        except (OSError, ValueError) as exc:
            raise ZygoteError(f"the kernel zygote failed: {exc}") from exc
        if "pid" not in reply:
            raise ZygoteError(reply.get("error", "no pid from the kernel zygote"))
        return int(reply["pid"])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._proc.stdin.close()  # EOF: the zygote kills its kernels and exits
        try:
            self._proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        with contextlib.suppress(OSError):
            self._proc.stdout.close()


def use_zygote(zygote: "Zygote | None") -> None:
    """Make kernels of this process fork from ``zygote`` (None: cold kernels)."""
    global _zygote
    _zygote = zygote


def current_zygote() -> "Zygote | None":
    return _zygote


def preload_modules(notebook_path: str | os.PathLike) -> list[str]:
    """Modules a zygote should import for this notebook.

    The top-level ``import``/``from ... import`` statements of its code cells
    (IPython syntax such as ``%matplotlib inline`` is translated first), in
    order, restricted to ``PRELOADABLE`` packages.  Imports inside functions are
    left alone: their author chose to defer them.
    """
    import nbformat
    from IPython.core.inputtransformer2 import TransformerManager

    transformer = TransformerManager()
    nb = nbformat.read(str(notebook_path), as_version=4)
    found: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(transformer.transform_cell(cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.split(".")[0] in PRELOADABLE and name not in found:
                    found.append(name)
    return found


class ForkedProcess:
    """The ``Popen`` surface jupyter_client uses, for a kernel forked by the zygote.

    The kernel is the zygote's child, not ours, so liveness comes from a pidfd
    (which also makes signals immune to pid reuse).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._pidfd = os.pidfd_open(pid)
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


class GradingProvisioner(LocalProvisioner):
    """LocalProvisioner that forks kernels from the zygote and registers them."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        argv = _ipykernel_argv(cmd)
        zygote = _zygote
        if zygote is not None and argv is not None and zygote.alive:
            cwd = str(kwargs.get("cwd") or os.getcwd())
            env = dict(kwargs.get("env") or os.environ)
            try:
                pid = zygote.spawn(argv, env, cwd)
            except ZygoteError as exc:
                self.log.warning("Starting a cold kernel: %s", exc)
            else:
                self.process = ForkedProcess(pid)
                self.pid = self.pgid = pid  # the child called setsid()
                self.cwd = cwd
                self._register()
                return self.connection_info
        # A cold kernel's own stderr (ipykernel's start-up warnings, fd-level
        # echoes) would scribble over the progress bar; cell output is unaffected.
        kwargs["stdout"] = kwargs["stderr"] = subprocess.DEVNULL
        info = await super().launch_kernel(cmd, **kwargs)
        self._register()
        return info

    def _register(self) -> None:
        with _live_lock:
            _live.add(self)

    async def cleanup(self, restart: bool = False) -> None:
        with _live_lock:
            _live.discard(self)
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


class GradingKernelManager(AsyncKernelManager):
    """AsyncKernelManager whose kernels are started by ``GradingProvisioner``."""

    async def _async_pre_start_kernel(self, **kw):
        self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
        if self.provisioner is None:
            self.provisioner = GradingProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


class GradingExecute(Execute):
    """nbgrader's Execute preprocessor with ``GradingKernelManager``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", GradingKernelManager)
        super().__init__(*args, **kwargs)


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


def pidfd_supported() -> bool:
    """Warm kernels need pidfds (Linux >= 5.3)."""
    if not hasattr(os, "pidfd_open") or not hasattr(signal, "pidfd_send_signal"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


def zygote_for(notebook: str | os.PathLike, cwd: str | os.PathLike | None = None) -> Zygote | None:
    """A zygote preloading what ``notebook`` imports, or None where forking is unsupported."""
    if not pidfd_supported():
        return None
    # The kernel itself first (ipykernel + IPython: ~0.5 s per kernel otherwise).
    return Zygote(["ipykernel.kernelapp", "ipykernel.ipkernel", *preload_modules(Path(notebook))], cwd=cwd)

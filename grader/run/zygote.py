"""The client side of a kernel zygote (``grader.run.kernel_zygote``): start, fork, reset.

A ``Zygote`` is one process (inside the grading worker's bubblewrap container when
sandboxed, ``grader.run.sandbox``) that has imported the lesson's heavy modules and
forks each student's kernel.  This module imports neither nbgrader nor Jupyter, so a
grading worker can start its zygote first and import those while the zygote's
preload runs (``grader.cluster``); ``grader.run.kernels`` starts kernels from it.
"""
from __future__ import annotations

import ast
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..config import kernel_environment

# Top-level packages a zygote may import before forking.  They start no threads
# of their own at import (numpy's OpenBLAS pool is fork-aware) and register no
# IPython hooks at import (ipywidgets and matplotlib_inline do, so they and
# matplotlib.pyplot are left to the kernel).
PRELOADABLE = ("course_utils", "numpy", "scipy", "pandas", "tensorflow", "keras")
# Never preloaded: checkers are judged in the grader (grader.judge.judge), not in the kernel, and
# a module that runs a TensorFlow op at import would hang every kernel forked after it.
NOT_PRELOADED = ("course_utils.checks",)

# The kernel itself, preloaded first: ipykernel and IPython (~0.35 s per kernel
# otherwise) and ipykernel's debugger, which every kernel imports at start-up
# for debugpy (~0.1-0.4 s); none starts a thread at import.
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger")

READY_TIMEOUT = 300   # seconds for a zygote's preload (TensorFlow on a busy machine)
REPLY_TIMEOUT = 60    # seconds for a spawn or reset reply
# Variables a sandboxed kernel may inherit from the grader (all else stays outside).
SANDBOX_ENV = ("NBGRADER_EXECUTION", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "JPY_SESSION_NAME",
               "PYTHONHASHSEED")


class ZygoteError(RuntimeError):
    pass


class Zygote:
    """Client side of a ``grader.run.kernel_zygote`` process (one per grading worker).

    With a ``sandbox`` (``grader.run.sandbox.Sandbox``) the zygote runs in a bubblewrap
    container; ``restart()`` replaces a dead or stuck one with a fresh container.
    """

    def __init__(self, preload: list[str], cwd: str | os.PathLike | None = None,
                 sandbox=None):
        self.preload = list(preload)
        self.cwd = cwd
        self.sandbox = sandbox
        self.loaded: list[str] = []
        self.failed: list[str] = []
        self.restarts = 0
        self._start()

    def _start(self) -> None:
        self._ready = False
        self._buffer = b""
        if getattr(self, "_sock", None) is not None:
            self._sock.close()
        self._sock = None
        cmd = [sys.executable, "-m", "grader.run.kernel_zygote"]
        if self.sandbox is None:
            self._proc = subprocess.Popen(
                [*cmd, *self.preload], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, cwd=self.cwd)
            return
        from .sandbox import WORKDIR

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            settings = {"fd": theirs.fileno(), "workdir": WORKDIR,
                        "ipc_dir": str(self.sandbox.ipc_dir)}
            env = self.sandbox.environment(_sandbox_env(os.environ))
            self._proc = self.sandbox.popen(
                [*cmd, "--sandboxed", json.dumps(settings), *self.preload], env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),))
        finally:
            theirs.close()
        self._sock = ours

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def _read(self, timeout: float | None = None) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], wait)[0]:
                raise ZygoteError(f"the kernel zygote did not answer within {timeout:.0f} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise ZygoteError("the kernel zygote exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def _send(self, request: dict) -> None:
        self._proc.stdin.write((json.dumps(request) + "\n").encode())
        self._proc.stdin.flush()

    def wait_ready(self) -> None:
        """Block until the preload is done (it runs while nbgrader sanitises)."""
        if not self._ready:
            hello = self._read(READY_TIMEOUT)
            self.loaded, self.failed = hello.get("loaded", []), hello.get("failed", [])
            self._ready = True

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str, **extra) -> int:
        """Fork a kernel running ``ipykernel_launcher *argv``; return its pid.

        Sandboxed, ``extra`` carries the ``stage`` (connection file, notebook)
        and ``rlimits`` of the kernel (see ``spawn_sandboxed``).
        """
        if not self.alive:
            raise ZygoteError("the kernel zygote is not running")
        try:
            self.wait_ready()
            self._send({"op": "spawn", "argv": argv, "env": env, "cwd": cwd, **extra})
            reply = self._read(REPLY_TIMEOUT)
        except (OSError, ValueError) as exc:
            raise ZygoteError(f"the kernel zygote failed: {exc}") from exc
        if "pid" not in reply:
            raise ZygoteError(reply.get("error", "no pid from the kernel zygote"))
        return int(reply["pid"])

    def spawn_sandboxed(self, argv: list[str], env: dict[str, str], cwd: str, **extra) -> int:
        """Like ``spawn`` in the sandbox; return a pidfd of the kernel (ours to close)."""
        nspid = self.spawn(argv, env, cwd, **extra)
        if not select.select([self._sock], [], [], REPLY_TIMEOUT)[0]:
            raise ZygoteError("the sandboxed kernel sent no pidfd")
        try:
            _, fds, _, _ = socket.recv_fds(self._sock, 16, 1)
        except OSError as exc:
            raise ZygoteError(f"no pidfd from the sandboxed kernel: {exc}") from exc
        if not fds:
            raise ZygoteError("no pidfd from the sandboxed kernel")
        pidfd = fds[0]
        if _pidfd_pids(pidfd)[1:] != [nspid]:  # [host pid, pid in the sandbox]
            os.close(pidfd)
            raise ZygoteError("the sandboxed kernel's pidfd does not match its pid")
        return pidfd

    def reset(self) -> None:
        """Sandboxed: kill everything in the container but the zygote, wipe its writable places."""
        if self.sandbox is None or not self.alive:
            return
        try:
            self.wait_ready()
            self._send({"op": "reset"})
            reply = self._read(REPLY_TIMEOUT)
        except (OSError, ValueError, ZygoteError) as exc:
            reply = {"error": str(exc)}
        if "error" in reply:  # the container cannot be trusted for the next student
            self.kill()

    def restart(self) -> None:
        """A fresh container (sandboxed) or process for a zygote that died or hung."""
        self.kill()
        self.restarts += 1
        self._start()

    def kill(self) -> None:
        if self.alive:
            self._proc.kill()  # bwrap: its pid namespace, every process in it, goes too
        self._proc.wait()

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
        if self._sock is not None:
            self._sock.close()
        if self.sandbox is not None:
            self.sandbox.close()


def _pidfd_pids(pidfd: int) -> list[int]:
    """[pid here, pid in each nested pid namespace...] of a pidfd (from its fdinfo)."""
    with open(f"/proc/self/fdinfo/{pidfd}") as handle:
        for line in handle:
            if line.startswith("NSpid:"):
                return [int(n) for n in line.split()[1:]]
    raise ZygoteError("this kernel's pidfds carry no NSpid")


def _sandbox_env(env) -> dict[str, str]:
    """The kernel settings of ``env`` (grader.config.kernel_environment), nothing else."""
    allowed = set(kernel_environment(1)) | set(SANDBOX_ENV)
    return {k: v for k, v in env.items() if k in allowed or k.startswith("RNN_COURSE_")}


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
                if name.split(".")[0] in PRELOADABLE and name not in found and not any(
                        name == skip or name.startswith(skip + ".") for skip in NOT_PRELOADED):
                    found.append(name)
    return found


def pidfd_supported() -> bool:
    """Warm kernels need pidfds (Linux >= 5.3)."""
    if not hasattr(os, "pidfd_open") or not hasattr(signal, "pidfd_send_signal"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


def zygote_for(notebook: str | os.PathLike | None, cwd: str | os.PathLike | None = None,
               sandbox=None) -> Zygote | None:
    """A zygote preloading what ``notebook`` imports, or None where forking is unsupported.

    With a ``sandbox`` the zygote runs in it; ``notebook=None`` preloads nothing
    (cold kernels: each imports what it needs, still forked in the sandbox).
    """
    if not pidfd_supported():
        return None
    if notebook is None:
        return Zygote([], cwd=cwd, sandbox=sandbox)
    return Zygote([*KERNEL_MODULES, *preload_modules(Path(notebook))], cwd=cwd, sandbox=sandbox)


def worker_zygote_preloading(modules: list[str] | None, root: str | os.PathLike | None,
                             sandbox_settings: dict | None = None) -> Zygote | None:
    """``grader.run.kernels.worker_zygote`` with the preload already read from the notebook
    (``preload_modules``; None: cold kernels)."""
    settings = sandbox_settings or {}
    preload = [*KERNEL_MODULES, *modules] if modules is not None else []
    if "limits" not in settings:
        return Zygote(preload, cwd=root) if modules is not None and pidfd_supported() else None
    from .sandbox import Limits, Sandbox, SandboxUnavailable

    if not pidfd_supported():
        raise SandboxUnavailable("sandboxed kernels need Linux pidfds (Linux >= 5.3)")
    return Zygote(preload, cwd=root, sandbox=Sandbox(Limits(**settings["limits"])))

"""A kernel zygote: import the heavy modules once, fork one fresh kernel per notebook.

Every lesson imports TensorFlow, which costs ~3 s of CPU in each new kernel;
grading 100 notebooks spends 5 CPU-minutes on the same import.  A zygote is a
clean, single-threaded Python process (started by ``grader.run.kernels.Zygote``)
that imports the modules an assignment needs (numpy, tensorflow, keras,
course_utils, ...) and then, for each notebook, ``fork()``s a child that becomes
an ordinary ipykernel with the connection file the kernel manager wrote.  Each
child is a separate process started from the same post-import snapshot, so no
state passes from one student's kernel to the next.

Protocol (JSON lines): on stdin ``{"argv": [...], "env": {...}, "cwd": "..."}``;
on stdout first ``{"ready": true, "loaded": [...], "failed": [...]}`` once the
preload is done, then ``{"pid": N}`` or ``{"error": "..."}`` per request.  When
stdin closes (the grading worker exited) the zygote kills its kernels and exits.

Sandboxed (``--sandboxed FD``, run by ``grader.run.sandbox`` inside bubblewrap,
as pid 2 of the container's pid namespace) the zygote also

* makes itself non-dumpable: a kernel (same uid, no capabilities) can neither
  ptrace it nor read its memory or open its descriptors through /proc;
* takes ``{"op": "reset"}``: SIGKILL every other process of the container
  (``kill(-1)`` until /proc shows none), then empty /tmp, the kernel's working
  directory, /dev/shm, the POSIX message queues, the System V IPC objects and
  the socket directory, so the next student's kernel starts from nothing the
  previous one left;
* spawns with ``{"op": "spawn", ..., "stage": DIR, "rlimits": {...}}``: the
  child (never the zygote: every later kernel inherits the zygote's memory)
  moves the connection file and the student's notebook from the stage the
  grader wrote into the socket directory to /tmp and its working directory,
  sets its rlimits, and sends a pidfd of itself to the grader over the ``FD``
  socket (the pid the zygote sees means nothing outside the pid namespace).
  Before a spawn the zygote only makes sure no other process is left; the
  grader asks for the full reset before it stages the files.

Only modules that are safe to import before a fork are preloaded: no threads of
their own beyond OpenBLAS's fork-aware pool, no IPython/kernel hooks registered
at import (``grader.run.kernels.PRELOADABLE``).
"""
from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import shutil
import signal
import socket
import stat
import sys
import time

SANDBOX_DIRS_TO_EMPTY = ("/tmp", "/dev/shm", "/dev/mqueue")
PR_SET_DUMPABLE = 4


def _preload(modules: list[str]) -> tuple[list[str], list[str]]:
    loaded, failed = [], []
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - a broken optional module (even one that exits) must not stop grading
            failed.append(name)
        else:
            loaded.append(name)
    return loaded, failed


def _set_rlimits(limits: dict) -> None:
    import resource

    for name, value in limits.items():
        which = getattr(resource, name, None)
        if which is None:
            continue
        soft = hard = int(value)
        if name == "RLIMIT_CPU":
            hard = soft + 5  # SIGXCPU first (a clean death), SIGKILL 5 s later
        with contextlib.suppress(ValueError, OSError):
            current_soft, current_hard = resource.getrlimit(which)
            if current_hard != resource.RLIM_INFINITY:
                hard = min(hard, current_hard)
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, hard))


def _write_private(path: str, data: bytes, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _copy_tree(source: str, dest: str) -> None:
    """Copy regular files (never symlinks) from ``source`` into ``dest``."""
    for parent, _dirs, names in os.walk(source):
        rel = os.path.relpath(parent, source)
        target = dest if rel == "." else os.path.join(dest, rel)
        os.makedirs(target, exist_ok=True)
        for name in names:
            path = os.path.join(parent, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as handle:
                _write_private(os.path.join(target, name), handle.read(), 0o644)


def _become_kernel(request: dict, channel_fds: tuple[int, ...], pidfd_sock: socket.socket | None) -> None:
    """Run in the forked child: turn into ``python -m ipykernel_launcher ARGS``."""
    code = 1
    try:
        os.setsid()  # own process group: the kernel manager interrupts with killpg
        for fd in channel_fds:
            os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # subprocess.wait() needs it
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        argv = list(request["argv"])
        if pidfd_sock is not None:  # sandboxed
            # First the pidfd, so that the grader goes on while this kernel sets up.
            pidfd = os.pidfd_open(os.getpid())
            socket.send_fds(pidfd_sock, [b"k"], [pidfd])
            os.close(pidfd)
            pidfd_sock.close()
            with contextlib.suppress(OSError):  # the OOM killer takes a kernel before the zygote
                with open("/proc/self/oom_score_adj", "w") as adj:
                    adj.write("500")
            stage = request.get("stage")
            if stage:  # the grader's files for this kernel: its connection file, its notebook
                connection = "/tmp/.kernel-connection.json"
                with open(os.path.join(stage, "connection.json"), "rb") as handle:
                    _write_private(connection, handle.read())
                if "-f" in argv:
                    argv[argv.index("-f") + 1] = connection
                _copy_tree(os.path.join(stage, "files"), request["cwd"])
                shutil.rmtree(stage, ignore_errors=True)
            _set_rlimits(request.get("rlimits", {}))
        os.chdir(request["cwd"])
        env = dict(request["env"])
        # ipykernel exits when its parent changes; the parent is this zygote.
        env["JPY_PARENT_PID"] = str(os.getppid())
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0
    finally:
        os._exit(code)  # never run the zygote's atexit handlers or loop


# ------------------------------------------------------------------ sandboxed: between students

def _others() -> list[int]:
    """Live processes of this pid namespace other than init (1) and this zygote."""
    me, found = os.getpid(), []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in (1, me):
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # gone
        if state not in (b"Z", b"X"):
            found.append(int(name))
    return found


def kill_others(timeout: float = 10.0) -> list[int]:
    """SIGKILL every process of the sandbox but init and this zygote; return survivors."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(ProcessLookupError):  # ESRCH: nobody left to signal
            os.kill(-1, signal.SIGKILL)
        left = _others()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.002)


def _mount_points() -> set[str]:
    """Mount points of this sandbox (read-only binds may sit under /tmp, e.g. a CI clone)."""
    points = set()
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) > 4:
                points.add(fields[4].encode().decode("unicode_escape"))
    return points


def _empty(directory: str, mounts: set[str] | None = None) -> None:
    """Remove everything inside ``directory`` (all of it is this uid's, so chmod works),
    except mount points and the folders leading to them, which are emptied around them."""
    mounts = _mount_points() if mounts is None else mounts
    def retry(function, path, _info):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), stat.S_IRWXU)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, stat.S_IRWXU)
                shutil.rmtree(path, onerror=lambda *a: None)
            else:
                os.unlink(path)

    try:
        entries = os.listdir(directory)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.chmod(directory, 0o1777 if directory in ("/tmp", "/dev/shm") else stat.S_IRWXU)
    for name in entries:
        path = os.path.join(directory, name)
        if path in mounts:
            continue
        if any(m.startswith(path + "/") for m in mounts):
            _empty(path, mounts)
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, onerror=retry)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _remove_sysv_ipc() -> None:
    """Shared memory, semaphores and message queues outlive their processes: remove them."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    IPC_RMID = 0
    for kind, remove in (("shm", lambda i: libc.shmctl(i, IPC_RMID, None)),
                         ("sem", lambda i: libc.semctl(i, 0, IPC_RMID)),
                         ("msg", lambda i: libc.msgctl(i, IPC_RMID, None))):
        try:
            with open(f"/proc/sysvipc/{kind}") as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 1 and fields[1].lstrip("-").isdigit():
                remove(int(fields[1]))


def reset(workdir: str, ipc_dir: str | None) -> dict:
    left = kill_others()
    if left:
        return {"error": f"{len(left)} processes survived SIGKILL", "left": len(left)}
    for directory in (*SANDBOX_DIRS_TO_EMPTY, workdir, ipc_dir):
        if directory:
            _empty(directory)
    with contextlib.suppress(Exception):
        _remove_sysv_ipc()
    os.makedirs(os.environ.get("HOME", "/tmp/home"), exist_ok=True)
    return {"reset": True}


def _make_non_dumpable() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


# ------------------------------------------------------------------ the loop

def serve(preload: list[str], sandbox: dict | None = None) -> None:
    # The protocol uses private copies of stdin/stdout; fds 0-2 become /dev/null
    # so that nothing a preloaded library prints can corrupt the protocol, and
    # kernels start with quiet standard streams (ipykernel captures fds 1 and 2).
    channel_in, channel_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    reader = os.fdopen(channel_in, "r", buffering=1)
    writer = os.fdopen(channel_out, "w", buffering=1)
    channels: tuple[int, ...] = (channel_in, channel_out)
    pidfd_sock = None
    if sandbox is not None:
        _make_non_dumpable()
        pidfd_sock = socket.socket(fileno=sandbox["fd"])

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the worker; EOF stops us
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped automatically

    loaded, failed = _preload(preload)
    # The preloaded objects (TensorFlow's are many) go to the collector's permanent
    # generation: a kernel's garbage collections then never walk them, which would
    # touch, and so copy, most of the memory it shares with this zygote.
    gc.collect()
    gc.freeze()
    if sandbox is not None:
        reset(sandbox["workdir"], sandbox.get("ipc_dir"))  # nothing from the preload lingers
    writer.write(json.dumps({"ready": True, "loaded": loaded, "failed": failed}) + "\n")

    children: list[int] = []
    for line in reader:
        try:
            request = json.loads(line)
            if request.get("op") == "reset":
                if sandbox is None:
                    raise ValueError("reset needs a sandbox")
                writer.write(json.dumps(reset(sandbox["workdir"], sandbox.get("ipc_dir"))) + "\n")
                continue
            if sandbox is not None and kill_others():  # never two students in one sandbox
                writer.write(json.dumps({"error": "processes survived SIGKILL"}) + "\n")
                continue
            pid = os.fork()
        except Exception as exc:  # noqa: BLE001 - reported to the client
            writer.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
            continue
        if pid == 0:
            _become_kernel(request, channels, pidfd_sock)
        children.append(pid)
        writer.write(json.dumps({"pid": pid}) + "\n")

    if sandbox is not None:
        kill_others(timeout=2)
    for pid in children:  # the worker is gone: take its kernels with us
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(0)  # skip interpreter teardown of the preloaded modules (seconds for TF)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    sandbox = None
    if argv[:1] == ["--sandboxed"]:
        sandbox = json.loads(argv[1])
        argv = argv[2:]
    # Like ipykernel_launcher: the kernel re-adds its own cwd to sys.path later.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    serve([name for name in argv if name], sandbox)


if __name__ == "__main__":
    main()

"""A kernel zygote: import the heavy modules once, fork one fresh kernel per notebook.

Every lesson imports TensorFlow, which costs ~3 s of CPU in each new kernel;
grading 100 notebooks spends 5 CPU-minutes on the same import.  A zygote is a
clean, single-threaded Python process (started by ``grader.kernels.Zygote``)
that imports the modules an assignment needs (numpy, tensorflow, keras,
course_utils, ...) and then, for each notebook, ``fork()``s a child that becomes
an ordinary ipykernel with the connection file the kernel manager wrote.  Each
child is a separate process started from the same post-import snapshot, so no
state passes from one student's kernel to the next.

Protocol (JSON lines): on stdin ``{"argv": [...], "env": {...}, "cwd": "..."}``;
on stdout first ``{"ready": true, "loaded": [...], "failed": [...]}`` once the
preload is done, then ``{"pid": N}`` or ``{"error": "..."}`` per request.  When
stdin closes (the grading worker exited) the zygote kills its kernels and exits.

Only modules that are safe to import before a fork are preloaded: no threads of
their own beyond OpenBLAS's fork-aware pool, no IPython/kernel hooks registered
at import (``grader.kernels.PRELOADABLE``).
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import sys


def _preload(modules: list[str]) -> tuple[list[str], list[str]]:
    loaded, failed = [], []
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException:  # a broken optional module must not stop grading
            failed.append(name)
        else:
            loaded.append(name)
    return loaded, failed


def _become_kernel(request: dict, channel_fds: tuple[int, int]) -> None:
    """Run in the forked child: turn into ``python -m ipykernel_launcher ARGS``."""
    code = 1
    try:
        os.setsid()  # own process group: the kernel manager interrupts with killpg
        for fd in channel_fds:
            os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # subprocess.wait() needs it
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.chdir(request["cwd"])
        env = dict(request["env"])
        # ipykernel exits when its parent changes; the parent is this zygote.
        env["JPY_PARENT_PID"] = str(os.getppid())
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0
    finally:
        os._exit(code)  # never run the zygote's atexit handlers or loop


def serve(preload: list[str]) -> None:
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

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the worker; EOF stops us
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped automatically

    loaded, failed = _preload(preload)
    writer.write(json.dumps({"ready": True, "loaded": loaded, "failed": failed}) + "\n")

    children: list[int] = []
    for line in reader:
        try:
            request = json.loads(line)
            pid = os.fork()
        except Exception as exc:  # noqa: BLE001 - reported to the client
            writer.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
            continue
        if pid == 0:
            _become_kernel(request, (channel_in, channel_out))
        children.append(pid)
        writer.write(json.dumps({"pid": pid}) + "\n")

    for pid in children:  # the worker is gone: take its kernels with us
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(0)  # skip interpreter teardown of the preloaded modules (seconds for TF)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    # Like ipykernel_launcher: the kernel re-adds its own cwd to sys.path later.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    serve([name for name in argv if name])


if __name__ == "__main__":
    main()

"""The bubblewrap sandbox every grading kernel runs in (host side).

One ``Sandbox`` per grading worker.  It holds the worker's kernel zygote
(``grader.run.kernel_zygote``) inside one ``bwrap`` container; every student's
kernel is forked in there, and between two students the zygote kills every
other process of the container and wipes its writable places (see
``grader.run.kernel_zygote.reset``).  The container sees:

* read-only: ``/usr`` (and the ``/lib``, ``/bin`` links), a few files of
  ``/etc`` (the dynamic linker's cache, time zone, certificates), the Python
  installation (``sys.base_prefix``, ``sys.prefix``) and the project's own
  packages ``course_utils`` and ``grader`` at their real paths (the project is
  installed editable; the rest of the course root is *not* there: no
  ``solutions/``, no gradebook, no submissions, no ``autograded/``);
* private tmpfs: ``/tmp`` (``HOME`` is ``/tmp/home``), ``/student`` (the
  kernel's working directory, holding only the student's own notebook),
  ``/dev/shm``; a fresh ``/proc`` of its own pid namespace, a minimal ``/dev``;
  the container's own root and ``/dev`` are remounted read-only, so these
  (and the socket directory) are the only places a kernel can write, and the
  zygote empties each of them between students;
* read-write: one per-worker directory of ZeroMQ ``ipc`` sockets, bound at the
  same path inside and outside (kernels are reached over these, not TCP: the
  container has no network at all, ``--unshare-net``).

It runs in new user, pid, network, ipc, uts and cgroup namespaces as uid/gid
65534 without capabilities, cannot create further user namespaces
(``--disable-userns``), and dies with the grading worker (``--die-with-parent``;
the pid namespace takes every process of the container with it).

Limits (``Limits``): a memory and a process-count cgroup per container where
one can be created (cgroup v1 ``memory``/``pids`` controllers or cgroup v2 with
them delegated; silently skipped otherwise), and per-process rlimits set in
each kernel (CPU seconds, file size, open files, address space = memory + 4 GiB
of TensorFlow headroom; process count only as the fallback without a pids cgroup).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

MODES = ("auto", "bwrap", "none")
# A sandbox's directory is ``grader-sbx-<pid of its grading process>-<random>`` and its
# cgroups that name plus ``-<serial>``: what a killed worker left is found by its pid.
PREFIX = "grader-sbx-"
CGROUP_ROOT = Path("/sys/fs/cgroup")
WORKDIR = "/student"      # the kernel's cwd inside the sandbox
HOME = "/tmp/home"
SANDBOX_UID = 65534       # "nobody" inside the sandbox's user namespace
GiB = 2**30
MiB = 2**20

# /etc entries a Python/TensorFlow process may read; nothing secret.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives",
             "ssl", "ca-certificates", "nsswitch.conf", "mime.types", "fonts")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot start a sandbox here."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed kernel (its whole process tree)."""

    memory: int = 4 * GiB          # cgroup memory (+swap) limit; RLIMIT_AS fallback
    processes: int = 256           # cgroup pids.max; RLIMIT_NPROC fallback
    cpu_seconds: int = 1800        # RLIMIT_CPU per process
    file_size: int = 256 * 10**6   # RLIMIT_FSIZE
    open_files: int = 1024         # RLIMIT_NOFILE
    tmpfs_size: int = 512 * MiB    # size of /tmp and of /student

    def to_dict(self) -> dict:
        return asdict(self)


def parse_size(text: str | int) -> int:
    """``"4G"``, ``"512M"``, ``"4GiB"``, ``"1.5g"`` or a number of bytes."""
    if isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)(i?b)?\s*", str(text), re.I)
    if not match:
        raise ValueError(f"not a size: {text!r} (e.g. 4G, 512M, 1073741824)")
    unit = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[match.group(2).lower()]
    return int(float(match.group(1)) * unit)


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _package_dir(name: str) -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def readonly_paths() -> list[str]:
    """Host paths bound read-only at the same place: the Python installation and the
    project's packages (never the course root itself)."""
    candidates = [sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix,
                  os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)]
    for package in ("course_utils", "grader"):
        found = _package_dir(package)
        if found is not None:
            candidates.append(str(found))
    paths: list[str] = []
    for path in sorted({os.path.normpath(p) for p in candidates if p and os.path.isdir(p)}):
        if path in ("/", "/usr") or any(path.startswith(p + os.sep) for p in paths):
            continue  # /usr is bound anyway; nested paths come with their parent
        paths.append(path)
    return paths


# ------------------------------------------------------------------ cgroups

class Cgroup:
    """A memory + pids cgroup for one sandbox (v1 controllers or v2), if one can be made.

    ``counters()`` reads how often a limit was hit (OOM kills, refused forks) so
    that a grading record can say ``resource-limit``.
    """

    def __init__(self, dirs: dict[str, Path], version: int):
        self.dirs = dirs            # controller -> directory (v2: the same one for both)
        self.version = version

    @classmethod
    def create(cls, name: str, limits: Limits) -> "Cgroup | None":
        made: list[Path] = []  # removed again if anything fails
        try:
            mine = _own_cgroups()
            if "memory" in mine or "pids" in mine:  # cgroup v1 controllers
                group = cls({}, 1)
                for controller in ("memory", "pids"):
                    if controller in mine:
                        d = CGROUP_ROOT / controller / mine[controller].lstrip("/") / name
                        with contextlib.suppress(OSError):
                            d.mkdir()
                            made.append(d)
                            group.dirs[controller] = d
            elif "" in mine:  # cgroup v2: only where memory and pids are (or can be) delegated
                parent = CGROUP_ROOT / mine[""].lstrip("/")
                d = parent / name
                d.mkdir()
                made.append(d)
                group = cls({}, 2)
                for controller in ("memory", "pids"):
                    if not (d / f"{controller}.max").exists():
                        with contextlib.suppress(OSError):
                            (parent / "cgroup.subtree_control").write_text(f"+{controller}")
                    if (d / f"{controller}.max").exists():
                        group.dirs[controller] = d
            else:
                return None
            if not group.dirs:
                raise OSError("no memory or pids controller here")
            group._apply(limits)
        except OSError:  # not ours to change here: no cgroup, the rlimits stand in
            for d in made:
                with contextlib.suppress(OSError):
                    d.rmdir()
            return None
        return group

    def _apply(self, limits: Limits) -> None:
        memory, pids = self.dirs.get("memory"), self.dirs.get("pids")
        if self.version == 1:
            if memory is not None:
                (memory / "memory.limit_in_bytes").write_text(str(limits.memory))
                with contextlib.suppress(OSError):  # no swap accounting: nothing to cap
                    (memory / "memory.memsw.limit_in_bytes").write_text(str(limits.memory))
            if pids is not None:
                (pids / "pids.max").write_text(str(limits.processes))
        else:
            if memory is not None:
                (memory / "memory.max").write_text(str(limits.memory))
                with contextlib.suppress(OSError):
                    (memory / "memory.swap.max").write_text("0")
                with contextlib.suppress(OSError):  # OOM kills the whole kernel tree
                    (memory / "memory.oom.group").write_text("0")
            if pids is not None:
                (pids / "pids.max").write_text(str(limits.processes))

    @property
    def limits_memory(self) -> bool:
        return "memory" in self.dirs

    @property
    def limits_processes(self) -> bool:
        return "pids" in self.dirs

    def procs_files(self) -> list[str]:
        return sorted({str(d / "cgroup.procs") for d in self.dirs.values()})

    def counters(self) -> dict[str, int]:
        """{"oom_kill": n, "pids_max": n}: limit hits since the cgroup was made."""
        found = {"oom_kill": 0, "pids_max": 0}
        memory, pids = self.dirs.get("memory"), self.dirs.get("pids")
        with contextlib.suppress(OSError, ValueError):
            if memory is not None:
                name = "memory.oom_control" if self.version == 1 else "memory.events"
                found["oom_kill"] = _keyed(memory / name).get("oom_kill", 0)
        with contextlib.suppress(OSError, ValueError):
            if pids is not None:
                found["pids_max"] = _keyed(pids / "pids.events").get("max", 0)
        return found

    def remove(self) -> None:
        for d in set(self.dirs.values()):
            for _ in range(50):  # the last processes may still be exiting
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    import time
                    time.sleep(0.02)


def owner_gone(name: str, prefix: str = PREFIX) -> bool:
    """Whether the process named in ``<prefix><pid>-...`` (a sandbox's directory or cgroup,
    a cluster worker's lesson folder) has exited."""
    pid = name[len(prefix):].split("-")[0]
    return pid.isdigit() and not os.path.exists(f"/proc/{pid}")


def remove_orphans(shm: str | None = None) -> list[str]:
    """Remove the directories and (empty) cgroups of sandboxes whose grading process was
    killed (a worker's ``close`` never ran), on this machine; return what was removed.
    Names from before the pid was in them are left alone: their owner is unknown."""
    removed = []
    for path in Path(shm or tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        if owner_gone(path.name):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    for place in cgroup_parents():
        for path in place.glob(f"{PREFIX}*-*"):
            if owner_gone(path.name):
                with contextlib.suppress(OSError):   # a cgroup goes once its processes have
                    path.rmdir()
                    removed.append(str(path))
    return removed


def cgroup_parents() -> list[Path]:
    """The cgroup directories a sandbox's cgroups are made in (``Cgroup.create``)."""
    try:
        mine = _own_cgroups()
    except OSError:
        return []
    places = [CGROUP_ROOT / controller / mine[controller].lstrip("/")
              for controller in ("memory", "pids") if controller in mine]
    if "" in mine:
        places.append(CGROUP_ROOT / mine[""].lstrip("/"))
    return places


def _own_cgroups() -> dict[str, str]:
    """controller -> path of this process's cgroup ("" for cgroup v2)."""
    found: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            if controller in ("memory", "pids") and (CGROUP_ROOT / controller).is_dir():
                found[controller] = path
            elif controller == "" and (CGROUP_ROOT / "cgroup.controllers").exists():
                found[""] = path
    return found


def _keyed(path: Path) -> dict[str, int]:
    values = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            values[parts[0]] = int(parts[1])
    return values


# ------------------------------------------------------------------ the sandbox

class Sandbox:
    """Host side of one worker's sandbox: its private directories, cgroup and ``bwrap`` command.

    ``popen(argv, env)`` starts ``argv`` (the zygote) in a new container; a
    sandbox object can start several containers one after the other (a fresh
    one when a student killed the previous zygote), never two at once.
    """

    def __init__(self, limits: Limits | None = None, bwrap: str | None = None):
        self.limits = limits or Limits()
        self.bwrap = bwrap or bwrap_path()
        if not self.bwrap:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else None
        # On /dev/shm (a tmpfs) whatever a kernel writes to the socket directory
        # is memory charged to the sandbox's own cgroup, not the grader's disk.
        remove_orphans(shm)
        self.dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=shm))
        self.ipc_dir = self.dir / "ipc"
        self.ipc_dir.mkdir(mode=0o700)
        self._etc = self.dir / "etc"
        self._etc.mkdir()
        (self._etc / "passwd").write_text(
            f"root:x:0:0:root:/root:/bin/sh\nstudent:x:{SANDBOX_UID}:{SANDBOX_UID}:student:{HOME}:/bin/sh\n")
        (self._etc / "group").write_text(f"root:x:0:\nstudent:x:{SANDBOX_UID}:\n")
        (self._etc / "hosts").write_text("127.0.0.1 localhost\n::1 localhost\n")
        self.cgroup: Cgroup | None = None
        self._serial = 0
        self._nproc_base = 0

    # -- the command line

    def command(self, argv: list[str], env: dict[str, str]) -> list[str]:
        cmd = [self.bwrap,
               "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
               "--disable-userns",
               "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--hostname", "grading",
               "--die-with-parent", "--new-session", "--cap-drop", "ALL",
               "--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            link = Path("/", name)
            if link.is_symlink():
                cmd += ["--symlink", os.readlink(link), f"/{name}"]
            elif link.is_dir():
                cmd += ["--ro-bind", str(link), f"/{name}"]
        for name in ETC_FILES:
            cmd += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        for name in ("passwd", "group", "hosts"):
            cmd += ["--ro-bind", str(self._etc / name), f"/etc/{name}"]
        size = str(self.limits.tmpfs_size)
        # The private tmpfs mounts first: a project checked out under /tmp (a CI clone)
        # is then bound on top of the new /tmp instead of being hidden by it.
        cmd += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm",
                "--mqueue", "/dev/mqueue", "--size", size, "--tmpfs", "/tmp",
                "--size", size, "--tmpfs", WORKDIR]
        for path in readonly_paths():
            cmd += ["--ro-bind", path, path]
        cmd += ["--bind", str(self.ipc_dir), str(self.ipc_dir),
                # Everything else stays as set up: nothing to hand to the next student.
                "--remount-ro", "/dev", "--remount-ro", "/",
                "--chdir", "/", "--clearenv"]
        for name, value in sorted(env.items()):
            cmd += ["--setenv", name, value]
        return cmd + ["--", *argv]

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment inside: the kernel settings only, never the grader's own variables."""
        env = {"HOME": HOME, "TMPDIR": "/tmp", "USER": "student", "LOGNAME": "student",
               "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin",
                                        "/usr/bin", "/bin"]),
               "LANG": os.environ.get("LANG", "C.UTF-8"), "PYTHONDONTWRITEBYTECODE": "1"}
        env.update(extra or {})
        return env

    def rlimits(self) -> dict[str, int]:
        """Per-process rlimits for each kernel (the cgroup covers the rest when there is one)."""
        # Address space: memory + 4 GiB, because TensorFlow reserves ~2.7 GB it never
        # touches.  With a cgroup this only makes one huge allocation (np.ones(10**9))
        # fail at once with MemoryError instead of faulting pages in up to the OOM
        # kill; without one it is the memory limit.
        limits = {"RLIMIT_CPU": self.limits.cpu_seconds, "RLIMIT_FSIZE": self.limits.file_size,
                  "RLIMIT_NOFILE": self.limits.open_files, "RLIMIT_CORE": 0,
                  "RLIMIT_AS": self.limits.memory + 4 * GiB}
        if self.cgroup is None or not self.cgroup.limits_processes:
            # RLIMIT_NPROC counts every process of the (host) user: allow ours on top.
            limits["RLIMIT_NPROC"] = self._nproc_base + self.limits.processes
        return limits

    # -- starting a container

    def popen(self, argv: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
        """Start ``argv`` in a fresh container (stdin/stdout/... as in ``subprocess.Popen``)."""
        self.remove_cgroup()
        self._serial += 1
        self.cgroup = Cgroup.create(f"{self.dir.name}-{self._serial}", self.limits)
        self._nproc_base = _processes_of_this_user()
        procs = [os.fsencode(p) for p in (self.cgroup.procs_files() if self.cgroup else [])]

        def join_cgroup() -> None:  # in the child, before bwrap: all it starts inherits the cgroup
            for path in procs:
                fd = os.open(path, os.O_WRONLY)
                try:
                    os.write(fd, b"0")
                finally:
                    os.close(fd)

        for entry in os.scandir(self.ipc_dir):  # a previous container's sockets
            _remove(entry.path)
        # bwrap itself (pid 1 in the container, whose /proc/1/environ a kernel can
        # read) gets the sandbox's environment too, never the grader's.
        return subprocess.Popen(self.command(argv, env), env=dict(env),
                                preexec_fn=join_cgroup if procs else None, **kwargs)

    def stage(self, files: dict[str, bytes]) -> Path:
        """Put ``files`` where the next kernel picks them up (``grader.run.kernel_zygote``).

        Call it only when no process of the container is alive (right after the
        zygote's reset): the kernel moves them into its own places and deletes
        the stage, so the zygote, whose memory every later kernel inherits, never
        holds a student's files.
        """
        stage = self.ipc_dir / f"stage-{os.urandom(8).hex()}"
        stage.mkdir(mode=0o700)
        for name, data in files.items():
            parts = [part for part in Path(name).parts if part not in ("", ".", "..", "/")]
            if not parts:
                continue
            target = stage.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        return stage

    def limit_counters(self) -> dict[str, int]:
        return self.cgroup.counters() if self.cgroup is not None else {}

    def remove_cgroup(self) -> None:
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def close(self) -> None:
        self.remove_cgroup()
        shutil.rmtree(self.dir, ignore_errors=True)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


def _processes_of_this_user() -> int:
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += 1
    return count


# ------------------------------------------------------------------ availability

def probe(bwrap: str | None = None, limits: Limits | None = None) -> str | None:
    """None if a sandbox starts here (a trivial Python run in it), else why not."""
    try:  # the grader follows sandboxed kernels through pidfds
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return "sandboxed kernels need Linux pidfds (Linux >= 5.3)"
    try:
        sandbox = Sandbox(limits or Limits(), bwrap)
    except SandboxUnavailable as exc:
        return str(exc)
    try:
        proc = sandbox.popen([sys.executable, "-c", "import os; print(os.getuid())"],
                             sandbox.environment(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return "bwrap did not start within 30 s"
        if proc.returncode != 0 or out.strip() != str(SANDBOX_UID):
            detail = (err.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
            return f"bwrap cannot start a sandbox here: {detail}"
        return None
    except OSError as exc:
        return f"bwrap cannot start: {exc}"
    finally:
        sandbox.close()


def resolve_mode(mode: str, bwrap: str | None = None) -> tuple[bool, str | None]:
    """(sandboxed?, warning) for ``--sandbox MODE``; raises SandboxUnavailable for ``bwrap``."""
    if mode not in MODES:
        raise ValueError(f"--sandbox must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "none":
        return False, None
    problem = probe(bwrap)
    if problem is None:
        return True, None
    if mode == "bwrap":
        raise SandboxUnavailable(
            f"{problem}. Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap); "
            "as a normal user it also needs unprivileged user namespaces.")
    return False, (f"warning: grading WITHOUT a sandbox ({problem}); "
                   "every record is flagged 'unsandboxed'")


def grading_settings(mode: str = "auto", memory: int | str | None = None,
                     cpu_seconds: int | None = None) -> dict | None:
    """What ``autograde`` hands its workers for ``--sandbox MODE``.

    ``{"limits": {...}}`` to sandbox every kernel; ``{"unsandboxed": True}`` when
    ``auto`` found no working bubblewrap (one warning line on stderr; each record
    is flagged); None for ``none`` (a trusted run, no flag).  ``bwrap`` raises
    ``SandboxUnavailable`` when no sandbox can start.
    """
    sandboxed, warning = resolve_mode(mode)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    if not sandboxed:
        return {"unsandboxed": True} if mode == "auto" else None
    limits = Limits()
    changes = {}
    if memory is not None:
        changes["memory"] = parse_size(memory)
    if cpu_seconds:
        changes["cpu_seconds"] = max(limits.cpu_seconds, int(cpu_seconds))
    return {"limits": {**limits.to_dict(), **changes}}

"""Every grading kernel runs in a bubblewrap sandbox (grader.run.sandbox).

The kernels here are real: forked by a sandboxed zygote and driven by
``GradingExecute``, the launch path of ``grader autograde``.  Each test runs
hostile code in a kernel and checks from the outside that it got nothing and
left nothing.  The batch tests at the end grade the toy course through
``autograde`` (the flags, the modes).

The kernel tests share one sandbox (group "grader-sandbox-kernels"); the batch
tests form their own group, so ``-n 2 --dist loadgroup`` runs the two in parallel.
"""
import contextlib
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook

from grader.config import REPO_ROOT, apply_kernel_environment
from grader.run import kernels, sandbox
from grader.run import zygote as zygote_module
from grader.run.kernels import GradingExecute, Zygote
from grader.run.sandbox import GiB, Limits, Sandbox

PROBLEM = sandbox.probe() if kernels.pidfd_supported() else "needs Linux pidfds"
pytestmark = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")
KERNELS = pytest.mark.xdist_group("grader-sandbox-kernels")
BATCH = pytest.mark.xdist_group("grader-sandbox-batch")

TOKEN = f"sbxtest{os.getpid()}"  # marks this run's processes and files


def _notebook(*sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _run(nb, folder, timeout=30, name="00_toy"):
    resources = {"metadata": {"path": str(folder)}, "unique_key": name}
    nb, _ = GradingExecute(timeout=timeout, allow_errors=True).preprocess(nb, resources)
    return nb


def _stdout(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _errors(cell):
    return [o.ename for o in cell.outputs if o.output_type == "error"]


def _json(cell):
    text = _stdout(cell).strip().splitlines()
    assert text, cell.outputs
    return json.loads(text[-1])


def _snapshot(root: Path) -> dict:
    """Every path under root with its size and mtime (what a write would change)."""
    found = {}
    for parent, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(parent, name)
            st = path.lstat()
            found[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return found


def _host_processes_with(token: str) -> list[str]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                cmdline = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if token in cmdline and "pytest" not in cmdline:
                found.append(f"{entry.name}: {cmdline}")
    return found


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course root whose secrets a kernel must not reach; the kernel's host cwd is
    autograded/me/00_toy (as nbgrader's), with nbgrader's notebook copy holding a hidden test."""
    root = tmp_path_factory.mktemp("sandbox-course")
    files = {"solutions/00_toy/00_toy.ipynb": "SECRET-SOLUTION",
             "solutions/00_toy/toy_checks.py": "SECRET = 1",
             "gradebook.db": "SECRET-GRADEBOOK",
             "submitted/other/00_toy/00_toy.ipynb": "OTHER-STUDENT",
             "submitted/me/00_toy/00_toy.ipynb": "MY-SUBMISSION",
             "autograded/me/00_toy/00_toy.ipynb": "HIDDEN-TESTS-COPY",
             "autograded/me/00_toy/lesson_data.txt": "lesson data"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture(scope="module")
def folder(course):
    return course / "autograded" / "me" / "00_toy"


@pytest.fixture(scope="module")
def zygote(course):
    apply_kernel_environment(1)
    # Small limits keep the bombs quick (faulting in 1 GiB takes seconds on a small VM).
    zygote = Zygote(["ipykernel.kernelapp", "ipykernel.ipkernel", "numpy"], cwd=course,
                    sandbox=Sandbox(Limits(memory=512 * 2**20, processes=64)))
    previous = kernels.current_zygote()
    kernels.use_zygote(zygote)
    yield zygote
    kernels.use_zygote(previous)
    zygote.close()
    assert not zygote.alive


@pytest.fixture
def fresh(zygote):
    """The module's zygote, alive, with no limit hits pending."""
    if not zygote.alive:
        zygote.restart()
    kernels.take_limit_hits()
    return zygote


# ------------------------------------------------------------------ what a kernel sees

@KERNELS
def test_the_kernel_sees_its_own_notebook_and_nothing_of_the_course(fresh, course, folder, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "do-not-leak")
    probe = f"""
import json, os, sys
def attempt(path):
    try:
        with open(path) as f:
            return f.read(100)
    except OSError as exc:
        return type(exc).__name__
def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return type(exc).__name__
nb = open('00_toy.ipynb').read()
print(json.dumps({{
    "uid": os.getuid(), "cwd": os.getcwd(), "files": listing('.'), "home": os.environ.get("HOME"),
    "hidden_in_notebook": "BEGIN " + "HIDDEN" in nb or "toy " + "secret" in nb, "answer_in_notebook": "x * x" in nb,
    "secret_env": os.environ.get("GRADER_SECRET_TOKEN"),
    "init_environ": "do-not-" + "leak" in open('/proc/1/environ', 'rb').read().decode(errors='replace'),
    "solutions": attempt({str(course / 'solutions/00_toy/00_toy.ipynb')!r}),
    "gradebook": attempt({str(course / 'gradebook.db')!r}),
    "other": attempt({str(course / 'submitted/other/00_toy/00_toy.ipynb')!r}),
    "graded_copy": attempt({str(folder / '00_toy.ipynb')!r}),
    "course_root": listing({str(course)!r}),
    "repo_root": listing({str(REPO_ROOT)!r}),
    "repo_solutions": listing({str(REPO_ROOT / 'solutions')!r}),
    "caps": [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0],
    "processes": sorted(int(p) for p in os.listdir('/proc') if p.isdigit()),
    "course_utils": __import__('course_utils').__name__,
}}))
"""
    nb = _notebook("def square(x):\n    return x * x",
                   "# Hidden tests\n### BEGIN HIDDEN TESTS\ncheck_square(square)  # toy secret\n"
                   "### END HIDDEN TESTS", probe)
    nb.cells[1].metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                        "grade_id": "t", "points": 1}
    seen = _json(_run(nb, folder).cells[2])
    assert seen["uid"] == sandbox.SANDBOX_UID and seen["caps"] == "0000000000000000"
    assert seen["cwd"] == sandbox.WORKDIR and seen["home"] == sandbox.HOME
    # Only its own notebook (hidden tests taken out) and the lesson's files.
    assert seen["files"] == ["00_toy.ipynb", "lesson_data.txt"]
    assert seen["answer_in_notebook"] and not seen["hidden_in_notebook"]
    for key in ("solutions", "gradebook", "other", "graded_copy", "course_root", "repo_solutions"):
        assert seen[key] == "FileNotFoundError", (key, seen[key])
    # The project's packages and the environment are there; nothing else of the repository.
    assert seen["repo_root"] == sorted([".venv", "course_utils", "grader"])
    assert seen["course_utils"] == "course_utils"
    assert seen["secret_env"] is None and seen["init_environ"] is False  # nor bwrap's (pid 1)
    assert seen["processes"][:2] == [1, 2]  # bwrap's init, the zygote, then this kernel


@KERNELS
def test_writes_outside_tmp_and_its_folder_fail_and_change_nothing(fresh, course, folder):
    before = _snapshot(course)
    targets = [course / f"{TOKEN}.txt", course / "gradebook.db", course / "solutions" / "x.py",
               REPO_ROOT / f"{TOKEN}.txt", REPO_ROOT / "course_utils" / f"{TOKEN}.py",
               Path(os.__file__).parent / f"{TOKEN}.py", folder / f"{TOKEN}.txt"]
    code = ("import json\nresults = {}\n"
            f"for path in {[str(t) for t in targets]!r}:\n"
            "    try:\n        open(path, 'a').write('pwned')\n        results[path] = 'written'\n"
            "    except OSError as exc:\n        results[path] = type(exc).__name__\n"
            "open('mine.txt', 'w').write('ok'); open('/tmp/mine.txt', 'w').write('ok')\n"
            "print(json.dumps(results))")
    results = _json(_run(_notebook(code), folder).cells[0])
    # Under the sandbox's private /tmp a write may land (a repository checked out under
    # /tmp, as in CI, has its folders there): only the host's files count.
    written = [p for p, r in results.items() if r == "written"]
    assert all(p.startswith("/tmp/") for p in written), results
    assert _snapshot(course) == before
    for path in written:
        assert not Path(path).exists() or "pwned" not in Path(path).read_text()
    assert not (REPO_ROOT / f"{TOKEN}.txt").exists()
    assert not (REPO_ROOT / "course_utils" / f"{TOKEN}.py").exists()
    assert not (folder / "mine.txt").exists()  # its working directory is its own


@KERNELS
def test_no_network_not_even_the_hosts_loopback(fresh, folder):
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted = []

    def accept():
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not accepted:
            try:
                accepted.append(server.accept())
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    code = ("import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n    print('connected')\n"
            "except OSError as exc:\n    print(type(exc).__name__)\n"
            "try:\n    socket.getaddrinfo('example.com', 80)\n    print('resolved')\n"
            "except OSError as exc:\n    print(type(exc).__name__)")
    nb = _run(_notebook(code), folder)
    out = _stdout(nb.cells[0]).split()
    accepted_any = bool(accepted)
    server.close()
    assert out[0] == "ConnectionRefusedError" and out[1] == "gaierror", out
    assert not accepted_any
    # The kernel itself was reached over unix sockets in the sandbox's socket directory.
    assert fresh.sandbox.ipc_dir.is_dir()


@KERNELS
def test_tmp_home_and_folder_are_wiped_between_students(fresh, folder):
    plant = ("import os\nos.makedirs(os.path.expanduser('~/.ipython/profile_default/startup'), exist_ok=True)\n"
             "open(os.path.expanduser('~/.ipython/profile_default/startup/00-evil.py'), 'w')"
             ".write('EVIL = 1\\nprint(\"evil ran\")')\n"
             f"open('/tmp/{TOKEN}', 'w').write('left for the next student')\n"
             f"open('{TOKEN}-here', 'w').write('x')\n"
             f"open('/dev/shm/{TOKEN}', 'w').write('x')\n"
             "print(sorted(os.listdir('/tmp')))")
    first = _run(_notebook(plant), folder)
    assert TOKEN in _stdout(first.cells[0])
    look = ("import os\n"
            f"print(os.path.exists('/tmp/{TOKEN}'), os.path.exists('{TOKEN}-here'), "
            f"os.path.exists('/dev/shm/{TOKEN}'), 'EVIL' in globals())")
    second = _run(_notebook(look), folder)
    assert _stdout(second.cells[0]).split() == ["False", "False", "False", "False"]


@KERNELS
def test_the_zygote_never_holds_a_students_files(fresh, folder, monkeypatch):
    """Every later kernel is a copy of the zygote's memory: a notebook must reach its
    kernel through a stage in the socket directory, never through the zygote."""
    sent = []
    original = Zygote._send
    monkeypatch.setattr(Zygote, "_send", lambda self, request: (sent.append(json.dumps(request)),
                                                               original(self, request))[1])
    marker = f"answer-of-student-a-{TOKEN}"
    padding = "# " + "x" * 20000  # in any encoding, a request carrying the notebook is big
    nb = _run(_notebook(f"ANSWER = {marker!r}\n{padding}",
                        "print(ANSWER in open('00_toy.ipynb').read())"), folder)
    assert _stdout(nb.cells[1]).strip() == "True"  # it reached the kernel's folder
    assert sent and not any(marker in request or len(request) > 8000 for request in sent)
    assert not list(fresh.sandbox.ipc_dir.glob("stage-*"))  # the kernel took it away


@KERNELS
def test_orphans_do_not_outlive_the_notebook(fresh, folder):
    start = f"""
import os, subprocess, time
subprocess.Popen(['sleep', '1001.{os.getpid()}'], start_new_session=True)           # setsid
subprocess.Popen(['sh', '-c', 'nohup sleep 1002.{os.getpid()} >/dev/null 2>&1 &'])  # nohup, background
if os.fork() == 0:                                                                  # double fork
    os.setsid()
    if os.fork() == 0:
        os.execvp('sleep', ['sleep', '1003.{os.getpid()}'])
    os._exit(0)
time.sleep(0.5)
print(sum(1 for p in os.listdir('/proc') if p.isdigit()
          and b'sleep' in open(f'/proc/{{p}}/cmdline', 'rb').read()))
"""
    nb = _run(_notebook(start), folder)
    assert _stdout(nb.cells[0]).strip() == "3"  # all three were running
    token = f".{os.getpid()}"
    leftover = [p for p in _host_processes_with(token) if "sleep 100" in p]
    assert leftover == []


@KERNELS
def test_a_kernel_cannot_reach_into_the_zygote_and_killing_it_costs_the_next_student_nothing(fresh, folder):
    spy = """
import os, signal
zygote = os.getppid()
found = {}
for name in ('mem', 'environ', 'fd/0', 'maps'):
    try:
        open(f'/proc/{zygote}/{name}', 'rb').read(10); found[name] = 'read'
    except OSError as exc:
        found[name] = type(exc).__name__
print(sorted(found.items()), flush=True)
import time; time.sleep(0.2)  # the findings reach the grader before the sandbox goes
os.kill(zygote, signal.SIGKILL)
"""
    restarts = fresh.restarts
    nb = _notebook(spy)
    # The sandbox ends with its zygote: the kernel dies with or before its execute reply.
    with contextlib.suppress(DeadKernelError):
        _run(nb, folder)
    out = _stdout(nb.cells[0])
    assert out.startswith("[("), nb.cells[0].outputs
    assert "read" not in out, out
    next_student = _run(_notebook("print(6 * 7)"), folder)
    assert _stdout(next_student.cells[0]).strip() == "42"
    assert fresh.restarts == restarts + 1 and fresh.alive


@KERNELS
def test_a_stopped_zygote_is_replaced(fresh, folder, monkeypatch):
    monkeypatch.setattr(zygote_module, "REPLY_TIMEOUT", 3)
    restarts = fresh.restarts
    _run(_notebook("import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\nprint('stopped it')"), folder)
    next_student = _run(_notebook("print(6 * 7)"), folder)
    assert _stdout(next_student.cells[0]).strip() == "42"
    assert fresh.restarts == restarts + 1


@KERNELS
def test_interrupts_and_the_notebook_deadline_reach_a_sandboxed_kernel(fresh, folder):
    nb = _run(_notebook("while True:\n    pass", "print('after')"), folder, timeout=3)
    assert "CellTimeoutError" in _errors(nb.cells[0]) and _stdout(nb.cells[1]) == "after\n"
    with kernels.notebook_deadline(4) as deadline:
        with pytest.raises(Exception) as failure:
            _run(_notebook("import time\ntime.sleep(600)", "print('never')"), folder, timeout=None)
    assert deadline.expired and type(failure.value).__name__ == "DeadKernelError"
    assert kernels.kill_running_kernels() == 0


# ------------------------------------------------------------------ limits

@KERNELS
def test_an_8_gb_allocation_fails_its_cell_at_once(fresh, folder):
    nb = _run(_notebook("import numpy as np\nbomb = np.ones(10**9)  # 8 GB", "print('next cell')"), folder)
    assert _errors(nb.cells[0]) == ["MemoryError"]
    assert _stdout(nb.cells[1]).strip() == "next cell"


@KERNELS
def test_a_growing_memory_bomb_kills_its_kernel_only(fresh, folder):
    if not (fresh.sandbox.cgroup and fresh.sandbox.cgroup.limits_memory):
        pytest.skip("no memory cgroup here (the rlimit fallback is tested below)")
    bomb = "import numpy as np\nheap = []\nwhile True:\n    heap.append(np.ones(2**23))  # 64 MB more"
    with pytest.raises(Exception) as failure:
        _run(_notebook(bomb, "print('never')"), folder)
    assert type(failure.value).__name__ == "DeadKernelError"
    assert kernels.take_limit_hits() == ["memory"]
    assert _stdout(_run(_notebook("print(6 * 7)"), folder).cells[0]).strip() == "42"


@KERNELS
def test_a_fork_bomb_is_capped_and_ends_with_the_notebook(fresh, folder):
    bomb = """
import os, time
if os.fork() == 0:
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.05)
time.sleep(2)
print(sum(1 for p in os.listdir('/proc') if p.isdigit()))
"""
    nb = _run(_notebook(bomb, "print('still here')"), folder)
    count = int(_stdout(nb.cells[0]).strip())
    assert count <= fresh.sandbox.limits.processes + 5, count
    assert _stdout(nb.cells[1]).strip() == "still here"
    assert "processes" in kernels.take_limit_hits()
    after = _run(_notebook("import os\nprint(sum(1 for p in os.listdir('/proc') if p.isdigit()))"), folder)
    assert int(_stdout(after.cells[0])) == 3  # init, zygote, this kernel


@KERNELS
def test_a_huge_file_fails_the_cell_and_the_notebook_goes_on(fresh, folder):
    write = ("chunk = b'x' * 2**24\nwith open('/tmp/big', 'wb') as f:\n"
             "    for _ in range(640):  # 10 GB\n        f.write(chunk)")
    nb = _run(_notebook(write, "import os\nprint(os.path.getsize('/tmp/big') <= 256 * 10**6)"), folder)
    assert _errors(nb.cells[0]) == ["OSError"]
    assert _stdout(nb.cells[1]).strip() == "True"


@KERNELS
def test_rlimits_stand_in_where_no_cgroup_can_be_made(folder, monkeypatch):
    monkeypatch.setattr(sandbox.Cgroup, "create", classmethod(lambda cls, name, limits: None))
    zygote = Zygote(["ipykernel.kernelapp", "numpy"], sandbox=Sandbox(Limits(memory=512 * 2**20)))
    previous = kernels.current_zygote()
    kernels.use_zygote(zygote)
    try:
        nb = _run(_notebook("import numpy as np\nbomb = np.ones(10**9)  # 8 GB",
                            "import resource\nprint(resource.getrlimit(resource.RLIMIT_AS)[0] // 2**20,"
                            " resource.getrlimit(resource.RLIMIT_NPROC)[0] < 10**6)"),
                  folder)
    finally:
        kernels.use_zygote(previous)
        zygote.close()
    assert zygote.sandbox.cgroup is None
    assert _errors(nb.cells[0]) == ["MemoryError"]
    # Address space: memory + TensorFlow's headroom; processes: capped by RLIMIT_NPROC.
    assert _stdout(nb.cells[1]).split() == [str(512 + 4 * 1024), "True"]


# ------------------------------------------------------------------ modes, through autograde

def test_sizes_and_modes():
    assert sandbox.parse_size("4G") == 4 * GiB and sandbox.parse_size("512m") == 512 * 2**20
    assert sandbox.parse_size("1.5GiB") == int(1.5 * GiB) and sandbox.parse_size(123) == 123
    with pytest.raises(ValueError):
        sandbox.parse_size("lots")
    with pytest.raises(ValueError):
        sandbox.resolve_mode("docker")
    assert sandbox.grading_settings("none") is None
    settings = sandbox.grading_settings("bwrap", memory="2G", cpu_seconds=4000)
    assert settings["limits"]["memory"] == 2 * GiB and settings["limits"]["cpu_seconds"] == 4000


def test_bwrap_mode_fails_clearly_without_bubblewrap(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.grading_settings("bwrap")


def _toy_answers(root: Path) -> dict[str, str]:
    """Hostile students of the toy course (square, cube), by name: their square cells."""
    solutions = root / "solutions" / "00_toy" / "00_toy.ipynb"
    return {
        "reads-solutions": (
            "def square(x):\n"
            f"    try:\n        open({str(solutions)!r}).read()\n        return x * x\n"
            "    except OSError:\n        return x + x"),
        "writes-course-root": (
            f"open({str(root / 'hacked.txt')!r}, 'w').write('x')\n"
            "def square(x):\n    return x * x"),
        "memory-bomb": "import numpy as np\n_bomb = np.ones(10**9)  # 8 GB\n"
                       "def square(x):\n    return x * x",
        "memory-hog": "import numpy as np\n_heap = []\nwhile True:\n    _heap.append(np.ones(2**23))\n"
                      "def square(x):\n    return x * x",
        "leaves-orphans": (
            f"import subprocess\nsubprocess.Popen(['sleep', '1004.{os.getpid()}'], start_new_session=True)\n"
            "def square(x):\n    return x * x"),
    }


@BATCH
def test_a_hostile_batch_is_graded_and_nothing_escapes(tmp_path):
    from fixtures.toy import TOY, hand_in_synthetic, toy_course

    from grader.autograde import autograde

    course = toy_course(tmp_path / "course")
    hand_in_synthetic(course, "perfect", perfect=True)
    for student, source in _toy_answers(course.root).items():
        hand_in_synthetic(course, student, {"square": source, "cube": "def cube(x):\n    return x ** 3"})
    solutions, submitted = _snapshot(course.source), _snapshot(course.submitted)
    result = autograde(course, TOY, jobs=2, cell_timeout=20, progress=False, sandbox="bwrap",
                       memory="512M")
    records = {r.student: r for r in result.graded}
    assert (records["perfect"].score, records["perfect"].flags) == (6, [])
    # Reading solutions/ failed, so the cheat fell through to a wrong square.
    assert records["reads-solutions"].score == 3 and "unsandboxed" not in records["reads-solutions"].flags
    assert records["writes-course-root"].score == 3  # its write raised before square was defined
    assert not (course.root / "hacked.txt").exists()
    assert records["memory-bomb"].score == 3  # MemoryError in its square cell, the rest graded
    assert records["memory-hog"].score == 0
    assert records["memory-hog"].flags == ["kernel-died", "resource-limit"]
    assert records["memory-hog"].details["resource-limit"] == ["memory"]
    assert records["leaves-orphans"].score == 6
    assert _host_processes_with(f"1004.{os.getpid()}") == []
    assert _snapshot(course.source) == solutions and _snapshot(course.submitted) == submitted


@BATCH
def test_auto_without_bubblewrap_warns_once_and_flags_every_record(tmp_path, monkeypatch, capfd):
    from fixtures.toy import TOY, hand_in_synthetic, toy_course

    from grader.autograde import autograde

    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    course = toy_course(tmp_path / "course")
    hand_in_synthetic(course, "perfect", perfect=True)
    hand_in_synthetic(course, "untouched")
    capfd.readouterr()
    result = autograde(course, TOY, jobs=1, cell_timeout=20, progress=False, sandbox="auto")
    err = capfd.readouterr().err
    assert [line for line in err.splitlines() if "sandbox" in line.lower()] == [
        line for line in err.splitlines() if line.startswith("warning: grading WITHOUT a sandbox")]
    assert err.count("WITHOUT a sandbox") == 1
    assert {r.student: (r.score, r.flags) for r in result.graded} == {
        "perfect": (6, ["unsandboxed"]), "untouched": (0, ["unsandboxed"])}

    # --sandbox none: the instructor's explicit choice, no warning and no flag.
    result = autograde(course, TOY, jobs=1, cell_timeout=20, progress=False, sandbox="none",
                       force=True, students=["perfect"])
    assert "WITHOUT a sandbox" not in capfd.readouterr().err
    assert [(r.score, r.flags) for r in result.graded] == [(6, [])]

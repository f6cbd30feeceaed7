"""grader autograde --cluster: a dask LocalCluster grades as the local pool does.

One toy class (every scenario of tests/fixtures, a perfect and an untouched notebook,
a student folder with nothing in it, a helper file handed in beside a notebook) is
graded twice from the same copy: with ``jobs=2`` and on ``local:2``, whose worker is
killed the first time it grades one student and every time it grades another.
"""
import contextlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from cluster_faults import KillWhileGrading
from fixtures.make_submissions import EXPECTED
from fixtures.toy import TOY, TOY_MAX, fixture_student, hand_in, hand_in_synthetic, toy_course

from grader import cluster
from grader.autograde import autograde
from grader.gradebook.gradebook import course_scores
from grader.gradebook.records import load_records
from grader.results.feedback import generate_feedback

pytestmark = pytest.mark.xdist_group("grader-cluster")

KILLED_ONCE = "perfect"        # its worker dies once: graded on the retry
KILLED_TWICE = "known-mistake"  # its worker dies on both tries: flagged error


def _class(root: Path):
    course = toy_course(root)
    for fixture in EXPECTED:
        hand_in(course, fixture_student(fixture), fixture)
    hand_in_synthetic(course, "perfect", perfect=True)
    hand_in_synthetic(course, "untouched")
    (course.submitted / "untouched" / TOY / "notes.txt").write_text("my notes\n")
    (course.submitted / "empty-folder").mkdir()
    return course


@contextlib.contextmanager
def _faults(monkeypatch, marks: Path, *plugins):
    real = cluster.connect

    @contextlib.contextmanager
    def connect(address):
        with real(address) as client:
            for plugin in plugins:
                client.register_plugin(plugin)
            yield client

    monkeypatch.setattr(cluster, "connect", connect)
    yield


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    here = _class(root / "pool")
    shutil.copytree(here.root, root / "cluster")
    there = type(here).at(root / "cluster")
    marks = root / "marks"
    marks.mkdir()
    pool = autograde(here, TOY, jobs=2, cell_timeout=5, progress=False)
    with pytest.MonkeyPatch.context() as monkeypatch, _faults(
            monkeypatch, marks, KillWhileGrading(KILLED_ONCE, 1, str(marks)),
            KillWhileGrading(KILLED_TWICE, 2, str(marks))):
        on_cluster = autograde(there, TOY, cluster="local:2", cell_timeout=5, progress=False)
    return here, pool, there, on_cluster, marks


def _comparable(record) -> dict:
    found = record.to_dict()
    found.pop("seconds")
    # Errors quote tracebacks with the grading folder's paths.
    found["error"] = re.sub(r"/tmp/\S+", "<tmp>", found["error"])
    return found


def test_the_killed_workers_died_as_planned(graded):
    *_, marks = graded
    kills = sorted(p.name.split("-pid")[0] for p in marks.iterdir())
    assert kills == [f"{KILLED_TWICE}-0", f"{KILLED_TWICE}-1", f"{KILLED_ONCE}-0"]


def test_every_student_gets_the_same_record_as_with_the_local_pool(graded):
    here, pool, there, on_cluster, _ = graded
    assert sorted(r.student for r in on_cluster.graded) == sorted(r.student for r in pool.graded)
    mine = {r.student: _comparable(r) for r in pool.graded}
    theirs = {r.student: _comparable(r) for r in on_cluster.graded}
    for student in mine:
        if student != KILLED_TWICE:
            assert theirs[student] == mine[student], student
    assert theirs[KILLED_ONCE]["score"] == TOY_MAX and not theirs[KILLED_ONCE]["flags"]


def test_a_student_whose_worker_dies_twice_is_flagged_and_the_batch_completes(graded):
    *_, there, on_cluster, _ = graded
    record = next(r for r in on_cluster.graded if r.student == KILLED_TWICE)
    assert record.flags == ["error"] and record.score == 0
    assert "died twice" in record.error
    assert len(on_cluster.graded) == len(EXPECTED) + 3
    # The records on disk say the same, and a rerun tries the errors again, and only them.
    flags = {r.student: r.flags for r in load_records(there, TOY)}
    assert flags[KILLED_TWICE] == ["error"]
    again = autograde(there, TOY, cluster="local:1", cell_timeout=5, progress=False)
    assert [r.student for r in again.graded] == sorted(s for s, f in flags.items() if "error" in f)
    retried = next(r for r in again.graded if r.student == KILLED_TWICE)
    assert retried.score == 3 and retried.misconceptions == ["MULTIPLIED-NOT-POWERED"]
    # The killed workers' lesson folders, sandbox folders and cgroups were removed by the
    # workers that came after them.
    left = [folder for folder in Path(tempfile.gettempdir()).glob(f"{cluster.WORKDIR_PREFIX}*")
            if not Path("/proc", folder.name[len(cluster.WORKDIR_PREFIX):].split("-")[0]).exists()]
    assert not left
    from grader.run import sandbox

    killed = {p.name.split("-pid")[1] for p in graded[-1].iterdir()}
    places = [Path("/dev/shm"), Path(tempfile.gettempdir()), *sandbox.cgroup_parents()]
    left = [path for place in places if place.is_dir() for pid in killed
            for path in place.glob(f"{sandbox.PREFIX}{pid}-*")]
    assert not left


def test_the_gradebooks_and_autograded_folders_agree(graded):
    here, pool, there, on_cluster, _ = graded
    mine, theirs = course_scores(here), course_scores(there)
    assert {k: v for k, v in theirs.items() if k[0] != KILLED_TWICE} == \
        {k: v for k, v in mine.items() if k[0] != KILLED_TWICE}
    for record in pool.graded:
        folder = Path(here.autograded, record.student, TOY)
        if record.student == KILLED_TWICE or not folder.is_dir():
            continue
        other = Path(there.autograded, record.student, TOY)
        assert sorted(p.name for p in other.iterdir()) == sorted(p.name for p in folder.iterdir())
        a = nbformat.read(folder / f"{TOY}.ipynb", as_version=4)
        b = nbformat.read(other / f"{TOY}.ipynb", as_version=4)
        assert [(c.source, c.get("outputs")) for c in a.cells] == \
            [(c.source, c.get("outputs")) for c in b.cells], record.student
    assert (there.autograded / "untouched" / TOY / "notes.txt").read_text() == "my notes\n"


def test_the_feedback_pages_are_the_same(graded):
    here, pool, there, on_cluster, _ = graded
    generate_feedback(here, TOY)
    generate_feedback(there, TOY)
    pages = sorted(p.relative_to(here.feedback) for p in here.feedback.rglob("*.html"))
    assert pages and pages == sorted(p.relative_to(there.feedback) for p in there.feedback.rglob("*.html"))
    def text(page):   # a restored cell gets a new random id from nbgrader, in any two gradings
        return re.sub(r"cell-id=[0-9a-f]+", "cell-id=?", page.read_text())

    for page in pages:
        if page.parts[0] != KILLED_TWICE:
            assert text(there.feedback / page) == text(here.feedback / page), page


def _start(args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


def test_a_lost_scheduler_ends_the_run_with_a_message_and_a_rerun_grades_the_rest(tmp_path):
    course = toy_course(tmp_path / "course")
    students = [f"s{i}" for i in range(6)]
    for student in students:
        hand_in(course, student, "submitted-loops-when-called.ipynb")   # 5 s each (a cell time limit)
    scheduler_file = tmp_path / "scheduler.json"
    scheduler = _start(["distributed.cli.dask_scheduler", "--scheduler-file", str(scheduler_file),
                        "--port", "0", "--no-dashboard"])
    worker = None
    try:
        while not scheduler_file.exists():
            assert scheduler.poll() is None, scheduler.stdout.read()
            time.sleep(0.1)
        import json

        address = json.loads(scheduler_file.read_text())["address"]
        worker = _start(["distributed.cli.dask_worker", address, "--nthreads", "1", "--no-dashboard",
                         "--no-nanny"])
        grading = _start(["grader", "autograde", TOY, "--cluster", address, "--timeout", "5",
                          "--no-progress", "--course-dir", str(course.root)])
        records = course.records(TOY)
        deadline = time.monotonic() + 120
        while not (records.is_dir() and any(records.glob("*.json"))):
            assert time.monotonic() < deadline and grading.poll() is None, grading.stdout.read()
            time.sleep(0.05)
        scheduler.send_signal(signal.SIGKILL)
        output, _ = grading.communicate(timeout=60)
    finally:
        for process in (worker, scheduler):
            if process is not None:   # a worker asked to stop closes its sandbox
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    assert grading.returncode == 1, output
    done = len(list(records.glob("*.json")))
    assert 1 <= done < len(students)
    assert f"lost the dask scheduler at {address} after {done} of {len(students)} students" in output
    assert f"grade the other {len(students) - done}" in output
    # Nothing half-written: each saved record has its gradebook entry and autograded notebook.
    saved = {r.student: r for r in load_records(course, TOY)}
    scores = course_scores(course)
    for student, record in saved.items():
        assert scores[(student, TOY)] == (record.score, TOY_MAX)
        assert course.autograded_notebook(student, TOY).is_file()
    rest = autograde(course, TOY, cluster="local:2", cell_timeout=5, progress=False)
    assert sorted(r.student for r in rest.graded) == sorted(set(students) - set(saved))
    assert sorted(r.student for r in rest.skipped) == sorted(saved)
    assert all(r.score == 5 and r.flags == ["timeout"] for r in rest.records)


_CLUSTER_IN_A_FRESH_PROCESS = """
import json, sys
from grader import cluster
from grader.autograde import autograde
from grader.config import Course

chosen = []
config = cluster._local_worker_config
cluster._local_worker_config = lambda: chosen.append(config()) or chosen[-1]
result = autograde(Course.at(sys.argv[1]), "00_toy", cluster="local:2", cell_timeout=5, progress=False)
print(json.dumps({"config": chosen, "records": {r.student: [r.score, r.flags, r.misconceptions, r.tests]
                                                for r in result.graded}}))
"""


def test_a_local_cluster_of_the_command_line_forks_its_workers_and_grades_alike(graded, tmp_path):
    """A process with no thread but its main one (the command line) forks the LocalCluster's
    workers (grader.cluster._local_worker_config); they grade as the pool does."""
    import json
    import os

    here, pool, *_ = graded
    course = toy_course(tmp_path / "course")
    students = ["perfect", "untouched", "known-mistake", "modified-test-cell"]
    for student in students:
        shutil.copytree(here.submitted / student, course.submitted / student)
    done = subprocess.run([sys.executable, "-c", _CLUSTER_IN_A_FRESH_PROCESS, str(course.root)],
                          capture_output=True, text=True, env=dict(os.environ), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["config"] == [{"distributed.worker.multiprocessing-method": "fork",
                               "distributed.worker.profile.enabled": False}]
    expected = {r.student: [r.score, r.flags, r.misconceptions, r.tests] for r in pool.graded
                if r.student in students}
    assert seen["records"] == json.loads(json.dumps(expected))


def _pid() -> int:
    import os

    return os.getpid()


def _size(bundle: dict) -> int:
    return len(bundle["release"])


def test_the_lesson_bundle_outlives_every_worker_that_held_it():
    """What failed once in CI: the lesson went to the workers as scattered data, both
    workers holding it were killed in turn, and the students still waiting were
    cancelled.  As a task (grader.cluster._bundle), the scheduler computes it again."""
    import os

    with cluster.connect("local:2") as client:
        bundle = client.submit(cluster._bundle, {"key": "k"}, b"x" * 1000, b"", key="lesson-test")
        assert client.submit(_size, bundle, pure=False).result(timeout=60) == 1000
        for pid in client.run(_pid).values():   # every worker, and so every copy, is gone
            os.kill(pid, signal.SIGKILL)
        time.sleep(1)
        client.wait_for_workers(2, timeout=60)
        assert client.submit(_size, bundle, pure=False).result(timeout=60) == 1000

"""grader.cluster without a cluster: what a task ships, the version check, the addresses."""
import os

import pytest

from grader import cluster


def test_a_folder_travels_as_bytes_without_its_symlinks(tmp_path):
    source = tmp_path / "source"
    (source / "data" / "deep").mkdir(parents=True)
    (source / "a.ipynb").write_text("{}")
    (source / "data" / "deep" / "b.bin").write_bytes(bytes(range(256)))
    (source / "notes.log").write_text("ignored by nbgrader")
    (source / ".ipynb_checkpoints").mkdir()
    (source / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{}")
    os.symlink("/etc/passwd", source / "link")
    files = cluster.folder_files(source)
    assert sorted(files) == [".ipynb_checkpoints/a-checkpoint.ipynb", "a.ipynb", "data/deep/b.bin",
                             "notes.log"]
    assert sorted(cluster.folder_files(source, skip_ignored=True)) == ["a.ipynb", "data/deep/b.bin"]
    cluster.write_files(tmp_path / "copy", files)
    assert cluster.folder_files(tmp_path / "copy") == files


@pytest.mark.parametrize("name", ["../outside", "/etc/outside", "a/../../outside"])
def test_a_shipped_name_cannot_leave_its_folder(tmp_path, name):
    with pytest.raises(ValueError, match="leaves its folder"):
        cluster.write_files(tmp_path / "in", {name: b"x"})
    assert not (tmp_path / "outside").exists()


def test_a_worker_with_other_versions_is_refused_before_it_starts_anything(tmp_path):
    mine = cluster.package_fingerprint()
    assert set(mine) >= {"python", "numpy", "nbgrader", "tensorflow", "course package"}
    assert mine == cluster.package_fingerprint()     # stable
    lesson = {"key": "k", "assignment": "00_toy", "files": {}, "sandbox": ("none", None, 60),
              "preload": None, "threads": {},
              "packages": {**mine, "numpy": "0.0", "course package": "0123"}}
    status = cluster.open_lesson(lesson)
    assert "numpy" in status["error"] and "(instructor: 0.0)" in status["error"]
    assert "course package" in status["error"] and "make env" in status["error"]
    assert cluster._open is None


def test_the_course_package_digest_follows_its_sources(monkeypatch, tmp_path):
    fake = tmp_path / "grader"
    fake.mkdir()
    (tmp_path / "course_utils").mkdir()
    (tmp_path / "course_utils" / "checks.py").write_text("ANSWER = 1\n")
    monkeypatch.setattr(cluster, "__file__", str(fake / "cluster.py"))
    before = cluster.package_fingerprint()["course package"]
    (tmp_path / "course_utils" / "checks.py").write_text("ANSWER = 2\n")
    assert cluster.package_fingerprint()["course package"] != before


@pytest.mark.parametrize("address", ["local:0", "local:two", "local:-1"])
def test_a_local_cluster_needs_a_number_of_workers(address):
    with pytest.raises(cluster.ClusterError, match="expected local:N"):
        with cluster.connect(address):
            pass


def test_an_unreachable_scheduler_is_said_plainly(monkeypatch):
    import socket

    with socket.socket() as s:    # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    with pytest.raises(cluster.ClusterError, match=f"cannot reach a dask scheduler at tcp://127.0.0.1:{port}"):
        with cluster.connect(f"tcp://127.0.0.1:{port}"):
            pass


class _Client:
    def run(self, function):
        return {"tcp://a:1": 8, "tcp://a:2": 8, "tcp://b:1": 4}

    def scheduler_info(self, n_workers):
        return {"workers": {"tcp://a:1": {"host": "a", "nthreads": 1},
                            "tcp://a:2": {"host": "a", "nthreads": 1},
                            "tcp://b:1": {"host": "b", "nthreads": 1}}}


def test_kernels_share_their_hosts_cores():
    assert cluster.kernel_threads(_Client()) == {"tcp://a:1": 4, "tcp://a:2": 4, "tcp://b:1": 4}


def test_a_workers_result_lands_where_local_grading_writes(tmp_path):
    from grader.config import Course

    course = Course.at(tmp_path / "course")
    grades = {"00_toy": {"late_penalty": None, "grades": {"test_square": [1.0, False]}, "comments": {}}}
    result = {"record": {"student": "ada", "assignment": "00_toy"}, "grades": grades,
              "autograded": {"00_toy.ipynb": b"{}", "data/x.csv": b"1,2"}}
    local = cluster._received(course, result)
    assert (course.autograded / "ada" / "00_toy" / "data" / "x.csv").read_bytes() == b"1,2"
    assert local == {"record": result["record"], "grades": grades}
    none = cluster._received(course, {"record": {"student": "bo", "assignment": "00_toy"},
                                      "autograded": None, "grades": None})
    assert none["grades"] is None and not (course.autograded / "bo").exists()


def test_the_scheduler_reads_the_retry_settings_we_set():
    """Contract (grader.cluster._set_retries): dask's scheduler keeps allowed-failures and
    worker-saturation as attributes it reads when a worker dies and when it sends tasks."""
    import inspect

    import distributed.scheduler

    source = inspect.getsource(distributed.scheduler)
    assert "ts.suspicious > self.allowed_failures" in source
    assert "self.WORKER_SATURATION" in source

    class Scheduler:
        allowed_failures, WORKER_SATURATION = 3, 1.1

    scheduler = Scheduler()
    assert cluster._set_retries(scheduler, 1, 1.0) == (3, 1.1)
    assert (scheduler.allowed_failures, scheduler.WORKER_SATURATION) == (1, 1.0)


def test_a_running_scheduler_gets_its_retry_settings_back(tmp_path):
    """connect() sets allowed-failures 1 and worker-saturation 1.0 on a scheduler it did not
    start, and restores that scheduler's own values when the run ends."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as theirs:
        scheduler = theirs.scheduler
        before = scheduler.allowed_failures, scheduler.WORKER_SATURATION
        assert before != (1, 1.0)
        with cluster.connect(theirs.scheduler_address):
            assert (scheduler.allowed_failures, scheduler.WORKER_SATURATION) == (1, 1.0)
        assert (scheduler.allowed_failures, scheduler.WORKER_SATURATION) == before


def test_a_busy_worker_is_not_held_up_by_opening_a_lesson():
    """open_lesson runs on a worker's event loop (client.run): while a task grades, it
    returns at once and leaves the opening to the lesson's first task there."""
    assert cluster._lock.acquire(blocking=False)
    try:
        assert cluster.open_lesson({"key": "k"}) == {"warning": ""}
    finally:
        cluster._lock.release()


def test_dask_keeps_its_profiler_among_a_workers_periodic_callbacks():
    """Contract (grader.cluster._stop_profiling): a worker's statistical profiler is the
    periodic callback named "profile" (and "profile-cycle")."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as local:
        worker, = local.workers.values()
        assert {"profile", "profile-cycle"} <= set(worker.periodic_callbacks)


def test_a_process_with_threads_spawns_its_local_workers():
    import threading

    stop = threading.Event()
    helper = threading.Thread(target=stop.wait, daemon=True)
    helper.start()
    try:
        assert cluster._local_worker_config()["distributed.worker.multiprocessing-method"] == "spawn"
    finally:
        stop.set()
        helper.join()


def test_a_worker_that_cannot_sandbox_says_so_and_leaves_nothing(monkeypatch, tmp_path):
    import tempfile

    from grader.run import sandbox

    def unavailable(*args):
        raise sandbox.SandboxUnavailable("bubblewrap (bwrap) is not installed")

    monkeypatch.setattr(sandbox, "grading_settings", unavailable)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    lesson = {"key": "k", "assignment": "00_toy", "files": {"00_toy.ipynb": b"{}"},
              "sandbox": ("bwrap", None, 60), "preload": None, "threads": {},
              "packages": cluster.package_fingerprint()}
    status = cluster.open_lesson(lesson)
    assert status == {"error": "worker this process: SandboxUnavailable: bubblewrap (bwrap) is not installed"}
    assert cluster._open is None and not list(tmp_path.iterdir())


def test_the_end_of_a_run_closes_only_its_own_lesson_on_an_idle_worker(monkeypatch):
    closed = []
    monkeypatch.setattr(cluster, "close_lesson", lambda: closed.append(cluster._open.key))
    monkeypatch.setattr(cluster, "_open", type("Open", (), {"key": "theirs"})())
    cluster.finish_lesson("mine")                 # another run's lesson is open: kept
    assert closed == []
    assert cluster._lock.acquire(blocking=False)  # a task is grading: nothing is closed
    try:
        cluster.finish_lesson("theirs")
    finally:
        cluster._lock.release()
    assert closed == []
    cluster.finish_lesson("theirs")
    assert closed == ["theirs"]

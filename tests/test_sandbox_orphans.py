"""grader.run.sandbox.remove_orphans: what killed grading workers left behind, found by pid."""
import os
import subprocess

from grader.run import sandbox


def _dead_pid() -> int:
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def test_the_folders_and_cgroups_of_a_dead_grading_process_are_removed(tmp_path, monkeypatch):
    dead, alive = _dead_pid(), os.getpid()
    shm = tmp_path / "shm"
    for name in (f"grader-sbx-{dead}-abc", f"grader-sbx-{alive}-def", "grader-sbx-old_name", "other-1-2"):
        (shm / name / "ipc").mkdir(parents=True)
    root = tmp_path / "cgroup"
    for controller in ("memory", "pids"):
        for name in (f"grader-sbx-{dead}-abc-1", f"grader-sbx-{dead}-abc-2", f"grader-sbx-{alive}-def-1"):
            (root / controller / "grading" / name).mkdir(parents=True)
    monkeypatch.setattr(sandbox, "CGROUP_ROOT", root)
    monkeypatch.setattr(sandbox, "_own_cgroups", lambda: {"memory": "/grading", "pids": "/grading"})

    removed = sandbox.remove_orphans(str(shm))

    assert sorted(p.name for p in shm.iterdir()) == sorted(
        ["grader-sbx-old_name", f"grader-sbx-{alive}-def", "other-1-2"])
    for controller in ("memory", "pids"):
        assert [p.name for p in (root / controller / "grading").iterdir()] == [f"grader-sbx-{alive}-def-1"]
    assert len(removed) == 5


def test_a_new_sandbox_names_its_process(tmp_path, monkeypatch):
    if not sandbox.bwrap_path():
        monkeypatch.setattr(sandbox, "bwrap_path", lambda: "/usr/bin/bwrap")
    box = sandbox.Sandbox()
    try:
        assert box.dir.name.startswith(f"grader-sbx-{os.getpid()}-")
    finally:
        box.close()

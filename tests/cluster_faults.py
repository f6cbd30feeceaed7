"""A dask worker plugin that kills its worker process while it grades one student.

tests/test_grader_cluster.py registers it on a LocalCluster: a grading worker that
dies mid-task, the way a machine of a real cluster can.  The kills are counted in
marker files, so a worker its nanny restarts knows how many have happened.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin


class KillWhileGrading(WorkerPlugin):
    """Kill (SIGKILL) the worker that starts grading ``student``, ``times`` times in all."""

    def __init__(self, student: str, times: int, marks: str):
        self.student, self.times, self.marks = student, times, marks
        self.name = f"kill-while-grading-{student}"

    def setup(self, worker) -> None:
        import grader.grading

        real = grader.grading.grade_one
        plugin = self

        def grade_one(job: dict) -> dict:
            if job["student"] == plugin.student:
                kills = sorted(Path(plugin.marks).glob(f"{plugin.student}-*"))
                if len(kills) < plugin.times:
                    Path(plugin.marks, f"{plugin.student}-{len(kills)}-pid{os.getpid()}").touch()
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(job)

        grader.grading.grade_one = grade_one

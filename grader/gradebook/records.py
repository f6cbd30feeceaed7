"""Grading records: what autograde concluded about one student's submission.

nbgrader's gradebook holds the scores (and any manual overrides made later in
formgrader); a record adds what the gradebook has no place for: flags, each
test's message and misconception ids, timings, and the fingerprints that let
``autograde`` skip submissions it has already graded.  One JSON file per
student and assignment, under ``autograded/.grader/<assignment>/``.

Flags (``;``-joined in the grades CSV):

===================  ===========================================================
``missing``          no notebook was submitted for this assignment
``invalid-notebook`` the submitted file is not a readable notebook (bad JSON ...)
``modified-tests``   a locked cell (test or setup code) was edited; nbgrader
                     restored the original before grading
``deleted-cells``    a test or exercise cell was deleted; test cells were put
                     back and run
``timeout``          a cell ran past the time limit (and was interrupted), or the
                     whole notebook did and its kernel was killed
``kernel-died``      the kernel crashed while running the notebook (score 0)
``error``            grading failed for another reason (see ``error``; score 0)
``renamed``          the notebook had another name (``01_simple_rnn (1).ipynb``);
                     the only notebook in the folder was graded
``duplicated-cells`` a graded or locked cell was copied; the copies were graded
                     as ordinary cells
``output-truncated`` a cell printed more than the output limit; the rest was cut
``uses-reference``   an answer calls (or names) the course's own implementation
                     of the function it was asked to write
``suspicious-code``  a student cell reaches for the machinery around the code
                     (IPython hooks, ``sys.modules``, tracing, ``exec``...);
                     it cannot change a score, but a human should look
``unsandboxed``      the kernel ran without a sandbox (bubblewrap could not start)
``resource-limit``   the kernel was stopped by a memory, process or size limit
===================  ===========================================================

``details`` maps a flag to the evidence behind it (which cells, which names);
``details["manual-grades"]`` lists the cells an instructor graded by hand in
Formgrader.  ``score`` and each test's ``points`` are the gradebook's (manual
grades included) after every autograde run, skipped students too.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..config import Course

FLAGS = ("missing", "invalid-notebook", "modified-tests", "deleted-cells",
         "timeout", "kernel-died", "error", "renamed", "duplicated-cells", "output-truncated",
         "uses-reference", "suspicious-code", "unsandboxed", "resource-limit")
# Flags with which nbgrader produced no autograded notebook: the score is 0.
UNGRADED_FLAGS = ("missing", "invalid-notebook", "kernel-died", "error")


@dataclass
class Record:
    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    flags: list[str] = field(default_factory=list)
    tests: list[dict] = field(default_factory=list)  # outcomes.TestOutcome.to_dict()
    misconceptions: list[str] = field(default_factory=list)
    error: str = ""  # instructor-facing detail for error/kernel-died/invalid-notebook
    details: dict = field(default_factory=dict)  # flag -> evidence (list of short strings)
    seconds: float = 0.0
    fingerprint: dict = field(default_factory=dict)

    @property
    def graded(self) -> bool:
        """True if nbgrader produced an autograded notebook."""
        return not any(flag in UNGRADED_FLAGS for flag in self.flags)

    def add_flag(self, flag: str, *evidence: str) -> None:
        assert flag in FLAGS, flag
        if flag not in self.flags:
            self.flags.append(flag)
            self.flags.sort(key=FLAGS.index)
        if evidence:
            known = self.details.setdefault(flag, [])
            known += [e for e in evidence if e not in known]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Record":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def record_path(course: Course, assignment: str, student: str) -> Path:
    return course.records(assignment) / f"{student}.json"


def save_record(course: Course, record: Record) -> Path:
    path = record_path(course, record.assignment, record.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record.to_dict(), indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)  # atomic: an interrupted run never leaves half a record
    return path


def load_record(course: Course, assignment: str, student: str) -> Record | None:
    path = record_path(course, assignment, student)
    try:
        return Record.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def load_records(course: Course, assignment: str) -> list[Record]:
    folder = course.records(assignment)
    if not folder.is_dir():
        return []
    records = [load_record(course, assignment, p.stem) for p in sorted(folder.glob("*.json"))]
    return [r for r in records if r is not None]


def recorded_assignments(course: Course) -> list[str]:
    folder = course.autograded / ".grader"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir())


def _digest(chunks) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk if isinstance(chunk, bytes) else str(chunk).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def submission_fingerprint(course: Course, student: str, assignment: str) -> str:
    """Changes when any file of the submission folder changes."""
    folder = course.submitted / student / assignment
    if not folder.is_dir():
        return "absent"
    files = sorted(p for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts)
    return _digest(x for p in files for x in (p.relative_to(folder).as_posix(), p.read_bytes()))


def source_fingerprint(course: Course, assignment: str) -> str:
    """Changes when the tests or exercises of the solution change, not its outputs."""
    nb = json.loads(course.source_notebook(assignment).read_text())
    return _digest(x for cell in nb.get("cells", [])
                   for x in (cell.get("cell_type"), "".join(cell.get("source", "")),
                             json.dumps(cell.get("metadata", {}).get("nbgrader", {}), sort_keys=True),
                             json.dumps(sorted(cell.get("metadata", {}).get("tags", [])))))

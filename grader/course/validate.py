"""Run one student notebook and say, test by test, what passes and why not.

``nbgrader validate`` answers "Success! Your notebook passes all the tests." or
dumps tracebacks; a student needs each test's verdict in our checkers' words.
The notebook is executed top to bottom in a fresh kernel (same environment and
stderr policy as grading), in its own folder so that lesson files are found,
without modifying the file.  Hidden tests are not in a student's notebook:
their cells are listed as running at grading time.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..config import CELL_TIMEOUT, apply_kernel_environment, ensure_tools_on_path
from ..judge.outcomes import TestOutcome, failure_message, is_test_cell, test_outcomes


@dataclass
class Validation:
    path: Path
    tests: list[TestOutcome] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)          # placeholder cells of hidden tests
    cell_errors: list[str] = field(default_factory=list)     # errors outside test cells
    edited_locked: list[str] = field(default_factory=list)   # locked cells changed by the student
    problem: str = ""                                        # could not run at all
    order: list[str] = field(default_factory=list)           # test cell ids, notebook order

    @property
    def ok(self) -> bool:
        return not self.problem and all(t.passed for t in self.tests)

    def text(self) -> str:
        lines = [f"Validating {self.path}"]
        if self.problem:
            return "\n".join(lines + [f"  cannot run this notebook: {self.problem}"])
        for name in self.edited_locked:
            lines.append(f"  note: read-only cell {name!r} was edited; grading runs the original.")
        for error in self.cell_errors:
            lines.append(f"  error: {error}")
        width = max([len(t.grade_id) for t in self.tests] + [len(h) for h in self.hidden] + [4])
        tests = {t.grade_id: t for t in self.tests}
        for name in self.order:
            if name in self.hidden:
                lines.append(f"  ....  {name:<{width}}  hidden tests: they run when your work is graded")
                continue
            test = tests[name]
            verdict = "PASS" if test.passed else "FAIL"
            message = test.message.replace("\n", "\n" + " " * (width + 10))
            lines.append(f"  {verdict}  {test.grade_id:<{width}}  {message}".rstrip())
        passed = sum(t.passed for t in self.tests)
        lines.append(f"{passed} of {len(self.tests)} tests pass."
                     + ("" if self.ok else " Fix the first failure first: later ones often follow from it."))
        return "\n".join(lines)


def _has_code(source: str) -> bool:
    return any(line.strip() and not line.strip().startswith("#") for line in source.split("\n"))


def validate_notebook(path: str | Path, *, cell_timeout: int = CELL_TIMEOUT) -> Validation:
    from nbgrader import utils

    from ..run.kernels import GradingExecute
    from ..run.quiet_stderr import QuietStderr

    path = Path(path).resolve()
    result = Validation(path)
    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - any unreadable file
        result.problem = f"{type(exc).__name__}: {exc}"[:300]
        return result

    for cell in nb.cells:  # nbgrader stored each locked cell's checksum at release
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and utils.is_locked(cell) and meta.get("checksum"):
            try:
                changed = utils.compute_checksum(cell) != meta["checksum"]
            except (KeyError, TypeError, ValueError):
                changed = True
            if changed:
                result.edited_locked.append(meta.get("grade_id", "?"))

    ensure_tools_on_path()
    apply_kernel_environment()
    executed = copy.deepcopy(nb)
    resources = {"metadata": {"path": str(path.parent)}}
    executor = GradingExecute(timeout=cell_timeout, interrupt_on_timeout=True)
    try:
        executed, resources = executor.preprocess(executed, resources)
    except Exception as exc:  # noqa: BLE001 - a dead kernel, a kernel that never started
        result.problem = f"{type(exc).__name__}: {exc}"[:300]
        return result
    executed, resources = QuietStderr().preprocess(executed, resources)

    for index, cell in enumerate(executed.cells):
        if cell.cell_type != "code" or is_test_cell(cell):
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                name = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", f"cell {index + 1}")
                result.cell_errors.append(f"{name}: {failure_message(output)}")
                break
    for outcome in test_outcomes(executed):
        result.order.append(outcome.grade_id)
        cell = next(c for c in executed.cells
                    if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == outcome.grade_id)
        if not _has_code(cell.source):
            result.hidden.append(outcome.grade_id)
        else:
            result.tests.append(outcome)
    return result

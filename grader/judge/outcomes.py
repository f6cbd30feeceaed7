"""What happened in each test cell of an executed notebook, in our checkers' words.

Shared by ``validate`` (one notebook, printed), ``autograde`` (stored in the
grading record) and ``report`` (counted over a class).  A test cell passes when
it raised nothing; its message is the AssertionError text of our checkers (or
``ErrorName: text`` for anything else), or the one line a checker prints on
success.  Misconception ids are the ``[UPPER-CASE-ID]`` tokens of a failure
message (CONTRIBUTING.md, "Misconception ids"; ``course_utils.checks.misconceptions``).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from nbgrader import utils

from course_utils.checks.misconceptions import ID_PATTERN as MISCONCEPTION_ID

from .hidden_tests import BEGIN as HIDDEN_BEGIN

TIMEOUT_ERRORS = ("CellTimeoutError",)


@dataclass
class TestOutcome:
    grade_id: str
    max_points: float
    points: float
    passed: bool
    hidden: bool
    message: str = ""
    misconceptions: list[str] = field(default_factory=list)
    timed_out: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def misconception_ids(text: str) -> list[str]:
    """Distinct ``[ID]`` tokens of ``text``, in order of appearance."""
    seen: list[str] = []
    for match in MISCONCEPTION_ID.finditer(text or ""):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def known_misconceptions() -> dict[str, str]:
    """id -> one-sentence explanation, from course_utils (empty if it is unavailable)."""
    try:
        from course_utils.checks.misconceptions import MISCONCEPTIONS
    except Exception:  # noqa: BLE001 - the grader works without the course library
        return {}
    return {key: value.explanation for key, value in MISCONCEPTIONS.items()}


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def failure_message(error_output) -> str:
    """The readable part of an error output: our AssertionError text, else 'Name: text'."""
    name, value = error_output.get("ename", "Error"), _strip_ansi(error_output.get("evalue", ""))
    if name in ("AssertionError", "StudentCodeError") and value:
        return value
    if name in TIMEOUT_ERRORS:
        return "The cell did not finish before the time limit (an infinite loop?)."
    return f"{name}: {value}" if value else name


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs
                   if o.output_type == "stream" and o.name == "stdout").strip()


def is_test_cell(cell) -> bool:
    """An autograded test cell: graded code, not a solution."""
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def timed_out(nb) -> bool:
    """True if any code cell (exercise or test) was interrupted by the cell time limit."""
    return any(o.output_type == "error" and o.get("ename") in TIMEOUT_ERRORS
               for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", []))


def test_outcomes(nb) -> list[TestOutcome]:
    """One outcome per autograded test cell of an executed notebook, in notebook order."""
    outcomes = []
    for cell in nb.cells:
        if not is_test_cell(cell):
            continue
        points, max_points = utils.determine_grade(cell)
        errors = [o for o in cell.outputs if o.output_type == "error"]
        # An interrupted cell holds KeyboardInterrupt and then CellTimeoutError.
        errors.sort(key=lambda o: o.get("ename") not in TIMEOUT_ERRORS)
        stderr = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        if errors:
            message = failure_message(errors[0])
        elif stderr:
            message = "The cell wrote to stderr: " + "".join(o.text for o in stderr).strip()
        else:
            message = _stdout(cell)
        outcomes.append(TestOutcome(
            grade_id=cell.metadata.nbgrader["grade_id"],
            max_points=float(max_points),
            points=float(points or 0),
            passed=not errors and not stderr,
            hidden=HIDDEN_BEGIN in cell.source,
            message=message,
            misconceptions=misconception_ids(message) if errors else [],
            timed_out=any(o.get("ename") in TIMEOUT_ERRORS for o in errors),
        ))
    return outcomes

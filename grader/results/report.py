"""Class summary of one lesson: score histogram, pass rate per test cell, misconceptions.

Built from the grading records (what each test said) and the gradebook (the
scores, including manual overrides).  Misconception ids are the ``[ID]``
tokens of failing test messages; a student counts once per id however many
tests reported it.  Written to ``reports/<lesson>/``:

* ``score_histogram.png``   how many students got each score
* ``summary.md``            the tables below, for the course log
* ``tests.csv``             grade_id, points, passed, graded, pass_rate
* ``misconceptions.csv``    id, students, share, tests, explanation
* ``summary.json``          everything, for scripts
"""
from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from ..config import Course
from ..gradebook.gradebook import course_scores
from ..gradebook.records import FLAGS, load_records
from ..judge.outcomes import is_test_cell, known_misconceptions
from .tables import markdown_table, text_table


class ReportError(RuntimeError):
    pass


@dataclass
class TestStats:
    grade_id: str
    points: float
    passed: int = 0
    graded: int = 0

    @property
    def pass_rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass
class MisconceptionStats:
    id: str
    students: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    explanation: str = ""


@dataclass
class ClassReport:
    assignment: str
    max_score: float
    scores: dict[str, float]               # student -> score (submitted students)
    missing: list[str]
    tests: list[TestStats]
    misconceptions: list[MisconceptionStats]
    flags: dict[str, int]
    files: list[Path] = field(default_factory=list)

    @property
    def submitted(self) -> int:
        return len(self.scores)

    def text(self) -> str:
        values = sorted(self.scores.values())
        lines = [f"{self.assignment}: {self.submitted} submitted, {len(self.missing)} missing, "
                 f"max score {self.max_score:g}"]
        if values:
            mean = sum(values) / len(values)
            median = values[len(values) // 2] if len(values) % 2 else \
                (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
            full = sum(v >= self.max_score for v in values)
            lines.append(f"mean {mean:.2f}, median {median:g}, full marks {full}/{len(values)}")
        lines += ["", "Pass rate per test cell",
                  text_table(["test cell", "points", "passed", "rate"],
                             [[t.grade_id, f"{t.points:g}", f"{t.passed}/{t.graded}",
                               f"{100 * t.pass_rate:.0f}%"] for t in self.tests], align="lrrr")]
        lines += ["", "Misconceptions (students whose failing tests named the id)"]
        if self.misconceptions:
            lines.append(text_table(
                ["id", "students", "share", "tests"],
                [[m.id, len(m.students), f"{100 * len(m.students) / max(1, self.submitted):.0f}%",
                  ", ".join(m.tests)] for m in self.misconceptions], align="lrrl"))
        else:
            lines.append("(none)")
        flagged = {k: v for k, v in self.flags.items() if v}
        lines += ["", "Flags: " + (", ".join(f"{k} {v}" for k, v in flagged.items()) if flagged else "Flags: none")]
        return "\n".join(lines)


def _test_cells(course: Course, assignment: str) -> list[TestStats]:
    nb = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    return [TestStats(c.metadata.nbgrader["grade_id"], float(c.metadata.nbgrader.get("points", 0)))
            for c in nb.cells if is_test_cell(c)]


def build_report(course: Course, assignment: str) -> ClassReport:
    records = load_records(course, assignment)
    if not records:
        raise ReportError(f"no grading records for {assignment}: run "
                          f"`python -m grader autograde {assignment}` first")
    gradebook_scores = course_scores(course)
    tests = _test_cells(course, assignment)
    by_id = {t.grade_id: t for t in tests}
    explanations = known_misconceptions()
    misconceptions: dict[str, MisconceptionStats] = {}
    scores, missing, flags = {}, [], Counter()

    for record in records:
        flags.update(record.flags)
        if "missing" in record.flags:
            missing.append(record.student)
            continue
        scores[record.student] = gradebook_scores.get((record.student, assignment), (record.score,))[0]
        outcomes = {t["grade_id"]: t for t in record.tests}
        for stats in tests:  # an ungraded submission fails every test
            stats.graded += 1
            stats.passed += bool(outcomes.get(stats.grade_id, {}).get("passed"))
        for outcome in record.tests:
            for mid in outcome.get("misconceptions", []):
                entry = misconceptions.setdefault(mid, MisconceptionStats(mid, explanation=explanations.get(mid, "")))
                if record.student not in entry.students:
                    entry.students.append(record.student)
                if outcome["grade_id"] not in entry.tests:
                    entry.tests.append(outcome["grade_id"])
        for grade_id in outcomes.keys() - by_id.keys():  # tests added since: still show them
            by_id[grade_id] = TestStats(grade_id, outcomes[grade_id].get("max_points", 0))
            tests.append(by_id[grade_id])

    max_score = max([r.max_score for r in records] + [sum(t.points for t in tests)])
    ordered = sorted(misconceptions.values(), key=lambda m: (-len(m.students), m.id))
    return ClassReport(assignment, max_score, scores, sorted(missing), tests, ordered,
                       {flag: flags.get(flag, 0) for flag in FLAGS})


def plot_histogram(report: ClassReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = list(report.scores.values())
    top = report.max_score
    step = 1.0 if top <= 30 else top / 20
    edges = [i * step - step / 2 for i in range(int(round(top / step)) + 2)]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    counts, _, bars = ax.hist(values, bins=edges, color="#4C72B0", edgecolor="white", rwidth=0.9)
    for count, bar in zip(counts, bars):
        if count:
            ax.annotate(f"{int(count)}", (bar.get_x() + bar.get_width() / 2, count),
                        ha="center", va="bottom", fontsize=9)
    if values:
        mean = sum(values) / len(values)
        ax.axvline(mean, color="#DD8452", linestyle="--", label=f"mean {mean:.1f}")
        ax.legend(loc="upper left", frameon=False)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, max(list(counts) + [1]) * 1.18)
    ax.set_xlabel(f"score (out of {top:g})")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{report.assignment}: scores of {report.submitted} submissions"
                 + (f" ({len(report.missing)} missing)" if report.missing else ""))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(course: Course, assignment: str) -> ClassReport:
    """Build the report and write its files to ``reports/<assignment>/``."""
    report = build_report(course, assignment)
    folder = course.reports / assignment
    folder.mkdir(parents=True, exist_ok=True)
    report.files.append(plot_histogram(report, folder / "score_histogram.png"))

    with open(folder / "tests.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["grade_id", "points", "passed", "graded", "pass_rate"])
        for t in report.tests:
            writer.writerow([t.grade_id, f"{t.points:g}", t.passed, t.graded, f"{t.pass_rate:.3f}"])
    report.files.append(folder / "tests.csv")

    with open(folder / "misconceptions.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "students", "share", "tests", "explanation"])
        for m in report.misconceptions:
            writer.writerow([m.id, len(m.students), f"{len(m.students) / max(1, report.submitted):.3f}",
                             ";".join(m.tests), m.explanation])
    report.files.append(folder / "misconceptions.csv")

    summary = [f"# {assignment}: class report", "", "![score histogram](score_histogram.png)", "",
               "```", report.text(), "```", ""]
    if report.misconceptions:
        summary += ["## Misconceptions", "", markdown_table(
            ["id", "students", "what went wrong"],
            [[m.id, len(m.students), m.explanation] for m in report.misconceptions]), ""]
    (folder / "summary.md").write_text("\n".join(summary))
    report.files.append(folder / "summary.md")

    data = {"assignment": assignment, "max_score": report.max_score, "scores": report.scores,
            "missing": report.missing, "flags": report.flags,
            "tests": [{**asdict(t), "pass_rate": t.pass_rate} for t in report.tests],
            "misconceptions": [asdict(m) for m in report.misconceptions]}
    (folder / "summary.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    report.files.append(folder / "summary.json")
    return report

"""How much faster is ``python -m grader autograde --jobs 2`` than plain ``nbgrader autograde``?

For each lesson asked for (default 01_simple_rnn; ``--lesson all`` is every
lesson in ``solutions/``), K synthetic students (default 20: a mix of perfect,
untouched and known-mistake submissions, the same notebooks for every side)
are graded by each side in its own temporary course directory:

* plain:  ``nbgrader autograde LESSON`` from the command line, as documented by
  nbgrader (one process, students one after another, a fresh kernel and a
  fresh TensorFlow import per notebook, every cell run);
* ours:   ``python -m grader autograde LESSON --jobs 2`` (worker processes that
  keep nbgrader loaded, private gradebooks merged by the parent, kernels forked
  from a zygote that has already imported the lesson's modules, every kernel
  sandboxed, every test cell judged in the grader's process, demonstration
  cells -- tagged ``demo`` -- skipped);
* all-cells (``--with-all-cells``): ours with ``--run-all-cells``, i.e. the
  demonstration cells run too: the ratio all-cells / ours is what skipping saves;
* cold (``--cold``): ours with ``--cold-kernels``: what parallelism alone gives;
* trusting (``--integrity-cost``): ours with ``--trust-kernel --sandbox none``,
  i.e. test cells run in the student's kernel, unsandboxed, as before the judge
  and sandbox existed: the ratio ours / trusting is what integrity costs.

Times are wall-clock, including each tool's own start-up and gradebook work
(nbgrader's ``generate_assignment``, which autograde needs, is not timed);
nothing is cached between sides.  The machine may be shared, so within a
lesson the sides are interleaved (the order reverses from one repeat to the
next) and the median of ``--repeat`` runs is reported.

One table, a row per lesson: students, seconds per notebook for each side,
plain / ours, and for ours the median of the per-notebook ``seconds`` in its
grading records (``autograded/.grader/<lesson>/<student>.json``: one student's
grading, from kernel to record) and the batch overhead, the wall time that is
not per-notebook work (ours' total minus the records' sum divided by the jobs:
start-up of workers, zygote and gradebook merge; an estimate, as the jobs are
never perfectly balanced).  The final ``course`` row holds the totals: all
notebooks, total seconds per side, the overall ratio.

Plain nbgrader sometimes waits out a cell's whole time limit after a cell with a
slider has finished (jupyter/nbclient#312; ours does not, see
``grader.nbgrader_seam.SeamExecute.on_comm_open_jupyter_widget``).  Such waits
are read from the autograded notebooks' timing metadata and listed under the
table, with the ratio plain / ours would have without them.

Every student's score (read from each side's gradebook) is compared with plain's
(with ours' when ``--skip-plain``); the ``scores`` column says ``yes`` or how
many students differ, the differences are listed under the table, and any of
them (or a failed command) makes the script exit with status 1.

    python benchmarks/autograde_speed.py [--lesson 01_simple_rnn | --lesson all |
        --lesson 03_gru,04_lstm] [--students 20] [--repeat 1] [--jobs 2]
        [--with-all-cells] [--cold] [--integrity-cost] [--skip-plain]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# The grader's modules are imported where they are used: the table and the
# argument helpers stay importable without nbgrader (tests/test_benchmarks.py).

SIDES = ("plain", "ours", "all-cells", "cold", "trusting")
EXTRA_ARGS = {"ours": [], "all-cells": ["--run-all-cells"], "cold": ["--cold-kernels"],
              "trusting": ["--trust-kernel", "--sandbox", "none"]}
LABELS = {"plain": "nbgrader autograde (CLI, sequential, every cell)",
          "ours": "python -m grader autograde --jobs J (demo cells skipped)",
          "all-cells": "  same, --run-all-cells",
          "cold": "  same, --cold-kernels",
          "trusting": "  same, --trust-kernel --sandbox none"}
STDERR_NOTE = "(plain nbgrader zeroes a test cell that writes anything to stderr)"


class CommandFailed(Exception):
    pass


@dataclass
class LessonResult:
    lesson: str
    students: int
    times: dict[str, list[float]] = field(default_factory=dict)  # side -> wall seconds per repeat
    record_seconds: list[float] = field(default_factory=list)  # ours' records, every repeat
    overheads: list[float] = field(default_factory=list)  # ours' batch_overhead per repeat
    # side -> {student: (reference score, side's score)}, students whose scores differ
    differences: dict[str, dict[str, tuple]] = field(default_factory=dict)
    failure: str = ""
    plain_stalls: list[list[float]] = field(default_factory=list)  # per repeat: plain's waits (s)

    def total(self, side: str) -> float | None:
        return statistics.median(self.times[side]) if self.times.get(side) else None

    def per_notebook(self, side: str) -> float | None:
        total = self.total(side)
        return None if total is None or not self.students else total / self.students

    @property
    def mismatches(self) -> int:
        return len({s for diff in self.differences.values() for s in diff})


# --- pure helpers --------------------------------------------------------------------------

def available_lessons(solutions: Path = REPO / "solutions") -> list[str]:
    """The lessons in ``solutions/`` (a folder holding ``<lesson>.ipynb``), in order."""
    return sorted(p.name for p in solutions.iterdir() if (p / f"{p.name}.ipynb").is_file())


def parse_lessons(values: list[str] | None, available: list[str],
                  default: str = "01_simple_rnn") -> list[str]:
    """``--lesson`` values (repeatable, comma lists, ``all``) -> lessons, in order, once each."""
    lessons: list[str] = []
    for value in values or [default]:
        for name in filter(None, (v.strip() for v in value.split(","))):
            for lesson in (available if name == "all" else [name]):
                if lesson not in available:
                    raise ValueError(f"unknown lesson {lesson!r} (known: all, {', '.join(available)})")
                if lesson not in lessons:
                    lessons.append(lesson)
    return lessons


def compare_scores(reference: dict, other: dict) -> dict[str, tuple]:
    """{student: (reference, other)} for every student whose score differs or is missing on one side."""
    return {s: (reference.get(s), other.get(s)) for s in sorted(set(reference) | set(other))
            if reference.get(s) != other.get(s)}


def batch_overhead(wall: float, record_seconds: list[float], jobs: int) -> float:
    """Wall time not spent grading notebooks: ``wall - sum(records) / parallel jobs``."""
    if not record_seconds:
        return wall
    return wall - sum(record_seconds) / max(1, min(jobs, len(record_seconds)))


def cell_stalls(nb, threshold: float) -> list[float]:
    """Waits of at least ``threshold`` seconds between one executed cell's last message and
    the next cell's start, read from nbclient's timing metadata.

    A wait that long is nbclient waiting out a cell's time limit after the cell had
    finished: jupyter/nbclient#312 (its stand-in for the Output widget of a slider
    answers the kernel on the shell channel while it awaits the reply there)."""
    from datetime import datetime

    def when(stamp: str) -> datetime:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    stalls, last = [], None
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.get("cell_type") != "code" or "iopub.execute_input" not in timing:
            continue
        start = when(timing["iopub.execute_input"])
        if last is not None and (start - last).total_seconds() >= threshold:
            stalls.append((start - last).total_seconds())
        last = max(when(stamp) for stamp in timing.values())
    return stalls


def plain_stalls(root: Path, lesson: str, threshold: float) -> list[float]:
    """``cell_stalls`` of every notebook plain nbgrader autograded in ``root``."""
    import nbformat

    return [wait for path in sorted((root / "autograded").glob(f"*/{lesson}/*.ipynb"))
            for wait in cell_stalls(nbformat.read(str(path), as_version=4), threshold)]


def stall_notes(results: list[LessonResult]) -> list[str]:
    """A line per lesson whose plain run waited out cell time limits, and the ratio without them."""
    lines = []
    for r in results:
        waits = [sum(run) for run in r.plain_stalls]
        if r.failure or not any(waits) or not r.times.get("ours"):
            continue
        count = max(len(run) for run in r.plain_stalls)
        without = statistics.median(t - w for t, w in zip(r.times["plain"], waits))
        lines.append(f"{r.lesson}: plain waited out the cell time limit after a finished cell "
                     f"(jupyter/nbclient#312) up to {count} time(s) a run, {max(waits):.0f} s; "
                     f"without those waits plain/ours is {without / r.total('ours'):.2f}x")
    return lines


def _cell(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def results_table(results: list[LessonResult], sides: list[str], jobs: int) -> str:
    """The per-lesson table and the ``course`` row (totals), as text."""
    reference = sides[0]
    headers = ["lesson", "students"] + [f"{s} s/nb" for s in sides]
    if "plain" in sides:
        headers.append("plain/ours")
    if "all-cells" in sides:
        headers.append("skip saves")
    headers += ["ours rec s/nb", "ours overhead s", "scores same"]

    def ratios(get) -> list[str]:
        cells = []
        if "plain" in sides:
            plain, ours = get("plain"), get("ours")
            cells.append(_cell(plain / ours if plain and ours else None, ".2f") + ("x" if plain and ours else ""))
        if "all-cells" in sides:
            every, ours = get("all-cells"), get("ours")
            cells.append(_cell(1 - ours / every if every and ours else None, ".0%"))
        return cells

    rows = []
    for r in results:
        if r.failure:
            rows.append([r.lesson, str(r.students)] + ["-"] * (len(headers) - 3) + ["FAILED"])
            continue
        per_record = statistics.median(r.record_seconds) if r.record_seconds else None
        overhead = statistics.median(r.overheads) if r.overheads else None
        same = "yes" if not r.mismatches else f"no ({r.mismatches})"
        rows.append([r.lesson, str(r.students)] + [_cell(r.per_notebook(s), ".2f") for s in sides]
                    + ratios(r.per_notebook) + [_cell(per_record, ".2f"), _cell(overhead, ".1f"), same])

    done = [r for r in results if not r.failure]
    if len(results) > 1 or not done:
        totals = {s: sum(r.total(s) for r in done) if done else None for s in sides}
        records = [x for r in done for x in r.record_seconds]
        mismatches = sum(r.mismatches for r in done)
        failed = len(results) - len(done)
        same = ("yes" if not mismatches else f"no ({mismatches})") + (f", {failed} failed" if failed else "")
        rows.append(["course", str(sum(r.students for r in done))]
                    + [_cell(totals[s], ".1f") + "s" if totals[s] is not None else "-" for s in sides]
                    + ratios(totals.get) + [_cell(statistics.median(records) if records else None, ".2f"),
                                            "-", same])

    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        if row[0] == "course":
            lines.append(lines[1])
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    legend = [f"s/nb: median wall seconds per notebook; {'plain/ours: speed-up; ' if 'plain' in sides else ''}"
              f"scores same: every student scored as with {reference}",
              f"ours rec s/nb: median 'seconds' of ours' grading records; ours overhead s: ours' wall "
              f"time minus the records' sum / {jobs} jobs (median over repeats)"]
    if "all-cells" in sides:
        legend.append("skip saves: 1 - ours / all-cells, the time saved by skipping demonstration cells")
    if len(results) > 1 or not done:
        legend.append("the course row: total seconds per side (medians summed), overall ratios, "
                      "total notebooks")
    return "\n".join(lines + [""] + legend)


# --- grading -------------------------------------------------------------------------------

def synthetic_class(course, lesson: str, k: int) -> dict[str, object]:
    """K notebooks cycling through perfect / untouched / a known mistake."""
    from grader.course.synthesize import student_notebook
    from grader.demo import scenario_mistake

    kinds = {"perfect": student_notebook(course, lesson, perfect=True),
             "untouched": student_notebook(course, lesson)}
    mistake = scenario_mistake(lesson)
    if mistake:
        kinds["mistake"] = student_notebook(course, lesson, mistake[1]["cells"], perfect=True)
    names = list(kinds)
    return {f"s{i:03d}-{names[i % len(names)]}": kinds[names[i % len(names)]] for i in range(k)}


def prepare(root: Path, lesson: str, students: dict, *, nbgrader_layout: bool):
    """A course directory: solutions/ (ours) or source/ (nbgrader's default) + submitted/."""
    from grader.config import Course
    from grader.course.synthesize import write_submission

    source_dir = "source" if nbgrader_layout else "solutions"
    shutil.copytree(REPO / "solutions" / lesson, root / source_dir / lesson,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    course = Course.at(root)
    for name, nb in students.items():
        write_submission(course, name, lesson, nb)
    return course


def run(cmd: list[str], cwd: Path, env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-3000:])
        raise CommandFailed(f"command failed ({done.returncode}): {' '.join(cmd)}")
    return seconds


def plain_nbgrader(root: Path, lesson: str, env: dict, timeout: int) -> float:
    bindir = Path(sys.executable).parent
    # The release step creates the gradebook entries autograde needs (not timed).
    run([str(bindir / "nbgrader"), "generate_assignment", lesson, "--force",
         f"--CourseDirectory.root={root}"], root, env)
    return run([str(bindir / "nbgrader"), "autograde", lesson, f"--CourseDirectory.root={root}",
                f"--Execute.timeout={timeout}"], root, env)


def ours(root: Path, lesson: str, env: dict, jobs: int, timeout: int, extra=()) -> float:
    return run([sys.executable, "-m", "grader", "autograde", lesson, "--course-dir", str(root),
                "--jobs", str(jobs), "--timeout", str(timeout), "--no-progress", *extra], root, env)


def lesson_scores(course, lesson: str) -> dict[str, tuple[float, float]]:
    from grader.gradebook.gradebook import course_scores

    return {student: score for (student, assignment), score in course_scores(course).items()
            if assignment == lesson}


def bench_lesson(lesson: str, index: int, sides: list[str], args, env: dict) -> LessonResult:
    from grader.config import Course
    from grader.gradebook.records import load_records

    students = synthetic_class(Course.at(REPO), lesson, args.students)
    result = LessonResult(lesson, len(students), times={s: [] for s in sides})
    reference = sides[0]
    print(f"{lesson}: {len(students)} students, load average {os.getloadavg()[0]:.1f}")
    try:
        for rep in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
                courses = {s: prepare(Path(tmp) / s, lesson, students, nbgrader_layout=(s == "plain"))
                           for s in sides}
                # Interleaved; the order alternates between repeats and between lessons.
                for side in (sides if (rep + index) % 2 == 0 else sides[::-1]):
                    root = courses[side].root
                    if side == "plain":
                        seconds = plain_nbgrader(root, lesson, env, args.timeout)
                        result.plain_stalls.append(plain_stalls(root, lesson, 0.8 * args.timeout))
                    else:
                        seconds = ours(root, lesson, env, args.jobs, args.timeout, EXTRA_ARGS[side])
                    result.times[side].append(seconds)
                    print(f"  run {rep + 1}: {side:<9} {seconds:7.1f} s")
                seconds = [r.seconds for r in load_records(courses["ours"], lesson)]
                result.record_seconds += seconds
                result.overheads.append(batch_overhead(result.times["ours"][-1], seconds, args.jobs))
                scores = {s: lesson_scores(c, lesson) for s, c in courses.items()}
                for side in sides[1:]:
                    for student, pair in compare_scores(scores[reference], scores[side]).items():
                        result.differences.setdefault(side, {})[student] = pair
                if len(scores[reference]) != len(students):
                    result.failure = (f"{reference} has scores for {len(scores[reference])} of "
                                      f"{len(students)} students")
                    return result
    except CommandFailed as failed:
        result.failure = str(failed)
    return result


def class_parser(doc: str, *, default_lesson: str, repeat: int) -> argparse.ArgumentParser:
    """The options every grading benchmark takes: the class, the lessons, repeats, the cell limit."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20, help="K synthetic students per lesson (%(default)s)")
    parser.add_argument("--lesson", action="append", metavar="LESSON",
                        help=f"a lesson, a comma list or 'all' (repeatable; default {default_lesson})")
    parser.add_argument("--repeat", type=int, default=repeat, help="interleaved repetitions (median; %(default)s)")
    parser.add_argument("--timeout", type=int, default=None, help="seconds per cell (the grader's default)")
    return parser


def main(argv=None) -> int:
    parser = class_parser(__doc__, default_lesson="01_simple_rnn", repeat=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--with-all-cells", action="store_true",
                        help="also time ours with --run-all-cells: what skipping demonstration cells saves")
    parser.add_argument("--cold", action="store_true",
                        help="also time ours with --cold-kernels: what parallelism alone gives")
    parser.add_argument("--integrity-cost", action="store_true",
                        help="also time ours with --trust-kernel --sandbox none (no judge, no sandbox)")
    parser.add_argument("--skip-plain", action="store_true", help="do not time plain nbgrader")
    args = parser.parse_args(argv)
    try:
        lessons = parse_lessons(args.lesson, available_lessons())
    except ValueError as error:
        parser.error(str(error))

    from grader.config import CELL_TIMEOUT, ensure_tools_on_path, kernel_environment

    if args.timeout is None:
        args.timeout = CELL_TIMEOUT
    ensure_tools_on_path()
    env = dict(os.environ)
    env.update(kernel_environment())  # same quiet kernels for both tools
    wanted = {"plain": not args.skip_plain, "ours": True, "all-cells": args.with_all_cells,
              "cold": args.cold, "trusting": args.integrity_cost}
    sides = [s for s in SIDES if wanted[s]]
    print(f"{len(lessons)} lesson(s), {args.students} students each, {args.repeat} repeat(s), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")

    results = [bench_lesson(lesson, i, sides, args, env) for i, lesson in enumerate(lessons)]

    print()
    for side in sides:
        print(f"{side:<10} {LABELS[side].replace('--jobs J', f'--jobs {args.jobs}')}")
    print()
    print(results_table(results, sides, args.jobs))
    for line in stall_notes(results):
        print(line)
    for r in results:
        if "trusting" in sides and not r.failure:
            cost = r.total("ours") / r.total("trusting") - 1
            print(f"{r.lesson}: judge + sandbox cost {cost:+.1%} of the trusting run's time")
    status = 0
    for r in results:
        if r.failure:
            print(f"{r.lesson}: FAILED: {r.failure}")
            status = 1
        for side, diff in r.differences.items():
            status = 1
            shown = ", ".join(f"{s}: {a} vs {b}" for s, (a, b) in list(diff.items())[:5])
            print(f"{r.lesson}: {side} differs from {sides[0]} for {len(diff)} student(s): {shown}"
                  + (" ..." if len(diff) > 5 else "") + (f" {STDERR_NOTE}" if "plain" in sides else ""))
    if status == 0:
        print(f"every student got the same score with every side as with {sides[0]}")
    return status


if __name__ == "__main__":
    sys.exit(main())

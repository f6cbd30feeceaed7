"""What does grading on a dask cluster cost against the local pool, and how does it scale?

For each lesson asked for (default 03_gru), K synthetic students (default 20, as in
``autograde_speed.py``: perfect, untouched and known-mistake notebooks) are graded
by ``python -m grader autograde LESSON`` in a fresh copy of the class per run:

* ``--jobs 1`` and ``--jobs 2``: the local process pool;
* ``--cluster local:1`` and ``--cluster local:2``: a dask ``LocalCluster`` of 1 and
  2 worker processes, started and stopped by the command (its start-up is timed).

Times are wall-clock of the whole command.  The machine may be shared, so the
sides are interleaved (the order reverses from one repeat to the next) and the
median of ``--repeat`` runs is reported, with each side's ratio to ``--jobs 2``
and, for 2 workers or jobs, the speed-up over 1.  Every run's scores must equal
those of ``--jobs 2`` (else the script exits with status 1).

Under the table: the time to grade N notebooks (default 7,000: a class of 1,000
taking seven lessons) on W workers, projected from ``local:1``'s rate (one
worker's seconds per notebook, its start-up included) as N x rate / W.  Workers
share nothing but the scheduler, so the projection is linear; it is a model,
not a measurement beyond W = 2.

    python benchmarks/cluster_speed.py [--lesson 03_gru | --lesson 03_gru,07_practice]
        [--students 20] [--repeat 3] [--notebooks 7000]
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from autograde_speed import (  # noqa: E402 - the benchmarks folder is not a package
    REPO,
    CommandFailed,
    available_lessons,
    class_parser,
    compare_scores,
    lesson_scores,
    parse_lessons,
    prepare,
    run,
    synthetic_class,
)

SIDES = {"jobs 1": ["--jobs", "1"], "jobs 2": ["--jobs", "2"],
         "local:1": ["--cluster", "local:1"], "local:2": ["--cluster", "local:2"]}
REFERENCE = "jobs 2"
WORKERS = (1, 2, 4, 8, 16, 32, 64, 128)


def median_times(times: dict[str, list[float]]) -> dict[str, float]:
    return {side: statistics.median(values) for side, values in times.items() if values}


def results_table(lesson: str, students: int, times: dict[str, list[float]]) -> str:
    """One row per side: runs, median s, s per notebook, ratio to --jobs 2, speed-up of 2 over 1."""
    from grader.results.tables import text_table

    medians = median_times(times)
    rows = []
    for side, seconds in medians.items():
        ratio = seconds / medians[REFERENCE] if REFERENCE in medians else None
        one = medians.get(side.replace("2", "1")) if side.endswith("2") else None
        rows.append([f"{lesson} {side}", str(len(times[side])), f"{seconds:.1f}",
                     f"{seconds / students:.2f}", f"{ratio:.3f}" if ratio else "-",
                     f"{one / seconds:.2f}x" if one else "-"])
    return text_table(["lesson side", "runs", "median s", "s/nb", f"/ {REFERENCE}", "2 over 1"],
                      rows, align="lrrrrr")


def projection(seconds_per_notebook: float, notebooks: int, workers=WORKERS) -> list[tuple[int, float]]:
    """[(workers, hours)] to grade ``notebooks`` at one worker's ``seconds_per_notebook``."""
    return [(w, notebooks * seconds_per_notebook / w / 3600) for w in workers]


def projection_lines(lesson: str, seconds_per_notebook: float, notebooks: int) -> list[str]:
    cells = ", ".join(f"{w}: {_duration(hours)}" for w, hours in projection(seconds_per_notebook, notebooks))
    return [f"{lesson}: {notebooks:,} notebooks at local:1's {seconds_per_notebook:.2f} s per notebook "
            f"per worker, on W workers: {cells}"]


def _duration(hours: float) -> str:
    return f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min"


def bench_lesson(lesson: str, index: int, args, env: dict) -> tuple[dict, dict, str]:
    """({side: [seconds per repeat]}, {side: {student: (reference, side)}}, failure)."""
    from grader.config import Course

    students = synthetic_class(Course.at(REPO), lesson, args.students)
    times: dict[str, list[float]] = {side: [] for side in SIDES}
    differences: dict[str, dict] = {}
    print(f"{lesson}: {len(students)} students, load average {os.getloadavg()[0]:.1f}")
    sides = list(SIDES)
    try:
        for rep in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
                courses = {side: prepare(Path(tmp) / side.replace(":", "-").replace(" ", "-"), lesson,
                                         students, nbgrader_layout=False) for side in sides}
                for side in (sides if (rep + index) % 2 == 0 else sides[::-1]):
                    root = courses[side].root
                    seconds = run([sys.executable, "-m", "grader", "autograde", lesson, "--course-dir",
                                   str(root), "--timeout", str(args.timeout), "--no-progress",
                                   *SIDES[side]], root, env)
                    times[side].append(seconds)
                    print(f"  run {rep + 1}: {side:<8} {seconds:7.1f} s")
                scores = {side: lesson_scores(course, lesson) for side, course in courses.items()}
                if len(scores[REFERENCE]) != len(students):
                    return times, differences, f"{REFERENCE} scored {len(scores[REFERENCE])} of {len(students)}"
                for side in sides:
                    for student, pair in compare_scores(scores[REFERENCE], scores[side]).items():
                        differences.setdefault(side, {})[student] = pair
    except CommandFailed as failed:
        return times, differences, str(failed)
    return times, differences, ""


def main(argv=None) -> int:
    parser = class_parser(__doc__, default_lesson="03_gru", repeat=3)
    parser.add_argument("--notebooks", type=int, default=7000,
                        help="notebooks of the projection under the table (%(default)s)")
    args = parser.parse_args(argv)
    try:
        lessons = parse_lessons(args.lesson or ["03_gru"], available_lessons())
    except ValueError as error:
        parser.error(str(error))

    from grader.config import CELL_TIMEOUT, ensure_tools_on_path, kernel_environment

    args.timeout = args.timeout or CELL_TIMEOUT
    ensure_tools_on_path()
    env = {**os.environ, **kernel_environment()}
    print(f"{len(lessons)} lesson(s), {args.students} students each, {args.repeat} repeat(s), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    status, tables, notes = 0, [], []
    for index, lesson in enumerate(lessons):
        times, differences, failure = bench_lesson(lesson, index, args, env)
        if failure:
            notes.append(f"{lesson}: FAILED: {failure}")
            status = 1
            continue
        tables.append(results_table(lesson, args.students, times))
        notes += projection_lines(lesson, median_times(times)["local:1"] / args.students, args.notebooks)
        for side, diff in differences.items():
            status = 1
            notes.append(f"{lesson}: {side} differs from {REFERENCE} for {len(diff)} student(s): "
                         + ", ".join(f"{s}: {a} vs {b}" for s, (a, b) in list(diff.items())[:5]))
    print()
    print("\n\n".join(tables))
    print()
    for line in notes:
        print(line)
    if status == 0:
        print(f"every student got the same score on every side as with --{REFERENCE}")
    return status


if __name__ == "__main__":
    sys.exit(main())

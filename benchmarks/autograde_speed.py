"""How much faster is ``python -m grader autograde --jobs 2`` than plain ``nbgrader autograde``?

Both grade the same K synthetic students of one lesson (default 20 of
01_simple_rnn: a mix of perfect, untouched and known-mistake submissions) in
separate temporary course directories:

* plain:  ``nbgrader autograde LESSON`` from the command line, as documented by
  nbgrader (one process, students one after another, a fresh kernel and a
  fresh TensorFlow import per notebook);
* ours:   ``python -m grader autograde LESSON --jobs 2`` (worker processes that
  keep nbgrader loaded, private gradebooks merged by the parent, kernels forked
  from a zygote that has already imported the lesson's modules, every kernel
  sandboxed, every test cell judged in the grader's process);
* trusting (``--integrity-cost``): the same with ``--trust-kernel --sandbox none``,
  i.e. test cells run in the student's kernel, unsandboxed, as before the judge
  and sandbox existed: the ratio ours / trusting is what integrity costs.

Both times are wall-clock, including each tool's own start-up and gradebook
work; nothing is cached between the two.  The machine may be shared, so the
two runs are interleaved when ``--repeat`` > 1 and the median is reported.

    python benchmarks/autograde_speed.py [--students 20] [--lesson 01_simple_rnn] [--jobs 2]
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grader.config import CELL_TIMEOUT, Course, ensure_tools_on_path, kernel_environment  # noqa: E402
from grader.course.synthesize import student_notebook, write_submission  # noqa: E402
from grader.demo import scenario_mistake  # noqa: E402
from grader.gradebook.gradebook import course_scores  # noqa: E402


def synthetic_class(course: Course, lesson: str, k: int) -> dict[str, object]:
    """K notebooks cycling through perfect / untouched / a known mistake."""
    kinds = {"perfect": student_notebook(course, lesson, perfect=True),
             "untouched": student_notebook(course, lesson)}
    mistake = scenario_mistake(lesson)
    if mistake:
        kinds["mistake"] = student_notebook(course, lesson, mistake[1]["cells"], perfect=True)
    names = list(kinds)
    return {f"s{i:03d}-{names[i % len(names)]}": kinds[names[i % len(names)]] for i in range(k)}


def prepare(root: Path, lesson: str, students: dict, *, nbgrader_layout: bool) -> Course:
    """A course directory: solutions/ (ours) or source/ (nbgrader's default) + submitted/."""
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
        raise SystemExit(f"command failed ({done.returncode}): {' '.join(cmd)}")
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


EXTRA_ARGS = {"ours": [], "cold": ["--cold-kernels"], "trusting": ["--trust-kernel", "--sandbox", "none"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=20, help="K synthetic students (%(default)s)")
    parser.add_argument("--lesson", default="01_simple_rnn")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="interleaved repetitions (median)")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds per cell")
    parser.add_argument("--cold", action="store_true",
                        help="also time ours with --cold-kernels: what parallelism alone gives")
    parser.add_argument("--integrity-cost", action="store_true",
                        help="also time ours with --trust-kernel --sandbox none (no judge, no sandbox)")
    parser.add_argument("--skip-plain", action="store_true", help="do not time plain nbgrader")
    args = parser.parse_args(argv)

    ensure_tools_on_path()
    env = dict(os.environ)
    env.update(kernel_environment())  # same quiet kernels for both tools
    students = synthetic_class(Course.at(REPO), args.lesson, args.students)
    k = len(students)
    print(f"{k} students of {args.lesson}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at start")

    methods = ([] if args.skip_plain else ["plain"]) + ["ours"] + \
        (["cold"] if args.cold else []) + (["trusting"] if args.integrity_cost else [])
    times: dict[str, list[float]] = {m: [] for m in methods}
    scores = {}
    for rep in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            courses = {m: prepare(Path(tmp) / m, args.lesson, students, nbgrader_layout=(m == "plain"))
                       for m in methods}
            order = methods if rep % 2 == 0 else methods[::-1]
            for name in order:
                root = courses[name].root
                if name == "plain":
                    seconds = plain_nbgrader(root, args.lesson, env, args.timeout)
                else:
                    seconds = ours(root, args.lesson, env, args.jobs, args.timeout, EXTRA_ARGS[name])
                times[name].append(seconds)
                print(f"  run {rep + 1}: {name:<5} {seconds:7.1f} s")
            scores = {m: course_scores(c) for m, c in courses.items()}

    labels = {"plain": "nbgrader autograde (CLI, sequential)",
              "ours": f"python -m grader autograde --jobs {args.jobs}",
              "cold": "  same, --cold-kernels",
              "trusting": "  same, --trust-kernel --sandbox none"}
    base = methods[0]
    reference = statistics.median(times[base])
    print()
    print(f"{'method':<42}{'total s':>9}{'s/notebook':>12}{'speed-up':>10}")
    for name in methods:
        median = statistics.median(times[name])
        print(f"{labels[name]:<42}{median:9.1f}{median / k:12.2f}{reference / median:10.2f}")
    if "trusting" in times:
        cost = statistics.median(times["ours"]) / statistics.median(times["trusting"]) - 1
        print(f"judge + sandbox cost: {cost:+.1%} of the trusting run's time")
    for name in methods[1:]:
        differ = sorted(s for s in scores[name] if scores[base].get(s) != scores[name][s])
        if differ:
            print(f"{name}: scores differ from {base} for {len(differ)} student(s), e.g. "
                  f"{differ[0]}: {scores[base].get(differ[0])} vs {scores[name][differ[0]]} "
                  "(plain nbgrader zeroes a test cell that writes anything to stderr)")
        else:
            print(f"{name}: every student got the same score as with {base}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

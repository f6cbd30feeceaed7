"""``python -m grader COMMAND``: the instructor's command line.

Every command takes ``--course-dir DIR``; without it the course is found as
nbgrader finds its configuration: the nearest folder from the working directory
up that holds ``nbgrader_config.py`` (``grader.config.find_course``), else this
repository (said on stderr).
"""
from __future__ import annotations

import argparse
import os
import sys

from .config import CELL_TIMEOUT, CONFIG_FILE, Course, ensure_tools_on_path, find_course
from .results.tables import text_table


def _course(args) -> Course:
    if getattr(args, "course_dir", None):
        return Course.at(args.course_dir)
    found = find_course()
    if found is None:
        found = Course.at()
        print(f"course: {found.root} (no {CONFIG_FILE} in {os.getcwd()} or above it; "
              "--course-dir DIR chooses another)", file=sys.stderr)
    return found


def _cmd_build(args) -> int:
    from .course.build import build

    written = build(_course(args), args.assignments or None)
    for path in written:
        print(f"wrote {os.path.relpath(path)}")
    print(f"{len(written)} lesson(s) generated from solutions/.")
    return 0


def _cmd_check(args) -> int:
    import time

    from .course.build import check

    started = time.perf_counter()
    report = check(_course(args), args.assignments or None)
    if report.in_sync:
        print(f"lessons/ is in sync with solutions/ ({len(report.checked)} lessons, "
              f"{time.perf_counter() - started:.1f} s).")
        return 0
    if report.diff:
        print(report.diff, end="" if report.diff.endswith("\n") else "\n")
    print("lessons/ is out of sync with solutions/, a test cell cannot be judged, or a "
          "'demo' cell cannot be skipped at grading:")
    for problem in report.problems:
        print(f"  - {problem}")
    print("Edit solutions/ only, then run `python -m grader build` and commit both.")
    return 1


def _cmd_release(args) -> int:
    from .course.release import ReleaseError, build_release

    try:
        release = build_release(_course(args), args.out, make_zip=args.zip)
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    top = sorted({name.split("/")[0] for name in release.files})
    print(f"wrote the student release to {os.path.relpath(release.root)}/: {len(release.files)} files, "
          f"{len(release.lessons)} lesson(s); {', '.join(top)}")
    print("checked: no hidden-test line and no solution line of solutions/ in it "
          "(course_utils keeps the course's reference implementations, by design)")
    if release.zip_path:
        print(f"wrote {os.path.relpath(release.zip_path)}")
    return 0


def _cmd_validate(args) -> int:
    from .course.validate import validate_notebook

    result = validate_notebook(args.path, cell_timeout=args.timeout)
    print(result.text())
    return 0 if result.ok else (2 if result.problem else 1)


def _cmd_collect(args) -> int:
    from zipfile import BadZipFile

    from .course.collect import CollectError, collect

    course = _course(args)
    try:
        result = collect(course, args.zip, args.assignment, regexp=args.regexp, force=args.force)
    except (CollectError, OSError, BadZipFile) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for item in result.collected:
        print(f"collected {item.entry} -> {os.path.relpath(item.path)} ({item.timestamp})")
    if result.unchanged:
        print(f"unchanged (already collected): {', '.join(sorted({i.student for i in result.unchanged}))}")
    for entry, why in result.kept:
        print(f"NOT COLLECTED {entry}: {why}")
    for entry, why in result.unmatched:
        print(f"UNMATCHED {entry}: {why}")
    students = sorted({i.student for i in result.collected})
    print(f"{len(students)} student(s) collected into {os.path.relpath(course.submitted)}/, "
          f"{len(result.unchanged)} file(s) unchanged, {len(result.kept)} not collected, "
          f"{len(result.unmatched)} unmatched.")
    return 1 if result.kept or result.unmatched else 0


def _records_table(records) -> str:
    return text_table(
        ["student", "score", "flags", "misconceptions", "seconds"],
        [[r.student, f"{r.score:g}/{r.max_score:g}", ";".join(r.flags) or "-",
          " ".join(f"[{m}]" for m in r.misconceptions) or "-", f"{r.seconds:.1f}"] for r in records],
        align="lrllr")


def _cmd_autograde(args) -> int:
    from .autograde import autograde

    course = _course(args)
    result = autograde(course, args.assignment, jobs=args.jobs, force=args.force,
                       students=args.student or None, cell_timeout=args.timeout,
                       warm_kernels=not args.cold_kernels, progress=not args.no_progress,
                       trust_kernel=args.trust_kernel, sandbox=args.sandbox,
                       memory=args.memory, run_all_cells=args.run_all_cells, cluster=args.cluster)
    if result.graded:
        print(_records_table(result.graded))
    if result.skipped:
        print(f"skipped {len(result.skipped)} already graded and unchanged "
              f"(--force regrades them): {', '.join(r.student for r in result.skipped)}")
    problems = [r for r in result.graded if r.error]
    for record in problems:
        first = record.error.strip().splitlines()[-1] if record.error.strip() else ""
        print(f"  {record.student}: {';'.join(record.flags)}: {first}")
    print(f"{len(result.graded)} graded in {result.seconds:.1f} s"
          + (f" ({result.seconds / len(result.graded):.1f} s per notebook)" if result.graded else "")
          + f"; gradebook {os.path.relpath(course.gradebook)}.")
    return 0


def _cmd_feedback(args) -> int:
    from .results.feedback import generate_feedback

    course = _course(args)
    result = generate_feedback(course, args.assignment, args.student or None)
    print(f"wrote {len(result.written)} feedback page(s) under {os.path.relpath(course.feedback)}/")
    for student, lines in result.leaks.items():
        print(f"  REMOVED {student}'s page: it showed hidden test text ({len(lines)} line(s))")
    for error in result.errors:
        print(f"  {error}")
    if not result.written and not result.leaks and not result.errors:
        print(f"  nothing to do: run `python -m grader autograde {args.assignment}` first")
    return 1 if result.leaks or result.errors else 0


def _cmd_export(args) -> int:
    from .results.export import export_grades

    path, rows = export_grades(_course(args), args.out, args.assignment or None, fmt=args.format)
    what = "row(s)" if args.format == "long" else f"student row(s), {args.format}'s import shape"
    print(f"wrote {rows} {what} to {os.path.relpath(path)}")
    return 0


def _cmd_report(args) -> int:
    from .results.report import ReportError, write_report

    course = _course(args)
    try:
        report = write_report(course, args.assignment)
    except ReportError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(report.text())
    print(f"\nwrote {', '.join(os.path.relpath(p) for p in report.files)}")
    return 0


def _cmd_demo(args) -> int:
    from .demo import run_demo

    run_demo(args.lesson, jobs=args.jobs, keep=args.keep, cell_timeout=args.timeout,
             progress=not args.no_progress)
    return 0


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="course root holding solutions/, lessons/, submitted/ ... "
                             f"(default: the nearest folder from here up holding {CONFIG_FILE}, "
                             "as nbgrader finds it; else this repository)")
    main = argparse.ArgumentParser(
        prog="python -m grader", parents=[common],
        description="Build lessons, grade a class, write feedback and reports (nbgrader inside).")
    sub = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, handler, help_):
        p = sub.add_parser(name, parents=[common], help=help_, description=help_)
        p.set_defaults(handler=handler)
        return p

    p = command("build", _cmd_build, "regenerate lessons/ from solutions/")
    p.add_argument("assignments", nargs="*", metavar="LESSON", help="default: all lessons")

    p = command("check", _cmd_check, "fail with a diff if lessons/ is stale (CI)")
    p.add_argument("assignments", nargs="*", metavar="LESSON", help="default: all lessons")

    p = command("release", _cmd_release,
                "write the student release: lessons/, course_utils, make lab; no solutions, "
                "hidden tests, gradebook or grader")
    p.add_argument("--out", metavar="DIR", required=True, help="a new (or empty) folder")
    p.add_argument("--zip", action="store_true", help="also write DIR.zip")

    p = command("validate", _cmd_validate, "run one notebook and report each test in the checkers' words")
    p.add_argument("path", help="a student notebook (.ipynb)")
    p.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds per cell (%(default)s)")

    p = command("collect", _cmd_collect,
                "file a platform's submissions zip into submitted/<student>/LESSON/ (never over a "
                "newer one)")
    p.add_argument("zip", metavar="ZIP", help="the platform's 'download all submissions' zip")
    p.add_argument("assignment", metavar="LESSON")
    p.add_argument("--regexp", metavar="RE",
                   help="how to read a file name: 'canvas' (default: "
                        "<name>_[LATE_]<student_id>_<submission>_<file>), 'moodle' "
                        "(<Full Name>_<student_id>_assignsubmission_file_<file>), or a regular "
                        "expression with the named groups student_id and file_id (optionally "
                        "timestamp), as nbgrader's ZipCollect takes")
    p.add_argument("--force", action="store_true",
                   help="replace a submission even by an older or undated one")

    p = command("autograde", _cmd_autograde, "grade submitted/*/LESSON in parallel (resumable)")
    p.add_argument("assignment", metavar="LESSON")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--jobs", "-j", type=int, default=None,
                       help="students graded in parallel on this machine (default: CPU count)")
    where.add_argument("--cluster", metavar="ADDRESS",
                       help="grade on a dask cluster: a running scheduler's address "
                            "(tcp://host:8786) or local:N for N worker processes here (README: "
                            "grading on a cluster)")
    p.add_argument("--force", action="store_true", help="regrade students graded before")
    p.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")
    p.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds per cell (%(default)s)")
    p.add_argument("--cold-kernels", action="store_true",
                   help="start every kernel from scratch instead of forking a pre-imported one")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--run-all-cells", action="store_true",
                   help="run the lessons' demonstration cells too (tagged 'demo'; skipped by "
                        "default, as no score depends on them)")
    p.add_argument("--trust-kernel", action="store_true",
                   help="run test cells in the student's kernel, as plain nbgrader does (scores "
                        "can be gamed; for benchmarks and trusted runs only)")
    p.add_argument("--sandbox", choices=("auto", "bwrap", "none"), default="auto",
                   help="run every kernel in a bubblewrap sandbox: auto (default: if bwrap can "
                        "start one, else warn and flag records 'unsandboxed'), bwrap (required), "
                        "none (trusted runs)")
    p.add_argument("--memory", default="4G", metavar="SIZE",
                   help="memory limit of each sandboxed kernel's process tree (%(default)s)")

    p = command("feedback", _cmd_feedback, "per-student HTML feedback (hidden tests never shown)")
    p.add_argument("assignment", metavar="LESSON")
    p.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")

    p = command("export", _cmd_export, "grades CSV: student,assignment,score,max_score,flags")
    p.add_argument("--out", metavar="FILE", help="default: grades.csv in the course root")
    p.add_argument("--assignment", action="append", metavar="LESSON", help="only this lesson (repeatable)")
    p.add_argument("--format", choices=("long", "canvas", "moodle"), default="long",
                   help="long (default: one row per student and lesson, with flags); canvas "
                        "(Canvas gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, "
                        "a column per lesson, a Points Possible row); moodle (Moodle grade import: "
                        "ID number, Email address, Full name, a column per lesson)")

    p = command("report", _cmd_report, "class summary: histogram, pass rates, misconceptions")
    p.add_argument("assignment", metavar="LESSON")

    p = command("demo", _cmd_demo, "grade synthetic students of one lesson in a throw-away course")
    p.add_argument("lesson", nargs="?", help="default: 01_simple_rnn")
    p.add_argument("--jobs", "-j", type=int, default=None, help="default: CPU count")
    p.add_argument("--timeout", type=int, default=30, help="seconds per cell (%(default)s)")
    p.add_argument("--keep", action="store_true", help="keep the demo course and print where it is")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return main


def main(argv: list[str] | None = None) -> int:
    ensure_tools_on_path()
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (RuntimeError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

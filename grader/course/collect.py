"""File a learning platform's "download all submissions" zip into ``submitted/``.

``python -m grader collect ZIP LESSON`` reads every file of the zip, matches its
name with nbgrader's own ZipCollect filename collector
(``nbgrader.plugins.zipcollect.FileNameCollectorPlugin``: a regular expression
with the named groups ``student_id`` and ``file_id``, optionally ``timestamp``,
``first_name``, ``last_name``, ``email``; other named groups are allowed and
ignored) and writes ``submitted/<student_id>/<LESSON>/<notebook>`` with
nbgrader's ``timestamp.txt`` beside it.

* The default expression (:data:`CANVAS`) reads Canvas's names,
  ``<name>_[LATE_]<user id>_<submission id>_<file name>``; ``--regexp moodle``
  reads Moodle's ``<Full Name>_<id>_assignsubmission_file_<file name>`` (zips
  with or without a folder per student); ``--regexp '<expression>'`` any other.
  The student id (the platform's user id) becomes the folder name under
  ``submitted/`` and is the id the grades CSV carries back.
* A notebook named after the lesson (Canvas adds ``-1``, ``-2`` to a
  resubmission: ``01_simple_rnn-1.ipynb``) is saved as ``<LESSON>.ipynb``; any
  other notebook keeps its name (autograde grades the only notebook of a
  folder whatever its name and flags it ``renamed``).
* The time of a submission is the ``timestamp`` group when the expression has
  one, otherwise the zip entry's modification time as the platform stored it.
  An existing submission is replaced only by a newer one: an older or
  undated zip entry, or an existing submission without ``timestamp.txt``, is
  reported and left alone unless ``force``.  Two files of one student with the
  same name in the zip: the newer one wins, the other is reported.
* Files the expression does not match (or that are not notebooks) are reported
  and not copied.
"""
from __future__ import annotations

import datetime
import filecmp
import logging
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..config import Course, course_directory, nbgrader_config

# Canvas: "doejane_12345_6789012_01_simple_rnn.ipynb", late: "doejane_LATE_12345_6789012_...".
CANVAS = (r"^(?:.*/)?(?P<name>[^/_]+)_(?:LATE_)?(?P<student_id>[^/_]+)_(?P<submission_id>\d+)_"
          r"(?P<file_id>[^/]+)$")
# Moodle: "Jane Doe_12345_assignsubmission_file_01_simple_rnn.ipynb", or the same name as a
# folder holding "01_simple_rnn.ipynb" ("Download submissions in folders").
MOODLE = (r"^(?:.*/)?(?P<name>[^/_]+)_(?P<student_id>\d+)_assignsubmission_file_/?"
          r"(?P<file_id>[^/]+)$")
PRESETS = {"canvas": CANVAS, "moodle": MOODLE}
SKIPPED_PREFIXES = ("__MACOSX/",)


class CollectError(RuntimeError):
    pass


@dataclass
class Collected:
    student: str
    path: Path
    timestamp: datetime.datetime
    entry: str


@dataclass
class CollectResult:
    collected: list[Collected] = field(default_factory=list)   # written into submitted/
    unchanged: list[Collected] = field(default_factory=list)   # same time and bytes as what is there
    kept: list[tuple[str, str]] = field(default_factory=list)  # (entry, why the existing one stays)
    unmatched: list[tuple[str, str]] = field(default_factory=list)  # (entry, why it was not filed)


def regexp_for(name_or_regexp: str | None) -> str:
    if not name_or_regexp:
        return CANVAS
    regexp = PRESETS.get(name_or_regexp.lower(), name_or_regexp)
    groups = re.compile(regexp).groupindex
    missing = [g for g in ("student_id", "file_id") if g not in groups]
    if missing:
        raise CollectError(f"the expression {regexp!r} has no named group {', '.join(missing)} "
                           "(write them as (?P<student_id>...) and (?P<file_id>...))")
    return regexp


def _collector(regexp: str):
    from nbgrader.plugins.zipcollect import FileNameCollectorPlugin

    quiet = logging.getLogger("grader.collect")  # we report what it would warn about
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    return FileNameCollectorPlugin(named_regexp=regexp, log=quiet)


def _safe_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and not name.startswith(".") and "/" not in name \
        and "\\" not in name


def _target_name(file_id: str, lesson: str) -> str:
    # As ZipCollectApp: the file_id's extension is replaced by the file's own (.ipynb), so an
    # expression whose file_id stops before the extension ((?P<file_id>\w+)) works too.
    name = PurePosixPath(file_id).name
    name = (name[:-len(".ipynb")] if name.endswith(".ipynb") else name.rsplit(".", 1)[0]) + ".ipynb"
    if re.fullmatch(rf"{re.escape(lesson)}(?:[-_ ]?\(?\d+\)?)?\.ipynb", name):
        return f"{lesson}.ipynb"
    return name


def _timestamp(info: dict, entry: zipfile.ZipInfo) -> datetime.datetime:
    from nbgrader.utils import parse_utc

    if info.get("timestamp"):
        try:
            return parse_utc(info["timestamp"])
        except ValueError as exc:
            raise CollectError(f"{entry.filename}: timestamp {info['timestamp']!r} is not a date") from exc
    return datetime.datetime(*entry.date_time)


def collect(course: Course, zip_path: str | Path, lesson: str, *, regexp: str | None = None,
            force: bool = False) -> CollectResult:
    """File the notebooks of ``zip_path`` as ``lesson`` submissions (see the module docstring)."""
    if lesson not in course.assignments():
        raise CollectError(f"no lesson {lesson!r} in {course.source} "
                           f"(lessons: {', '.join(course.assignments()) or 'none'})")
    collector = _collector(regexp_for(regexp))
    result = CollectResult()
    chosen: dict[tuple[str, str], tuple[datetime.datetime, zipfile.ZipInfo]] = {}
    with zipfile.ZipFile(zip_path) as archive:
        for entry in archive.infolist():
            if entry.is_dir() or entry.filename.startswith(SKIPPED_PREFIXES) \
                    or PurePosixPath(entry.filename).name.startswith("."):
                continue
            if not entry.filename.endswith(".ipynb"):
                result.unmatched.append((entry.filename, "not a notebook (.ipynb)"))
                continue
            info = collector.collect(entry.filename)
            if not info:
                result.unmatched.append((entry.filename, "its name does not match the expression"))
                continue
            student, file_id = info["student_id"], info["file_id"]
            target = _target_name(file_id, lesson)
            if not (_safe_name(student) and _safe_name(target)):
                result.unmatched.append((entry.filename, f"unusable student id {student!r} or "
                                                         f"file name {target!r}"))
                continue
            when = _timestamp(info, entry)
            key = (student, target)
            if key in chosen:
                other_when, other = chosen[key]
                older, newer = (other, entry) if when >= other_when else (entry, other)
                result.kept.append((older.filename, f"an older copy of {newer.filename} in the same zip"))
                if older is entry:
                    continue
            chosen[key] = (when, entry)

        by_student: dict[str, list[tuple[str, datetime.datetime, zipfile.ZipInfo]]] = {}
        for (student, target), (when, entry) in sorted(chosen.items()):
            by_student.setdefault(student, []).append((target, when, entry))
        coursedir = course_directory(course, nbgrader_config(course))
        for student, files in by_student.items():
            dest = course.submitted / student / lesson
            when = max(w for _, w, _ in files)
            with tempfile.TemporaryDirectory(prefix="grader-collect-") as tmp:
                staged = Path(tmp)
                for target, _, entry in files:
                    with archive.open(entry) as src, open(staged / target, "wb") as out:
                        shutil.copyfileobj(src, out)
                existing = [p for p in dest.iterdir() if p.name != "timestamp.txt"] if dest.is_dir() else []
                if existing and not force:
                    before = coursedir.get_existing_timestamp(str(dest))
                    names = ", ".join(e.filename for _, _, e in files)
                    if before is None:
                        result.kept.append((names, f"{student} already has a submission without "
                                                   "timestamp.txt (--force replaces it)"))
                        continue
                    if when < before:
                        result.kept.append((names, f"{student}'s submission of {before} is newer "
                                                   f"than this one ({when}; --force replaces it)"))
                        continue
                    same = sorted(p.name for p in existing) == sorted(t for t, _, _ in files) and all(
                        filecmp.cmp(staged / t, dest / t, shallow=False) for t, _, _ in files)
                    if when == before and same:
                        result.unchanged += [Collected(student, dest / t, w, e.filename) for t, w, e in files]
                        continue
                if dest.exists():
                    shutil.rmtree(dest)
                dest.mkdir(parents=True)
                for target, file_when, entry in files:
                    shutil.copyfile(staged / target, dest / target)
                    result.collected.append(Collected(student, dest / target, file_when, entry.filename))
                # nbgrader's format (ZipCollectApp._transfer_files); get_existing_timestamp reads it.
                (dest / "timestamp.txt").write_text(when.isoformat(" "))
    return result

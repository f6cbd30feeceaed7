"""The student release: a folder (and optionally a zip) with what students need, nothing else.

``python -m grader release --out DIR`` writes::

    DIR/README.md            the student README: student_files/README.md, then the README's
                             "The course" section (course table, how the checks talk)
    DIR/Makefile             student_files/Makefile: make lab, make env, make clean
    DIR/pyproject.toml       the course's, packaging course_utils only (no grader)
    DIR/requirements.lock    the student lock (no requirements-dev.lock)
    DIR/environment.yml      the conda recipe, installing requirements.lock
    DIR/nbgrader_config.py   what nbgrader's Validate reads: the grader's cell timeout
    DIR/course_utils/        the course library, as is
    DIR/lessons/<lesson>/    generated fresh from solutions/ (stubs, no hidden tests)
    DIR/tools/lab, DIR/tools/pick-python, DIR/jupyter-config/   what make lab runs

and none of solutions/, grader/, tests/, benchmarks/, the gradebook or any
submission.  ``course_utils`` ships whole: it holds the course's own version of
every exercise on purpose (later cells fall back to it, and grading flags an
answer that calls it ``uses-reference``; CONTRIBUTING.md, "Student-facing API")
and the checkers the visible tests call.  What must never ship is checked
before the release is kept (:func:`leaks`): no hidden-test line of any
solution notebook in any file, and no solution line (the code between
``### BEGIN/END SOLUTION`` that the lesson does not also show elsewhere) in any
file outside ``course_utils``.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..config import CELL_TIMEOUT, REPO_ROOT, Course
from ..judge.hidden_tests import MIN_SECRET_CHARS, find_leaks, secret_lines, split_hidden, split_regions
from .build import generate

STUDENT_FILES = Path(__file__).resolve().parent / "student_files"
# Copied from the course's code root as they are (folders recursively).
COPIED = ["course_utils", "requirements.lock", "jupyter-config", "tools/lab", "tools/pick-python"]
# Where solution code may appear: the course's reference implementations.
REFERENCE_DIRS = ("course_utils/",)
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info", ".DS_Store")
SOLUTION_BEGIN, SOLUTION_END = "BEGIN SOLUTION", "END SOLUTION"

NBGRADER_CONFIG = f'''"""nbgrader's settings for the Validate button and `nbgrader validate` (student release).

Validate runs a notebook from the top as grading does; a cell may take as long as
grading allows ({CELL_TIMEOUT} s), since some lessons train small Keras models.
"""
c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
c.Execute.timeout = {CELL_TIMEOUT}
c.Execute.interrupt_on_timeout = True
'''


class ReleaseError(RuntimeError):
    pass


@dataclass
class Release:
    root: Path
    lessons: list[str]
    files: list[str] = field(default_factory=list)  # relative paths, sorted
    zip_path: Path | None = None


def code_root(course: Course) -> Path:
    """Where course_utils, the locks and tools come from: the course root if it has them."""
    return course.root if (course.root / "course_utils").is_dir() else REPO_ROOT


# ---------------------------------------------------------------- what must not ship


def _solution_lines(source: str) -> list[str]:
    return split_regions(source, SOLUTION_BEGIN, SOLUTION_END)[1]


def _shown_lines(source: str) -> list[str]:
    """Lines of a cell outside its solution and hidden-test regions (what students see)."""
    return split_regions(split_hidden(source)[0], SOLUTION_BEGIN, SOLUTION_END)[0]


def secrets(course: Course) -> tuple[list[str], list[str]]:
    """``(hidden-test lines, solution lines)`` of every solution notebook of ``course``.

    Hidden-test lines are :func:`grader.judge.hidden_tests.secret_lines`.  Solution
    lines are the stripped lines (at least ``MIN_SECRET_CHARS`` long) between the
    solution markers, less those any lesson shows outside them, searched as
    :func:`leaks` searches (``recurrent_kernel, bias)`` is the end of a signature, a
    loop header may be in a demonstration cell): those are in the lesson anyway.
    """
    cells = [cell for assignment in course.assignments()
             for cell in nbformat.read(str(course.source_notebook(assignment)), as_version=4).cells]
    code = [cell.source for cell in cells if cell.cell_type == "code"]
    hidden = secret_lines(code)
    candidates = sorted({line.strip() for source in code for line in _solution_lines(source)
                         if len(line.strip()) >= MIN_SECRET_CHARS})
    shown = "\n".join(line for cell in cells for line in _shown_lines(cell.source))
    public = set(find_leaks(shown, candidates))
    return hidden, sorted((s for s in candidates if s not in public), key=len, reverse=True)


def text_files(root: Path) -> dict[str, str]:
    """Every file under ``root`` that decodes as UTF-8, by relative path."""
    texts = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            try:
                texts[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return texts


def leaks(root: Path, course: Course) -> dict[str, list[str]]:
    """Relative path -> the secrets found in that file of a release (empty: none).

    Each file is searched as :func:`~grader.judge.hidden_tests.find_leaks` searches a
    feedback page (raw, entities and JSON escapes decoded, whitespace ignored), so a
    line hidden in a notebook's JSON is found too.
    """
    hidden, solution = secrets(course)
    found = {}
    for name, text in text_files(root).items():
        wanted = hidden if name.startswith(REFERENCE_DIRS) else hidden + solution
        hits = find_leaks(text, wanted)
        if hits:
            found[name] = hits
    return found


# ---------------------------------------------------------------- the release


def _section(markdown: str, heading: str) -> str:
    """``## heading`` of a markdown text up to the next level-2 heading."""
    match = re.search(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", markdown, flags=re.S | re.M)
    if not match:
        raise ReleaseError(f"README.md has no '## {heading}' section for the student README")
    return match.group(0).rstrip() + "\n"


def student_readme(source_root: Path) -> str:
    readme = (STUDENT_FILES / "README.md").read_text()
    course_readme = source_root / "README.md"
    if course_readme.is_file():
        course = _section(course_readme.read_text(), "The course")
        # Students get no tests/ folder: drop the asides naming one.
        course = re.sub(r" \(`tests/[^`]*` checks this\)", "", course)
        readme = readme.rstrip() + "\n\n" + course
    return readme


def student_pyproject(text: str) -> str:
    """The course's pyproject.toml, packaging course_utils only."""
    new, count = re.subn(r'^include = \[.*\]$', 'include = ["course_utils*"]', text, flags=re.M)
    if count != 1:
        raise ReleaseError("pyproject.toml: expected one `include = [...]` line under "
                           "[tool.setuptools.packages.find]")
    return new


def student_environment(text: str) -> str:
    """The conda recipe with the student lock, its maintainer comments replaced."""
    body = re.sub(r"\A(#.*\n)+", "", text).replace("requirements-dev.lock", "requirements.lock")
    return ("# `conda env create -f environment.yml && conda activate rnn-course`, then `tools/lab`:\n"
            "# the versions of requirements.lock and the course library, as `make lab` installs them.\n"
            + body)


def build_release(course: Course, out: str | Path, *, make_zip: bool = False) -> Release:
    """Write the student release of ``course`` into ``out`` (must not exist or be empty)."""
    out = Path(out).resolve()
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(f"{out} exists and is not empty; choose a new folder")
    lessons = course.assignments()
    if not lessons:
        raise ReleaseError(f"no lessons in {course.source}")
    source_root = code_root(course)
    out.mkdir(parents=True, exist_ok=True)
    try:
        generate(course, lessons, out / "lessons")
        for name in COPIED:
            src, dest = source_root / name, out / name
            if not src.exists():
                raise ReleaseError(f"{src} is missing; the release needs it")
            dest.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dest, ignore=IGNORE)
            else:
                shutil.copy2(src, dest)
        shutil.copy2(STUDENT_FILES / "Makefile", out / "Makefile")
        (out / "README.md").write_text(student_readme(source_root))
        (out / "pyproject.toml").write_text(student_pyproject((source_root / "pyproject.toml").read_text()))
        (out / "environment.yml").write_text(student_environment((source_root / "environment.yml").read_text()))
        (out / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
        found = leaks(out, course)
        if found:
            raise ReleaseError("the release would show solution or hidden-test text, not written: "
                               + "; ".join(f"{name}: {len(hits)} line(s), e.g. {hits[0]!r}"
                                           for name, hits in sorted(found.items())))
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    release = Release(out, lessons, sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                                           if p.is_file()))
    if make_zip:
        release.zip_path = Path(shutil.make_archive(str(out), "zip", root_dir=out.parent, base_dir=out.name))
    return release

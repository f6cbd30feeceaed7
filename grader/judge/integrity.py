"""Before grading: accidents repaired, and what a student's own code shows, read from its source.

* ``find_submission`` grades the only notebook of a student's folder whatever
  its name (``01_simple_rnn (1).ipynb``): flag ``renamed``.
* ``deduplicate_cells`` turns copies of a graded or locked cell (JupyterLab
  copies nbgrader's metadata with a cell) into ordinary cells, keeping the
  first, so nbgrader does not abort on a repeated ``grade_id``: flag
  ``duplicated-cells``.
* ``static_flags`` reads (never runs) the cells the student wrote, in the
  grader's process: naming the course's own implementation of an exercise is
  ``uses-reference``; reaching for the machinery around the code (IPython's
  hooks, ``sys.modules``, tracing, ``ctypes``, dynamic imports and ``exec``)
  is ``suspicious-code``, for a human to look at.  Neither changes a score:
  scores come from the judge (``grader.judge.judge``), which such code cannot reach.
  The judge adds ``uses-reference`` at run time too, when a student's function
  calls a course function of the same name (``JudgeReport.reference_calls``).
"""
from __future__ import annotations

import ast
from pathlib import Path

# Names (bare) and attributes whose use in a student's cell is worth a human look.
SUSPICIOUS_NAMES = {"get_ipython", "__import__", "exec", "eval", "compile", "__builtins__",
                    "breakpoint"}
SUSPICIOUS_ATTRIBUTES = {"settrace", "setprofile", "excepthook", "set_custom_exc", "run_cell",
                         "showtraceback", "user_ns", "_core", "_probes", "__code__", "__globals__",
                         "f_back", "f_globals", "__subclasses__"}
SUSPICIOUS_MODULES = {"importlib", "ctypes", "gc", "builtins", "subprocess", "socket", "inspect",
                      "course_utils.checks._core", "course_utils.checks._probes", "grader"}


def find_submission(folder: Path, expected_name: str) -> tuple[Path | None, bool]:
    """``(notebook, renamed)``: the expected notebook, else the only ``.ipynb`` in ``folder``."""
    expected = folder / expected_name
    if expected.is_file():
        return expected, False
    if not folder.is_dir():
        return None, False
    candidates = sorted(p for p in folder.glob("*.ipynb") if p.is_file()
                        and not p.name.startswith("."))
    if len(candidates) == 1:
        return candidates[0], True
    return None, False


def deduplicate_cells(nb) -> list[str]:
    """Make every repeated nbgrader cell after the first an ordinary cell; return their ids."""
    seen, copies = set(), []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if not isinstance(meta, dict):
            continue
        grade_id = meta.get("grade_id")
        if not grade_id:
            if meta.get("grade") or meta.get("solution") or meta.get("locked"):
                del cell.metadata["nbgrader"]  # unusable marks: an ordinary cell
            continue
        if grade_id in seen:
            copies.append(grade_id)
            del cell.metadata["nbgrader"]
        else:
            seen.add(grade_id)
    return copies


def _student_sources(submitted, release) -> list[str]:
    """Sources of the cells the student wrote: answer cells and cells not in the release."""
    from nbgrader import utils

    released = {c.source for c in release.cells if c.cell_type == "code"}
    sources = []
    for cell in submitted.cells:
        if cell.cell_type != "code":
            continue
        if utils.is_solution(cell) or (cell.source not in released and not utils.is_locked(cell)):
            sources.append(cell.source)
    return sources


def parse_cell(source: str):
    """The AST of a cell, IPython magics (``%time``, ``%%capture``) left out; None if invalid."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith("%")]
    lines = ["pass  # shell command" if line.lstrip().startswith("!") else line for line in lines]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _course_module_names(trees) -> set[str]:
    """Local names bound to course_utils modules or objects by imports in ``trees``."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "course_utils":
                        names.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
                names.update(alias.asname or alias.name for alias in node.names)
    return names


def _reference_uses(tree, exercises, course_names) -> list[str]:
    """Where an answer names the course's own version of the function it was asked to write:
    inside ``def <exercise>``, or by binding the exercise's name to it at the top of a cell.
    (An answer may use the course's version of *another* exercise: that is what the fallback
    ``yours_or_course`` is for.)"""
    found = []

    def names_course_version(node, exercises) -> list[str]:
        hits = []
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and sub.attr in exercises \
                    and _dotted(sub).split(".")[0] in course_names:
                hits.append(f"uses {_dotted(sub)}")
            elif isinstance(sub, ast.Name) and sub.id in course_names and sub.id in exercises:
                hits.append(f"uses the course's {sub.id}")
            elif isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith("course_utils"):
                hits += [f"imports {a.name} from {sub.module}" for a in sub.names
                         if a.name in exercises]
            elif isinstance(sub, ast.Call) and _dotted(sub.func).split(".")[-1] in (
                    "course_version", "yours_or_course") and sub.args \
                    and isinstance(sub.args[0], ast.Constant) and sub.args[0].value in exercises:
                hits.append(f"asks for the course's {sub.args[0].value}")
        return hits

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in exercises:
            found += names_course_version(node, {node.name})
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
            found += [f"imports {a.name} from {node.module}" for a in node.names
                      if (a.asname or a.name) in exercises]
        elif isinstance(node, ast.Assign):
            bound = {t.id for t in node.targets if isinstance(t, ast.Name)} & set(exercises)
            if bound:
                found += names_course_version(node.value, bound)
    return found


def _suspicious(tree, course_names) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"imports {a.name}" for a in node.names
                      if a.name in SUSPICIOUS_MODULES or a.name.split(".")[0] in SUSPICIOUS_MODULES]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module in SUSPICIOUS_MODULES or module.split(".")[0] in SUSPICIOUS_MODULES:
                found.append(f"imports from {module}")
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if node.attr in SUSPICIOUS_ATTRIBUTES or dotted in ("sys.modules", "os.system"):
                found.append(f"uses {dotted or node.attr}")
        elif isinstance(node, ast.Name) and node.id in SUSPICIOUS_NAMES:
            found.append(f"uses {node.id}")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                dotted = _dotted(target) if isinstance(target, ast.Attribute) else ""
                if dotted and dotted.split(".")[0] in course_names | {"np", "numpy", "sys", "os"}:
                    found.append(f"changes {dotted}")
    return found


def static_flags(submitted, release, exercises) -> dict[str, list[str]]:
    """``{"uses-reference": [why...], "suspicious-code": [why...]}`` (only non-empty keys)."""
    exercises = set(exercises)
    student = [t for t in map(parse_cell, _student_sources(submitted, release)) if t is not None]
    everything = [t for t in (parse_cell(c.source) for c in submitted.cells if c.cell_type == "code")
                  if t is not None]
    course_names = _course_module_names(everything) | {"course_utils"}
    reference, suspicious = [], []
    for tree in student:
        reference += _reference_uses(tree, exercises, course_names)
        suspicious += _suspicious(tree, course_names)
    flags = {}
    if reference:
        flags["uses-reference"] = sorted(set(reference))
    if suspicious:
        flags["suspicious-code"] = sorted(set(suspicious))
    return flags

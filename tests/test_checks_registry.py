"""Every checker is importable from course_utils.checks, without loading TensorFlow needlessly,
and every checker uses the one framework: wrapped by ``_core.checker``, ids registered,
rereads that name a real heading, no tolerance or id pattern of its own."""
import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils.checks as checks
from course_utils.checks import _core
from course_utils.checks.misconceptions import ID_PATTERN, MISCONCEPTIONS

CHECKS_DIR = Path(checks.__file__).parent


def _defined_checkers():
    found = {}
    for path in CHECKS_DIR.glob("*.py"):
        if path.name.startswith("_"):
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("check_"):
                found[node.name] = path.stem
    return found


def test_registry_lists_every_public_checker_and_its_module():
    assert checks.CHECKERS == _defined_checkers()


def test_every_registered_checker_imports():
    for name in checks.CHECKERS:
        assert callable(getattr(checks, name))


def test_numpy_checkers_do_not_import_tensorflow():
    code = ("import sys; from course_utils.checks import check_rnn_forward, check_gru_forward, "
            "check_lstm_forward, check_rnn_backward; print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- one framework (issue 9)

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
# "NN_lesson, 'Heading text'": a lesson and one of its headings, exactly.
REREAD_FORMAT = re.compile(r"(\d\d_[a-z0-9_]+), '(.+)'")
# "[A-Z]" or "[A-Z0-9]" in a regular expression (ID_PATTERN's own source) is no id.
CHARACTER_RANGE = re.compile(r"A-Z(0-9)?")
MODULES = sorted(p for p in CHECKS_DIR.glob("*.py"))


def _headings(lesson):
    """The text of every markdown ``#`` heading of solutions/<lesson>/<lesson>.ipynb."""
    notebook = json.loads((SOLUTIONS / lesson / f"{lesson}.ipynb").read_text())
    found = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for line in "".join(cell["source"]).splitlines():
            if line.startswith("#"):
                found.add(line.lstrip("#").strip())
    return found


def _calls(tree, name):
    """Every call of ``name(...)`` or ``something.name(...)`` in an AST."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called == name:
                yield node


def _string(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _mistake_literals(path):
    """(line, id, reread or None) of every Mistake("ID", ..., reread="...") in a module."""
    tree = ast.parse(path.read_text())
    for call in _calls(tree, "Mistake"):
        keywords = {k.arg: k.value for k in call.keywords}
        mid = _string(call.args[0]) if call.args else _string(keywords.get("id"))
        reread = _string(keywords["reread"]) if "reread" in keywords else None
        yield call.lineno, mid, reread
    for call in _calls(tree, "describe_ids"):
        if call.args and isinstance(call.args[0], (ast.List, ast.Tuple)):
            for element in call.args[0].elts:
                yield call.lineno, _string(element), None


def test_every_public_checker_is_wrapped_by_the_framework():
    """``_core.checker`` wraps the message at 90 characters and hides the checker's frames."""
    unwrapped = [name for name in checks.CHECKERS
                 if getattr(getattr(checks, name), "__checker__", False) is not True]
    assert not unwrapped, f"not decorated with _core.checker: {unwrapped}"


def _reread_problem(reread):
    match = REREAD_FORMAT.fullmatch(reread)
    if not match:
        return f"{reread!r} is not written \"NN_lesson, 'Heading'\""
    lesson, heading = match.groups()
    if not (SOLUTIONS / lesson / f"{lesson}.ipynb").exists():
        return f"{reread!r}: there is no lesson {lesson}"
    if heading not in _headings(lesson):
        return f"{reread!r}: {lesson} has no heading {heading!r}"
    return None


def test_every_misconception_rereads_a_real_heading_of_its_lesson():
    problems = [f"{m.id}: {problem}" for m in MISCONCEPTIONS.values()
                if (problem := _reread_problem(m.reread))]
    assert not problems, "\n".join(problems)


def test_every_exercise_has_a_section_and_it_is_a_real_heading():
    """MODIFIES-INPUTS (any exercise can make it) rereads the exercise at hand."""
    from course_utils.checks.misconceptions import EXERCISE_SECTIONS
    from course_utils.fallback import COURSE_VERSIONS

    assert set(EXERCISE_SECTIONS) == set(COURSE_VERSIONS)
    problems = [problem for section in EXERCISE_SECTIONS.values()
                if (problem := _reread_problem(section))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_every_reread_written_in_a_checker_is_a_real_heading(path):
    problems = [f"{path.name}:{line}: {problem}" for line, _, reread in _mistake_literals(path)
                if reread and (problem := _reread_problem(reread))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_every_id_a_checker_names_is_registered(path):
    """Bracketed ``[ID]`` literals in the source, ``Mistake("ID")`` and ``describe_ids([...])``."""
    source = path.read_text()
    named = {(source.count("\n", 0, m.start()) + 1, m.group(1))
             for m in ID_PATTERN.finditer(source)}
    named |= {(line, mid) for line, mid, _ in _mistake_literals(path) if mid is not None}
    unknown = sorted(f"{path.name}:{line}: {mid}" for line, mid in named
                     if mid not in MISCONCEPTIONS and not CHARACTER_RANGE.fullmatch(mid))
    assert not unknown, "not registered in misconceptions.py:\n" + "\n".join(unknown)


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "_core.py"],
                         ids=lambda p: p.name)
def test_no_module_defines_its_own_diagnosis_tolerance_or_id_pattern(path):
    """The tolerances live in _core (ATOL, DIAGNOSIS_ATOL), the id pattern in misconceptions."""
    tree = ast.parse(path.read_text())
    problems = []
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, ast.Assign) else
                   [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
        for target in targets:
            name = getattr(target, "id", None) or getattr(target, "attr", None) or ""
            if re.search(r"DIAGNOS\w*_ATOL", name):
                problems.append(f"line {node.lineno}: defines {name}; use _core.DIAGNOSIS_ATOL")
    if path.name != "misconceptions.py":
        for call in _calls(tree, "compile"):
            pattern = _string(call.args[0]) if call.args else None
            if pattern and "A-Z" in pattern:
                problems.append(f"line {call.lineno}: compiles its own id pattern {pattern!r}; "
                                f"use misconceptions.ID_PATTERN")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_the_framework_holds_the_tolerances():
    assert _core.ATOL < _core.DIAGNOSIS_ATOL

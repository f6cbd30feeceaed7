"""The import structure of grader/ and course_utils/, read statically (ast, nothing imported).

* No import cycles inside a package: every intra-package import, including the
  ones inside functions, is an edge; a cycle is reported with its modules in order.
* No production module refers to a path under tests/: tests may import the
  packages, never the other way round.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("grader", "course_utils")


def _modules(package: str) -> dict[str, Path]:
    """dotted name -> file, for every module of ``package``."""
    found = {}
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(package: str) -> dict[str, set[str]]:
    """module -> the modules of ``package`` it imports (anywhere in its code)."""
    modules = _modules(package)

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(module, path, node)
                # ``from pkg import submodule`` imports the submodule
                targets = [f"{source}.{alias.name}" for alias in node.names] + [source]
            for target in targets:
                if target.split(".")[0] != package:
                    continue
                hit = known(target)
                # importing a package runs its __init__; a module importing its own
                # package (or the package itself) is not a cycle worth naming
                if hit and hit != module and not module.startswith(hit + "."):
                    graph[module].add(hit)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as [a, b, ..., a], or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_names_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_function_level_imports_are_edges(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from .a import x\n")
    monkeypatch.setattr(__import__(__name__), "REPO_ROOT", tmp_path)
    assert find_cycle(import_graph("pkg")) in (["pkg.a", "pkg.b", "pkg.a"], ["pkg.b", "pkg.a", "pkg.b"])


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles(package):
    graph = import_graph(package)
    assert len(graph) > 3
    cycle = find_cycle(graph)
    assert cycle is None, f"import cycle in {package}/: {' -> '.join(cycle)}"


def test_grader_stages_import_each_other_in_one_direction():
    """grader's subpackages (course, run, judge, gradebook, results, demo) and top-level
    modules form no circle either: each stage builds on the ones below it."""
    stages: dict[str, set[str]] = {}
    for module, targets in import_graph("grader").items():
        stage = ".".join(module.split(".")[:2])
        stages.setdefault(stage, set()).update(
            ".".join(t.split(".")[:2]) for t in targets if ".".join(t.split(".")[:2]) != stage)
    cycle = find_cycle(stages)
    assert cycle is None, f"grader's stages import each other in a circle: {' -> '.join(cycle)}"


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


TESTS_PATH = re.compile(r"(^|[/\\])tests[/\\]")


def _path_parts(tree: ast.AST) -> set[int]:
    """Strings used as a path component: ``x / "s"`` or an argument of ``*.join``/``joinpath``."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            ids.update({id(node.left), id(node.right)})
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("join", "joinpath"):
            ids.update(id(arg) for arg in node.args)
    return ids


@pytest.mark.parametrize("package", PACKAGES)
def test_production_code_never_refers_to_tests(package):
    """No string in code (docstrings aside) names a path under tests/."""
    found = []
    for path in _modules(package).values():
        tree = ast.parse(path.read_text(), str(path))
        docs, parts = _docstrings(tree), _path_parts(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str) \
                    or id(node) in docs:
                continue
            if TESTS_PATH.search(node.value) or (node.value == "tests" and id(node) in parts):
                found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {node.value[:60]!r}")
    assert not found, "production code refers to tests/:\n" + "\n".join(found)

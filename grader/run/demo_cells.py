"""Demonstration cells: run in the lesson, skipped at grading.

A solution notebook marks a code cell that only demonstrates (a figure, a
training run, a timing) with the cell tag ``demo``. Grading skips it, because
no score depends on it. Two rules keep that safe:

* ``python -m grader check`` proves it for the instructor's notebook: a demo
  cell defines or changes no name that a later cell that still runs reads
  (:func:`problems`). Changes are rebinding a name, assigning to one of its
  attributes or items, or calling a method on it (``model.fit(...)``), except
  on imported names (modules, functions, classes).
* **The student's code always has what it reads.** At grading time a demo cell
  is skipped only if it is exactly as released, and nothing that runs (the
  student's own cells included) reads a name it defines or changes; otherwise
  it runs like any other cell (:func:`cells_to_skip`).

Reads inside function bodies count wherever the function is defined: the body
runs later, when the function is called. A cell that reads names dynamically
(``globals()``, ``eval``, ``exec``) reads everything, except the course's
``f("name", globals(), ...)`` lookups (``yours_or_course``), which read ``name``.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

DEMO_TAG = "demo"
SKIPPED_NOTE = ("[not run at grading: a demonstration cell (tagged 'demo'); no score "
                "depends on it. Run the lesson yourself to see its output.]\n")
# Calls that read names the code does not spell out: such a cell reads everything.
DYNAMIC_READS = {"globals", "locals", "vars", "eval", "exec", "get_ipython", "__import__"}


def is_demo(cell) -> bool:
    """A code cell tagged ``demo``."""
    return cell.cell_type == "code" and DEMO_TAG in cell.get("metadata", {}).get("tags", [])


def parse(source: str) -> ast.Module | None:
    """The cell's AST; None if it is not Python (it then raises SyntaxError and runs nothing).

    IPython syntax: a cell magic's first line and line magics are left out, except
    ``%time``/``%timeit``/``%%capture``-style prefixes whose code is kept; shell
    lines (``!ls``) become ``pass``.
    """
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        indent = line[:len(line) - len(stripped)]
        timed = re.match(r"%(time|timeit|prun)\s+(.*)", stripped)
        if timed:
            lines.append(indent + timed[2])
        elif stripped.startswith("%"):
            lines.append(indent + "pass")
        else:
            lines.append(indent + "pass" if stripped.startswith("!") else line)
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


@dataclass
class Names:
    """What one cell does with names, as far as a static reading can tell."""
    defines: set[str] = field(default_factory=set)        # bound at top level (or `global`)
    changes: set[str] = field(default_factory=set)        # x.a = ..., x[i] = ..., x.method(...)
    reads_now: set[str] = field(default_factory=set)      # loaded while the cell runs
    reads_later: set[str] = field(default_factory=set)    # loaded in bodies of functions it defines
    modules: set[str] = field(default_factory=set)        # names bound by import
    parsed: bool = True
    reads_everything: bool = False                       # globals(), eval(...)
    reads_first: set[str] = field(default_factory=set)   # reads_now before the cell binds them
    rebinds: set[str] = field(default_factory=set)       # bound by an unconditional top-level statement

    @property
    def writes(self) -> set[str]:
        return self.defines | self.changes


def _root(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


class _Reader(ast.NodeVisitor):
    def __init__(self, names: Names):
        self.names, self.depth, self.globals = names, 0, set()
        self.named_lookups: set[int] = set()   # globals() calls that look up one named name

    # -- scopes: bodies of functions run later; their locals are not the notebook's
    def _function(self, node):
        if self.depth == 0:
            self.names.defines.add(node.name)
        for default in [*node.args.defaults, *node.args.kw_defaults, *node.decorator_list]:
            if default is not None:
                self.visit(default)
        # The function's own names (parameters, names it assigns) are not the notebook's.
        args = node.args
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                  *filter(None, [args.vararg, args.kwarg])]}
        declared = {n for stmt in ast.walk(node) if isinstance(stmt, (ast.Global, ast.Nonlocal))
                    for n in stmt.names}
        assigned = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                    and not isinstance(n.ctx, ast.Load)}
        local = (params | assigned) - declared
        outer_later = self.names.reads_later
        self.names.reads_later = set()
        self.depth += 1
        for stmt in node.body:
            self.visit(stmt)
        self.depth -= 1
        self.names.reads_later = outer_later | (self.names.reads_later - local)

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node):
        args = node.args
        local = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                 *filter(None, [args.vararg, args.kwarg])]}
        outer_later = self.names.reads_later
        self.names.reads_later = set()
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        self.names.reads_later = outer_later | (self.names.reads_later - local)

    def visit_ClassDef(self, node):
        if self.depth == 0:
            self.names.defines.add(node.name)
        self.generic_visit(node)

    def visit_Global(self, node):
        self.globals.update(node.names)

    def visit_Import(self, node):
        for alias in node.names:
            name = alias.asname or alias.name.split(".")[0]
            self.names.modules.add(name)
            if self.depth == 0:
                self.names.defines.add(name)

    def visit_ImportFrom(self, node):
        for alias in node.names:
            if alias.name != "*":
                # Calling an imported function or class is taken not to change it.
                self.names.modules.add(alias.asname or alias.name)
                if self.depth == 0:
                    self.names.defines.add(alias.asname or alias.name)

    # -- names
    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            (self.names.reads_later if self.depth else self.names.reads_now).add(node.id)
        elif self.depth == 0 or node.id in self.globals:
            self.names.defines.add(node.id)

    def _target(self, node):
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            root = _root(node)
            if root:
                self.names.changes.add(root)

    def visit_Attribute(self, node):
        self._target(node)
        self.generic_visit(node)

    def visit_Subscript(self, node):
        self._target(node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        root = _root(node.target)
        if root:
            self.names.changes.add(root)
        self.generic_visit(node)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in DYNAMIC_READS \
                and id(node) not in self.named_lookups:
            self.names.reads_everything = True
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.isidentifier():
            # yours_or_course("rnn_forward", globals(), ...): globals() read for one named name
            for arg in node.args[1:]:
                if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) \
                        and arg.func.id == "globals":
                    self.named_lookups.add(id(arg))
                    (self.names.reads_later if self.depth else self.names.reads_now).add(first.value)
        if isinstance(node.func, ast.Attribute):
            root = _root(node.func)
            if root:
                self.names.changes.add(root)     # possibly: model.fit(...), xs.append(...)
        self.generic_visit(node)


def cell_names(source: str) -> Names:
    """Read one cell's source (see :class:`Names`). A cell that does not parse runs
    nothing and reads nothing; as a skipped cell it counts as writing everything."""
    tree = parse(source)
    names = Names()
    if tree is None:
        names.parsed = False
        return names
    reader = _Reader(names)
    bound: set[str] = set()
    for stmt in tree.body:   # statement by statement: what is read before the cell binds it
        before = set(names.reads_now)
        defined_before = set(names.defines)
        reader.visit(stmt)
        names.reads_first |= (names.reads_now - before) - bound
        new = names.defines - defined_before
        if isinstance(stmt, _UNCONDITIONAL):
            names.rebinds |= new
        bound |= new
    return names


# Statements whose bindings always happen when the cell runs (not inside if/for/try...).
_UNCONDITIONAL = (ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom, ast.FunctionDef,
                  ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class Problem:
    demo_index: int
    reader_index: int
    names: list[str]

    def __str__(self) -> str:
        what = (f"reads {', '.join(self.names)}, which it defines or changes" if self.names
                else "may read what it defines (names read dynamically, or code that does not parse)")
        return (f"cell {self.demo_index} is tagged {DEMO_TAG!r}, but cell {self.reader_index}, "
                f"which runs at grading, {what}: untag cell {self.demo_index}, or tag "
                f"cell {self.reader_index} too")


def conflicts(sources: list[str], skipped: set[int]) -> list[Problem]:
    """Reads by cells that run of names that skipped cells write.

    ``sources``: the notebook's code cells in order; ``skipped``: their indices
    that would not run. A running cell conflicts with a skipped cell before it
    (reads at top level) or anywhere (reads in function bodies, which run later).
    A cell that reads names dynamically (``globals()``, ``eval``...) conflicts
    with every skipped cell; an unparsable skipped cell with every cell after it.
    """
    return _conflicts([cell_names(s) for s in sources], skipped)


def _conflicts(names: list[Names], skipped: set[int]) -> list[Problem]:
    """:func:`conflicts` on cells already read."""
    modules = set().union(*(n.modules for n in names))
    found = []
    for d in sorted(skipped):
        written = names[d].defines | (names[d].changes - modules)
        live = set(written)          # written by d and not yet rebound by a cell that runs
        for r, reader in enumerate(names):
            if r in skipped or r == d:
                continue
            if not names[d].parsed or reader.reads_everything:
                if r > d or reader.reads_everything:
                    found.append(Problem(d, r, []))
                continue
            # Bodies of functions run whenever they are called; top-level code reads
            # what is live when the cell runs, unless the cell bound it first.
            clash = (written & reader.reads_later) | \
                (live & reader.reads_first if r > d else set())
            if clash:
                found.append(Problem(d, r, sorted(clash)))
            if r > d:
                live -= reader.rebinds
    return found


def problems(nb) -> list[str]:
    """Why the ``demo`` tags of a solution notebook are unsafe ([] when they are safe)."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    names = [cell_names(c.source) for _, c in code]
    out = []
    for (i, cell), read in zip(code, names):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if is_demo(cell) and (meta.get("grade") or meta.get("solution")):
            out.append(f"cell {i} is tagged {DEMO_TAG!r} but is an exercise or a test: it must run")
        elif is_demo(cell) and not read.parsed:
            out.append(f"cell {i} is tagged {DEMO_TAG!r} but is not Python the grader can read")
    skipped = {k for k, (_, c) in enumerate(code) if is_demo(c)}
    for p in _conflicts(names, skipped):
        out.append(str(Problem(code[p.demo_index][0], code[p.reader_index][0], p.names)))
    return out


def cells_to_skip(submission, released) -> set[int]:
    """Indices (in ``submission.cells``) of demo cells grading may skip.

    A cell is a candidate if its source is exactly that of a ``demo`` cell of
    the released lesson. Candidates are dropped while any cell that runs, the
    student's own included, reads a name one of them writes (a fixpoint: a
    dropped candidate runs, and may read others).
    """
    demo_sources = {c.source for c in released.cells if is_demo(c)}
    code = [(i, c) for i, c in enumerate(submission.cells) if c.cell_type == "code"]
    skipped = {k for k, (_, c) in enumerate(code) if c.source in demo_sources and c.source.strip()}
    names = [cell_names(c.source) for _, c in code]   # read once; the fixpoint only re-pairs
    while True:
        clashes = _conflicts(names, skipped)
        if not clashes:
            return {code[k][0] for k in skipped}
        skipped -= {p.demo_index for p in clashes}


def _marked(cell) -> bool:
    """An nbgrader cell of the lesson: an exercise, a test or a locked cell."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("solution") or meta.get("grade") or meta.get("locked"))


def own_cells(submission, released) -> list[int]:
    """Indices of the student's own code cells: neither nbgrader cells of the lesson nor
    exactly as released (a cell they added, or a demonstration they edited)."""
    released_sources = {c.source for c in released.cells if c.cell_type == "code"}
    return [i for i, c in enumerate(submission.cells)
            if c.cell_type == "code" and not _marked(c) and c.source not in released_sources
            and c.source.strip()]


def demo_work_skippable(submission, released, skipped: set[int]) -> bool:
    """May this notebook's kernel skip what only the demonstration cells read
    (``course_utils.settings.for_demonstrations``)?

    Only when every demonstration cell is skipped (``skipped``, from
    :func:`cells_to_skip`) and the notebook has no code of the student's own: a demo
    cell that runs, or a cell of theirs, may read it (``history["val_accuracy"]``),
    and then the notebook runs as its student ran it.
    """
    demo_sources = {c.source for c in released.cells if is_demo(c)}
    demos = {i for i, c in enumerate(submission.cells)
             if c.cell_type == "code" and c.source in demo_sources and c.source.strip()}
    return skipped == demos and not own_cells(submission, released)

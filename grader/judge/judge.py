"""The kernel computes, the grader judges.

``JudgedExecute`` is the Execute preprocessor of a graded run.  It runs every
cell the student wrote in the (sandboxed) kernel as usual, but it never runs a
test cell there.  For a test cell it reads the instructor's source (nbgrader
has already restored it from the gradebook), finds the checker calls in it
(``check_rnn_forward(rnn_forward, hidden=True)``), and runs the checker *in
this process*, with each student name replaced by a proxy:

* a function becomes a ``RemoteFunction``: calling it sends the arguments to
  the kernel, which calls the student's function on them and sends back the
  result or the exception as data (``grader.judge.judge_agent``);
* a value (a trained Keras model) is copied over as data; a model is rebuilt
  here from its config and weights with Keras's safe deserialisation.

The checker compares with expected values computed in this process from the
course's reference, and its verdict becomes the test cell's output: the ✔ line
as stdout, or the message as an ``AssertionError`` output.  nbgrader's
SaveAutoGrades then scores the cell from that output as usual.  Nothing the
student's kernel does (rebinding ``check_*``, patching numpy, IPython or the
checkers, custom exception handlers, printing ✔) reaches this process.

The same preprocessor bounds every cell's stored output (``max_output_bytes``)
and notes, for the grading record, which cells were cut and which of the
course's own implementations a student's function called (``JudgeReport``).
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import hashlib
import importlib
import importlib.util
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_output
from traitlets import Bool, Integer, Unicode
from traitlets import List as ListTrait

from ..config import DEMOS_SKIPPED_VARIABLE
from ..nbgrader_seam import CommTimeout
from ..run import demo_cells
from ..run.kernels import GradingExecute
from . import judge_agent
from .integrity import parse_cell

AGENT_SOURCE = Path(judge_agent.__file__).read_text()
MAX_REPLY_CHARS = 256 * 2**20
CUT_NOTE = ("\n[output cut by the grader: this cell printed more than {limit} of output; "
            "only the beginning is kept]\n")


@dataclass
class JudgeReport:
    """What the judge saw in one notebook (read by ``grader.autograde`` after grading)."""

    judged_cells: list[str] = field(default_factory=list)
    unjudged_cells: list[str] = field(default_factory=list)   # no checker call found: ran in the kernel
    truncated_cells: list[int] = field(default_factory=list)
    not_run_cells: list[int] = field(default_factory=list)    # demo cells skipped (indices)
    reference_calls: set[str] = field(default_factory=set)    # exercise names
    timed_out: bool = False
    demo_work_skipped: bool = False   # the kernel skipped what only demo cells read (demo_cells)


LAST_REPORT = JudgeReport()


class RemoteTimeout(BaseException):
    """The student's function did not return before the cell time limit.

    A ``BaseException``, like the ``KeyboardInterrupt`` it stands for: checkers turn a
    student's exception into a test failure (``except Exception``), but a timeout must
    reach ``_judge_cell``, which words it and marks the record (flag ``timeout``)."""


# ------------------------------------------------------------------ test cells

@dataclass
class CheckCall:
    """``checker(*args, **kwargs)`` of a test cell; ``args`` items are ("name", n) or ("const", v)."""

    checker: str
    args: list
    kwargs: dict


def parse_test_cell(source: str) -> list[CheckCall] | None:
    """The checker calls of a test cell, or None if it holds anything else.

    Allowed: a docstring, comments, and statements ``check_x(name_or_constant, ...,
    kw=constant)``.  Anything else is not judged here (it runs in the kernel and
    the record says so).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    calls = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            continue  # docstring
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name)
                and node.value.func.id.startswith("check_")):
            return None
        call = node.value
        args = []
        for arg in call.args:
            if isinstance(arg, ast.Name):
                args.append(("name", arg.id))
            elif isinstance(arg, ast.Constant):
                args.append(("const", arg.value))
            else:
                return None
        kwargs = {}
        for keyword in call.keywords:
            if keyword.arg is None or not isinstance(keyword.value, ast.Constant):
                return None
            kwargs[keyword.arg] = keyword.value.value
        calls.append(CheckCall(call.func.id, args, kwargs))
    return calls or None


def checker_imports(nb) -> dict[str, str]:
    """checker name -> module, from ``from M import check_x`` in the notebook's locked,
    non-student cells (setup cells; the instructor's source, restored by nbgrader)."""
    from nbgrader import utils

    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or utils.is_solution(cell) or not utils.is_locked(cell):
            continue
        tree = parse_cell(cell.source)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if alias.name.startswith("check_"):
                        found[alias.asname or alias.name] = node.module + ":" + alias.name
    return found


def exercise_names(nb) -> list[str]:
    """Names passed to checkers in the test cells (the functions students write)."""
    from .outcomes import is_test_cell

    names: list[str] = []
    for cell in nb.cells:
        if is_test_cell(cell):
            for call in parse_test_cell(cell.source) or []:
                names += [v for kind, v in call.args if kind == "name" and v not in names]
    return names


_module_cache: dict[str, object] = {}


def load_checker(spec: str, search_path: list[str]):
    """The checker function of ``"module:name"``: a ``module.py`` in the lesson's source
    folder (the instructor's, never the student's), else an installed module."""
    module_name, name = spec.split(":")
    for folder in search_path:
        path = Path(folder) / (module_name.replace(".", "/") + ".py")
        if path.is_file():
            key = str(path.resolve())
            module = _module_cache.get(key)
            if module is None:
                unique = "_judge_" + hashlib.sha1(key.encode()).hexdigest()[:12] + "_" + \
                    module_name.replace(".", "_")
                module_spec = importlib.util.spec_from_file_location(unique, path)
                module = importlib.util.module_from_spec(module_spec)
                module_spec.loader.exec_module(module)
                _module_cache[key] = module
            return getattr(module, name)
    return getattr(importlib.import_module(module_name), name)


# ------------------------------------------------------------------ Keras models

_FORBIDDEN_LAYERS = {"Lambda", "TFSMLayer"}


def _check_config(node, path="model"):
    """Refuse configs that would make Keras import or run anything but its own classes."""
    if isinstance(node, dict):
        module = node.get("module")
        if isinstance(module, str) and not (module == "keras" or module.startswith("keras.")
                                            or module == "builtins"):
            raise ValueError(f"{path} uses {module}.{node.get('class_name')}, which is not a "
                             "Keras class")
        if node.get("class_name") in _FORBIDDEN_LAYERS:
            raise ValueError(f"{path} uses a {node['class_name']} layer (Python code inside a "
                             "model), which the grader does not run; use keras.layers only")
        if node.get("registered_name") not in (None, node.get("class_name")) and \
                node.get("class_name") not in ("function",):
            raise ValueError(f"{path} uses a custom class {node.get('registered_name')!r}; "
                             "use keras.layers only")
        for key, value in node.items():
            _check_config(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _check_config(value, f"{path}[{index}]")


class UnjudgeableModel:
    """Stands in for a model the judge refused to rebuild; checkers see a non-model."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self):
        return f"<model the grader cannot rebuild: {self.reason}>"


def rebuild_keras_model(config_json: str, weights: list):
    """A Keras model from a student's model's JSON config and weights, in safe mode."""
    import keras

    try:
        _check_config(json.loads(config_json))
        with contextlib.redirect_stderr(io.StringIO()):
            model = keras.models.model_from_json(config_json)
            model.set_weights(weights)
    except Exception as err:  # noqa: BLE001 - any failure means "cannot judge this model"
        return UnjudgeableModel(f"{type(err).__name__}: {str(err)[:300]}")
    return model


# ------------------------------------------------------------------ proxies

class RemoteFunction:
    """A student's function living in the grading kernel; calling it is a round trip."""

    def __init__(self, executor: "JudgedExecute", name: str, display_name: str):
        self._executor = executor
        self._name = name
        self.__name__ = display_name
        self.__qualname__ = display_name

    def __repr__(self):
        return f"<student function {self.__name__}>"

    def __remote_call__(self, args, kwargs, repeat=None):
        return self._executor.remote_call(self._name, args, kwargs, repeat)

    def __call__(self, *args, **kwargs):
        return self.__remote_call__(args, kwargs)

    def sibling(self, name: str):
        """Another name of the student's namespace (a checker tracing a failure to a
        helper the student wrote, e.g. the cell behind a sequence function)."""
        return self._executor.resolve(name)


_BUILTIN_EXCEPTIONS = {name: cls for name, cls in vars(builtins).items()
                       if isinstance(cls, type) and issubclass(cls, Exception)}


def remote_exception(info: dict):
    """An exception instance standing for one raised in the kernel (see ``RemoteError``)."""
    from course_utils.checks._core import RemoteError

    base = next((_BUILTIN_EXCEPTIONS[n] for n in info.get("bases", []) if n in _BUILTIN_EXCEPTIONS
                 and n not in ("Exception", "BaseException")), None)
    bases = (RemoteError,) if base is None else (RemoteError, base)
    try:
        cls = type(str(info.get("type", "Error")), bases, {})
    except TypeError:  # incompatible layout (e.g. OSError subclasses)
        cls = type(str(info.get("type", "Error")), (RemoteError,), {})
    return cls(str(info.get("type", "Error")), str(info.get("message", "")),
               info.get("innermost"), str(info.get("line", "")))


# ------------------------------------------------------------------ the preprocessor

class JudgedExecute(GradingExecute):
    """nbgrader's Execute (with the grading kernels) where test cells are judged here."""

    checker_path = ListTrait(Unicode(), help="Folders searched first for checker modules "
                             "(the lesson's source folder).").tag(config=True)
    trusted_notebook = Unicode("", help="The released lesson: where the checkers' imports and "
                               "the exercises' names are read (never the submission, whose "
                               "setup cell a student may delete)").tag(config=True)
    judge_tests = Bool(True, help="Judge test cells here; False runs them in the kernel as "
                       "nbgrader does (scores can be gamed: benchmarks only)").tag(config=True)
    skip_demo_cells = Bool(True, help="Skip the lesson's demonstration cells (tagged 'demo'), "
                           "when nothing that runs reads what they define "
                           "(grader.run.demo_cells)").tag(config=True)
    max_output_bytes = Integer(1_000_000, help="Stored output kept per cell").tag(config=True)
    max_notebook_output_bytes = Integer(8_000_000, help="Stored output kept per notebook").tag(
        config=True)

    # -- lifecycle

    def preprocess(self, nb, resources=None, km=None):
        global LAST_REPORT
        LAST_REPORT = self.report = JudgeReport()
        trusted = nbformat.read(self.trusted_notebook, as_version=4) if self.trusted_notebook else nb
        self._checkers = checker_imports(trusted)
        self._exercises = exercise_names(trusted)
        self._not_run = demo_cells.cells_to_skip(nb, trusted) if self.skip_demo_cells else set()
        self.report.demo_work_skipped = self.skip_demo_cells and demo_cells.demo_work_skippable(
            nb, trusted, self._not_run)
        self._agent_ready = False
        self._comm_id = None   # the agent's comm channel, once open
        self._in_rpc = False
        self._notebook_bytes = 0
        # The kernel starts with this process's environment.
        with _environment_variable(DEMOS_SKIPPED_VARIABLE, "1" if self.report.demo_work_skipped else None):
            return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        from .outcomes import is_test_cell

        self._cell_bytes, self._cell_cut = 0, False
        if index in self._not_run:
            cell.outputs = [new_output("stream", name="stdout", text=demo_cells.SKIPPED_NOTE)]
            cell.execution_count = None
            self.report.not_run_cells.append(index)
            return cell, resources
        if is_test_cell(cell) and self.judge_tests:
            calls = parse_test_cell(cell.source)
            if calls is not None and all(c.checker in self._checkers for c in calls):
                self._judge_cell(cell, index, calls)
                return cell, resources
            self.report.unjudged_cells.append(cell.metadata.nbgrader.get("grade_id", str(index)))
        return super().preprocess_cell(cell, resources, index)

    # -- bounded outputs

    def keep_output(self, outs, out, cell_index):
        if self._in_rpc:
            return out
        size = _output_size(out)
        room = min(self.max_output_bytes - self._cell_bytes,
                   self.max_notebook_output_bytes - self._notebook_bytes)
        if size <= room:
            self._cell_bytes += size
            self._notebook_bytes += size
            return out
        if outs and outs[-1] is out:
            outs.pop()
        if not self._cell_cut:
            self._cell_cut = True
            self.report.truncated_cells.append(cell_index)
            if out.get("output_type") == "stream" and room > 0:
                out.text = out.text[:room]
                outs.append(out)
            outs.append(new_output("stream", name="stdout",
                                   text=CUT_NOTE.format(limit=_megabytes(self.max_output_bytes))))
            self._cell_bytes = self._notebook_bytes = 10**18  # nothing more is kept
        return None

    # -- talking to the kernel

    def _run_in_kernel(self, code: str, index: int):
        """Execute ``code`` in the kernel as a throw-away cell; return its outputs."""
        cell = new_code_cell(source=code)
        self._in_rpc = True
        try:
            self.run_scratch_cell(cell, index)
        finally:
            self._in_rpc = False
        return cell.outputs

    def _request(self, request: dict, arrays: list, index: int) -> tuple[dict, list]:
        """Send one request to the agent in the kernel; return its reply ``(document, arrays)``.

        The first request goes in a cell that installs the agent and its comm channel;
        later ones go as comm messages.  If student code removed the agent or its
        channel, the next request installs them again.
        """
        text = judge_agent.pack(request, arrays)
        if self._comm_id is not None:
            try:
                answer = self.comm_round_trip(self._comm_id, {"request": text}, self.timeout)
            except CommTimeout:
                self.report.timed_out = True
                raise RemoteTimeout() from None
            if answer is not None and "interrupted" in answer:
                self.report.timed_out = True
                raise RemoteTimeout()
            if answer is not None and "reply" in answer:
                return self._unpack_reply(answer["reply"])
            self._comm_id, self._agent_ready = None, False   # gone: install again
        call = (f"__import__('sys').modules[{judge_agent.AGENT_MODULE!r}]"
                f".handle({text!r})")
        errors: list = []
        for attempt in (0, 1):
            code = call
            if not self._agent_ready or attempt:
                code = ("import sys as _s, types as _t\n"
                        f"_m = _t.ModuleType({judge_agent.AGENT_MODULE!r})\n"
                        f"exec(compile({AGENT_SOURCE!r}, '<grader judge agent>', 'exec'), "
                        "_m.__dict__)\n"
                        f"_s.modules[{judge_agent.AGENT_MODULE!r}] = _m\n"
                        "_m.open_channel()\n"
                        "del _s, _t, _m\n" + call)
            outputs = self._run_in_kernel(code, index)
            for output in reversed(outputs):
                data = output.get("data", {}) if output.get("output_type") == "display_data" else {}
                if judge_agent.MIME in data:
                    reply = self._unpack_reply(data[judge_agent.MIME])
                    if not self._agent_ready:
                        self._agent_ready = True
                        self._comm_id = self.open_comm(judge_agent.COMM_TARGET)
                    return reply
            errors = [o for o in outputs if o.get("output_type") == "error"]
            if any(o.get("ename") in ("CellTimeoutError", "KeyboardInterrupt") for o in errors):
                self.report.timed_out = True
                raise RemoteTimeout()
            self._agent_ready = False
        detail = f"{errors[0].get('ename', '')}: {errors[0].get('evalue', '')}" if errors else ""
        raise ValueError(f"the kernel gave no answer {detail}".strip())

    @staticmethod
    def _unpack_reply(payload) -> tuple[dict, list]:
        if not isinstance(payload, str) or len(payload) > MAX_REPLY_CHARS:
            raise ValueError("the kernel's reply is too large")
        return judge_agent.unpack(payload)

    def _reply_value(self, reply: dict, arrays: list):
        return judge_agent.decode(reply["value"], arrays, keras_model=rebuild_keras_model)

    def remote_call(self, name, args, kwargs, repeat=None):
        arrays: list = []
        # Calls of the course's own version of *this* exercise are noted (uses-reference).
        request = {"op": "call", "name": name, "repeat": repeat, "trace": [name],
                   "args": judge_agent.encode(tuple(args), arrays),
                   "kwargs": judge_agent.encode(dict(kwargs), arrays)}
        reply, out_arrays = self._request(request, arrays, self._index)
        self.report.reference_calls.update(
            n for n in reply.get("reference_calls", []) if n in self._exercises)
        if "error" in reply:
            raise remote_exception(reply["error"])
        if reply.get("modified"):
            from course_utils.checks._core import InputsModified
            raise InputsModified([str(n) for n in reply["modified"]],
                                 returned_none=reply.get("value") is None)
        return self._reply_value(reply, out_arrays)

    def resolve(self, name: str):
        reply, arrays = self._request({"op": "resolve", "name": name}, [], self._index)
        if reply.get("missing"):
            raise NameError(f"name '{name}' is not defined")
        if "callable" in reply:
            return RemoteFunction(self, name, str(reply["callable"]))
        return self._reply_value(reply, arrays)

    # -- judging one test cell

    def _judge_cell(self, cell, index, calls):
        self._index = index
        self.report.judged_cells.append(cell.metadata.nbgrader.get("grade_id", str(index)))
        stdout = io.StringIO()
        error = None
        try:
            for call in calls:
                checker = load_checker(self._checkers[call.checker], list(self.checker_path))
                args = [self.resolve(value) if kind == "name" else value
                        for kind, value in call.args]
                with contextlib.redirect_stdout(stdout):
                    checker(*args, **call.kwargs)
        except RemoteTimeout:
            error = ("CellTimeoutError", "The function did not return before the time limit "
                     "(an infinite loop?).")
        except AssertionError as err:
            error = ("AssertionError", str(err))
        except Exception as err:  # noqa: BLE001 - NameError of a missing answer, a checker's TypeError...
            if type(err).__name__ == "DeadKernelError":
                raise
            error = (type(err).__name__, str(err))
        cell.outputs = []
        text = stdout.getvalue()
        if text:
            cell.outputs.append(new_output("stream", name="stdout", text=text))
        if error is not None:
            ename, evalue = error
            cell.outputs.append(new_output("error", ename=ename, evalue=evalue,
                                           traceback=[f"{ename}: {evalue}"]))
        self.count_code_cell(cell)


@contextlib.contextmanager
def _environment_variable(name: str, value: str | None):
    """``os.environ[name]`` is ``value`` (None: unset) inside the block, as before after it."""
    before = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _output_size(out) -> int:
    if out.get("output_type") == "stream":
        return len(out.get("text", ""))
    try:
        return len(json.dumps(out.get("data", {}))) + len(json.dumps(out.get("traceback", [])))
    except (TypeError, ValueError):
        return 0


def _megabytes(n: int) -> str:
    return f"{n / 1e6:g} MB"

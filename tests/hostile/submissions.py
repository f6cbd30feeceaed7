"""Hostile and broken submissions of 01_simple_rnn, each with the grade it must get.

Each entry builds a student's notebook from the released lesson (``perfect``:
every answer right; else every answer left as the stub or made wrong) and
adds the cells of one attack or accident.  ``ctx`` gives what a student who
knows the grading machine could guess: the course root, another student's
folder, a unique marker for processes.  ``tests/test_grading_integrity.py``
grades them all in one batch and checks score, flags and side effects.

Scores: 9 is full marks, 0 nothing.  A tampering attempt with a wrong or
missing answer must never earn marks, and nothing outside the student's own
output folder may change.
"""
from __future__ import annotations

import copy

from nbformat.v4 import new_code_cell

LESSON = "01_simple_rnn"
FULL = 9.0

WRONG_CELL = '''
def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.zeros((x_t.shape[0], kernel.shape[1]))
'''


def _after_setup(nb, *sources):
    """Insert code cells right after the setup cell (grade_id 'setup')."""
    index = next(i for i, c in enumerate(nb.cells)
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup")
    for offset, source in enumerate(sources, start=1):
        nb.cells.insert(index + offset, new_code_cell(source))
    return nb


def _at_end(nb, *sources):
    nb.cells.extend(new_code_cell(s) for s in sources)
    return nb


def _after(nb, grade_id, source):
    """Insert a code cell right after the cell ``grade_id``."""
    index = next(i for i, c in enumerate(nb.cells)
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
    nb.cells.insert(index + 1, new_code_cell(source))
    return nb


def _cell(nb, grade_id):
    return next(c for c in nb.cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


# Each builder gets (stub notebook, perfect notebook, ctx) and returns the submission.
HOSTILE = {
    "rebinds-checkers": dict(
        build=lambda stub, perfect, ctx: _after_setup(stub, (
            "check_rnn_cell_forward = check_rnn_forward = check_predict_last_step = "
            "lambda *a, **k: print('\\u2714 all right')")),
        score=0.0, flags=[]),
    "deletes-setup-fakes-checkers": dict(
        # Without the setup cell the kernel has no checkers: bring your own.
        build=lambda stub, perfect, ctx: _without(_after_setup(stub, (
            "import numpy as np\n"
            "def check_rnn_cell_forward(*a, **k): print('\u2714')\n"
            "check_rnn_forward = check_predict_last_step = check_rnn_cell_forward")), "setup"),
        score=0.0, flags=["deleted-cells"]),
    "prints-check-marks": dict(
        build=lambda stub, perfect, ctx: _at_end(stub, "print('\\u2714 rnn_cell_forward: h_next is right')"),
        score=0.0, flags=[]),
    "patches-checker-core": dict(
        build=lambda stub, perfect, ctx: _after_setup(
            _with_answer(stub, "rnn_cell_forward", WRONG_CELL),
            "import course_utils.checks._core as core\n"
            "core.compare = lambda *a, **k: None\ncore.matches = lambda *a, **k: True\n"
            "import course_utils.checks._probes as probes\nprobes.check_probe = lambda *a, **k: None"),
        score=0.0, flags=["suspicious-code"]),
    "patches-numpy": dict(
        build=lambda stub, perfect, ctx: _after_setup(
            _with_answer(stub, "rnn_cell_forward", WRONG_CELL),
            "np.allclose = lambda *a, **k: True\nnp.abs = lambda x: x * 0"),
        score=0.0, flags=["suspicious-code"]),
    "patches-ipython-results": dict(
        # Every cell "succeeds": errors are swallowed and the reply says ok.
        build=lambda stub, perfect, ctx: _after_setup(stub, (
            "ip = get_ipython()\n"
            "ip.set_custom_exc((BaseException,), lambda *a, **k: None)\n"
            "_run = ip.run_cell\n"
            "def _ok(*a, **k):\n"
            "    r = _run(*a, **k)\n"
            "    r.error_in_exec = None\n"
            "    return r\n"
            "ip.run_cell = _ok")),
        score=0.0, flags=["suspicious-code"]),
    "breaks-judge-channel": dict(
        # After the first judged cell: every comm (the judge's requests travel on one) and
        # comm target gone.  The judge must install its agent again, not crash or hang.
        build=lambda stub, perfect, ctx: _after(perfect, "test_rnn_cell_forward_hidden", (
            "_comms = get_ipython().kernel.comm_manager\n"
            "_comms.comms.clear()\n_comms.targets.clear()")),
        score=FULL, flags=["suspicious-code"]),
    "calls-reference": dict(
        build=lambda stub, perfect, ctx: _with_answers(perfect, {
            "rnn_cell_forward": "import course_utils.simple_rnn as course\n"
                                "def rnn_cell_forward(*args):\n    return course.rnn_cell_forward(*args)",
            "rnn_forward": "from course_utils.simple_rnn import rnn_forward"}),
        score=FULL, flags=["uses-reference"]),
    "calls-reference-hidden": dict(
        # No import a source reader could see: found when the call runs.
        build=lambda stub, perfect, ctx: _with_answers(perfect, {
            "rnn_forward": "def rnn_forward(*args):\n"
                           "    m = __import__('course_utils.simple_' + 'rnn', fromlist=['x'])\n"
                           "    return getattr(m, 'rnn_' + 'forward')(*args)"}),
        score=FULL, flags=["uses-reference", "suspicious-code"]),
    "reads-solutions": dict(
        # At grading time, find the instructor's notebook on disk and run its answer.
        build=lambda stub, perfect, ctx: _with_answer(stub, "rnn_cell_forward", f'''
import glob, json, os
def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    roots = [{ctx["root"]!r}, os.getcwd()] + [os.path.join(os.getcwd(), "../" * k) for k in range(1, 6)]
    for root in roots:
        for path in glob.glob(os.path.join(root, "solutions", "*", "*.ipynb")):
            for cell in json.load(open(path))["cells"]:
                source = "".join(cell["source"])
                if source.startswith("def rnn_cell_forward"):
                    space = {{"np": np}}
                    exec(source, space)
                    return space["rnn_cell_forward"](x_t, h_prev, kernel, recurrent_kernel, bias)
    raise NotImplementedError()
'''),
        score=0.0, flags=["suspicious-code"]),
    "reads-other-submission": dict(
        build=lambda stub, perfect, ctx: _at_end(stub, (
            f"import pathlib\nstolen = pathlib.Path({ctx['victim_notebook']!r}).read_text()")),
        score=0.0, flags=[]),
    "writes-course-root": dict(
        build=lambda stub, perfect, ctx: _at_end(perfect, (
            "import pathlib\n"
            f"for where in [{ctx['root']!r}, {ctx['root'] + '/solutions'!r}, {ctx['root'] + '/lessons'!r}]:\n"
            "    try:\n"
            "        (pathlib.Path(where) / 'PWNED.txt').write_text('pwned')\n"
            "    except OSError as err:\n"
            "        print('blocked:', type(err).__name__)")),
        score=FULL, flags=[]),
    "tampers-with-gradebook": dict(
        build=lambda stub, perfect, ctx: _at_end(stub, (
            "import sqlite3\n"
            f"db = {ctx['gradebook']!r}\n"
            "try:\n"
            "    with open(db, 'ab') as f:\n"
            "        f.write(b'PWNED')\n"
            "except OSError as err:\n"
            "    print('blocked:', type(err).__name__)\n"
            "try:\n"
            "    c = sqlite3.connect(db)\n"
            "    c.execute('update grade set auto_score = max_score')\n"
            "    c.commit()\n"
            "except Exception as err:\n"
            "    print('blocked:', type(err).__name__)")),
        score=0.0, flags=[]),
    "leaves-orphans": dict(
        build=lambda stub, perfect, ctx: _at_end(perfect, (
            "import os, subprocess\n"
            f"subprocess.Popen(['sleep', '{ctx['marker']}'], start_new_session=True)\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            f"        os.execvp('sleep', ['sleep', '{ctx['marker']}'])\n"
            "    os._exit(0)")),
        score=FULL, flags=["suspicious-code"]),  # subprocess
    "memory-bomb-at-once": dict(
        # One 16 GB array: refused at once (address-space limit), only its cell fails.
        build=lambda stub, perfect, ctx: _at_end(perfect, "big = np.ones(2 * 2**30)"),
        score=FULL, flags=[]),
    "memory-bomb-growing": dict(
        # Grows until the memory cgroup kills the kernel: nothing after it can be graded.
        build=lambda stub, perfect, ctx: _after_setup(perfect, (
            "chunks = []\n"
            "while True:\n"
            "    chunks.append(np.ones(2**26))")),
        score=0.0, flags=["kernel-died", "resource-limit"]),
    "fork-bomb": dict(
        build=lambda stub, perfect, ctx: _at_end(perfect, (
            "import os, time\n"
            "for _ in range(100_000):\n"
            "    try:\n"
            "        pid = os.fork()\n"
            "    except OSError:\n"
            "        break\n"
            "    if pid == 0:\n"
            "        time.sleep(600)\n"
            "        os._exit(0)")),
        score=FULL, flags=["resource-limit"]),
    "output-bomb": dict(
        build=lambda stub, perfect, ctx: _at_end(perfect, "print('x' * 30_000_000)"),
        score=FULL, flags=["output-truncated"]),
    "copied-answer-cell": dict(
        build=lambda stub, perfect, ctx: _copy_cell(perfect, "rnn_cell_forward"),
        score=FULL, flags=["duplicated-cells"]),
    "copied-test-cell": dict(
        build=lambda stub, perfect, ctx: _copy_cell(perfect, "test_rnn_forward"),
        score=FULL, flags=["duplicated-cells"]),
}

# Accidents that are graded by file name, not content (see the test).
RENAMED = {"renamed": dict(filename=f"{LESSON} (1).ipynb", score=FULL, flags=["renamed"])}


def _without(nb, grade_id):
    nb.cells.remove(_cell(nb, grade_id))
    return nb


def _with_answer(nb, grade_id, source):
    _cell(nb, grade_id).source = source
    return nb


def _with_answers(nb, answers):
    for grade_id, source in answers.items():
        _with_answer(nb, grade_id, source)
    return nb


def _copy_cell(nb, grade_id):
    index = next(i for i, c in enumerate(nb.cells)
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
    duplicate = copy.deepcopy(nb.cells[index])
    if "id" in duplicate:
        duplicate["id"] = duplicate["id"][:50] + "-copy"  # JupyterLab gives a pasted cell a new id
    nb.cells.insert(index + 1, duplicate)
    return nb

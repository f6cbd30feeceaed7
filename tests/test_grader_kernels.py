"""Kernels that run student code: forked from a warm zygote, isolated, interruptible, killable."""
import os
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader.run import kernels
from grader.run.kernels import GradingExecute, Zygote, notebook_deadline, preload_modules

pytestmark = [pytest.mark.xdist_group("grader-kernels"),
              pytest.mark.skipif(not kernels.pidfd_supported(), reason="needs Linux pidfds")]


def _notebook(*sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _run(nb, folder, timeout=20):
    nb, _ = GradingExecute(timeout=timeout).preprocess(nb, {"metadata": {"path": str(folder)}})
    return nb


def _stdout(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def zygote():
    zygote = Zygote(["ipykernel.kernelapp", "numpy"])
    kernels.use_zygote(zygote)
    yield zygote
    kernels.use_zygote(None)
    zygote.close()
    assert not zygote.alive


def test_preload_modules_are_the_notebooks_top_level_heavy_imports(tmp_path):
    """Checkers are left out: the judge runs them in the grader, and one that ran a
    TensorFlow op at import would hang every kernel forked after it."""
    nb = _notebook("%matplotlib inline\nimport numpy as np\nimport os, json\n"
                   "from course_utils.checks import check_rnn_forward\n"
                   "import course_utils.checks.keras_models\nfrom course_utils import data",
                   "def later():\n    import tensorflow\n", "import keras.layers\nimport matplotlib.pyplot as plt")
    nbformat.write(nb, str(tmp_path / "nb.ipynb"))
    assert preload_modules(tmp_path / "nb.ipynb") == ["numpy", "course_utils", "keras.layers"]


def test_each_notebook_gets_a_fresh_forked_kernel(zygote, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_TEST_SETTING", "from-the-grader")
    probe = ("import gc, os, sys\n"
             "print('numpy' in sys.modules, os.getppid(), os.getpid(), os.getcwd(),"
             " os.environ.get('GRADER_TEST_SETTING'), gc.get_freeze_count())")
    first = _run(_notebook(probe, "LEAK = 1"), tmp_path)
    second = _run(_notebook(probe, "print('LEAK' in globals())"), tmp_path)
    preloaded, parent, pid, cwd, setting, frozen = _stdout(first.cells[0]).split()
    assert preloaded == "True"            # imported before the fork
    # and frozen: the kernel's garbage collections never walk (and so copy) them
    assert int(frozen) > 10_000
    assert int(parent) == zygote._proc.pid  # forked by the zygote
    assert cwd == str(tmp_path) and setting == "from-the-grader"
    assert _stdout(second.cells[0]).split()[2] != pid  # a new process per notebook
    assert _stdout(second.cells[1]).strip() == "False"  # no state from the previous student


def test_cell_timeout_interrupts_and_grading_goes_on(zygote, tmp_path):
    nb = _run(_notebook("while True:\n    pass", "print('after')"), tmp_path, timeout=3)
    assert "CellTimeoutError" in [o.ename for o in nb.cells[0].outputs if o.output_type == "error"]
    assert _stdout(nb.cells[1]) == "after\n"


def test_a_kernel_that_ignores_interrupts_cannot_hang_grading(zygote, tmp_path):
    stubborn = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    started = time.monotonic()
    with pytest.raises(Exception, match="timed out"):
        _run(_notebook(stubborn, "print('never')"), tmp_path, timeout=2)
    assert time.monotonic() - started < 30
    assert kernels.kill_running_kernels() == 0  # nbclient killed it on the way out


def test_notebook_deadline_kills_a_kernel_with_no_cell_limit(zygote, tmp_path):
    with notebook_deadline(4) as deadline:
        with pytest.raises(Exception) as failure:
            _run(_notebook("import time\ntime.sleep(600)", "print('never')"), tmp_path, timeout=None)
    assert deadline.expired
    assert type(failure.value).__name__ == "DeadKernelError"
    assert kernels.kill_running_kernels() == 0


def test_cold_kernels_without_a_zygote(tmp_path):
    previous = kernels.current_zygote()
    kernels.use_zygote(None)
    try:
        nb = _run(_notebook("import os\nprint(os.getppid())"), tmp_path)
    finally:
        kernels.use_zygote(previous)
    assert int(_stdout(nb.cells[0])) == os.getpid()  # an ordinary child of ours

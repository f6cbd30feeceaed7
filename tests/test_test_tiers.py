"""The fast tier (`make test-fast`) leaves out the modules that start kernels, train or grade."""
import pytest
from conftest import is_slow_module, schedule_key


def test_the_kernel_and_grading_modules_are_slow_and_the_numpy_ones_are_not():
    for name in ("test_round_trip", "test_grader_autograde", "test_grader_sandbox",
                 "test_lessons_never_block", "test_quiet_tensorflow"):
        assert is_slow_module(name), name
    for name in ("test_simple_rnn", "test_checks_simple_rnn", "test_python_picking",
                 "test_environment", "test_test_tiers"):
        assert not is_slow_module(name), name


def test_long_groups_are_handed_out_first_and_ungrouped_tests_last():
    class Item:
        def __init__(self, group):
            self.group = group

        def get_closest_marker(self, name):
            return None if self.group is None else pytest.mark.xdist_group(self.group).mark

    groups = [None, "grader-cli", "nbval-01_simple_rnn.ipynb", "round-trip-01_simple_rnn",
              "round-trip-08_text_classification", "never-block-03_gru-released",
              "grading-integrity", "browser"]
    ordered = [item.group for item in sorted(map(Item, groups), key=schedule_key)]
    assert set(ordered[:2]) == {"grading-integrity", "browser"}
    assert ordered[2:4] == ["round-trip-08_text_classification", "round-trip-01_simple_rnn"]
    assert ordered[-2:] == ["grader-cli", None]


@pytest.mark.slow   # starts a pytest with two xdist workers (about 10 s)
def test_xdist_loadgroup_keeps_a_group_on_one_worker(tmp_path):
    """`make test` relies on --dist loadgroup: a lesson's round trip grades its class once,
    in a fixture its tests share, so they must run on one worker.  pytest-xdist 3.8 with
    pytest 9.2 silently ignores xdist_group (pytest-xdist#1386): every test then regrades
    the lesson on whichever worker it lands.  This catches that on an upgrade."""
    import json
    import subprocess
    import sys

    (tmp_path / "test_groups.py").write_text(
        "import json, os, pytest\n"
        "CASES = [pytest.param(g, i, marks=pytest.mark.xdist_group(g), id=f'{g}{i}')\n"
        "         for g in 'ab' for i in range(6)]\n"
        "@pytest.mark.parametrize('group, i', CASES)\n"
        "def test_record(group, i):\n"
        "    with open(f'{group}-{i}.json', 'w') as f:\n"
        "        json.dump(os.environ['PYTEST_XDIST_WORKER'], f)\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup",
                           "-p", "no:cacheprovider", "test_groups.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for group in "ab":
        workers = {json.loads((tmp_path / f"{group}-{i}.json").read_text()) for i in range(6)}
        assert len(workers) == 1, (
            f"group {group!r} ran on {sorted(workers)}: --dist loadgroup ignores xdist_group "
            "(pytest-xdist#1386; pyproject.toml pins pytest below 9.2 for it)")


@pytest.mark.slow   # two pytest runs, each with a kernel (a few seconds)
def test_make_test_skips_the_demo_cells_of_a_notebook_and_make_test_full_runs_them(tmp_path):
    """nbval in `make test` skips the cells tagged `demo` (the ones grading skips);
    `--nbval-demo-cells` (`make test-full`) runs them and marks every cell `full`."""
    import subprocess
    import sys
    from pathlib import Path

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    demo = new_code_cell("raise RuntimeError('the demo ran')", metadata={"tags": ["demo"]})
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1"), demo, new_code_cell("x")]),
                   tmp_path / "lesson.ipynb")
    tests = Path(__file__).parent

    def run(*args):
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "--nbval",
                               "-p", "no:cacheprovider", "-rs", "lesson.ipynb", *args],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120,
                              env={**__import__("os").environ, "PYTHONPATH": str(tests)})
        return done.returncode, done.stdout

    code, out = run("-m", "not full")
    assert code == 0 and "2 passed, 1 skipped" in out and "make test-full runs it" in out, out
    code, out = run("-m", "not full", "--nbval-demo-cells")
    assert code == 5 and "3 deselected" in out, out      # every cell is `full`: none left
    code, out = run("-m", "full", "--nbval-demo-cells")
    assert code == 1 and "the demo ran" in out and "1 failed, 2 passed" in out, out

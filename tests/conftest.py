"""Shared fixtures.  ``course_utils`` is imported first so that TensorFlow,
imported later by some tests, starts quiet."""
import zlib

import numpy as np
import pytest

import course_utils  # noqa: F401
from grader.run.demo_cells import is_demo


@pytest.fixture
def rng(request):
    """A numpy Generator seeded from the test's id: reproducible, different per test case."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


# The test tiers. `make test-fast` (pytest -m "not slow") runs what needs no Jupyter
# kernel, no TensorFlow training and no nbgrader grading, in well under a minute;
# `make test` runs everything. A module is slow when it is listed here (or is one of
# test_grader_*: they grade notebooks with nbgrader); a single test may also carry
# @pytest.mark.slow itself. Chosen with `pytest --durations=0` (CONTRIBUTING.md,
# "Tests").
SLOW_MODULES = {
    "test_round_trip",               # grades every lesson with real nbgrader
    "test_grading_integrity",        # grades hostile notebooks
    "test_lessons_never_block",      # runs every lesson notebook in a kernel
    "test_quiet_tensorflow",         # starts a kernel that imports TensorFlow
    "test_checks_messages",          # runs a notebook and nbgrader's validate
    "test_checks_language_model",    # builds and runs Keras models, thousands of draws
    "test_checks_keras_models",      # builds dozens of Keras models (about 30 s)
    "test_checks_text_classification",  # builds and trains Keras classifiers
    "test_gradient_flow",            # trains SimpleRNN, GRU and LSTM on the adding problem
    "test_keras_models",             # fits Keras models and times epochs
}
SLOW_PREFIXES = ("test_grader_",)


def is_slow_module(name: str) -> bool:
    return name in SLOW_MODULES or name.startswith(SLOW_PREFIXES)


def pytest_addoption(parser):
    parser.addoption(
        "--nbval-demo-cells", action="store_true",
        help="with --nbval: run the lessons' demonstration cells too (tag `demo`) and mark "
             "every notebook cell `full` (make test-full); without it they are skipped")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: needs a Jupyter kernel, TensorFlow training or nbgrader grading "
        "(seconds to minutes); `make test-fast` deselects it with -m 'not slow'")
    config.addinivalue_line(
        "markers", "full: runs whole lessons again for every student or every broken answer "
        "(tens of minutes); `make test` deselects it with -m 'not full', `make test-full` "
        "runs only these; CI runs both")


# The order xdist hands out work (`make test` passes --no-loadscope-reorder, so the
# collection order below is kept): the long groups first, longest kind first, and the
# many short tests last, where they fill both workers to the end.  xdist's own order
# (groups with the most tests first) left a one-test group of a minute or more for
# last, with one core idle.  Rough worker-seconds of one group of each kind, from
# `make test PYTEST_ARGS=--durations=0`; within a kind, the later lessons first.
GROUP_SECONDS = {"browser": 110, "grading-integrity": 110, "grader-cluster": 80, "round-trip-": 50,
                 "nbval-": 30, "never-block-": 30}
OTHER_GROUP_SECONDS = 15


def _group(item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    return mark.args[0] if mark.args else mark.kwargs.get("name")


def schedule_key(item) -> tuple:
    """Sort key: long groups first (see GROUP_SECONDS), ungrouped tests last."""
    group = _group(item)
    if group is None:
        return (0, "")
    seconds = next((s for prefix, s in GROUP_SECONDS.items() if group.startswith(prefix)),
                   OTHER_GROUP_SECONDS)
    lesson = next((int(part[:2]) for part in group.split("-") if part[:2].isdigit()), 0)
    return (-seconds, -lesson)   # round-trip-08_... before round-trip-01_...


def place_nbval_cell(item, run_demos: bool) -> None:
    """nbval in `make test` runs the cells grading runs and skips the demonstration cells
    (figures, training runs, timings): `grader check` proves that no later cell reads
    what they define, the same proof that lets grading skip them. `make test-full`
    (``--nbval-demo-cells``) runs every cell of every lesson, demonstrations included."""
    if run_demos:
        item.add_marker(pytest.mark.full)
    elif is_demo(item.cell):
        item.add_marker(pytest.mark.skip(reason="demonstration cell: make test-full runs it"))


# tryfirst: pytest-xdist reads xdist_group marks in its own hook, after this one.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    run_demos = config.getoption("--nbval-demo-cells")
    for item in items:
        module = getattr(item, "module", None)
        if (module is not None and is_slow_module(module.__name__.rsplit(".", 1)[-1])) \
                or item.get_closest_marker("full"):
            item.add_marker(pytest.mark.slow)
        if type(item).__name__ == "IPyNbCell":   # nbval: a notebook's cells
            item.add_marker(pytest.mark.slow)      # share one kernel, so one worker
            item.add_marker(pytest.mark.xdist_group(f"nbval-{item.path.name}"))
            place_nbval_cell(item, run_demos)
    items.sort(key=schedule_key)   # stable: a group's and a module's own order are kept


@pytest.fixture(scope="session")
def keras():
    """Keras, imported once (after course_utils, so TensorFlow starts quiet)."""
    import keras

    return keras

"""The fast tier (`make test-fast`) leaves out the modules that start kernels, train or grade."""
from conftest import is_slow_module


def test_the_kernel_and_grading_modules_are_slow_and_the_numpy_ones_are_not():
    for name in ("test_round_trip", "test_grader_autograde", "test_grader_sandbox",
                 "test_lessons_never_block", "test_quiet_tensorflow"):
        assert is_slow_module(name), name
    for name in ("test_simple_rnn", "test_checks_simple_rnn", "test_python_picking",
                 "test_environment", "test_test_tiers"):
        assert not is_slow_module(name), name

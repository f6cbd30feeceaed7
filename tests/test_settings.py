"""course_utils.settings: TRAIN_LONGER is honoured, except in a grading kernel."""
import os

import pytest

from course_utils import settings


@pytest.fixture
def not_grading(monkeypatch):
    monkeypatch.delenv(settings.GRADING_VARIABLE, raising=False)


@pytest.fixture
def grading(monkeypatch):
    monkeypatch.setenv(settings.GRADING_VARIABLE, "1")


def test_short_by_default(not_grading):
    assert settings.epochs(3, 8, False) == 3
    assert not settings.grading()


def test_train_longer_outside_grading(not_grading):
    assert settings.epochs(3, 8, True) == 8
    assert settings.choose(12, 2, True) == 2          # any pair of values, e.g. a stride


def test_grading_always_short(grading):
    assert settings.grading()
    assert settings.epochs(3, 8, True) == 3
    assert settings.choose("short", "long", True) == "short"


@pytest.mark.parametrize("value", ["", "0"])
def test_empty_or_zero_is_not_grading(monkeypatch, value):
    monkeypatch.setenv(settings.GRADING_VARIABLE, value)
    assert not settings.grading()
    assert settings.epochs(3, 8, True) == 8


def test_grader_sets_the_variable():
    """The grader's kernels carry the variable this module reads."""
    from grader import config
    assert config.KERNEL_ENV.get(settings.GRADING_VARIABLE) == "1"


def test_a_model_the_student_did_not_build_is_trained_except_when_grading(not_grading):
    assert settings.training_epochs(3, yours=True) == 3
    assert settings.training_epochs(3, yours=False) == 3     # the lesson goes on with it


def test_grading_does_not_train_the_courses_fallback_model(grading):
    assert settings.training_epochs(3, yours=True) == 3
    assert settings.training_epochs(3, yours=False) == 0     # no grade reads it


@pytest.mark.parametrize("grading_value, skipped_value, expected", [
    (None, None, "val"), (None, "1", "val"),        # the variable means nothing outside grading
    ("1", None, "val"), ("1", "0", "val"),          # grading with --run-all-cells
    ("1", "1", None),                               # grading that skips the demonstration cells
])
def test_work_only_demonstrations_read_is_skipped_when_grading_skips_them(
        monkeypatch, grading_value, skipped_value, expected):
    for name, value in ((settings.GRADING_VARIABLE, grading_value),
                        (settings.DEMOS_SKIPPED_VARIABLE, skipped_value)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert settings.for_demonstrations("val") == expected
    assert settings.for_demonstrations([1], otherwise=[]) == ([1] if expected else [])
    assert settings.demonstrations_skipped() == (expected is None)


def test_the_grader_leaves_the_demonstration_variable_to_each_notebooks_judge(monkeypatch):
    # The grader's variable is the lessons' one; no batch-wide value reaches a kernel
    # (JudgedExecute sets it per notebook: tests/test_grader_autograde.py).
    from grader import config
    assert config.DEMOS_SKIPPED_VARIABLE == settings.DEMOS_SKIPPED_VARIABLE
    assert settings.DEMOS_SKIPPED_VARIABLE not in config.kernel_environment(1)
    monkeypatch.setattr(os, "environ", {**os.environ, settings.DEMOS_SKIPPED_VARIABLE: "1"})
    config.apply_kernel_environment(1)
    assert settings.DEMOS_SKIPPED_VARIABLE not in os.environ

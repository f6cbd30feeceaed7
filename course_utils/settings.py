"""The one setting a lesson that trains lets you change: ``TRAIN_LONGER``.

Every lesson that trains (05, 06, 07) has one editable cell,
``TRAIN_LONGER = False``, and asks this module how long to train::

    EPOCHS = settings.epochs(10, 30, TRAIN_LONGER)

Grading always uses the short setting: the grader starts its kernels with the
environment variable ``RNN_COURSE_GRADING=1`` (``grader/config.py``), and then
``longer`` is False whatever the cell says, so a student who leaves
``TRAIN_LONGER = True`` in a submission is graded as fast as everybody else.

A lesson that trains a model its student's builder did not make (the course's
fallback, when the exercise is not done) asks ``training_epochs``: at grading
no grade reads that model, so it is not trained at all.  And what only the
demonstration cells read (a validation set scored after every epoch, a sample
written after every epoch) goes through ``for_demonstrations``: grading, which
skips those cells, skips that work too (the grader then also sets
``RNN_COURSE_DEMOS_SKIPPED=1``; ``--run-all-cells`` does not).
"""
import os

__all__ = ["GRADING_VARIABLE", "DEMOS_SKIPPED_VARIABLE", "grading", "demonstrations_skipped", "longer",
           "epochs", "choose", "training_epochs", "for_demonstrations"]

GRADING_VARIABLE = "RNN_COURSE_GRADING"
DEMOS_SKIPPED_VARIABLE = "RNN_COURSE_DEMOS_SKIPPED"


def grading() -> bool:
    """True inside a grading kernel (``RNN_COURSE_GRADING`` set to anything but "", "0")."""
    return _set(GRADING_VARIABLE)


def demonstrations_skipped() -> bool:
    """True inside a grading kernel whose notebook's demonstration cells (tagged ``demo``) are
    not run: the grader's default, not ``--run-all-cells``."""
    return grading() and _set(DEMOS_SKIPPED_VARIABLE)


def _set(variable: str) -> bool:
    return os.environ.get(variable, "").strip() not in ("", "0")


def longer(train_longer: bool) -> bool:
    """Whether to train longer: what the student asked for, except when grading."""
    return bool(train_longer) and not grading()


def choose(short, long, train_longer: bool):
    """``long`` if the student asked to train longer and this is not a grading run, else ``short``."""
    return long if longer(train_longer) else short


def epochs(short: int, long: int, train_longer: bool) -> int:
    """Number of epochs: ``short`` unless ``train_longer`` (and not grading), then ``long``."""
    return int(choose(short, long, train_longer))


def training_epochs(epochs: int, yours: bool) -> int:
    """``epochs``, or 0 when grading a model the student did not build: the course's fallback
    model of an unfinished exercise is graded nowhere, so grading does not wait for it."""
    return int(epochs) if yours or not grading() else 0


def for_demonstrations(value, otherwise=None):
    """``value``, or ``otherwise`` when grading skips the demonstration cells: for work only
    they read, e.g. ``validation_data=for_demonstrations((x_val, y_val))`` in a training run
    whose validation scores only a demonstration plots (no grade reads them)."""
    return otherwise if demonstrations_skipped() else value

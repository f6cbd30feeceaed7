"""grader: the instructor's pipeline around nbgrader.

One module per step: ``build`` (solutions/ -> lessons/ and the sync check),
``validate`` (run one notebook, report each test), ``autograde`` (parallel,
resumable grading of submitted/), ``feedback`` (per-student HTML without hidden
tests), ``export`` (grades CSV), ``report`` (class summary) and ``demo``.
The nbgrader configuration lives in one place: ``grader.config``.

Run ``python -m grader --help``.
"""

__all__ = []

"""Configuration for nbgrader's own tools (formgrader, the `nbgrader` command) run in this folder.

The course is graded with `python -m grader ...`; this file only lets
nbgrader's formgrader and CLI see the same layout (solutions/ -> lessons/),
gradebook and execution settings.  Edit grader/config.py, not this file.
"""
from pathlib import Path

from grader.config import Course, nbgrader_config

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
c.merge(nbgrader_config(Course.at(Path(__file__).resolve().parent)))

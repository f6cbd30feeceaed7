"""Configuration for nbgrader's own tools (Formgrader, the `nbgrader` command) run in this folder.

The course is graded with `python -m grader ...` (which finds the course as nbgrader
does: the nearest folder holding this file); this file only lets nbgrader's
Formgrader and CLI see the same layout (solutions/ -> lessons/), gradebook and
settings.  Edit grader/config.py, not this file.
"""
from pathlib import Path

from grader.config import Course, nbgrader_config

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
c.merge(nbgrader_config(Course.at(Path(__file__).resolve().parent)))

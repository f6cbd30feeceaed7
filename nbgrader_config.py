"""Configuration for nbgrader's own tools (Formgrader, the `nbgrader` command) run in this folder.

The course is graded with `python -m grader ...` (which finds the course as nbgrader
does: the nearest folder holding this file); this file only lets nbgrader's
Formgrader and CLI see the same layout (solutions/ -> lessons/), gradebook and
settings, with Generate and Generate Feedback doing what the grader does and
Autograde turned off (grader/formgrader.py).  Edit grader/, not this file.
"""
from pathlib import Path

from grader.formgrader import tools_config

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
c.merge(tools_config(Path(__file__).resolve().parent))

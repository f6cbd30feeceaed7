"""Known mistakes per lesson: the solution with some exercise cells replaced.

One module per lesson (``<lesson>.py``), each a ``SCENARIOS`` dict: name ->
``{"cells": {grade_id: source}, "expect_ids": [...], "expect": score class}``.
The demo hands in the first one that names a misconception id; the round-trip
tests (tests/test_round_trip.py) grade every one of them with nbgrader.
"""
from __future__ import annotations

import importlib
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def scenarios(lesson: str) -> dict:
    """The scenarios of ``lesson`` ({} for a lesson without any)."""
    if not (FOLDER / f"{lesson}.py").is_file():
        return {}
    return dict(importlib.import_module(f"{__name__}.{lesson}").SCENARIOS)

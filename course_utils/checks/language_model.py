"""The graded bar of 07_practice, where the lesson's notebook reads it
(``from course_utils.checks.language_model import TARGET_FRACTION``).

The checkers of the lesson live one per exercise: ``windows``, ``perplexity``,
``char_model``, ``sampling`` and ``trained_char_model`` (which defines the bar).
"""
from .trained_char_model import TARGET_FRACTION, TOLERANCE

__all__ = ["TARGET_FRACTION", "TOLERANCE"]

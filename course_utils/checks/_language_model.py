"""What the checkers of 07_practice (a character-level language model) share: the
lesson's sections and small helpers. One module per exercise: ``windows``,
``perplexity``, ``char_model``, ``sampling``, ``trained_char_model``.
"""
import numpy as np

from .misconceptions import reread_text

LESSON = "07_practice"
SECTIONS = {  # headings of the lesson that a failure without a known mistake sends back to
    "windows": "Windows: from text to training examples",
    "perplexity": "Perplexity",
    "model": "The model: embedding, GRU, softmax at every step",
    "training": "Training",
    "temperature": "Sampling with temperature",
}

# Captured at import time, before any student code runs.
_exp = np.exp


def section(key):
    """"07_practice, 'Heading'": a ``Mistake``'s ``reread=`` for this lesson."""
    return f"{LESSON}, '{SECTIONS[key]}'"


def reread(key):
    """"(Reread: 07_practice, 'Heading'.)" for a failure that is no known mistake."""
    return reread_text(section(key))


def shape_text(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def softmax_rows(logits):
    e = _exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)

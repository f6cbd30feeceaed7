"""A tiny sequence task where order matters: does A come before B?

Every sequence is a string of ``seq_len`` symbols from ``SYMBOLS``. It holds
exactly one ``A`` and exactly one ``B`` at two random positions; every other
position holds a lower-case distractor (``c``, ``d``, ``e``...). The label is 1
if the ``A`` comes before the ``B`` and 0 otherwise, e.g.::

    "dAcBe" -> 1        "dBcAe" -> 0

Swapping A and B keeps the *set* of symbols (a "bag of words") unchanged but
flips the label, so a model that sees the symbols without their order can do
no better than a coin flip. A recurrent net solves it by remembering, while it
reads, which of the two letters it met first.

Symbols are one-hot encoded: ``x`` has shape (n_samples, seq_len, n_symbols),
batch first as Keras expects, and float32.
"""
import numpy as np

__all__ = ["SYMBOLS", "a_before_b", "encode", "decode"]

# "A" and "B" are the two letters that matter; the rest are distractors.
SYMBOLS = "ABcdefgh"
_MAX_DISTRACTORS = len(SYMBOLS) - 2


def _check_distractors(n_distractors):
    if not 1 <= n_distractors <= _MAX_DISTRACTORS:
        raise ValueError(
            f"n_distractors must be between 1 and {_MAX_DISTRACTORS}, got {n_distractors}")


def a_before_b(n_samples: int, seq_len: int = 8, *, n_distractors: int = 3, seed: int = 0):
    """Generate the A-before-B task.

    Returns ``(x, y)``: ``x`` one-hot of shape (n_samples, seq_len, 2 + n_distractors)
    and ``y`` of shape (n_samples, 1), both float32. Exactly ``n_samples // 2``
    labels are 1 (the rest 0), in random order, so always answering the same
    class scores 50 %. The same ``seed`` gives the same data.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}")
    if seq_len < 2:
        raise ValueError(f"seq_len must be at least 2 (room for A and B), got {seq_len}")
    _check_distractors(n_distractors)
    rng = np.random.default_rng(seed)
    n_symbols = 2 + n_distractors

    # Distractors everywhere first, then overwrite two distinct positions.
    tokens = rng.integers(2, n_symbols, size=(n_samples, seq_len))
    positions = np.sort(rng.random((n_samples, seq_len)).argsort(axis=1)[:, :2], axis=1)
    early, late = positions[:, 0], positions[:, 1]
    labels = rng.permutation(np.arange(n_samples) < n_samples // 2)  # exactly balanced
    rows = np.arange(n_samples)
    tokens[rows, early] = np.where(labels, 0, 1)  # label 1: A (0) early, B (1) late
    tokens[rows, late] = np.where(labels, 1, 0)

    x = np.eye(n_symbols, dtype=np.float32)[tokens]
    y = labels.astype(np.float32)[:, None]
    return x, y


def encode(strings, n_distractors: int = 3) -> np.ndarray:
    """One-hot encode equally long strings over ``SYMBOLS``: shape (len(strings), T, 2 + n_distractors).

    A single string is accepted too and gives a batch of one.
    """
    _check_distractors(n_distractors)
    if isinstance(strings, str):
        strings = [strings]
    alphabet = SYMBOLS[:2 + n_distractors]
    lengths = {len(s) for s in strings}
    if len(lengths) != 1:
        raise ValueError(f"all strings must have the same length, got lengths {sorted(lengths)}")
    unknown = sorted({ch for s in strings for ch in s} - set(alphabet))
    if unknown:
        raise ValueError(f"unknown symbols {unknown}; the alphabet is {alphabet!r}")
    tokens = np.array([[alphabet.index(ch) for ch in s] for s in strings])
    return np.eye(len(alphabet), dtype=np.float32)[tokens]


def decode(x) -> list:
    """Turn one-hot sequences ``(n, T, n_symbols)`` (or one ``(T, n_symbols)``) back into strings."""
    x = np.asarray(x)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or not 2 < x.shape[-1] <= len(SYMBOLS):
        raise ValueError(f"x must have shape (n, T, n_symbols) with 3..{len(SYMBOLS)} symbols, "
                         f"got {x.shape}")
    return ["".join(SYMBOLS[i] for i in row) for row in x.argmax(axis=-1)]

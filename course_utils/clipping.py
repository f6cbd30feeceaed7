"""Gradient clipping by global norm, as ``tf.clip_by_global_norm`` does it (Pascanu et al. 2013).

All gradients of a model are treated as one long vector ``g``::

    global_norm = sqrt(sum(sum(grad**2) for grad in grads))
    clipped     = [grad * clip_norm / max(global_norm, clip_norm) for grad in grads]

Every gradient is multiplied by the same factor ``min(1, clip_norm / global_norm)``,
so the direction of ``g`` never changes, only its length, and a gradient that
is already shorter than ``clip_norm`` is returned unchanged (never scaled up).

``clip_by_norm_each`` is the per-array variant (``tf.clip_by_norm`` applied to
each array on its own); it is here to show that it *does* change the direction.
"""
import numbers
from collections.abc import Sequence

import numpy as np

__all__ = ["global_norm", "clip_by_global_norm", "clip_by_norm_each", "direction_cosine"]


def _as_list(grads):
    """The sequence as a list of float arrays (None kept); TypeError for anything else."""
    if not isinstance(grads, Sequence) or isinstance(grads, (str, bytes)):
        hint = " (for a dict of gradients pass list(grads.values()))" if isinstance(grads, dict) else ""
        raise TypeError(f"grads must be a list or tuple of arrays, got {type(grads).__name__}{hint}")
    out = []
    for g in grads:
        if g is None:
            out.append(None)
            continue
        g = np.asarray(g)
        if not np.issubdtype(g.dtype, np.floating):
            g = g.astype(np.float64)
        out.append(g)
    return out


def _check_clip_norm(clip_norm):
    if (isinstance(clip_norm, bool) or not isinstance(clip_norm, numbers.Real)
            or not clip_norm > 0):
        # tf documents clip_norm > 0 without checking it; 0 or a negative value
        # silently gives zeros or an unclipped gradient there, so we refuse it.
        raise ValueError(f"clip_norm must be a positive number, got {clip_norm!r}")
    return float(clip_norm)


def global_norm(grads):
    """``sqrt`` of the sum of squares of every entry of every array (None entries ignored)."""
    squares = [np.sum(np.square(g, dtype=np.float64)) for g in _as_list(grads) if g is not None]
    return float(np.sqrt(np.sum(squares)))


def clip_by_global_norm(grads, clip_norm, use_norm=None):
    """Scale all arrays in ``grads`` together so that their global norm is at most ``clip_norm``.

    ``grads`` is a list or tuple of arrays of any shapes (``None`` entries pass
    through).  Returns ``(clipped, norm)``: a list of arrays with the same
    shapes and dtypes, and the global norm *before* clipping (``use_norm`` if
    given).  As in TensorFlow, an infinite or NaN norm makes every clipped
    entry NaN, which signals the problem instead of hiding it.
    """
    grads = _as_list(grads)
    clip_norm = _check_clip_norm(clip_norm)
    norm = global_norm(grads) if use_norm is None else float(use_norm)
    with np.errstate(divide="ignore", invalid="ignore"):
        # tf's formula: 1/0 = inf makes a zero gradient keep scale 1; the
        # (norm - norm) term is 0 for a finite norm and NaN for inf or NaN.
        scale = clip_norm * min(1.0 / norm if norm != 0 else np.inf, 1.0 / clip_norm)
        scale = scale + (norm - norm)
        clipped = [None if g is None else (g * np.asarray(scale, dtype=g.dtype)).astype(g.dtype)
                   for g in grads]
    return clipped, norm


def clip_by_norm_each(grads, clip_norm):
    """Clip every array on its own to norm ``clip_norm`` (``tf.clip_by_norm`` per array).

    Returns a list of arrays.  Each array keeps its direction, but arrays are
    scaled by different factors, so the direction of the whole gradient changes.
    """
    grads = _as_list(grads)
    clip_norm = _check_clip_norm(clip_norm)
    out = []
    for g in grads:
        if g is None:
            out.append(None)
            continue
        norm = float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))
        out.append((g * (clip_norm / max(norm, clip_norm))).astype(g.dtype))
    return out


def direction_cosine(grads_a, grads_b):
    """Cosine of the angle between two gradients, each a list of arrays seen as one vector.

    1.0 means the same direction.  The lists must hold arrays of the same
    shapes in the same order (None entries are skipped in both).
    """
    a, b = _as_list(grads_a), _as_list(grads_b)
    if len(a) != len(b):
        raise ValueError(f"the two gradients have {len(a)} and {len(b)} arrays")
    flat_a = np.concatenate([g.ravel() for g in a if g is not None]).astype(np.float64)
    flat_b = np.concatenate([g.ravel() for g in b if g is not None]).astype(np.float64)
    if flat_a.shape != flat_b.shape:
        raise ValueError("the two gradients have arrays of different shapes")
    denom = np.linalg.norm(flat_a) * np.linalg.norm(flat_b)
    if denom == 0:
        raise ValueError("the direction of a zero gradient is undefined")
    return float(flat_a @ flat_b / denom)

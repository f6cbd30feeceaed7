"""Central finite differences: the independent check for every hand-written gradient."""
import numpy as np


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Gradient of the scalar function ``f`` at ``x`` by central differences.

    ``f`` takes an array shaped like ``x`` and returns a float. ``x`` should be
    float64: in float32 the truncation and round-off errors are ~1e-3.
    Returns an array shaped like ``x``. Costs 2 * x.size calls of ``f``.
    """
    x = np.array(x, dtype=np.float64)  # a private copy that we perturb in place
    grad = np.zeros_like(x)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat_x.size):
        saved = flat_x[i]
        flat_x[i] = saved + eps
        plus = float(f(x))
        flat_x[i] = saved - eps
        minus = float(f(x))
        flat_x[i] = saved
        flat_g[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """max |a - b| / max(|a|, |b|, 1e-12): the scale-free error used by gradient checks."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0), 1e-12)
    return float(np.abs(a - b).max(initial=0.0) / scale)

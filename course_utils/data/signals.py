"""Noisy 1-D signals for the GRU lesson's smoothing demo, and the smoother itself.

A GRU's update gate ``z`` mixes the old state with a new candidate::

    h_t = z * h_{t-1} + (1 - z) * h~_t

With ``z`` held constant and the candidate equal to the input, that is the
*exponentially weighted moving average* (EWMA) of the input: ``z`` near 1 keeps
a long memory (smooth, slow), ``z`` near 0 follows the latest input (noisy, fast).
The signals here give that smoother something to smooth: a known clean curve
plus Gaussian noise, so a plot can show how close the average gets to the truth.

All arrays are 1-D float64 of length ``n_steps`` (one value per time step).
"""
import numpy as np

__all__ = ["noisy_sine", "noisy_steps", "exponential_moving_average", "half_life"]


def _check_steps(n_steps):
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")


def noisy_sine(n_steps=200, *, period=100.0, noise=0.35, seed=0):
    """A sine wave of amplitude 0.8 plus Gaussian noise of standard deviation ``noise``.

    Returns ``(clean, noisy)``, each of shape ``(n_steps,)``.
    """
    _check_steps(n_steps)
    if period <= 0:
        raise ValueError(f"period must be positive, got {period!r}")
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    clean = 0.8 * np.sin(2 * np.pi * t / period)
    return clean, clean + noise * rng.standard_normal(n_steps)


def noisy_steps(n_steps=200, *, n_levels=5, noise=0.35, seed=0):
    """A piecewise-constant signal (``n_levels`` plateaus in [-0.8, 0.8]) plus Gaussian noise.

    Sudden jumps show the price of a long memory: a large ``z`` smooths the
    plateaus well but reacts late to each jump.  Returns ``(clean, noisy)``,
    each of shape ``(n_steps,)``.
    """
    _check_steps(n_steps)
    if isinstance(n_levels, bool) or not isinstance(n_levels, (int, np.integer)) or n_levels < 1:
        raise ValueError(f"n_levels must be a positive integer, got {n_levels!r}")
    rng = np.random.default_rng(seed)
    levels = rng.uniform(-0.8, 0.8, size=n_levels)
    # Plateau k covers steps [k*n/n_levels, (k+1)*n/n_levels).
    plateau = np.minimum(np.arange(n_steps) * n_levels // n_steps, n_levels - 1)
    clean = levels[plateau]
    return clean, clean + noise * rng.standard_normal(n_steps)


def exponential_moving_average(signal, z, h0=0.0):
    """``h_t = z_t * h_{t-1} + (1 - z_t) * signal_t`` for every step: a GRU update with a fixed gate.

    ``signal``: shape ``(T,)`` (or ``(T, ...)``: the recursion runs along axis 0).
    ``z``: a number in [0, 1], or an array broadcastable to ``signal`` giving one
    gate value per step (a gate that changes over time, as a trained GRU's does).
    ``h0``: the state before the first step.  Returns ``h`` shaped like ``signal``.
    """
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim == 0 or signal.shape[0] == 0:
        raise ValueError(f"signal must have at least one time step, got shape {signal.shape}")
    z = np.broadcast_to(np.asarray(z, dtype=np.float64), signal.shape)
    if np.any((z < 0) | (z > 1)):
        raise ValueError("z must lie in [0, 1] (it is a sigmoid's output)")
    h = np.empty_like(signal)
    previous = np.broadcast_to(np.asarray(h0, dtype=np.float64), signal.shape[1:])
    for t in range(signal.shape[0]):
        previous = z[t] * previous + (1 - z[t]) * signal[t]
        h[t] = previous
    return h


def half_life(z):
    """Steps after which an input's weight in the average has halved: ``log(1/2) / log(z)``.

    An input seen ``k`` steps ago carries weight ``(1 - z) * z**k``; ``z = 0``
    forgets at once (half-life 0), ``z = 1`` never forgets (infinite half-life).
    """
    z = np.asarray(z, dtype=np.float64)
    if np.any((z < 0) | (z > 1)):
        raise ValueError("z must lie in [0, 1]")
    safe = np.clip(z, 1e-300, 0.5)  # placeholder where the formula does not apply
    safe = np.where((z > 0) & (z < 1), z, safe)
    life = np.where(z <= 0, 0.0, np.where(z >= 1, np.inf, np.log(0.5) / np.log(safe)))
    return life[()]

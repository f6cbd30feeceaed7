"""The adding problem (Hochreiter & Schmidhuber 1997): a long-range memory task.

Each sequence has two channels. Channel 0 holds random numbers in [0, 1);
channel 1 is a marker that is 1 at exactly two time steps and 0 elsewhere.
The target is the sum of the two marked numbers. One marker falls in the first
half of the sequence, so the model must remember a value for at least T/2 steps.

Predicting the constant 1.0 (the mean of the target) gives a mean squared
error of about 1/6 = 0.167: that is the baseline a model must beat.
"""
import numpy as np

BASELINE_MSE = 1.0 / 6.0  # Var(u1 + u2) for two independent U(0, 1) numbers


def adding_problem(n_samples: int, seq_len: int, seed: int = 0):
    """Return ``(x, y)``: x of shape (n_samples, seq_len, 2), y of shape (n_samples, 1), float32."""
    if seq_len < 2:
        raise ValueError(f"seq_len must be at least 2, got {seq_len}")
    rng = np.random.default_rng(seed)
    values = rng.random((n_samples, seq_len))
    markers = np.zeros((n_samples, seq_len))
    half = seq_len // 2
    first = rng.integers(0, half, size=n_samples)
    second = rng.integers(half, seq_len, size=n_samples)
    rows = np.arange(n_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second])[:, None].astype(np.float32)
    return x, y

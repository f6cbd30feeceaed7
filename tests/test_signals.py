"""Noisy signals and the update-gate smoother (course_utils.data.signals)."""
import numpy as np
import pytest

from course_utils import gru
from course_utils.data.signals import exponential_moving_average, half_life, noisy_sine, noisy_steps


@pytest.mark.parametrize("make", [noisy_sine, noisy_steps])
def test_signals_are_1d_float_reproducible_and_seed_dependent(make):
    clean, noisy = make(150, seed=3)
    assert clean.shape == noisy.shape == (150,)
    assert clean.dtype == noisy.dtype == np.float64
    np.testing.assert_array_equal(make(150, seed=3)[1], noisy)
    assert not np.allclose(make(150, seed=4)[1], noisy)
    assert np.abs(clean).max() <= 0.8 + 1e-12


@pytest.mark.parametrize("make", [noisy_sine, noisy_steps])
def test_noise_has_the_requested_standard_deviation(make):
    clean, noisy = make(20000, noise=0.25, seed=0)
    assert np.std(noisy - clean) == pytest.approx(0.25, rel=0.03)
    assert np.abs(np.mean(noisy - clean)) < 0.01


def test_noisy_steps_has_n_levels_plateaus_in_order():
    clean, _ = noisy_steps(100, n_levels=4, seed=1)
    changes = np.flatnonzero(np.diff(clean)) + 1
    np.testing.assert_array_equal(changes, [25, 50, 75])


def test_noisy_sine_period():
    clean, _ = noisy_sine(200, period=50.0)
    np.testing.assert_allclose(clean[:150], clean[50:200], atol=1e-12)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_n_steps_is_rejected(bad):
    with pytest.raises(ValueError, match="n_steps"):
        noisy_sine(bad)


def test_moving_average_equals_its_closed_form(rng):
    """h_t = z^(t+1) h0 + sum_k (1 - z) z^(t-k) x_k, computed without the recursion."""
    x, z, h0 = rng.normal(size=30), 0.7, 0.4
    t = np.arange(30)
    weights = (1 - z) * z ** (t[:, None] - t[None, :]) * (t[:, None] >= t[None, :])
    expected = weights @ x + z ** (t + 1) * h0
    np.testing.assert_allclose(exponential_moving_average(x, z, h0=h0), expected, atol=1e-12)


def test_moving_average_extremes_copy_the_input_or_keep_h0(rng):
    x = rng.normal(size=12)
    np.testing.assert_allclose(exponential_moving_average(x, 0.0), x)
    np.testing.assert_allclose(exponential_moving_average(x, 1.0, h0=0.3), np.full(12, 0.3))


def test_moving_average_with_a_gate_per_step_and_several_channels(rng):
    x = rng.normal(size=(10, 3))
    z = rng.uniform(0, 1, size=(10, 1))
    h, previous = np.empty_like(x), np.zeros(3)
    for step in range(10):
        previous = z[step] * previous + (1 - z[step]) * x[step]
        h[step] = previous
    np.testing.assert_allclose(exponential_moving_average(x, z), h, atol=1e-12)


def test_moving_average_rejects_a_gate_outside_0_1():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        exponential_moving_average([1.0, 2.0], 1.5)


@pytest.mark.parametrize("reset_after", [True, False])
def test_moving_average_is_a_one_unit_gru_with_a_constant_gate(rng, reset_after):
    """A GRU whose z ignores its inputs (bias only) and whose candidate is tanh(x) averages tanh(x)."""
    z = 0.85
    kernel = np.array([[0.0, 0.0, 1.0]])                 # z, r ignore x; candidate = tanh(x)
    recurrent_kernel = np.zeros((1, 3))                   # candidate ignores h_prev
    logit = np.log(z / (1 - z))
    bias = np.array([[logit, 0, 0], [0, 0, 0]]) if reset_after else np.array([logit, 0, 0])
    x = rng.normal(size=(1, 40, 1))
    h0 = np.array([[0.5]])
    h_seq = gru.gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after=reset_after)
    expected = exponential_moving_average(np.tanh(x[0, :, 0]), z, h0=0.5)
    np.testing.assert_allclose(h_seq[0, :, 0], expected, atol=1e-12)


def test_half_life_halves_the_weight():
    for z in (0.1, 0.5, 0.9, 0.99):
        assert z ** half_life(z) == pytest.approx(0.5)
    assert half_life(0.0) == 0.0
    assert half_life(1.0) == np.inf
    np.testing.assert_allclose(half_life([0.5, 0.5 ** 0.5]), [1.0, 2.0])

"""course_utils.jacobians against independent computations: finite differences of the forward
pass, explicit products of step Jacobians, the reference BPTT, and the exact rho**k of the
linear regime."""
import numpy as np
import pytest

from course_utils import jacobians, simple_rnn
from course_utils.finite_differences import numerical_gradient, relative_error

SHAPES = [  # (batch, steps, input_dim, units): batch 1, T=1, one unit, input_dim != units
    (1, 1, 1, 1), (2, 3, 2, 3), (1, 5, 4, 2), (3, 4, 3, 5),
]


def _problem(rng, batch, steps, input_dim, units, scale=0.8):
    return (rng.normal(size=(batch, steps, input_dim)),
            rng.uniform(-0.8, 0.8, size=(batch, units)),
            rng.uniform(-scale, scale, size=(input_dim, units)),
            rng.uniform(-scale, scale, size=(units, units)),
            rng.uniform(-0.5, 0.5, size=units))


def _fd_jacobian(f, h):
    """d f(h)[i] / d h[j] for one example: f maps (units,) to (units_out,)."""
    return np.stack([numerical_gradient(lambda v, i=i: f(v)[i], h) for i in range(f(h).size)])


@pytest.mark.parametrize("batch, steps, input_dim, units", SHAPES)
def test_step_jacobian_matches_finite_differences(rng, batch, steps, input_dim, units):
    x, h0, W, U, b = _problem(rng, batch, 1, input_dim, units)
    J = jacobians.rnn_step_jacobian(x[:, 0], h0, W, U, b)
    assert J.shape == (batch, units, units)
    for n in range(batch):
        fd = _fd_jacobian(lambda h, n=n: np.tanh(x[n, 0] @ W + h @ U + b), h0[n])
        assert relative_error(J[n], fd) < 1e-8


def test_step_jacobian_is_diag_slope_times_U_transposed(rng):
    """The formula of the lesson, written with np.diag, and the orientation it implies."""
    x, h0, W, U, b = _problem(rng, 2, 1, 3, 4)
    h_next = np.tanh(x[:, 0] @ W + h0 @ U + b)
    J = jacobians.rnn_step_jacobian(x[:, 0], h0, W, U, b)
    for n in range(2):
        np.testing.assert_allclose(J[n], np.diag(1 - h_next[n] ** 2) @ U.T, atol=1e-14)
        # a gradient row vector goes back by multiplying on the right
        g = rng.normal(size=4)
        np.testing.assert_allclose(g @ J[n], (g * (1 - h_next[n] ** 2)) @ U.T, atol=1e-14)


def test_step_jacobian_keeps_float32_and_rejects_a_transposed_kernel(rng):
    x, h0, W, U, b = (a.astype(np.float32) for a in _problem(rng, 2, 1, 3, 4))
    assert jacobians.rnn_step_jacobian(x[:, 0], h0, W, U, b).dtype == np.float32
    with pytest.raises(ValueError, match="transpose"):
        jacobians.rnn_step_jacobian(x[:, 0], h0, W.T, U, b)


@pytest.mark.parametrize("batch, steps, input_dim, units", SHAPES)
def test_jacobian_products_match_finite_differences_through_k_steps(rng, batch, steps,
                                                                    input_dim, units):
    x, h0, W, U, b = _problem(rng, batch, steps, input_dim, units)
    P = jacobians.jacobian_products(x, h0, W, U, b)
    assert P.shape == (batch, steps + 1, units, units)
    states = np.concatenate([h0[:, None], simple_rnn.rnn_forward(x, h0, W, U, b)], axis=1)
    np.testing.assert_array_equal(P[:, 0], np.broadcast_to(np.eye(units), (batch, units, units)))
    for k in range(1, steps + 1):
        for n in range(batch):
            # restart the forward pass from h_(T-k) and read h_T
            def h_T(h, n=n, k=k):
                return simple_rnn.rnn_forward(x[n:n + 1, steps - k:], h[None], W, U, b)[0, -1]
            fd = _fd_jacobian(h_T, states[n, steps - k])
            assert relative_error(P[n, k], fd) < 1e-7, (k, n)


@pytest.mark.parametrize("batch, steps, input_dim, units", SHAPES)
def test_gradient_norms_by_lag_equal_the_norms_of_dh_last_times_the_products(rng, batch, steps,
                                                                             input_dim, units):
    x, h0, W, U, b = _problem(rng, batch, steps, input_dim, units)
    dh_last = rng.normal(size=(batch, units))
    norms = jacobians.gradient_norms_by_lag(dh_last, x, h0, W, U, b)
    P = jacobians.jacobian_products(x, h0, W, U, b)
    expected = np.linalg.norm(np.einsum("bi,bkij->bkj", dh_last, P), axis=-1)
    assert norms.shape == (batch, steps + 1)
    np.testing.assert_allclose(norms, expected, rtol=1e-12)
    # at lag T the gradient is the reference BPTT's dh0 for a loss reading h_T only
    dh_seq = np.zeros((batch, steps, units))
    dh_seq[:, -1] = dh_last
    dh0 = simple_rnn.rnn_backward(dh_seq, x, h0, W, U, b)["dh0"]
    np.testing.assert_allclose(norms[:, -1], np.linalg.norm(dh0, axis=1), rtol=1e-12)


@pytest.mark.parametrize("rho", [0.5, 1.0, 1.5])
def test_without_input_the_norm_is_exactly_rho_to_the_k(rho):
    """x = 0, h0 = 0, b = 0: every state is 0, every slope 1, so each step multiplies by rho."""
    units, steps = 8, 30
    U = jacobians.scaled_orthogonal(units, rho, seed=3)
    dh_last = np.random.default_rng(0).normal(size=(4, units))
    norms = jacobians.gradient_norms_by_lag(dh_last, np.zeros((4, steps, 2)), np.zeros((4, units)),
                                            np.ones((2, units)), U, np.zeros(units))
    expected = np.linalg.norm(dh_last, axis=1)[:, None] * rho ** np.arange(steps + 1)
    np.testing.assert_allclose(norms, expected, rtol=1e-12)


def test_weight_gradient_contributions_sum_to_the_reference_bptt(rng):
    batch, steps, input_dim, units = 3, 6, 2, 4
    x, h0, W, U, b = _problem(rng, batch, steps, input_dim, units)
    dh_last = rng.normal(size=(batch, units))
    terms = jacobians.weight_gradient_contributions(dh_last, x, h0, W, U, b)
    dh_seq = np.zeros((batch, steps, units))
    dh_seq[:, -1] = dh_last
    full = simple_rnn.rnn_backward(dh_seq, x, h0, W, U, b)
    assert terms["dkernel"].shape == (steps, input_dim, units)
    assert terms["drecurrent_kernel"].shape == (steps, units, units)
    assert terms["dbias"].shape == (steps, units)
    for key in terms:
        np.testing.assert_allclose(terms[key].sum(axis=0), full[key], atol=1e-12)
    # lag 0 is the last step alone: the BPTT of a one-step sequence starting from h_(T-1)
    h_before_last = simple_rnn.rnn_forward(x[:, :-1], h0, W, U, b)[:, -1]
    last = simple_rnn.rnn_backward(dh_last[:, None], x[:, -1:], h_before_last, W, U, b)
    np.testing.assert_allclose(terms["drecurrent_kernel"][0], last["drecurrent_kernel"],
                               atol=1e-12)


@pytest.mark.parametrize("rho", [0.3, 1.0, 2.5])
def test_scaled_orthogonal_has_every_singular_value_and_eigenvalue_modulus_rho(rho):
    U = jacobians.scaled_orthogonal(6, rho, seed=7)
    np.testing.assert_allclose(np.linalg.svd(U, compute_uv=False), rho, rtol=1e-12)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(U)), rho, rtol=1e-10)
    assert jacobians.spectral_radius(U) == pytest.approx(rho, rel=1e-10)
    np.testing.assert_array_equal(U, jacobians.scaled_orthogonal(6, rho, seed=7))


def test_inputs_are_not_modified(rng):
    x, h0, W, U, b = _problem(rng, 2, 3, 2, 3)
    dh_last = rng.normal(size=(2, 3))
    copies = [a.copy() for a in (dh_last, x, h0, W, U, b)]
    jacobians.gradient_norms_by_lag(dh_last, x, h0, W, U, b)
    jacobians.jacobian_products(x, h0, W, U, b)
    jacobians.weight_gradient_contributions(dh_last, x, h0, W, U, b)
    for before, after in zip(copies, (dh_last, x, h0, W, U, b)):
        np.testing.assert_array_equal(before, after)


def test_dh_last_of_the_wrong_shape_is_named(rng):
    x, h0, W, U, b = _problem(rng, 2, 3, 2, 3)
    with pytest.raises(ValueError, match="dh_last"):
        jacobians.gradient_norms_by_lag(np.ones((3, 2)), x, h0, W, U, b)

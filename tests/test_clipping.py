"""course_utils.clipping against TensorFlow's own tf.clip_by_global_norm, tf.linalg.global_norm
and tf.clip_by_norm, including the edge cases (None entries, zero, inf and NaN norms)."""
import numpy as np
import pytest
import tensorflow as tf

import course_utils  # noqa: F401  (before TensorFlow: quiet logs)
from course_utils import clipping


def _tf_clip(grads, clip_norm, use_norm=None):
    tensors = [None if g is None else tf.constant(g) for g in grads]
    clipped, norm = tf.clip_by_global_norm(tensors, clip_norm, use_norm=use_norm)
    return [None if c is None else c.numpy() for c in clipped], float(norm)


def _random_grads(rng, dtype, scale):
    return [(scale * rng.normal(size=s)).astype(dtype) for s in [(3, 4), (4, 4), (4,), ()]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale, clip_norm", [(1.0, 0.5), (1.0, 100.0), (50.0, 5.0), (1e-6, 1.0)])
def test_matches_tensorflow(rng, dtype, scale, clip_norm):
    grads = _random_grads(rng, dtype, scale)
    clipped, norm = clipping.clip_by_global_norm(grads, clip_norm)
    tf_clipped, tf_norm = _tf_clip(grads, clip_norm)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert norm == pytest.approx(tf_norm, rel=rtol)
    for ours, theirs, original in zip(clipped, tf_clipped, grads):
        assert ours.dtype == original.dtype and ours.shape == original.shape
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0)


def test_global_norm_matches_tensorflow_and_ignores_none(rng):
    grads = _random_grads(rng, np.float64, 2.0)
    assert clipping.global_norm(grads + [None]) == pytest.approx(
        float(tf.linalg.global_norm([tf.constant(g) for g in grads])), rel=1e-12)


def test_none_entries_pass_through_like_tensorflow(rng):
    grads = [rng.normal(size=(2, 3)), None, rng.normal(size=3)]
    clipped, norm = clipping.clip_by_global_norm(grads, 0.5)
    tf_clipped, tf_norm = _tf_clip(grads, 0.5)
    assert clipped[1] is None and tf_clipped[1] is None
    assert norm == pytest.approx(tf_norm)
    np.testing.assert_allclose(clipped[0], tf_clipped[0], rtol=1e-12)


def test_norm_exactly_at_the_threshold_and_zero_gradients_are_left_alone():
    grads = [np.array([3.0, 4.0])]
    clipped, norm = clipping.clip_by_global_norm(grads, 5.0)
    np.testing.assert_array_equal(clipped[0], grads[0])
    zeros = [np.zeros((2, 2)), np.zeros(3)]
    with np.errstate(all="raise"):  # no division-by-zero warning either
        clipped, norm = clipping.clip_by_global_norm(zeros, 1.0)
    assert norm == 0.0 and all(np.array_equal(c, z) for c, z in zip(clipped, zeros))
    tf_clipped, _ = _tf_clip(zeros, 1.0)
    assert all(np.array_equal(c, t) for c, t in zip(clipped, tf_clipped))


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_an_infinite_or_nan_norm_makes_everything_nan_like_tensorflow(bad):
    grads = [np.array([1.0, bad]), np.array([2.0])]
    clipped, norm = clipping.clip_by_global_norm(grads, 1.0)
    tf_clipped, tf_norm = _tf_clip(grads, 1.0)
    assert np.isnan(norm) == np.isnan(tf_norm)
    for ours, theirs in zip(clipped, tf_clipped):
        assert np.isnan(ours).all() and np.isnan(theirs).all()


def test_use_norm_replaces_the_computed_norm(rng):
    grads = _random_grads(rng, np.float64, 1.0)
    clipped, norm = clipping.clip_by_global_norm(grads, 1.0, use_norm=10.0)
    tf_clipped, tf_norm = _tf_clip(grads, 1.0, use_norm=tf.constant(10.0, tf.float64))
    assert norm == tf_norm == 10.0
    for ours, theirs in zip(clipped, tf_clipped):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_inputs_are_not_modified(rng):
    grads = _random_grads(rng, np.float64, 10.0)
    copies = [g.copy() for g in grads]
    clipping.clip_by_global_norm(grads, 1.0)
    clipping.clip_by_norm_each(grads, 1.0)
    assert all(np.array_equal(a, b) for a, b in zip(grads, copies))


@pytest.mark.parametrize("clip_norm", [0, -1.0, np.nan, "1", True])
def test_clip_norm_must_be_a_positive_number(clip_norm):
    with pytest.raises(ValueError, match="clip_norm"):
        clipping.clip_by_global_norm([np.ones(2)], clip_norm)


@pytest.mark.parametrize("grads, hint", [({"dW": np.ones(2)}, "list(grads.values())"),
                                         ("abc", "list or tuple"), (np.ones(3), "list or tuple")])
def test_grads_must_be_a_list_or_tuple(grads, hint):
    with pytest.raises(TypeError, match=hint.replace("(", r"\(").replace(")", r"\)")):
        clipping.clip_by_global_norm(grads, 1.0)


def test_clip_by_norm_each_matches_tf_clip_by_norm_per_array(rng):
    grads = _random_grads(rng, np.float32, 3.0)
    each = clipping.clip_by_norm_each(grads, 1.0)
    for ours, g in zip(each, grads):
        np.testing.assert_allclose(ours, tf.clip_by_norm(tf.constant(g), 1.0).numpy(), rtol=1e-6)


def test_global_clipping_keeps_the_direction_and_per_array_clipping_turns_it():
    grads = [np.array([30.0, 40.0]), np.array([[1.0]])]  # norms 50 and 1: very unequal
    clipped, norm = clipping.clip_by_global_norm(grads, 1.0)
    assert clipping.global_norm(clipped) == pytest.approx(1.0)
    assert clipping.direction_cosine(grads, clipped) == pytest.approx(1.0, abs=1e-12)
    each = clipping.clip_by_norm_each(grads, 1.0)
    assert clipping.direction_cosine(grads, each) < 0.8


def test_direction_cosine_refuses_what_has_no_direction():
    with pytest.raises(ValueError, match="zero"):
        clipping.direction_cosine([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="arrays"):
        clipping.direction_cosine([np.ones(2)], [np.ones(2), np.ones(1)])

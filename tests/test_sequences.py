"""course_utils.data.sequences: the A-before-B task, checked against its definition on decoded strings."""
import numpy as np
import pytest

from course_utils.data.sequences import SYMBOLS, a_before_b, decode, encode


def test_shapes_dtypes_and_one_hot():
    x, y = a_before_b(50, seq_len=7, n_distractors=4, seed=3)
    assert x.shape == (50, 7, 6) and x.dtype == np.float32
    assert y.shape == (50, 1) and y.dtype == np.float32
    assert set(np.unique(x)) <= {0.0, 1.0}
    np.testing.assert_array_equal(x.sum(axis=-1), 1.0)  # exactly one symbol per step


@pytest.mark.parametrize("seq_len", [2, 3, 10])
def test_labels_follow_the_rule_on_the_decoded_strings(seq_len):
    x, y = a_before_b(200, seq_len=seq_len, seed=seq_len)
    for text, label in zip(decode(x), y[:, 0]):
        assert text.count("A") == 1 and text.count("B") == 1, text
        assert set(text) <= set(SYMBOLS[:5]), text
        assert label == float(text.index("A") < text.index("B")), text


@pytest.mark.parametrize("n_samples", [1, 2, 7, 100])
def test_labels_are_exactly_balanced(n_samples):
    _, y = a_before_b(n_samples, seed=1)
    assert y.sum() == n_samples // 2


def test_order_is_the_only_signal():
    """Swapping A and B keeps the bag of symbols and flips the label."""
    x, y = a_before_b(100, seq_len=6, seed=5)
    swapped = encode([s.translate(str.maketrans("AB", "BA")) for s in decode(x)])
    np.testing.assert_array_equal(swapped.sum(axis=1), x.sum(axis=1))
    flipped = [float(s.index("A") < s.index("B")) for s in decode(swapped)]
    np.testing.assert_array_equal(flipped, 1.0 - y[:, 0])


def test_positions_of_a_and_b_cover_the_whole_sequence():
    x, _ = a_before_b(2000, seq_len=8, seed=0)
    texts = decode(x)
    assert {s.index("A") for s in texts} == set(range(8))
    assert {s.index("B") for s in texts} == set(range(8))


def test_same_seed_same_data_other_seed_other_data():
    x1, y1 = a_before_b(30, seed=11)
    x2, y2 = a_before_b(30, seed=11)
    x3, _ = a_before_b(30, seed=12)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


def test_encode_decode_round_trip():
    strings = ["dAcBe", "dBcAe", "ABccc"]
    x = encode(strings)
    assert x.shape == (3, 5, 5) and x.dtype == np.float32
    assert decode(x) == strings
    assert decode(x[0]) == ["dAcBe"]           # one sequence (T, n_symbols)
    assert decode(encode("AhB", n_distractors=6)) == ["AhB"]


@pytest.mark.parametrize("call, match", [
    (lambda: a_before_b(0), "n_samples"),
    (lambda: a_before_b(5, seq_len=1), "seq_len"),
    (lambda: a_before_b(5, n_distractors=0), "n_distractors"),
    (lambda: a_before_b(5, n_distractors=7), "n_distractors"),
    (lambda: encode(["AB", "ABc"]), "same length"),
    (lambda: encode(["AxB"]), "unknown symbols"),
    (lambda: encode(["AfB"]), "unknown symbols"),  # f is not in the default 3-distractor alphabet
    (lambda: decode(np.zeros((2, 3))[None, None]), "shape"),
])
def test_bad_arguments_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()

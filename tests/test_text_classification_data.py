"""course_utils.data.docstrings (the labelled corpus), course_utils.tokenizer, the padding
and masking references and the bag-of-words baseline of 08_text_classification."""
import subprocess
import sys
import zlib

import numpy as np
import pytest

from course_utils import masking
from course_utils import text_classifier as tc
from course_utils.data import docstrings
from course_utils.tokenizer import PAD, UNKNOWN, Vocabulary, tokenize

# ---------------------------------------------------------------- the corpus

def test_corpus_has_three_disjoint_splits_of_labelled_english():
    corpus = docstrings.load_corpus()
    assert list(corpus) == ["train", "validation", "test"]
    texts = [t for part in corpus.values() for t in part.texts]
    assert len(texts) == len(set(texts)) > 1000            # every document once
    for part in corpus.values():
        assert part.labels.dtype == np.int64 and part.labels.shape == (len(part.texts),)
        assert set(part.labels.tolist()) == set(range(len(docstrings.LABELS)))   # every class
        assert all(len(tokenize(t)) >= 1 for t in part.texts)
    sizes = np.array([len(part) for part in corpus.values()]) / len(texts)
    assert np.allclose(sizes, [0.70, 0.15, 0.15], atol=0.04)


def test_documents_are_the_first_paragraph_of_real_docstrings():
    import math

    corpus = docstrings.load_corpus()
    everything = {t: (split, int(label)) for split, part in corpus.items()
                  for t, label in zip(part.texts, part.labels)}
    cosine = docstrings.first_paragraph(math.cos.__doc__)
    assert cosine in everything
    assert docstrings.LABELS[everything[cosine][1]] == "numbers"
    assert all("\n" not in t and "  " not in t for t in everything)


def test_corpus_is_sorted_by_label_then_text_and_does_not_depend_on_hash_order():
    for part in docstrings.load_corpus().values():
        pairs = list(zip(part.labels.tolist(), part.texts))
        assert pairs == sorted(pairs)
    code = ("from course_utils.data import docstrings as d; import zlib; c = d.load_corpus(); "
            "print(zlib.crc32(repr([(k, v.texts, v.labels.tolist()) for k, v in c.items()]).encode()))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2")}
    assert len(outs) == 1


def test_split_of_a_document_depends_only_on_its_text():
    text = "Return the cosine of x (measured in radians)."
    bucket = zlib.crc32(f"{docstrings.SPLIT_SEED}:{text}".encode()) % 100
    expected = "train" if bucket < 70 else "validation" if bucket < 85 else "test"
    assert docstrings._split_of(text) == expected


def test_documents_under_two_topics_are_dropped():
    labelled = docstrings._labelled_documents()
    texts = [t for t, _ in labelled]
    assert len(texts) == len(set(texts))


def test_class_counts():
    assert docstrings.class_counts([0, 2, 2, 5]).tolist() == [1, 0, 2, 0, 0, 1]


def test_first_paragraph_of_odd_docstrings():
    assert docstrings.first_paragraph(None) == ""
    assert docstrings.first_paragraph("   ") == ""
    assert docstrings.first_paragraph("One\n    line two.\n\n    Other.") == "One line two."


# ---------------------------------------------------------------- the tokeniser

def test_tokenize_keeps_lower_case_letter_runs():
    assert tokenize("Return x**y (x to the power_of y).") == \
        ["return", "x", "y", "x", "to", "the", "power", "of", "y"]
    assert tokenize("3.14 + 2") == []


def test_vocabulary_reserves_pad_and_unknown_and_orders_by_frequency():
    vocab = Vocabulary.build(["b a a", "c b a", "d"], min_count=2)
    assert vocab.words == ("<pad>", "<unk>", "a", "b")
    assert (PAD, UNKNOWN) == (0, 1)
    assert vocab.encode("A b zzz") == [2, 3, UNKNOWN]
    assert vocab.decode([2, 3, 0, 0]) == "a b"
    assert len(vocab) == 4


def test_course_vocabulary_comes_from_the_training_split_only():
    vocab = tc.vocabulary()
    train_words = {w for t in docstrings.load_corpus()["train"].texts for w in tokenize(t)}
    assert set(vocab.words[2:]) <= train_words
    assert vocab.encode("Return the cosine of x")[0] != UNKNOWN


# ---------------------------------------------------------------- padding and masking

def test_pad_batch_post_pre_and_truncation():
    ids, mask = masking.pad_batch([[5, 6, 7], [8]], padding="post")
    assert ids.dtype == np.int32 and mask.dtype == bool
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert mask.tolist() == [[True, True, True], [True, False, False]]
    ids, mask = masking.pad_batch([[5, 6, 7], [8]], maxlen=2, padding="pre")
    assert ids.tolist() == [[5, 6], [0, 8]] and mask.tolist() == [[True, True], [False, True]]
    ids, mask = masking.pad_batch([[], [3]])
    assert ids.tolist() == [[0], [3]] and mask.tolist() == [[False], [True]]
    with pytest.raises(ValueError):
        masking.pad_batch([[1]], padding="middle")


def test_masked_rnn_forward_matches_keras_with_a_mask(rng):
    import keras

    from course_utils.weights import keras_layer, random_weights

    weights = random_weights("simple_rnn", 3, 4, seed=3)
    x = rng.normal(size=(3, 6, 3)).astype(np.float32)
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 0, 1, 1, 0, 1], [1, 1, 1, 1, 1, 1]], dtype=bool)
    h0 = rng.normal(size=(3, 4)).astype(np.float32)
    expected = keras.ops.convert_to_numpy(
        keras_layer("simple_rnn", *weights)(x, mask=mask, initial_state=[h0]))
    got = masking.masked_rnn_forward(x, mask, h0, *weights)
    assert got.shape == (3, 6, 4)
    assert np.abs(got - expected).max() < 1e-5
    assert np.allclose(got[0, 4], got[0, 3]) and np.allclose(got[1, 1], got[1, 0])  # carried


# ---------------------------------------------------------------- the baseline

def test_bag_of_words_ignores_padding_and_order():
    counts = tc.bag_of_words(np.array([[2, 3, 2, 0], [3, 2, 2, 0]]), 5)
    assert counts.tolist() == [[0, 0, 2, 1, 0], [0, 0, 2, 1, 0]]


def test_naive_bayes_learns_a_separable_toy_problem():
    counts = tc.bag_of_words(np.array([[2, 2, 0], [2, 3, 0], [4, 4, 5], [5, 4, 0]]), 6)
    model = tc.naive_bayes_fit(counts, [0, 0, 1, 1], 2)
    assert tc.naive_bayes_predict(model, counts).tolist() == [0, 0, 1, 1]
    assert np.isfinite(model[1]).all()


def test_baseline_beats_the_majority_class_by_far():
    labels = docstrings.load_corpus()["validation"].labels
    majority = np.bincount(labels).max() / len(labels)
    assert tc.baseline_accuracy("validation") > majority + 0.3
    assert tc.baseline_accuracy("train") > tc.baseline_accuracy("validation")


def test_encoded_split_shapes():
    ids, mask, labels = tc.encoded_split("validation")
    assert ids.shape == mask.shape == (len(labels), tc.MAXLEN)
    assert ((ids != PAD) == mask).all()

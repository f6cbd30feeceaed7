"""Checkers of 08_text_classification: right answers pass quietly, known mistakes are named.

The student answers below are written independently of ``course_utils.masking``:
loops, vectorised numpy, float masks, the functional Keras API. The trained-model
checker is tested with a Keras model that IS the naive Bayes baseline (its
embedding holds the log word probabilities), so its accuracy is known exactly.
"""
import numpy as np
import pytest
from check_helpers import fails_with, passes_quietly

from course_utils import text_classifier as tc
from course_utils.checks import (
    check_build_text_classifier,
    check_masked_rnn_forward,
    check_pad_batch,
    check_trained_text_classifier,
)
from course_utils.checks import text_classification as checks
from course_utils.checks.misconceptions import MISCONCEPTIONS

NEW_IDS = ["PADDING-WRONG-SIDE", "MASK-INVERTED", "TRUNCATED-WRONG-END", "MASK-IGNORED",
           "MASK-STATE-RESET", "EMBEDDING-NO-MASK", "DROPOUT-NOT-RECURRENT", "PAD-IDS-NOT-INTEGERS",
           "PAD-TRANSPOSED", "MASK-OUTPUT-ZEROS", "CLASSIFIER-RETURNS-SEQUENCES",
           "CLASSIFIER-NO-SOFTMAX", "MASK-ZERO-ARGUMENT-IGNORED", "DROPOUT-SWAPPED",
           "MASK-NOT-PROPAGATED", "CLASSIFIER-MAJORITY-ONLY"]


def test_new_ids_are_registered_and_point_to_lesson_08():
    for mid in NEW_IDS:
        assert "08_text_classification" in MISCONCEPTIONS[mid].reread


# ================================================================ pad_batch

def pad_loop(sequences, maxlen=None, padding="post"):
    if maxlen is None:
        maxlen = max(len(s) for s in sequences)
    ids, mask = [], []
    for s in sequences:
        s = list(s)[:maxlen]
        fill = [0] * (maxlen - len(s))
        ids.append(s + fill if padding == "post" else fill + s)
        mask.append([1] * len(s) + [0] * len(fill) if padding == "post" else [0] * len(fill) + [1] * len(s))
    return np.array(ids, dtype=np.int64).reshape(len(sequences), maxlen), np.array(mask, dtype=bool)


def pad_vectorised(sequences, maxlen=None, padding="post"):
    lengths = np.array([len(s) for s in sequences])
    maxlen = lengths.max() if maxlen is None else maxlen
    kept = np.minimum(lengths, maxlen)
    positions = np.arange(maxlen)[None, :]
    mask = positions < kept[:, None] if padding == "post" else positions >= maxlen - kept[:, None]
    ids = np.zeros(mask.shape, dtype=np.int32)
    ids[mask] = np.concatenate([np.asarray(s[:maxlen], dtype=np.int32) for s in sequences] + [np.zeros(0, np.int32)])
    return ids, mask.astype(np.int8)          # a 0/1 mask is fine too


@pytest.mark.parametrize("fn", [pad_loop, pad_vectorised])
@pytest.mark.parametrize("hidden", [False, True])
def test_correct_pad_batch_passes_quietly(fn, hidden, capsys):
    passes_quietly(check_pad_batch, fn, capsys, hidden)


def pad_on_the_other_side(sequences, maxlen=None, padding="post"):
    return pad_loop(sequences, maxlen, "pre" if padding == "post" else "post")


def pad_with_an_inverted_mask(sequences, maxlen=None, padding="post"):
    ids, mask = pad_loop(sequences, maxlen, padding)
    return ids, ~mask


def pad_keeping_the_last_ids(sequences, maxlen=None, padding="post"):
    if maxlen is not None:
        sequences = [s[-maxlen:] for s in sequences]
    return pad_loop(sequences, maxlen, padding)


def pad_with_float_ids(sequences, maxlen=None, padding="post"):
    ids, mask = pad_loop(sequences, maxlen, padding)
    return ids.astype(np.float32), mask


def pad_transposed(sequences, maxlen=None, padding="post"):
    ids, mask = pad_loop(sequences, maxlen, padding)
    return ids.T, mask.T


PAD_MISTAKES = {   # wrong pad_batch: (the id the message names, words it must hold)
    pad_on_the_other_side: ("PADDING-WRONG-SIDE", "expected ids"),
    pad_with_an_inverted_mask: ("MASK-INVERTED", "mask returned by pad_batch"),
    pad_keeping_the_last_ids: ("TRUNCATED-WRONG-END", "maxlen="),
    pad_with_float_ids: ("PAD-IDS-NOT-INTEGERS", "dtype=np.int32"),
    pad_transposed: ("PAD-TRANSPOSED", "(batch, maxlen)"),
}


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", list(PAD_MISTAKES), ids=lambda f: f.__name__)
def test_pad_batch_mistakes_are_named(fn, hidden):
    mistake_id, words = PAD_MISTAKES[fn]
    message = fails_with(check_pad_batch, fn, f"[{mistake_id}]", words, "pad_batch",
                         "Reread: 08_text_classification, 'Padding a batch'", hidden=hidden)
    assert "GRU" not in message


def test_pad_batch_returning_one_array_is_explained():
    fails_with(check_pad_batch, lambda s, maxlen=None, padding="post": pad_loop(s, maxlen, padding)[0],
               "should return a pair (ids, mask)")


def test_ignoring_maxlen_none_is_explained():
    def fixed(sequences, maxlen=None, padding="post"):
        return pad_loop(sequences, maxlen or 10, padding)
    fails_with(check_pad_batch, fixed, "longest sequence")


# ================================================================ masked_rnn_forward

def masked_loop(x, mask, h0, kernel, recurrent_kernel, bias):
    h = np.array(h0, dtype=np.float64)
    out = np.zeros(x.shape[:2] + (h.shape[1],))
    for t in range(x.shape[1]):
        new = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        m = mask[:, t].astype(np.float64)[:, None]          # float arithmetic instead of where
        h = m * new + (1.0 - m) * h
        out[:, t] = h
    return out


def masked_per_example(x, mask, h0, kernel, recurrent_kernel, bias):
    out = []
    for b in range(x.shape[0]):                              # one example at a time, einsum
        h, states = h0[b], []
        for t in range(x.shape[1]):
            if mask[b, t]:
                h = np.tanh(np.einsum("i,iu->u", x[b, t], kernel) + h @ recurrent_kernel + bias)
            states.append(h)
        out.append(np.stack(states))
    return np.stack(out)


@pytest.mark.parametrize("fn", [masked_loop, masked_per_example])
@pytest.mark.parametrize("hidden", [False, True])
def test_correct_masked_rnn_forward_passes_quietly(fn, hidden, capsys):
    passes_quietly(check_masked_rnn_forward, fn, capsys, hidden)


def test_expected_values_are_keras_outputs():
    import keras

    from course_utils.weights import keras_layer

    probe = checks._with_keras_expected(checks._MASKED_PROBES["visible"])[2]
    x, mask, h0, *weights = probe.args
    keras_out = keras.ops.convert_to_numpy(keras_layer("simple_rnn", *weights)(x, mask=mask, initial_state=[h0]))
    assert np.abs(keras_out - probe.expected[0]).max() < 1e-6
    assert mask.dtype == bool and (~mask).any()


def masked_ignoring_the_mask(x, mask, h0, kernel, recurrent_kernel, bias):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        states.append(h)
    return np.stack(states, axis=1)


def _resetting(value):
    def wrong(x, mask, h0, kernel, recurrent_kernel, bias):
        h, states = h0, []
        for t in range(x.shape[1]):
            new = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
            h = np.where(mask[:, t, None], new, 0.0 if value == "zeros" else h0)
            states.append(h)
        return np.stack(states, axis=1)
    wrong.__name__ = f"masked_resetting_to_{value}"
    return wrong


def masked_with_the_mask_inverted(x, mask, *rest):
    return masked_loop(x, ~np.asarray(mask, dtype=bool), *rest)


def masked_returning_zeros_at_padding(x, mask, h0, kernel, recurrent_kernel, bias):
    return masked_loop(x, mask, h0, kernel, recurrent_kernel, bias) * mask[:, :, None]


def masked_returning_the_final_state(*args):
    return masked_loop(*args)[:, -1]


MASKED_MISTAKES = {   # wrong masked_rnn_forward: the id the message names
    masked_ignoring_the_mask: "MASK-IGNORED",
    _resetting("zeros"): "MASK-STATE-RESET",
    _resetting("h0"): "MASK-STATE-RESET",
    masked_with_the_mask_inverted: "MASK-INVERTED",
    masked_returning_zeros_at_padding: "MASK-OUTPUT-ZEROS",
    masked_returning_the_final_state: "RETURNS-LAST-ONLY",
}


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", list(MASKED_MISTAKES), ids=lambda f: f.__name__)
def test_masked_rnn_forward_mistakes_are_named(fn, hidden):
    fails_with(check_masked_rnn_forward, fn, f"[{MASKED_MISTAKES[fn]}]", "masked_rnn_forward",
               "case 1", hidden=hidden)


def test_mask_ignored_is_located_in_time():
    fails_with(check_masked_rnn_forward, masked_ignoring_the_mask, "the first wrong step is t=3")


def test_checker_does_not_modify_its_probes():
    before = [a.copy() for a in checks._MASKED_PROBES["visible"][0].args]

    def vandal(x, mask, h0, kernel, recurrent_kernel, bias):
        result = masked_loop(x, mask, h0, kernel, recurrent_kernel, bias)
        for a in (x, mask, h0, kernel):
            a[...] = 0
        return result
    fails_with(check_masked_rnn_forward, vandal, "[MODIFIES-INPUTS]")
    for a, b in zip(before, checks._MASKED_PROBES["visible"][0].args):
        assert np.array_equal(a, b)


# ================================================================ build_text_classifier

def functional_classifier(vocab_size, num_classes, maxlen, units=32, embedding_dim=32,
                          dropout=0.2, recurrent_dropout=0.2, mask_zero=True):
    import keras
    inputs = keras.Input(shape=(maxlen,), dtype="int32")
    h = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=mask_zero)(inputs)
    h = keras.layers.GRU(units, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         reset_after=False)(h)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(h))


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [tc.build_text_classifier, functional_classifier])
def test_correct_classifier_passes_quietly(fn, hidden, capsys):
    passes_quietly(check_build_text_classifier, fn, capsys, hidden)


def _classifier(*, mask_zero_used=None, dropout_layer=False, swap_dropout=False,
                return_sequences=False, activation="softmax", between=None):
    """A wrong build_text_classifier, written with keras.Sequential; each keyword one slip."""
    def build(vocab_size, num_classes, maxlen, units=32, embedding_dim=32,
              dropout=0.2, recurrent_dropout=0.2, mask_zero=True):
        import keras
        rates = (recurrent_dropout, dropout) if swap_dropout else (dropout, recurrent_dropout)
        layers = [keras.Input(shape=(maxlen,), dtype="int32"),
                  keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=(
                      mask_zero if mask_zero_used is None else mask_zero_used))]
        if dropout_layer:
            layers.append(keras.layers.Dropout(dropout))
            rates = (0.0, 0.0)
        if between:
            layers.append(keras.layers.Lambda(lambda h: h * 1.0))   # drops the mask
        layers += [keras.layers.GRU(units, dropout=rates[0], recurrent_dropout=rates[1],
                                    return_sequences=return_sequences),
                   keras.layers.Dense(num_classes, activation=activation)]
        return keras.Sequential(layers)
    return build


MODEL_MISTAKES = {   # label: (wrong build_text_classifier, the id its message names, hidden)
    "no mask_zero": (_classifier(mask_zero_used=False), "EMBEDDING-NO-MASK", False),
    "mask_zero=True always": (_classifier(mask_zero_used=True), "MASK-ZERO-ARGUMENT-IGNORED",
                              True),
    "Dropout layer": (_classifier(dropout_layer=True), "DROPOUT-NOT-RECURRENT", False),
    "dropouts swapped": (_classifier(swap_dropout=True), "DROPOUT-SWAPPED", False),
    "return_sequences": (_classifier(return_sequences=True), "CLASSIFIER-RETURNS-SEQUENCES",
                         False),
    "no softmax": (_classifier(activation=None), "CLASSIFIER-NO-SOFTMAX", False),
    "mask dropped": (_classifier(between="lambda"), "MASK-NOT-PROPAGATED", False),
}


@pytest.mark.parametrize("label", list(MODEL_MISTAKES))
def test_classifier_mistakes_are_named(label, keras):
    fn, mistake_id, hidden = MODEL_MISTAKES[label]
    fails_with(check_build_text_classifier, fn, f"[{mistake_id}]", "build_text_classifier(",
               "Reread: 08_text_classification, 'The classifier", hidden=hidden)


# ================================================================ the trained model

def naive_bayes_as_keras(keras, maxlen=tc.MAXLEN, prior_shift=None):
    """A Keras model that computes exactly the naive Bayes baseline's scores."""
    vocab_size = len(tc.vocabulary())
    train_ids, _, train_labels = tc.encoded_split("train")
    log_prior, log_word = tc.naive_bayes_fit(tc.bag_of_words(train_ids, vocab_size),
                                             train_labels, tc.NUM_CLASSES)
    if prior_shift is not None:
        log_prior = log_prior + prior_shift
    model = keras.Sequential([
        keras.Input(shape=(maxlen,), dtype="int32"),
        keras.layers.Embedding(vocab_size, tc.NUM_CLASSES),       # row PAD = 0
        keras.layers.GlobalAveragePooling1D(),                   # sum / maxlen
        keras.layers.Dense(tc.NUM_CLASSES, activation="softmax")])
    model.layers[0].set_weights([log_word.T.astype(np.float32)])
    model.layers[2].set_weights([maxlen * np.eye(tc.NUM_CLASSES, dtype=np.float32),
                                 log_prior.astype(np.float32)])
    return model


@pytest.mark.parametrize("hidden", [False, True])
def test_a_model_as_good_as_the_baseline_passes(keras, hidden, capsys):
    model = naive_bayes_as_keras(keras)
    split = "test" if hidden else "validation"
    ids, _, labels = tc.encoded_split(split)
    accuracy = tc.accuracy(model.predict(ids, verbose=0).argmax(1), labels)
    assert abs(accuracy - tc.baseline_accuracy(split)) < 1e-9
    passes_quietly(check_trained_text_classifier, model, capsys, hidden)


def test_a_model_that_always_answers_one_topic_fails(keras):
    shift = np.full(tc.NUM_CLASSES, 0.0)
    shift[1] = 1e4
    fails_with(check_trained_text_classifier, naive_bayes_as_keras(keras, prior_shift=shift),
               "most common topic", "bag-of-words baseline", "[CLASSIFIER-MAJORITY-ONLY]")


def test_trained_model_of_the_wrong_output_shape_is_explained(keras):
    model = keras.Sequential([keras.Input(shape=(tc.MAXLEN,), dtype="int32"),
                              keras.layers.Embedding(10_000, 3)])
    fails_with(check_trained_text_classifier, model, "should have shape")


def test_no_model_of_yours_is_explained():
    fails_with(check_trained_text_classifier, None, "no model of yours", "Exercise 3")


def test_importing_the_checkers_runs_no_tensorflow_op():
    """A grading kernel forked after the import must not inherit TensorFlow's thread pools."""
    import subprocess
    import sys
    code = ("import course_utils, sys; import course_utils.checks.text_classification as m; "
            "print(all(not p.expected for ps in m._MASKED_PROBES.values() for p in ps), "
            "'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "True"


def test_course_reference_equals_keras_on_every_probe():
    from course_utils import masking
    for mode in ("visible", "hidden"):
        for probe in checks._with_keras_expected(checks._MASKED_PROBES[mode]):
            x, mask, h0, *weights = probe.args
            own = masking.masked_rnn_forward(x.astype(float), mask, h0.astype(float),
                                             *(w.astype(float) for w in weights))
            assert np.abs(own - probe.expected[0]).max() < 1e-5

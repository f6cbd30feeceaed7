"""Checkers of 07_practice: right answers pass quietly, known mistakes are named.

Student answers below are written independently of the checker's reference:
loops, other numpy idioms, other bases, other ways of sampling, the functional
Keras API. The trained-model checker is tested with count-based Keras models
whose perplexity is known without training (an n-gram model's weights are
its log-probabilities).
"""
import json
import pathlib
import re

import numpy as np
import pytest
from check_helpers import fails_with, passes_quietly

from course_utils import language_model as lm
from course_utils.checks import _language_model as lesson
from course_utils.checks import (
    check_build_char_model,
    check_make_windows,
    check_perplexity,
    check_sample_with_temperature,
    check_trained_char_model,
)
from course_utils.checks import trained_char_model as trained
from course_utils.checks.misconceptions import ID_PATTERN
from course_utils.data import text

NOTEBOOK = pathlib.Path(__file__).parent.parent / "solutions" / "07_practice" / "07_practice.ipynb"


# ================================================================ make_windows

def windows_loop(ids, window, stride=1):
    x, y = [], []
    for s in range(0, len(ids) - window, stride):
        x.append(list(ids[s:s + window]))
        y.append([int(i) for i in ids[s + 1:s + window + 1]])
    return x, y                              # lists are fine


def windows_view(ids, window, stride=1):
    views = np.lib.stride_tricks.sliding_window_view(ids, window + 1)[::stride]
    return views[:, :-1], views[:, 1:]


@pytest.mark.parametrize("fn", [windows_loop, windows_view])
@pytest.mark.parametrize("hidden", [False, True])
def test_right_windows_pass(fn, hidden, capsys):
    passes_quietly(check_make_windows, fn, capsys, hidden)


def _windows(shift=1, width_extra=0, use_stride=True, drop_last=False, next_only=False):
    def make_windows(ids, window, stride=1):
        starts = list(range(0, len(ids) - window, stride if use_stride else 1))
        if drop_last:
            starts = starts[:-1]
        x = np.array([ids[s:s + window + width_extra] for s in starts])
        if next_only:     # the many-to-one target: only the character after the window
            return x, np.array([ids[s + window] for s in starts])
        return x, np.array([ids[s + shift:s + shift + window] for s in starts])
    return make_windows


def ids_of(message):
    return ID_PATTERN.findall(message)


WINDOW_MISTAKES = [
    (_windows(next_only=True), "WINDOW-TARGET-NEXT-ONLY"),
    (_windows(shift=0), "WINDOW-TARGET-OFF-BY-ONE"),
    (lambda ids, w, s=1: (windows_view(ids, w, s)[0], windows_view(ids, w, s)[1][:, ::-1]),
     None),
    (_windows(width_extra=1), "WINDOW-TOO-WIDE"),
    (_windows(use_stride=False), "WINDOW-STRIDE-IGNORED"),
    (_windows(drop_last=True), "WINDOW-LAST-MISSING"),
]


@pytest.mark.parametrize("fn, mistake_id, hidden",
                         [(fn, mistake_id, hidden) for fn, mistake_id in WINDOW_MISTAKES
                          for hidden in (False, True)])
def test_window_mistakes_are_named(fn, mistake_id, hidden):
    """Each known mistake is named by its id, alone; the targets reversed are no
    known mistake: the message says where they differ, and names none."""
    message = fails_with(check_make_windows, fn, "returned by make_windows", hidden=hidden)
    assert ids_of(message) == ([mistake_id] if mistake_id else []), message
    if mistake_id:
        assert "Reread: 07_practice, '" in message


def test_swapped_pair_and_extra_window_are_explained():
    fails_with(check_make_windows, lambda ids, w, s=1: windows_view(ids, w, s)[::-1],
               "returned (y, x)", "[WINDOW-PAIR-SWAPPED]")

    def one_too_many(ids, window, stride=1):
        starts = range(0, len(ids) - window + 1, stride)
        x = np.array([np.resize(ids[s:s + window], window) for s in starts])
        y = np.array([np.resize(ids[s + 1:s + window + 1], window) for s in starts])
        return x, y
    fails_with(check_make_windows, one_too_many, "one window too many", "[WINDOW-ONE-TOO-MANY]")


def test_make_windows_must_return_a_pair():
    fails_with(check_make_windows, lambda ids, w, s=1: windows_view(ids, w, s)[0],
               "should return a pair (x, y)")


# ================================================================ perplexity

def perplexity_bits(probs, targets):
    p = np.array([row[t] for row, t in zip(probs, targets)])
    return 2.0 ** (-np.log2(p).mean())


def perplexity_float32_0d(probs, targets):
    p = np.take_along_axis(np.asarray(probs, np.float32), np.asarray(targets)[:, None], axis=1)
    return np.exp(-np.mean(np.log(p)), dtype=np.float32).reshape(())


def perplexity_geometric_mean(probs, targets):
    p = probs[np.arange(len(targets)), targets].astype(np.float64)
    return 1.0 / np.prod(p) ** (1.0 / len(p))


@pytest.mark.parametrize("fn", [perplexity_bits, perplexity_float32_0d, perplexity_geometric_mean])
@pytest.mark.parametrize("hidden", [False, True])
def test_right_perplexities_pass(fn, hidden, capsys):
    passes_quietly(check_perplexity, fn, capsys, hidden)


def _picked(probs, targets):
    return probs[np.arange(len(targets)), targets]


@pytest.mark.parametrize("fn, mistake_id, fragment", [
    (lambda p, t: np.mean(-np.log(_picked(p, t))), "PERPLEXITY-NO-EXP", "the mean of -log p"),
    (lambda p, t: np.mean(-np.log2(_picked(p, t))), "PERPLEXITY-NO-EXP", "in bits"),
    (lambda p, t: np.exp(np.mean(-np.log2(_picked(p, t)))), "PERPLEXITY-MIXED-BASES",
     "log2 with np.exp"),
    (lambda p, t: 2 ** np.mean(-np.log(_picked(p, t))), "PERPLEXITY-MIXED-BASES",
     "the natural log with 2 **"),
    (lambda p, t: np.exp(np.mean(-np.log10(_picked(p, t)))), "PERPLEXITY-MIXED-BASES", "log10"),
    (lambda p, t: np.exp(np.mean(np.log(_picked(p, t)))), "PERPLEXITY-SIGN", "minus sign"),
    (lambda p, t: np.mean(1 / _picked(p, t)), "PERPLEXITY-MEAN-OF-INVERSES", "1 / p"),
    (lambda p, t: np.exp(np.sum(-np.log(_picked(p, t)))), "PERPLEXITY-SUM-NOT-MEAN", "summed"),
    (lambda p, t: np.exp(np.mean(-np.log(p))), "PERPLEXITY-ALL-PROBABILITIES", "every row"),
    (lambda p, t: np.exp(np.mean(-np.log(p[:, t]))), "PERPLEXITY-COLUMN-INDEXING",
     "probs[:, targets] picks whole columns"),
    (lambda p, t: np.exp(np.mean(-np.log(p), axis=1)), "PERPLEXITY-NOT-ONE-NUMBER", "axis=1"),
    (lambda p, t: np.exp(np.mean(-np.log(p), axis=0)), "PERPLEXITY-NOT-ONE-NUMBER", "axis=0"),
    (lambda p, t: np.exp(-np.log(_picked(p, t))), "PERPLEXITY-NOT-ONE-NUMBER",
     "One perplexity per example"),
    (lambda p, t: np.exp(np.median(-np.log(_picked(p, t)))), None, "expected"),   # unknown
])
@pytest.mark.parametrize("hidden", [False, True])
def test_perplexity_mistakes_are_named(fn, mistake_id, fragment, hidden):
    message = fails_with(check_perplexity, fn, fragment, "perplexity(probs, targets) for",
                         hidden=hidden)
    assert ids_of(message) == ([mistake_id] if mistake_id else []), message   # one diagnosis
    if mistake_id:
        assert "Reread: 07_practice, '" in message


def test_perplexity_failure_says_expected_and_got():
    message = fails_with(check_perplexity, lambda p, t: 3.0, "expected 4, got 3")
    assert "uniform guess" in message


def test_a_reassigned_numpy_cannot_make_a_wrong_perplexity_pass(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda a, b, *args, **k: np.ones_like(a, dtype=bool))
    monkeypatch.setattr(np, "abs", lambda x: 0 * x)
    fails_with(check_perplexity, lambda p, t: 1.0, "expected 4, got 1")


# ================================================================ sampling

def sample_inverse_cdf(probs, temperature, rng):
    weights = np.asarray(probs, dtype=np.float64) ** (1.0 / temperature)
    cdf = np.cumsum(weights / weights.sum())
    return int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))


def sample_naive_exp(probs, temperature, rng):
    q = np.exp(np.log(probs) / temperature)   # log(0) warns: must stay silent in the checker
    return rng.choice(len(q), p=q / q.sum())


def sample_gumbel(probs, temperature, rng):
    logits = np.log(probs) / temperature
    return int(np.argmax(logits + rng.gumbel(size=len(probs))))


@pytest.mark.parametrize("fn", [sample_inverse_cdf, sample_naive_exp, sample_gumbel,
                                lm.sample_with_temperature])
@pytest.mark.parametrize("hidden", [False, True])
def test_right_samplers_pass(fn, hidden, capsys):
    passes_quietly(check_sample_with_temperature, fn, capsys, hidden)


@pytest.mark.parametrize("burn", range(6))
def test_right_sampler_passes_whatever_random_numbers_it_consumes(burn):
    # Different correct implementations use the random stream differently; the statistical
    # test must not depend on it. (Each extra draw shifts what the sampler sees.)
    def sampler(probs, temperature, rng):
        rng.random(burn)
        return lm.sample_with_temperature(probs, temperature, rng)
    check_sample_with_temperature(sampler)
    check_sample_with_temperature(sampler, hidden=True)


def _tempered(transform):
    def sample_with_temperature(probs, temperature, rng):
        q = transform(np.asarray(probs, dtype=np.float64), temperature)
        return rng.choice(len(q), p=q / q.sum())
    return sample_with_temperature


SAMPLING_MISTAKES = [
    (_tempered(lambda p, t: p / t), "TEMPERATURE-ON-PROBS"),
    (_tempered(lambda p, t: p ** t), "TEMPERATURE-INVERTED"),
    (_tempered(lambda p, t: np.exp(p / t)), "TEMPERATURE-SOFTMAX-OF-PROBS"),
    (lambda p, t, rng: int(np.argmax(p)), "SAMPLING-GREEDY"),
    (lambda p, t, rng: int(rng.integers(len(p))), "SAMPLING-IGNORES-PROBS"),
    (_tempered(lambda p, t: p ** (2 / t)), None),       # no known mistake: the frequencies
]


@pytest.mark.parametrize("fn, mistake_id", SAMPLING_MISTAKES)
@pytest.mark.parametrize("hidden", [False, True])
def test_sampling_mistakes_are_named(fn, mistake_id, hidden):
    message = fails_with(check_sample_with_temperature, fn, "draws came out with frequencies",
                         hidden=hidden)
    assert ids_of(message) == ([mistake_id] if mistake_id else []), message


def test_sampling_must_use_the_given_generator():
    def global_random(probs, temperature, rng):
        return lm.sample_with_temperature(probs, temperature, np.random.default_rng())
    fails_with(check_sample_with_temperature, global_random, "same seed",
               "[SAMPLING-OWN-GENERATOR]", "`rng` argument")


def test_unnormalised_weights_get_a_hint():
    def unnormalised(probs, temperature, rng):
        return rng.choice(len(probs), p=np.exp(np.log(probs) / temperature))
    fails_with(check_sample_with_temperature, unnormalised, "do not sum to 1",
               "[SAMPLING-NOT-NORMALISED]", "by their sum")


@pytest.mark.parametrize("fn, fragment", [
    (lambda p, t, rng: rng.choice(len(p), size=1, p=p), "array of shape (1,)"),
    (lambda p, t, rng: lm.apply_temperature(p, t), "array of shape (4,)"),
    (lambda p, t, rng: len(p), "not a character id"),
    (lambda p, t, rng: 0.5, "return a character id"),
])
def test_sampler_must_return_one_id(fn, fragment):
    fails_with(check_sample_with_temperature, fn, fragment)


def test_a_zero_probability_is_never_drawn():
    def sometimes_zero(probs, temperature, rng):
        draw = lm.sample_with_temperature(probs, temperature, rng)
        zeros = np.flatnonzero(np.asarray(probs) == 0)
        return int(zeros[0]) if len(zeros) and rng.random() < 0.01 else draw
    fails_with(check_sample_with_temperature, sometimes_zero, "expected 0.000", hidden=True)


# ================================================================ stubs and crashes

@pytest.mark.parametrize("check", [check_make_windows, check_perplexity,
                                   check_sample_with_temperature, check_build_char_model])
def test_stubs_and_crashes_get_friendly_messages(check):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    def crash(*args, **kwargs):
        return np.ones(3) @ np.ones(4)
    fails_with(check, stub, "is not implemented yet")
    fails_with(check, crash, "raised ValueError", "line")


# ================================================================ build_char_model

def build_functional(vocab_size, window, cell="gru", units=64, embedding_dim=16):
    import keras
    inputs = keras.Input(shape=(None,))          # any length, float input: still fine
    h = keras.layers.Embedding(vocab_size, embedding_dim)(inputs)
    h = (keras.layers.GRU(units, reset_after=False, return_sequences=True) if cell == "gru"
         else keras.layers.LSTM(units, return_sequences=True))(h)
    return keras.Model(inputs, keras.layers.Dense(vocab_size, activation="softmax")(h))


@pytest.mark.parametrize("fn", [lm.build_char_model, build_functional])
@pytest.mark.parametrize("hidden", [False, True])
def test_right_models_pass(keras, fn, hidden, capsys):
    passes_quietly(check_build_char_model, fn, capsys, hidden)


def _model(keras, *, recurrent=None, dense_activation="softmax", return_sequences=True,
           embedding=True, dense_units=None, extra_layer=False, embedding_dim=None, units=None):
    def build_char_model(vocab_size, window, cell="gru", units_arg=64, embedding_dim_arg=16,
                         **kwargs):
        units_ = units or kwargs.get("units", units_arg)
        emb_dim = embedding_dim or kwargs.get("embedding_dim", embedding_dim_arg)
        layer = recurrent or {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[cell]
        layers = [keras.Input(shape=(window,) if embedding else (window, 1))]
        if embedding:
            layers.append(keras.layers.Embedding(vocab_size, emb_dim))
        if extra_layer:
            layers.append(layer(units_, return_sequences=True))
        layers.append(layer(units_, return_sequences=return_sequences))
        if dense_units != 0:
            layers.append(keras.layers.Dense(dense_units or vocab_size,
                                             activation=dense_activation))
        return keras.Sequential(layers)
    return build_char_model


@pytest.mark.parametrize("options, mistake_id, fragment", [
    (dict(return_sequences=False), "PER-STEP-NO-RETURN-SEQUENCES", "return_sequences=True"),
    (dict(dense_activation=None), "OUTPUT-NO-SOFTMAX", "not probabilities"),
    (dict(dense_units=0), "CHAR-MODEL-NO-OUTPUT-LAYER", "add the output layer"),
    (dict(dense_units=5), "OUTPUT-UNITS-WRONG", "one unit per character"),
    (dict(embedding=False), "CHAR-MODEL-NO-EMBEDDING", "no Embedding layer"),
    (dict(embedding_dim=2), "CHAR-MODEL-EMBEDDING-SIZE",
     "expected Embedding(vocab_size=7, embedding_dim=3)"),
    (dict(units=5), "KERAS-UNITS-ARGUMENT", "expected units=4"),
    (dict(extra_layer=True), "MODEL-EXTRA-LAYERS", "parameters, expected"),
    (dict(recurrent="SimpleRNN"), "CELL-ARGUMENT-IGNORED", "expected a keras.layers.GRU layer"),
])
def test_model_mistakes_are_explained(keras, options, mistake_id, fragment):
    if options.get("recurrent") == "SimpleRNN":
        options = dict(options, recurrent=keras.layers.SimpleRNN)
    message = fails_with(check_build_char_model, _model(keras, **options), fragment,
                         "build_char_model(", "Reread: 07_practice, '")
    assert ids_of(message) == [mistake_id], message


def test_model_must_follow_the_cell_argument(keras):
    always_gru = _model(keras, recurrent=keras.layers.GRU)
    fails_with(check_build_char_model, always_gru, "cell='lstm'", "found recurrent layers: GRU",
               "[CELL-ARGUMENT-IGNORED]")


def test_build_must_return_a_model():
    fails_with(check_build_char_model, lambda *a, **k: "a model", "returned str")


# ================================================================ the trained model

def ngram_model(keras, ids, order, *, smoothing=0.05, constant=False):
    """A Keras model whose output is an n-gram model's distribution (no training needed).

    order 1 = unigram (the same distribution whatever the input), 2 = bigram, 3 = trigram.
    The context of the last ``order - 1`` characters is one index into an Embedding
    table that holds the log-probabilities; the softmax turns them back into probabilities.
    """
    V = text.VOCAB_SIZE
    context_size = V ** (order - 1)
    counts = np.full((context_size, V), smoothing)
    context = np.zeros(len(ids) - order + 1, dtype=np.int64)
    for k in range(order - 1):
        context = context * V + ids[k:len(ids) - order + 1 + k]
    np.add.at(counts, (context, ids[order - 1:]), 1.0)
    log_p = np.log(counts / counts.sum(axis=1, keepdims=True))

    def context_index(x):
        """At every position t, the index of the characters x[t-order+2 .. t] (id 0, the
        newline, before the start of the window): (batch, window)."""
        window = x.shape[1]
        index = keras.ops.zeros_like(x)
        for k in range(order - 2, -1, -1):                 # k characters back
            earlier = keras.ops.pad(x, [[0, 0], [k, 0]])[:, :window]
            index = index * V + earlier
        return index

    inputs = keras.Input(shape=(lm.WINDOW,), dtype="int32")
    table = keras.layers.Embedding(context_size, V)
    logits = table(keras.layers.Lambda(context_index)(inputs))
    model = keras.Model(inputs, keras.layers.Activation("softmax")(logits))
    table.set_weights([log_p])
    return model


@pytest.fixture(scope="module")
def train_ids():
    return text.encode(text.load_corpus()[0])


@pytest.mark.parametrize("hidden", [False, True])
def test_a_good_model_passes(keras, train_ids, hidden, capsys):
    trigram = ngram_model(keras, train_ids, 3)
    passes_quietly(check_trained_char_model, trigram, capsys, hidden)


@pytest.mark.parametrize("hidden", [False, True])
def test_a_bigram_model_does_not_reach_the_bar(keras, train_ids, hidden):
    message = fails_with(check_trained_char_model, ngram_model(keras, train_ids, 2),
                         "not by enough", "[TRAINED-MODEL-BELOW-BAR]",
                         "Reread: 07_practice, 'Training'", hidden=hidden)
    got, bar = (float(re.search(pattern, message).group(1))
                for pattern in (r"perplexity ([0-9.]+) on", r"= ([0-9.]+)\."))
    assert bar < got < 1.3 * bar     # fails clearly but not absurdly


def test_a_context_free_model_is_recognised(keras, train_ids):
    fails_with(check_trained_char_model, ngram_model(keras, train_ids, 1),
               "almost the same distribution whatever it reads", "[TRAINED-MODEL-NO-CONTEXT]")


def test_an_untrained_model_is_recognised(keras):
    keras.utils.set_random_seed(0)
    untrained = lm.build_char_model(text.VOCAB_SIZE, lm.WINDOW)
    fails_with(check_trained_char_model, untrained, "no better than guessing uniformly",
               "has the model been trained", "[TRAINED-MODEL-UNTRAINED]")


def test_trained_model_output_problems_are_explained(keras):
    keras.utils.set_random_seed(0)
    base = dict(vocab_size=text.VOCAB_SIZE, window=lm.WINDOW, units=4, embedding_dim=2)
    fails_with(check_trained_char_model, _model(keras, dense_activation=None)(**base),
               "not probabilities", "softmax", "[OUTPUT-NO-SOFTMAX]")
    fails_with(check_trained_char_model, _model(keras, return_sequences=False)(**base),
               "give it return_sequences=True", "[PER-STEP-NO-RETURN-SEQUENCES]")
    fails_with(check_trained_char_model, "not a model", "expected the trained Keras model")
    fails_with(check_trained_char_model, None, "no model of yours to grade", "Exercise 3",
               "[TRAINED-MODEL-MISSING]")


def test_the_bar_is_derived_from_the_unigram_baseline():
    x, y, baseline = trained.evaluation_data(lm.WINDOW, False)
    assert x.shape == y.shape and y.shape[1] == lm.WINDOW    # every position is a target
    unigram = lm.unigram_probabilities(text.encode(text.load_corpus()[0]), text.VOCAB_SIZE)
    assert baseline == pytest.approx(lm.perplexity(np.tile(unigram, (y.size, 1)), y.reshape(-1)))
    assert 15 < baseline < 30     # lower-case English characters
    hidden_x, hidden_y, _ = trained.evaluation_data(lm.WINDOW, True)
    assert hidden_y.size > 1.5 * y.size
    assert not np.array_equal(hidden_x[:len(x)], x)          # other windows


# ================================================================ the lesson

def test_the_sections_that_hints_name_are_headings_of_the_lesson():
    notebook = json.loads(NOTEBOOK.read_text())
    headings = {line.lstrip("#").strip()
                for cell in notebook["cells"] if cell["cell_type"] == "markdown"
                for line in "".join(cell["source"]).splitlines() if line.startswith("#")}
    assert set(lesson.SECTIONS.values()) <= headings


def test_the_lesson_states_the_bar_that_the_checker_uses():
    source = NOTEBOOK.read_text()
    assert f"{trained.TARGET_FRACTION:.0%} of the unigram".replace("%", " %") in source


def test_the_notebook_reads_the_bar_where_it_always_did():
    from course_utils.checks.language_model import TARGET_FRACTION
    assert TARGET_FRACTION == trained.TARGET_FRACTION

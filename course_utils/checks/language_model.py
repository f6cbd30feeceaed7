"""Checkers for 07_practice, a character-level language model.

Exercises (student functions)::

    make_windows(ids, window, stride)                 -> x (n, window), y (n, window)
    perplexity(probs, targets)                        -> float
    build_char_model(vocab_size, window, cell, units, embedding_dim)
                                                      -> keras model, (batch, window, vocab) out
    sample_with_temperature(probs, temperature, rng)  -> int

and the graded result of training: ``check_trained_char_model(model)`` measures the
validation perplexity of the student's trained model itself (every position of
every window is a target, as in training) and compares it with a bar derived
from the unigram baseline, both computed here from ``course_utils.data.text``
(not from anything the notebook computed). A trained model is judged only
through Keras's public API: its input shape and the predictions computed here.

Expected values come from ``course_utils.language_model``. Known mistakes are
recognised by comparing the student's output with the output of each wrong
variant on the same probe (never by reading source); none of them is in
COURSE.md section 4, so each is explained in a sentence, without an id.
Numpy functions are captured when this module is imported, and the expected
answers of the numpy exercises are computed then, before any student cell runs.
"""
import functools
import logging

import numpy as np

from .. import language_model as reference
from ..data import text
from ._core import StudentCodeError, call_student, checker, compare, matches, passed, to_array

__all__ = ["check_make_windows", "check_perplexity", "check_build_char_model",
           "check_trained_char_model", "check_sample_with_temperature"]

_LESSON = "07_practice"
SECTIONS = {  # headings of the lesson that the hints send the student back to
    "windows": "Windows: from text to training examples",
    "perplexity": "Perplexity",
    "model": "The model: embedding, GRU, softmax at every step",
    "training": "Training",
    "temperature": "Sampling with temperature",
}
DIAGNOSIS_ATOL = 1e-4

# Captured at import time: a student cell that reassigns np.log cannot change our answers.
_array, _asarray, _log, _exp, _sqrt = np.array, np.asarray, np.log, np.exp, np.sqrt
_abs, _bincount, _isfinite, _arange = np.abs, np.bincount, np.isfinite, np.arange
_default_rng, _errstate, _float64 = np.random.default_rng, np.errstate, np.float64


def _reread(section):
    return f"(Reread: {_LESSON}, '{SECTIONS[section]}'.)"


def _mistake(sentence, section):
    return f"Likely mistake: {sentence} {_reread(section)}"


def _same(got, candidate, atol=DIAGNOSIS_ATOL):
    """``_core.matches`` that also takes single numbers (0-d arrays)."""
    got, candidate = _asarray(got, dtype=_float64), _asarray(candidate, dtype=_float64)
    if got.shape != candidate.shape:
        return False
    return matches(got.reshape(-1), candidate.reshape(-1), atol)


def _same_relative(got, candidate, rtol=DIAGNOSIS_ATOL):
    """``_same`` with a tolerance relative to the candidate's size (perplexities can be huge)."""
    scale = _abs(_asarray(candidate, dtype=_float64))
    scale = scale[_isfinite(scale)].max(initial=1.0)
    return _same(got, candidate, rtol * max(1.0, scale))


_checker = checker  # short tracebacks: see _core.checker


def _explain(what, got, expected, *, variants=(), context="", atol):
    """``compare`` plus the sentences of the known mistakes that ``got`` reproduces.

    ``variants`` is a sequence of ``(sentence, output)``; a variant equal to the
    right answer on this probe says nothing and is skipped.
    """
    exp = _asarray(expected, dtype=_float64)
    got_arr = to_array(got, what)
    try:
        compare(what, got_arr, exp, atol=atol, context=context)
    except AssertionError as err:
        hints = [sentence for sentence, output in variants
                 if not _same(exp, output)
                 and _same(got_arr, output, max(DIAGNOSIS_ATOL, atol))]
        raise AssertionError("\n".join([str(err)] + hints)) from None


def _shape(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


# ================================================================ exercise 1: make_windows

_WINDOWS = {
    "next_only": _mistake(
        "each target is only the character after the window, ids[s + window], one per window. "
        "Here every position is a target: y[i] = ids[s + 1 : s + window + 1], the window "
        "shifted by one character, shaped like x.", "windows"),
    "not_shifted": _mistake(
        "the targets are the windows themselves, ids[s : s + window]; shift them by one "
        "character, ids[s + 1 : s + window + 1], so that y[i, t] is the character AFTER x[i, t]. "
        "(A model trained that way only learns to copy its input.)", "windows"),
    "target_inside": _mistake(
        "each window holds window + 1 characters: x[i] is ids[s : s + window] (the slice end is "
        "excluded) and y[i] = ids[s + 1 : s + window + 1].", "windows"),
    "no_stride": _mistake(
        "stride was ignored: there is a window at every position. Windows start at "
        "0, stride, 2 * stride, ...; range(0, len(ids) - window, stride) lists the starts.",
        "windows"),
    "one_short": _mistake(
        "the last window is missing. The last start s is the largest one with "
        "s + window < len(ids), i.e. with its target still inside ids; "
        "range(0, len(ids) - window, stride) includes it.", "windows"),
}


def _window_variants(ids, window, stride):
    """``(x_variants, y_variants)``: what each known mistake returns on this probe."""
    starts = list(range(0, len(ids) - window, stride))
    every = list(range(0, len(ids) - window))

    def stack(rows, width):
        return _array([ids[s:s + width] for s in rows]).reshape(len(rows), width)

    def shifted(rows, shift):
        return _array([ids[s + shift:s + shift + window] for s in rows]).reshape(len(rows),
                                                                                  window)

    xs = [(_WINDOWS["target_inside"], stack(starts, window + 1)),
          (_WINDOWS["no_stride"], stack(every, window)),
          (_WINDOWS["one_short"], stack(starts[:-1], window))]
    ys = [(_WINDOWS["next_only"], _array([ids[s + window] for s in starts])),
          (_WINDOWS["not_shifted"], stack(starts, window)),
          (_WINDOWS["no_stride"], shifted(every, 1)),
          (_WINDOWS["one_short"], shifted(starts[:-1], 1))]
    return xs, ys


def _windows_probe(ids, window, stride):
    ids = _asarray(ids, dtype=np.int64)
    x, y = reference.make_windows(ids, window, stride)
    shown = f"ids={ids.tolist()}" if len(ids) <= 12 else f"len(ids)={len(ids)}"
    context = f"{shown}, window={window}, stride={stride}"
    return (ids, window, stride), (x, y), _window_variants(ids, window, stride), context


def _windows_probes(hidden):
    if not hidden:  # ids 0, 1, 2, ...: every target is visibly "the next number"
        cases = [(np.arange(10), 3, 1), (np.arange(12), 4, 3)]
    else:
        rng = _default_rng(707)
        cases = [(rng.integers(0, 53, size=40), 5, 1),
                 (rng.integers(0, 53, size=50), 10, 7),
                 (rng.integers(0, 53, size=9), 8, 1),      # exactly one window
                 (rng.integers(0, 53, size=30), 1, 4),     # window of one character
                 (rng.integers(0, 53, size=31), 6, 6),     # stride == window
                 (rng.integers(0, 53, size=26), 3, 11)]    # stride > window
    return [_windows_probe(*case) for case in cases]


_WINDOWS_PROBES = {hidden: _windows_probes(hidden) for hidden in (False, True)}


def _pair(result, name):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        kind = type(result).__name__
        raise AssertionError(f"{name} should return a pair (x, y), but it returned {kind}"
                             + (f" of length {len(result)}" if hasattr(result, "__len__") else "")
                             + ". End with `return x, y`.")
    return result


def _check_windows_probe(fn, args, expected, variants, context):
    ids, window, stride = args
    got_x, got_y = _pair(call_student(fn, ids, window, stride, name="make_windows"),
                         "make_windows")
    x, y = expected
    gx, gy = to_array(got_x, "x"), to_array(got_y, "y")
    if gx.shape == y.shape and gy.shape == x.shape and not matches(x, y) \
            and matches(gx, y) and matches(gy, x):
        raise AssertionError("make_windows returned (y, x): return the windows first and the "
                             "targets second, `return x, y`.")
    x_variants, y_variants = variants
    if gx.ndim == 2 and gx.shape[0] == x.shape[0] + 1 and matches(gx[:-1], x):
        raise AssertionError(
            f"x, the windows returned by make_windows for {context}: expected shape "
            f"{_shape(x.shape)}, got {_shape(gx.shape)}, one window too many. The last window "
            f"must still have its target inside ids: starts s with s + window < len(ids).")
    _explain("x, the windows returned by make_windows", gx, x, variants=x_variants,
             context=context, atol=1e-9)
    _explain("y, the targets returned by make_windows", gy, y, variants=y_variants,
             context=context, atol=1e-9)


@_checker
def check_make_windows(fn, *, hidden=False):
    """Check ``make_windows(ids, window, stride) -> (x (n, window), y (n,))``."""
    probes = _WINDOWS_PROBES[bool(hidden)]
    for probe in probes:
        _check_windows_probe(fn, *probe)
    if hidden:
        passed(f"make_windows matches the reference on {len(probes)} random cases (one window, "
               "window 1, stride equal to and larger than the window).")
    else:
        passed("make_windows: x[i] = ids[s:s+window] and y[i] = ids[s+1:s+window+1] (the window "
               f"shifted by one) for s = 0, stride, 2*stride, ... ({len(probes)} small cases).")


# ================================================================ exercise 2: perplexity

def _perplexity_variants(probs, targets):
    """``[(sentence, output)]`` for the known mistakes, on this probe."""
    p = _asarray(probs, dtype=_float64)
    t = _asarray(targets)
    rows = _arange(len(t))
    with _errstate(all="ignore"):
        nll = -_log(p[rows, t])                 # (batch,) negative log-likelihood, nats
        bits = nll / _log(2.0)
        all_nll = -_log(p)
        return [
            (_mistake("you returned the cross-entropy (the mean of -log p), not the perplexity: "
                      "the last step is np.exp of that mean.", "perplexity"), nll.mean()),
            (_mistake("you returned the cross-entropy in bits (mean of -log2 p) without turning "
                      "it into a perplexity: 2 ** (mean of -log2 p) would be right.",
                      "perplexity"), bits.mean()),
            (_mistake("the logarithm and the exponential have different bases: log2 with np.exp. "
                      "Use the natural log with np.exp (or log2 with 2 **).", "perplexity"),
             _exp(bits.mean())),
            (_mistake("the logarithm and the exponential have different bases: the natural log "
                      "with 2 **. Use np.log with np.exp (or np.log2 with 2 **).", "perplexity"),
             2.0 ** nll.mean()),
            (_mistake("you used log10; perplexity is np.exp of the mean NATURAL log (np.log).",
                      "perplexity"), _exp(nll.mean() / _log(10.0))),
            (_mistake("the minus sign is missing: exp(mean(log p)) is 1 / perplexity, a number "
                      "below 1. Perplexity is exp(-mean(log p)).", "perplexity"),
             _exp(-nll.mean())),
            (_mistake("you averaged the per-character perplexities 1 / p. Average the log "
                      "probabilities first, then take exp once: exp(-mean(log p)).",
                      "perplexity"), (1.0 / p[rows, t]).mean()),
            (_mistake("you summed the log probabilities instead of averaging them: the result "
                      "grows with the number of characters. Use the mean.", "perplexity"),
             _exp(nll.sum())),
            (_mistake("you averaged -log p over ALL the probabilities of every row, not only over "
                      "the probability of each row's target: pick probs[i, targets[i]] first "
                      "(probs[np.arange(batch), targets]).", "perplexity"),
             _exp(all_nll.mean())),
            (_mistake("probs[:, targets] picks whole columns (a (batch, batch) array), not one "
                      "entry per row; use probs[np.arange(batch), targets].", "perplexity"),
             _exp(all_nll[:, t].mean())),
            (_mistake("you averaged over the vocabulary axis (axis=1) and kept one value per "
                      "example; average -log probs[i, targets[i]] over the examples instead.",
                      "perplexity"), _exp(all_nll.mean(axis=1))),
            (_mistake("you averaged over the batch axis (axis=0) and kept one value per "
                      "character of the vocabulary; average -log probs[i, targets[i]] over the "
                      "examples instead.", "perplexity"), _exp(all_nll.mean(axis=0))),
            (_mistake("you returned one perplexity per example; average the log probabilities "
                      "over the examples, then take exp once, to get a single number.",
                      "perplexity"), _exp(nll)),
        ]


def _check_scalar(what, got, expected, *, hints, context):
    """Assert that ``got`` is the single number ``expected``; explain otherwise
    (``_core.compare`` reports an index, which a single number does not have)."""
    if got.size != 1:
        raise AssertionError("\n".join(
            [f"{what} for {context}: expected a single number, got an array of shape "
             f"{_shape(got.shape)}."] + hints))
    value = float(got.reshape(()))
    atol = 1e-6 * max(1.0, expected)
    if not abs(value - expected) <= atol:       # NaN fails too
        raise AssertionError("\n".join(
            [f"{what} for {context}: expected {expected:.6g}, got {value:.6g} (abs error "
             f"{abs(value - expected):.3g}, tolerance {atol:.1g})."] + hints))


def _softmax_rows(logits):
    e = _exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _perplexity_probe(probs, targets):
    probs = _asarray(probs)
    targets = _asarray(targets, dtype=np.int64)
    batch, vocab = probs.shape
    uniform = " (all equal: a uniform guess)" if (probs == probs.flat[0]).all() else ""
    context = (f"probs of shape ({batch}, {vocab}){uniform}, targets {targets.tolist()[:8]}"
               + ("..." if batch > 8 else ""))
    return ((probs, targets), reference.perplexity(probs, targets),
            _perplexity_variants(probs, targets), context)


def _perplexity_probes(hidden):
    if not hidden:
        cases = [
            (np.full((3, 4), 0.25), [0, 3, 1]),            # uniform over 4 characters: 4
            (np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1],
                       [0.2, 0.2, 0.6], [0.7, 0.1, 0.2]]), [0, 1, 2, 1]),
        ]
    else:
        rng = _default_rng(717)

        def random_case(batch, vocab, scale=1.5, dtype=np.float64):
            probs = _softmax_rows(rng.normal(scale=scale, size=(batch, vocab))).astype(dtype)
            return probs, rng.integers(0, vocab, size=batch)

        cases = [random_case(1, 5), random_case(7, 3), random_case(5, 5),
                 random_case(64, 53, scale=3.0, dtype=np.float32),   # a model's float32 output
                 random_case(10, 2, scale=4.0)]
    return [_perplexity_probe(*case) for case in cases]


_PERPLEXITY_PROBES = {hidden: _perplexity_probes(hidden) for hidden in (False, True)}


@_checker
def check_perplexity(fn, *, hidden=False):
    """Check ``perplexity(probs (batch, vocab), targets (batch,)) -> float``."""
    probes = _PERPLEXITY_PROBES[bool(hidden)]
    answers = [to_array(call_student(fn, *args, name="perplexity"), "the perplexity")
               for args, *_ in probes]
    for got, (args, expected, variants, context) in zip(answers, probes):
        if _same(got, expected, 1e-6 * max(1.0, expected)):
            continue
        # Name a mistake only if it explains the answers to every probe (but those that
        # overflowed: exp of a sum is inf in float32 and finite in our float64).
        finite = [(g, p) for g, p in zip(answers, probes) if _isfinite(g).all()]
        hints = [sentence for k, (sentence, _) in enumerate(variants)
                 if finite and all(_same_relative(g, p[2][k][1]) for g, p in finite)]
        _check_scalar("the perplexity", got, expected, hints=hints, context=context)
    if hidden:
        passed(f"perplexity matches the reference on {len(probes)} random cases (batch 1, "
               "vocab 2 to 53, float32 probabilities).")
    else:
        passed("perplexity: 4.0 for a uniform guess among 4 characters, and "
               "exp(-mean(log p[target])) on a small case.")


# ================================================================ exercise 3: build_char_model

_MODEL_CASES = {
    False: [dict(vocab_size=7, window=5, cell="gru", units=4, embedding_dim=3),
            dict(vocab_size=7, window=5, cell="lstm", units=4, embedding_dim=3)],
    True: [dict(vocab_size=11, window=1, cell="lstm", units=1, embedding_dim=2),
           dict(vocab_size=3, window=9, cell="gru", units=6, embedding_dim=5),
           dict(vocab_size=53, window=24, cell="gru", units=8, embedding_dim=16)],
}


def _describe_model(model):
    return ", ".join(f"{type(layer).__name__}" for layer in model.layers)


def _check_built_model(model, case):
    import keras

    vocab, window, cell, units, embedding = (case[k] for k in
                                             ("vocab_size", "window", "cell", "units",
                                              "embedding_dim"))
    args = ", ".join(f"{k}={v!r}" for k, v in case.items())
    where = f"build_char_model({args})"
    if not isinstance(model, keras.Model):
        raise AssertionError(f"{where} returned {type(model).__name__}; return the Keras model, "
                             f"e.g. `return keras.Sequential([...])`.")
    x = _default_rng(7).integers(0, vocab, size=(2, window)).astype(np.int32)
    out = call_student(lambda: keras.ops.convert_to_numpy(model(x, training=False)),
                       name=f"the model of {where}, called on a batch of shape (2, {window}),")
    out = to_array(out, "the model's output")
    expected_shape = (2, window, vocab)
    if out.shape != expected_shape:
        if out.shape == (2, vocab):
            hint = ("The recurrent layer returns only its last state (return_sequences=False, "
                    "the default), so the model predicts once per window. Here the model "
                    "predicts after EVERY character of the window: give the recurrent layer "
                    "return_sequences=True.")
        elif out.shape in ((2, window, units), (2, units)):
            hint = ("That is the recurrent layer's state: add the output layer "
                    "keras.layers.Dense(vocab_size, activation='softmax')"
                    + (" and give the recurrent layer return_sequences=True." if len(out.shape) == 2
                       else "."))
        elif len(out.shape) == 3 and out.shape[:2] == (2, window):
            hint = "The last Dense layer needs one unit per character: Dense(vocab_size, ...)."
        else:
            hint = f"The layers are: {_describe_model(model)}."
        raise AssertionError(f"{where}: the model's output for a batch of shape (2, {window}) "
                             f"should have shape {_shape(expected_shape)} (batch, window, "
                             f"vocab_size): after every character, a probability for every "
                             f"character of the vocabulary to come next. It has shape "
                             f"{_shape(out.shape)}. {hint} {_reread('model')}")
    if not _isfinite(out).all() or (out < -1e-6).any() or \
            (_abs(out.sum(axis=-1) - 1.0) > 1e-4).any():
        raise AssertionError(
            f"{where}: the model's outputs are not probabilities (each row should be >= 0 and "
            f"sum to 1; the first row sums to {out[0, 0].sum():.4g}). Give the last layer "
            f"activation='softmax'. {_reread('model')}")

    embeddings = [layer for layer in model.layers if isinstance(layer, keras.layers.Embedding)]
    wanted = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[cell]
    recurrent = [layer for layer in model.layers if isinstance(layer, keras.layers.RNN)]
    if not embeddings:
        raise AssertionError(f"{where}: the model has no Embedding layer (its layers: "
                             f"{_describe_model(model)}). The first layer turns each character "
                             f"id into a vector: keras.layers.Embedding(vocab_size, "
                             f"embedding_dim). {_reread('model')}")
    emb = embeddings[0]
    if emb.input_dim != vocab or emb.output_dim != embedding:
        raise AssertionError(f"{where}: the Embedding layer is Embedding({emb.input_dim}, "
                             f"{emb.output_dim}); expected Embedding(vocab_size={vocab}, "
                             f"embedding_dim={embedding}). {_reread('model')}")
    if not any(isinstance(layer, wanted) for layer in recurrent):
        found = ", ".join(type(layer).__name__ for layer in recurrent) or "none"
        raise AssertionError(f"{where}: expected a keras.layers.{wanted.__name__} layer for "
                             f"cell={cell!r}, found recurrent layers: {found}. Choose the layer "
                             f"from the `cell` argument. {_reread('model')}")
    layer = next(layer for layer in recurrent if isinstance(layer, wanted))
    if layer.units != units:
        raise AssertionError(f"{where}: the {wanted.__name__} layer has {layer.units} units; "
                             f"expected units={units}. {_reread('model')}")
    expected = {reference.char_model_param_count(vocab, cell, units, embedding)}
    if cell == "gru":  # reset_after=False (one bias row) is a GRU too
        expected.add(min(expected) - 3 * units)
    if model.count_params() not in expected:
        counts = ", ".join(f"{type(lay).__name__} {lay.count_params()}" for lay in model.layers)
        raise AssertionError(
            f"{where}: the model has {model.count_params()} parameters, expected "
            f"{min(expected)} for Embedding -> {wanted.__name__} -> Dense softmax and nothing "
            f"else. Its layers: {counts}. {_reread('model')}")


@_checker
def check_build_char_model(fn, *, hidden=False):
    """Check ``build_char_model(vocab_size, window, cell, units, embedding_dim) -> keras model``."""
    cases = _MODEL_CASES[bool(hidden)]
    for case in cases:
        model = call_student(fn, **case, name="build_char_model")
        _check_built_model(model, case)
    if hidden:
        passed(f"build_char_model builds the right layers on {len(cases)} more cases "
               "(window 1, one unit, vocab_size < units, GRU and LSTM).")
    else:
        passed("build_char_model: Embedding -> GRU or LSTM (as asked, return_sequences=True) -> "
               "Dense softmax, output (batch, window, vocab_size) probabilities, parameter count "
               "as expected.")


# ================================================================ the trained model

# The bar: 40 % of the unigram baseline's perplexity (the bigram model, which reads one
# character of context, gets about 52 %: the model must use more than the last character),
# with a tolerance of 5 % of the bar. Every position of every window is a target, as in
# training: the visible test reads the validation text in consecutive windows, the hidden
# test in windows that start half a window later and overlap.
TARGET_FRACTION = 0.4
TOLERANCE = 0.05


def _evaluation_setting(window, hidden):
    if hidden:
        return dict(stride=max(1, window // 2), offset=max(1, window // 2) + 3)
    return dict(stride=window, offset=0)


@functools.lru_cache(maxsize=4)
def _evaluation_data(window, hidden):
    """Validation windows ``x`` (n, window), their shifted targets ``y`` (n, window), and the
    unigram baseline's perplexity on the same targets."""
    train_text, validation_text = text.load_corpus()
    train_ids, validation_ids = text.encode(train_text), text.encode(validation_text)
    setting = _evaluation_setting(window, hidden)
    x, y = reference.make_windows(validation_ids[setting["offset"]:], window, setting["stride"])
    unigram = reference.unigram_probabilities(train_ids, text.VOCAB_SIZE)
    baseline = float(_exp(-_log(unigram[y]).mean()))
    return x, y, baseline


def _model_window(model):
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, list):
        shape = shape[0]
    if shape is None or len(shape) != 2:
        raise AssertionError(f"the model should take windows of character ids, shape (batch, "
                             f"window); its input shape is {shape}.")
    return shape[1] or reference.WINDOW


def _predict(model, x):
    """The model's output on ``x``, with TensorFlow's Python logger quiet: ``predict``
    may log a "retracing" warning on stderr, which would zero the test cell."""
    import keras

    def run():
        logger = logging.getLogger("tensorflow")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            return keras.ops.convert_to_numpy(model.predict(x, batch_size=1024, verbose=0))
        finally:
            logger.setLevel(level)
    run.__name__ = "your model"
    return to_array(call_student(run, name="your model"), "the model's predictions")


@_checker
def check_trained_char_model(model, *, hidden=False):
    """Check the validation perplexity of a trained model (input (batch, window) ids,
    output (batch, window, vocab) probabilities, every position a target) against 40 % of
    the unigram baseline's."""
    if model is None:
        raise AssertionError(
            "there is no model of yours to grade: your build_char_model (Exercise 3) did not "
            "build a model with output (batch, window, vocab_size), so the lesson trained the "
            f"course's model instead. Finish Exercise 3 and run the training cell again. "
            f"{_reread('training')}")
    if not hasattr(model, "predict"):
        raise AssertionError(f"expected the trained Keras model, got {type(model).__name__}.")
    window = _model_window(model)
    x, y, baseline = _evaluation_data(window, bool(hidden))
    probs = _predict(model, x)
    vocab = text.VOCAB_SIZE
    if probs.shape != (len(x), window, vocab):
        hint = ("The recurrent layer returns only its last state: give it "
                "return_sequences=True, so that the model predicts after every character. "
                if probs.shape == (len(x), vocab) else "")
        raise AssertionError(f"the model's output for {len(x)} windows of {window} characters "
                             f"should have shape ({len(x)}, {window}, {vocab}) (after every "
                             f"character, one probability per character of the vocabulary), "
                             f"but it has shape {_shape(probs.shape)}. {hint}"
                             f"{_reread('model')}")
    if not _isfinite(probs).all() or (probs < 0).any() or \
            (_abs(probs.sum(axis=-1) - 1.0) > 1e-3).any():
        raise AssertionError("the model's outputs are not probabilities (rows should be >= 0 "
                             "and sum to 1): give the last layer activation='softmax'. "
                             f"{_reread('model')}")
    probs, y = probs.reshape(-1, vocab), y.reshape(-1)      # every position is a target
    with _errstate(all="ignore"):
        value = float(_exp(-_log(probs[_arange(len(y)), y]).mean()))
    target = TARGET_FRACTION * baseline
    accepted = target * (1 + TOLERANCE)
    where = (f"on {len(y)} characters of validation text ({len(x)} windows of {window}; the "
             f"unigram baseline scores {baseline:.2f} on the same characters)")
    if not value <= accepted:
        hints = []
        spread = probs.std(axis=0).max()
        if value >= 0.9 * vocab:
            hints.append(f"That is no better than guessing uniformly among the {vocab} "
                         "characters: has the model been trained? Run the training cell, and "
                         "check that its learning curve goes down.")
        elif spread < 0.01:
            hints.append("The model predicts almost the same distribution whatever it reads: it "
                         "learned how frequent each character is, not how the context changes "
                         "the next one. Check that the recurrent layer sees the embedded "
                         "characters.")
        else:
            hints.append("It beats the baseline, but not by enough: check that your model is "
                         "the one of Exercise 3 (units, embedding size, return_sequences=True) "
                         "and that the training cell ran to the end. (Grading always trains "
                         "with the short setting, whatever TRAIN_LONGER says.)")
        raise AssertionError(f"validation perplexity {value:.2f} {where}: expected at most "
                             f"{target:.2f} ({TARGET_FRACTION:.0%} of the baseline) + "
                             f"{TOLERANCE:.0%} = {accepted:.2f}. " + " ".join(hints)
                             + f" {_reread('training')}")
    passed(f"validation perplexity {value:.2f} on {len(y)} characters ({len(x)} windows): below "
           f"the bar {target:.2f} ({TARGET_FRACTION:.0%} of the unigram baseline's "
           f"{baseline:.2f}).")


# ================================================================ exercise 4: sampling

DRAWS = 2000         # draws per probe
Z_LIMIT = 5.5        # a correct sampler fails a probe with probability < 1e-6

_SAMPLING = {
    "divided_probs": _mistake(
        "the temperature has no effect: your draws follow the original probabilities, which is "
        "what dividing the probabilities by T gives (renormalising cancels the T). Divide the "
        "log-probabilities: softmax(log(p) / T), i.e. p ** (1 / T) renormalised.", "temperature"),
    "inverted": _mistake(
        "the temperature acts the wrong way round (T < 1 flattens, T > 1 sharpens): you "
        "multiplied the log-probabilities by T (p ** T). Divide them: log(p) / T.", "temperature"),
    "softmax_of_probs": _mistake(
        "the softmax was applied to p / T, the probabilities themselves; apply it to the "
        "log-probabilities, softmax(np.log(p) / T).", "temperature"),
    "greedy": _mistake(
        "you always returned the most likely character (greedy decoding, the limit T -> 0). "
        "Draw at random from the rescaled probabilities, e.g. rng.choice(len(q), p=q).",
        "temperature"),
    "uniform": _mistake(
        "every character came out about equally often: the probabilities were not used. Pass "
        "them to the draw: rng.choice(len(q), p=q).", "temperature"),
}


def _sampling_variants(probs, temperature):
    p = _asarray(probs, dtype=_float64)
    greedy = np.zeros_like(p)
    greedy[p.argmax()] = 1.0
    return [(_SAMPLING["divided_probs"], p / p.sum()),
            (_SAMPLING["inverted"], reference.apply_temperature(p, 1.0 / temperature)),
            (_SAMPLING["softmax_of_probs"], _softmax_rows((p / temperature)[None])[0]),
            (_SAMPLING["greedy"], greedy),
            (_SAMPLING["uniform"], np.full_like(p, 1.0 / len(p)))]


def _sampling_probe(probs, temperature, seed):
    expected = reference.apply_temperature(_asarray(probs, dtype=_float64), temperature)
    return probs, temperature, seed, expected, _sampling_variants(probs, temperature)


def _sampling_probes(hidden):
    if not hidden:
        p = np.array([0.5, 0.25, 0.15, 0.1])
        cases = [(p, 1.0), (p, 0.5), (p, 2.0)]
    else:
        cases = [(np.array([0.05, 0.0, 0.6, 0.3, 0.05]), 0.7),   # a zero is never drawn
                 (np.array([0.4, 0.35, 0.25]), 0.2),
                 (np.array([0.3, 0.7]), 3.0),
                 (np.array([0.1, 0.2, 0.3, 0.15, 0.15, 0.1], dtype=np.float32), 1.5)]
    first_seed = 7000 if hidden else 70
    return [_sampling_probe(p, t, first_seed + i) for i, (p, t) in enumerate(cases)]


_SAMPLING_PROBES = {hidden: _sampling_probes(hidden) for hidden in (False, True)}


def _tolerance(expected, draws=DRAWS):
    """Allowed |frequency - probability| per character: Z_LIMIT standard errors, plus half a
    draw so that a probability of exactly 0 allows no draw at all."""
    return Z_LIMIT * _sqrt(expected * (1 - expected) / draws) + 0.5 / draws


def _fits(freq, distribution):
    return bool((_abs(freq - distribution) <= _tolerance(distribution)).all())


def _as_index(value, vocab):
    """The draw as an int, or an AssertionError saying what came back."""
    arr = _asarray(value)
    if arr.shape != ():
        raise AssertionError(
            f"sample_with_temperature returned an array of shape {_shape(arr.shape)}; return ONE "
            f"character id, an int between 0 and {vocab - 1} (rng.choice(n, p=q) without "
            f"`size` returns one).")
    if not (np.issubdtype(arr.dtype, np.integer) or
            (np.issubdtype(arr.dtype, np.floating) and float(arr) == int(arr))):
        raise AssertionError(f"sample_with_temperature returned {value!r}; return a character "
                             f"id, an int between 0 and {vocab - 1}.")
    index = int(arr)
    if not 0 <= index < vocab:
        raise AssertionError(f"sample_with_temperature returned {index}, which is not a "
                             f"character id between 0 and {vocab - 1}.")
    return index


def _draw(fn, probs, temperature, rng, n):
    """``n`` draws, each on a fresh copy of ``probs`` with the one ``rng``, in one protected
    call (one round trip when the judge calls a function in the grading kernel)."""
    try:
        values = call_student(fn, probs, temperature, rng, repeat=n,
                              name="sample_with_temperature")
    except StudentCodeError as err:
        if "sum to 1" in str(err):
            raise AssertionError(
                "sample_with_temperature raised ValueError: probabilities do not sum to 1 (numpy's "
                "choice checks that). After rescaling, divide by the sum so that the new "
                f"probabilities add up to 1, then draw. {_reread('temperature')}") from None
        raise
    return [_as_index(v, len(probs)) for v in values]


def _check_reproducible(fn, probs):
    first = _draw(fn, probs, 1.0, _default_rng(123), 40)
    second = _draw(fn, probs, 1.0, _default_rng(123), 40)
    if first != second:
        raise AssertionError(
            "sample_with_temperature gave different draws for two generators with the same "
            "seed: draw with the `rng` argument (rng.choice, rng.random...), not with np.random "
            "or a new generator, so that seeding rng makes the generated text reproducible. "
            f"{_reread('temperature')}")


def _frequency_text(values):
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


def _sampling_hints(results):
    """Sentences of the known mistakes that explain the draws of EVERY probe (and differ
    from the right answer on at least one)."""
    hints = []
    for k, (sentence, _) in enumerate(results[0][4]):
        explains = all(_fits(freq, variants[k][1]) for _, _, freq, _, variants in results)
        differs = any(_abs(expected - variants[k][1]).max() > 0.02
                      for _, _, _, expected, variants in results)
        if explains and differs:
            hints.append(sentence)
    return hints


@_checker
def check_sample_with_temperature(fn, *, hidden=False):
    """Check ``sample_with_temperature(probs (vocab,), temperature, rng) -> int`` by the
    frequencies of many draws (a statistical test that a right answer fails with
    probability below one in a million)."""
    probes = _SAMPLING_PROBES[bool(hidden)]
    _check_reproducible(fn, probes[0][0])
    results = []
    for probs, temperature, seed, expected, variants in probes:
        draws = _draw(fn, probs, temperature, _default_rng(seed), DRAWS)
        freq = _bincount(draws, minlength=len(probs)) / DRAWS
        results.append((probs, temperature, freq, expected, variants))
    for probs, temperature, freq, expected, _ in results:
        if _fits(freq, expected):
            continue
        worst = int((_abs(freq - expected) / _tolerance(expected)).argmax())  # most significant
        message = (f"sample_with_temperature: at temperature {temperature} with probs {_frequency_text(probs)}, "
                   f"{DRAWS} draws came out with frequencies {_frequency_text(freq)}; expected "
                   f"about {_frequency_text(expected)} = softmax(log(probs) / {temperature}). "
                   f"Most significant difference for character {worst}: expected {expected[worst]:.3f}, "
                   f"got {freq[worst]:.3f} (allowed +-{_tolerance(expected[worst]):.3f}).")
        raise AssertionError("\n".join([message] + _sampling_hints(results)))
    if hidden:
        passed(f"sample_with_temperature: {DRAWS} draws follow softmax(log(p) / T) on "
               f"{len(probes)} more cases (a zero probability, T = 0.2 to 3, float32 input).")
    else:
        passed(f"sample_with_temperature: {DRAWS} draws per case follow softmax(log(p) / T) at "
               "T = 1, 0.5 and 2, and the same seed gives the same draws.")

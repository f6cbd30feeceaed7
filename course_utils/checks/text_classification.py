"""Checkers for 08_text_classification: padding, masking and a GRU text classifier.

Exercises (student functions)::

    pad_batch(sequences, maxlen=None, padding="post")                -> ids, mask (batch, maxlen)
    masked_rnn_forward(x, mask, h0, kernel, recurrent_kernel, bias)  -> h_seq (batch, T, units)
    build_text_classifier(vocab_size, num_classes, maxlen, units=32, embedding_dim=32,
                          dropout=0.2, recurrent_dropout=0.2, mask_zero=True) -> keras model

and the graded result of training, ``check_trained_text_classifier(model)``: the
checker encodes the validation (or, hidden, the test) docstrings itself, measures
the model's accuracy on them and compares it with the bag-of-words baseline's on
the same texts, both computed here from ``course_utils.data.docstrings``.

The expected ``h_seq`` of ``masked_rnn_forward`` is what ``keras.layers.SimpleRNN
(return_sequences=True)`` returns when called with the mask (computed on the first
check; importing this module runs no TensorFlow op, so a process forked after the
import is safe). Known mistakes are recognised
by comparing outputs with those of the wrong variants in ``variants.py`` on the
same probes, never by reading source; each is a ``Mistake`` with its registered id
(``misconceptions.py``, CONTRIBUTING.md "Misconception ids").
"""
import functools
import logging

import numpy as np

from .. import masking as reference
from .. import text_classifier as classifier_reference
from ..weights import keras_layer
from ._core import (
    DIAGNOSIS_ATOL,
    Mistake,
    call_student,
    checker,
    compare,
    explain,
    found_mistakes,
    matches,
    passed,
    same,
    to_array,
)
from ._probes import Output, Probe, check_probes, hand_sized, probe_weights
from .misconceptions import reread_text
from .variants import masked_unroll, pad_variants

__all__ = ["check_pad_batch", "check_masked_rnn_forward", "check_build_text_classifier",
           "check_trained_text_classifier"]

# The sections a failure without a known mistake sends the student back to.
_REREAD_PADDING = reread_text("08_text_classification, 'Padding a batch'")
_REREAD_MODEL = reread_text("08_text_classification, 'The classifier: embedding, GRU, dropout'")
_REREAD_TRAINING = reread_text("08_text_classification, 'Training'")

# Captured at import time, before any student code runs.
_asarray, _array, _isfinite, _abs = np.asarray, np.array, np.isfinite, np.abs
_float64, _default_rng, _issubdtype, _integer = np.float64, np.random.default_rng, np.issubdtype, np.integer


# ================================================================ exercise 1: pad_batch

def _pad_case(sequences, maxlen, padding):
    sequences = [list(map(int, s)) for s in sequences]
    kwargs = {"maxlen": maxlen, "padding": padding}
    expected = reference.pad_batch(sequences, maxlen, padding)
    mistakes = []
    for variant in pad_variants(padding):
        outs = variant.fn(sequences, maxlen, padding)
        if all(matches(o, e) for o, e in zip(outs, expected)):
            continue
        mistakes.append((Mistake(variant.id, variant.hint), outs))
    mistakes.append((Mistake("PAD-TRANSPOSED", "the padded batch transposed"),
                     tuple(_array(e).T for e in expected)))
    shown = str(sequences) if sum(len(s) for s in sequences) <= 24 else \
        f"{len(sequences)} sequences of lengths {[len(s) for s in sequences]}"
    context = f"sequences={shown}, maxlen={maxlen}, padding={padding!r}"
    return sequences, kwargs, expected, mistakes, context


def _pad_cases(hidden):
    if not hidden:
        cases = [([[5, 6, 7], [8, 9], [4]], None, "post"),
                 ([[5, 6, 7], [8, 9], [4]], None, "pre"),
                 ([[2, 3, 4, 5, 6], [7, 8]], 4, "post"),       # the first one is cut
                 ([[2, 3, 4, 5, 6], [7, 8]], 3, "pre")]
    else:
        rng = _default_rng(808)

        def random_batch(batch, low, high):
            return [rng.integers(2, 50, size=rng.integers(low, high + 1)).tolist()
                    for _ in range(batch)]

        cases = [(random_batch(5, 1, 9), None, "post"),
                 (random_batch(4, 1, 9), 6, "pre"),
                 (random_batch(6, 3, 12), 5, "post"),
                 ([[], [3, 4], [9]], None, "pre"),                # an empty sequence
                 ([[11, 12, 13]], None, "post"),                  # one sequence, no padding at all
                 (random_batch(3, 2, 6), 8, "post")]              # maxlen longer than every sequence
    return [_pad_case(*case) for case in cases]


_PAD_PROBES = {hidden: _pad_cases(hidden) for hidden in (False, True)}


def _two_arrays(result, name, what):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        kind = type(result).__name__
        raise AssertionError(f"{name} should return a pair {what}, but it returned {kind}"
                             + (f" of length {len(result)}" if hasattr(result, "__len__") else "")
                             + ". End with `return " + what.strip("()") + "`.")
    return result


def _check_pad_probe(fn, sequences, kwargs, expected, mistakes, context):
    got = _two_arrays(call_student(fn, sequences, name="pad_batch", **kwargs), "pad_batch",
                      "(ids, mask)")
    got_ids, got_mask = to_array(got[0], "ids"), to_array(got[1], "mask")
    found = found_mistakes((got_ids, got_mask), mistakes, expected=expected)
    hint = ("\n" + "\n".join(explain(found))) if found else " " + _REREAD_PADDING
    for what, value, want in (("ids", got_ids, expected[0]), ("mask", got_mask, expected[1])):
        if value.shape != want.shape:
            extra = ""
            if value.shape == want.shape[::-1] and value.shape != want.shape:
                extra = "\n" + Mistake("PAD-TRANSPOSED").describe()
                hint = ""
            elif kwargs["maxlen"] is None:
                extra = " With maxlen=None, maxlen is the length of the longest sequence."
            raise AssertionError(f"{what} returned by pad_batch for {context}: expected shape "
                                 f"(batch, maxlen) = {tuple(want.shape)}, got {tuple(value.shape)}."
                                 f"{extra}{hint}")
        try:
            compare(f"{what} returned by pad_batch", value, want, context=context, atol=1e-9)
        except AssertionError as err:
            raise AssertionError(f"{err}\nexpected {what}:\n{_array(want).astype(int)}"
                                 f"{hint}") from None
    if not _issubdtype(_asarray(got[0]).dtype, _integer):
        raise AssertionError(f"ids returned by pad_batch for {context} has dtype "
                             f"{_asarray(got[0]).dtype}, but the values are right.\n"
                             + Mistake("PAD-IDS-NOT-INTEGERS").describe())


@checker
def check_pad_batch(fn, *, hidden=False):
    """Check ``pad_batch(sequences, maxlen=None, padding="post") -> (ids, mask)``."""
    probes = _PAD_PROBES[bool(hidden)]
    for probe in probes:
        _check_pad_probe(fn, *probe)
    if hidden:
        passed(f"pad_batch is right on {len(probes)} random cases (an empty sequence, no "
               "padding needed, maxlen longer than every sequence, pre and post).")
    else:
        passed("pad_batch: PAD = 0 after (post) or before (pre) the ids, a mask True at the real "
               f"ids, long sequences cut to their first maxlen ids ({len(probes)} small cases).")


# ================================================================ exercise 2: masked_rnn_forward

_MASKS = {  # name -> mask rows (1 = a real step); each probe uses one per row of its batch
    "post": [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]],
    "pre": [[1, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1]],
    "holes": [[1, 0, 1, 1, 0, 1], [1, 1, 0, 0, 1, 0]],
}
_MASKED_SPECS = {
    "visible": [dict(mask="post", input_dim=3, units=3, seed=81),
                dict(mask="pre", input_dim=2, units=3, seed=82),
                dict(mask="holes", input_dim=3, units=2, seed=83)],
    "hidden": [dict(batch=4, T=7, input_dim=4, units=4, seed=801, kind="post"),
               dict(batch=3, T=6, input_dim=3, units=5, seed=802, kind="pre"),
               dict(batch=5, T=8, input_dim=2, units=3, seed=803, kind="random"),
               dict(batch=2, T=1, input_dim=3, units=2, seed=804, kind="random"),
               dict(batch=3, T=5, input_dim=5, units=2, seed=805, kind="empty")],
}


# The known mistakes of masked_rnn_forward: a Mistake and the masked SimpleRNN that makes it.
_MASK_MISTAKES = [
    (Mistake("MASK-IGNORED", "the mask ignored (every step computed)"),
     functools.partial(masked_unroll, on_masked="step")),
    (Mistake("MASK-STATE-RESET", "the state set to zeros at masked steps"),
     functools.partial(masked_unroll, on_masked="zeros")),
    (Mistake("MASK-STATE-RESET", "the state set back to h0 at masked steps"),
     functools.partial(masked_unroll, on_masked="h0")),
    (Mistake("MASK-INVERTED",
             "the mask read the other way round (steps computed where it is False)"),
     functools.partial(masked_unroll, invert=True)),
    (Mistake("MASK-OUTPUT-ZEROS", "the state carried but zeros returned at masked steps"),
     functools.partial(masked_unroll, output_at_masked="zeros")),
]


def _random_mask(rng, batch, steps, kind):
    lengths = rng.integers(1, steps + 1, size=batch)
    lengths[0] = steps                                   # one row without padding
    positions = np.arange(steps)[None, :]
    if kind == "post":
        return positions < lengths[:, None]
    if kind == "pre":
        return positions >= steps - lengths[:, None]
    if kind == "empty":                                  # a row of padding only
        mask = positions >= steps - lengths[:, None]
        mask[-1] = False
        return mask
    mask = rng.random((batch, steps)) < 0.6
    mask[:, 0] = True                                    # see _keras_expected
    return mask


def _keras_expected(x, mask, h0, weights):
    """What ``keras.layers.SimpleRNN(return_sequences=True)`` returns with this mask.

    Keras returns zeros (not h0) at masked steps before the first real step, while its
    state stays h0; the probes use h0 = 0 in every row that starts with padding, where
    "carry the previous state" and Keras agree.
    """
    import keras

    layer = keras_layer("simple_rnn", *weights, return_sequences=True)
    out = layer(x, mask=mask, initial_state=[h0])
    return keras.ops.convert_to_numpy(out).astype(np.float64)


def _masked_probe(mode, number, spec):
    rng = _default_rng([spec["seed"], 1])
    if mode == "visible":
        mask = _array(_MASKS[spec["mask"]], dtype=bool)
        batch, steps = mask.shape
        weights = probe_weights("simple_rnn", spec["input_dim"], spec["units"],
                                seed=spec["seed"], hand=True)
        x = hand_sized(rng, (batch, steps, spec["input_dim"]), scale=2.0)
        h0 = hand_sized(rng, (batch, spec["units"]))
        words = f"{spec['mask']} padding" if spec["mask"] != "holes" else "holes in the mask"
    else:
        batch, steps = spec["batch"], spec["T"]
        mask = _random_mask(rng, batch, steps, spec["kind"])
        weights = probe_weights("simple_rnn", spec["input_dim"], spec["units"], seed=spec["seed"])
        x = rng.uniform(-1.5, 1.5, size=(batch, steps, spec["input_dim"])).astype(np.float32)
        h0 = rng.uniform(-0.9, 0.9, size=(batch, spec["units"])).astype(np.float32)
        words = {"post": "post padding", "pre": "pre padding", "random": "a random mask",
                 "empty": "a row of padding only"}[spec["kind"]]
    h0[~mask[:, 0]] = 0.0          # rows that start with padding: h0 = 0 (see _keras_expected)
    as64 = [a.astype(np.float64) for a in (x, h0, *weights)]
    mistakes = []                  # (Mistake, outputs); those equal to Keras's are dropped later
    for mistake, wrong_forward in _MASK_MISTAKES:
        outs = wrong_forward(as64[0], mask, *as64[1:])
        if any(m.id == mistake.id and matches(outs, o[0], DIAGNOSIS_ATOL) for m, o in mistakes):
            continue
        mistakes.append((mistake, (outs,)))
    sizes = {"batch": batch, "T": steps, "input_dim": spec["input_dim"], "units": spec["units"]}
    shown = f"mask={mask.astype(int).tolist()}" if mask.size <= 12 else f"{words}"
    case = (f"{mode} case {number} (" + ", ".join(f"{k}={v}" for k, v in sizes.items())
            + f", {shown}, " + ("small hand-sized numbers" if mode == "visible" else "random weights")
            + ")")
    return Probe(case, (x, mask, h0, *weights), {}, sizes, (), mistakes)


def _masked_probes(mode):
    return [_masked_probe(mode, n, spec) for n, spec in enumerate(_MASKED_SPECS[mode], start=1)]


def _with_keras_expected(probes):
    """Fill in each probe's expected output from Keras (once) and drop the mistakes that equal it.

    Done on the first check, not at import: running TensorFlow at import would start its
    thread pools in any process that imports this module, and a grading kernel forked from
    such a process (the grader's pre-imported "zygote") would hang on its first TensorFlow op."""
    for probe in probes:
        if not probe.expected:
            x, mask, h0, *weights = probe.args
            expected = _keras_expected(x, mask, h0, weights)
            probe.expected = (expected,)
            probe.mistakes = [(v, outs) for v, outs in probe.mistakes
                              if not matches(outs[0], expected, DIAGNOSIS_ATOL)]
    return probes


@checker
def check_masked_rnn_forward(fn, *, hidden=False):
    """Check ``masked_rnn_forward(x, mask, h0, kernel, recurrent_kernel, bias) -> h_seq``
    against ``keras.layers.SimpleRNN(return_sequences=True)`` called with the same mask."""
    mode = "hidden" if hidden else "visible"
    probes = _with_keras_expected(_MASKED_PROBES[mode])
    try:
        _check_masked_probes(fn, probes, hidden)
    except AssertionError as err:
        if str(err).startswith("masked_rnn_forward"):
            raise
        raise AssertionError(f"masked_rnn_forward: {err}") from None


def _check_masked_probes(fn, probes, hidden):
    mode = "hidden" if hidden else "visible"
    check_probes(fn, "masked_rnn_forward", probes, [Output("h_seq", ("batch", "T", "units"))],
                 f"h_seq equals keras.layers.SimpleRNN(return_sequences=True) called with the mask, "
                 f"to 1e-05, on {len(probes)} {mode} cases "
                 + ("(post and pre padding, holes in the mask)." if not hidden else
                    "(post and pre padding, random masks, T=1, a row of padding only)."))


# Inputs and the known mistakes' outputs computed at import time, before student code runs
# (numpy only); Keras's outputs on the first check (see _with_keras_expected).
_MASKED_PROBES = {mode: _masked_probes(mode) for mode in ("visible", "hidden")}


# ================================================================ exercise 3: build_text_classifier

_MODEL_CASES = {
    False: [dict(vocab_size=20, num_classes=3, maxlen=6, units=4, embedding_dim=5,
                 dropout=0.2, recurrent_dropout=0.1)],
    True: [dict(vocab_size=50, num_classes=6, maxlen=9, units=7, embedding_dim=3,
                dropout=0.3, recurrent_dropout=0.25),
           dict(vocab_size=12, num_classes=2, maxlen=4, units=3, embedding_dim=8,
                dropout=0.0, recurrent_dropout=0.5, mask_zero=False)],
}


def _predict(model, x, where):
    """The model's output on ``x`` as float64, TensorFlow's Python logger quiet."""
    import keras

    def run():
        logger = logging.getLogger("tensorflow")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            return keras.ops.convert_to_numpy(model.predict(x, batch_size=512, verbose=0))
        finally:
            logger.setLevel(level)
    return to_array(call_student(run, name=where), "the model's predictions")


def _padded_twice(rng, vocab, maxlen, batch=4):
    """The same short id sequences padded after (post) and before (pre) them."""
    lengths = [max(1, maxlen // 3), maxlen // 2 or 1, 1, maxlen - 1 or 1][:batch]
    sequences = [rng.integers(2, vocab, size=n).tolist() for n in lengths]
    post, _ = reference.pad_batch(sequences, maxlen, "post")
    pre, _ = reference.pad_batch(sequences, maxlen, "pre")
    return post, pre


def _layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def _check_built_classifier(model, case):
    import keras

    vocab, classes, maxlen, units, embedding = (case[k] for k in (
        "vocab_size", "num_classes", "maxlen", "units", "embedding_dim"))
    mask_zero = case.get("mask_zero", True)
    where = "build_text_classifier(" + ", ".join(f"{k}={v!r}" for k, v in case.items()) + ")"
    if not isinstance(model, keras.Model):
        raise AssertionError(f"{where} returned {type(model).__name__}; return the Keras model, "
                             f"e.g. `return keras.Sequential([...])`.")
    layers = ", ".join(type(layer).__name__ for layer in model.layers)
    post, pre = _padded_twice(_default_rng(88), vocab, maxlen)
    out = _predict(model, post, f"the model of {where}, called on ids of shape "
                                f"{tuple(post.shape)},")
    if out.shape != (len(post), classes):
        hint = ("\n" + Mistake("CLASSIFIER-RETURNS-SEQUENCES").describe() if out.ndim == 3 else
                " The last layer is Dense(num_classes, activation='softmax'). " + _REREAD_MODEL
                if out.ndim == 2 else " " + _REREAD_MODEL)
        raise AssertionError(f"{where}: the output for ids of shape {tuple(post.shape)} should "
                             f"have shape (batch, num_classes) = ({len(post)}, {classes}), but it "
                             f"has shape {tuple(out.shape)}. Its layers: {layers}.{hint}")
    if not _isfinite(out).all() or (out < -1e-6).any() or (_abs(out.sum(axis=1) - 1) > 1e-4).any():
        raise AssertionError(f"{where}: the outputs for ids of shape {tuple(post.shape)} are "
                             f"not probabilities (row 0 sums to {out[0].sum():.4g}).\n"
                             + Mistake("CLASSIFIER-NO-SOFTMAX").describe())
    embeddings = _layers_of(model, keras.layers.Embedding)
    grus = _layers_of(model, keras.layers.GRU)
    if len(embeddings) != 1 or len(grus) != 1:
        raise AssertionError(f"{where}: expected one Embedding and one GRU layer, the model has "
                             f"the layers {layers}. {_REREAD_MODEL}")
    emb, gru = embeddings[0], grus[0]
    if (emb.input_dim, emb.output_dim) != (vocab, embedding):
        raise AssertionError(f"{where}: the Embedding layer is Embedding({emb.input_dim}, "
                             f"{emb.output_dim}); expected Embedding(vocab_size={vocab}, "
                             f"embedding_dim={embedding}). {_REREAD_MODEL}")
    if bool(emb.mask_zero) != mask_zero:
        problem = Mistake("EMBEDDING-NO-MASK" if mask_zero
                          else "MASK-ZERO-ARGUMENT-IGNORED").describe()
        raise AssertionError(f"{where}: Embedding(mask_zero={emb.mask_zero}).\n{problem}")
    if gru.units != units:
        raise AssertionError(f"{where}: the GRU has {gru.units} units; expected units={units}. "
                             f"{_REREAD_MODEL}")
    want = (case["dropout"], case["recurrent_dropout"])
    got = (float(gru.dropout), float(gru.recurrent_dropout))
    if not same(got, want, 1e-9):
        extra = " " + _REREAD_MODEL
        if _layers_of(model, keras.layers.Dropout) or _layers_of(model, keras.layers.SpatialDropout1D):
            extra = "\n" + Mistake("DROPOUT-NOT-RECURRENT").describe()
        elif same(got, want[::-1], 1e-9):
            extra = "\n" + Mistake("DROPOUT-SWAPPED").describe()
        raise AssertionError(f"{where}: the GRU has dropout={got[0]:g} and recurrent_dropout="
                             f"{got[1]:g}; expected dropout={want[0]:g}, recurrent_dropout="
                             f"{want[1]:g}.{extra}")
    expected = {classifier_reference.text_classifier_param_count(vocab, classes, units, embedding)}
    expected.add(min(expected) - 3 * units)    # reset_after=False (one bias row) is a GRU too
    if model.count_params() not in expected:
        counts = ", ".join(f"{type(lay).__name__} {lay.count_params()}" for lay in model.layers)
        raise AssertionError(f"{where}: the model has {model.count_params()} parameters, expected "
                             f"{max(expected)} for Embedding -> GRU -> Dense softmax and nothing "
                             f"else. Its layers: {counts}. {_REREAD_MODEL}")
    if mask_zero:   # with the mask, padding before or after the words changes nothing
        out_pre = _predict(model, pre, f"the model of {where}")
        if not matches(out_pre, out, 1e-5):
            raise AssertionError(
                f"{where}: the same ids padded before instead of after the words change the "
                f"prediction (largest difference {_abs(out_pre - out).max():.3g}). Its layers: "
                f"{layers}.\n" + Mistake("MASK-NOT-PROPAGATED").describe())


@checker
def check_build_text_classifier(fn, *, hidden=False):
    """Check ``build_text_classifier(...) -> keras model``: layers, configs, output shape, mask."""
    cases = _MODEL_CASES[bool(hidden)]
    for case in cases:
        model = call_student(fn, **case, name="build_text_classifier")
        _check_built_classifier(model, case)
    if hidden:
        passed(f"build_text_classifier is right on {len(cases)} more cases (other sizes, "
               "dropout 0, mask_zero=False).")
    else:
        passed("build_text_classifier: Embedding(mask_zero=True) -> GRU(dropout, "
               "recurrent_dropout) -> Dense softmax; output (batch, num_classes); padding "
               "before or after the words gives the same prediction.")


# ================================================================ the trained model

# The bar: the bag-of-words baseline's accuracy minus MARGIN (5 percentage points).
MARGIN = classifier_reference.BAR_MARGIN
_EVALUATION = {False: "validation", True: "test"}


@functools.lru_cache(maxsize=4)
def _evaluation_data(split, maxlen):
    ids, _, labels = classifier_reference.encoded_split(split, maxlen)
    return ids, labels, classifier_reference.baseline_accuracy(split)


def _model_maxlen(model):
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, list):
        shape = shape[0]
    if shape is None or len(shape) != 2:
        raise AssertionError(f"the model should take padded word ids, shape (batch, maxlen); its "
                             f"input shape is {shape}. {_REREAD_MODEL}")
    return shape[1] or classifier_reference.MAXLEN


@checker
def check_trained_text_classifier(model, *, hidden=False):
    """Check the accuracy of a trained classifier (input (batch, maxlen) ids, output
    (batch, num_classes) probabilities) against the bag-of-words baseline's."""
    if model is None:
        raise AssertionError("there is no model of yours to grade: your build_text_classifier did not "
                             "build a working model, so the lesson trained the course's model, which "
                             "is not graded. Finish Exercise 3, then run the training cell again.")
    if not hasattr(model, "predict"):
        raise AssertionError(f"expected the trained Keras model, got {type(model).__name__}.")
    split = _EVALUATION[bool(hidden)]
    maxlen = _model_maxlen(model)
    ids, labels, baseline = _evaluation_data(split, maxlen)
    classes = classifier_reference.NUM_CLASSES
    probs = _predict(model, ids, "your model")
    if probs.shape != (len(ids), classes):
        raise AssertionError(f"the model's output for {len(ids)} texts should have shape "
                             f"({len(ids)}, {classes}), one probability per topic, but it has "
                             f"shape {tuple(probs.shape)}. {_REREAD_MODEL}")
    value = float(np.mean(probs.argmax(axis=1) == labels))
    bar = baseline - MARGIN
    where = f"on the {len(labels)} {split} docstrings (padded to {maxlen} words)"
    if not value >= bar:
        majority = float(np.bincount(labels, minlength=classes).max() / len(labels))
        if value <= majority + 0.02:
            hint = (f"Always answering the most common topic scores {majority:.1%}.\n"
                    + Mistake("CLASSIFIER-MAJORITY-ONLY").describe())
        else:
            hint = ("It learned something, but not enough: check mask_zero=True, or train "
                    f"for more epochs. {_REREAD_TRAINING}")
        raise AssertionError(f"accuracy {value:.1%} {where}: expected at least {bar:.1%}, the "
                             f"bag-of-words baseline's {baseline:.1%} minus {MARGIN:.0%}. {hint}")
    passed(f"accuracy {value:.1%} {where}: at least the bar {bar:.1%} (the bag-of-words "
           f"baseline's {baseline:.1%} minus {MARGIN:.0%}).")

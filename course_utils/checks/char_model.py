"""Checker of 07_practice, Exercise 3: ``build_char_model(vocab_size, window, cell, units,
embedding_dim)`` must return Embedding -> GRU or LSTM (return_sequences=True) ->
Dense(vocab_size, softmax): output (batch, window, vocab_size) probabilities.

The model is judged through Keras's public API only (its output on a batch of ids, its
layers, ``count_params()``); every known slip (no return_sequences, no softmax, no
Embedding, the `cell` argument ignored...) is a ``Mistake`` with its registered id.
"""
import numpy as np

from .. import language_model as reference
from ._core import Mistake, call_student, checker, passed, to_array
from ._language_model import reread, section, shape_text

__all__ = ["check_build_char_model"]

# Captured at import time, before any student code runs.
_default_rng, _isfinite, _abs, _int32 = np.random.default_rng, np.isfinite, np.abs, np.int32

_MODEL = section("model")

CASES = {
    False: [dict(vocab_size=7, window=5, cell="gru", units=4, embedding_dim=3),
            dict(vocab_size=7, window=5, cell="lstm", units=4, embedding_dim=3)],
    True: [dict(vocab_size=11, window=1, cell="lstm", units=1, embedding_dim=2),
           dict(vocab_size=3, window=9, cell="gru", units=6, embedding_dim=5),
           dict(vocab_size=53, window=24, cell="gru", units=8, embedding_dim=16)],
}


def _layer_names(model):
    return ", ".join(f"{type(layer).__name__}" for layer in model.layers)


def _fail(message, mistake=None):
    raise AssertionError(f"{message}\n{mistake.describe()}" if mistake else
                         f"{message} {reread('model')}")


def _check_output(model, where, case):
    vocab, window, units = case["vocab_size"], case["window"], case["units"]
    x = _default_rng(7).integers(0, vocab, size=(2, window)).astype(_int32)
    import keras
    out = call_student(lambda: keras.ops.convert_to_numpy(model(x, training=False)),
                       name=f"the model of {where}, called on a batch of shape (2, {window}),")
    out = to_array(out, "the model's output")
    expected_shape = (2, window, vocab)
    if out.shape != expected_shape:
        message = (f"{where}: the model's output for a batch of shape (2, {window}) should have "
                   f"shape {shape_text(expected_shape)} (batch, window, vocab_size): after every "
                   f"character, a probability for every character of the vocabulary to come "
                   f"next. It has shape {shape_text(out.shape)}.")
        if out.shape == (2, vocab):
            _fail(message, Mistake("PER-STEP-NO-RETURN-SEQUENCES", explanation=(
                "The recurrent layer returns only its last state (return_sequences=False, the "
                "default), so the model predicts once per window; it must predict after EVERY "
                "character: give the recurrent layer return_sequences=True."), reread=_MODEL))
        if out.shape in ((2, window, units), (2, units)):
            extra = (" (and give the recurrent layer return_sequences=True)"
                     if len(out.shape) == 2 else "")
            _fail(message, Mistake("CHAR-MODEL-NO-OUTPUT-LAYER", explanation=(
                f"That is the recurrent layer's state: add the output layer "
                f"keras.layers.Dense(vocab_size, activation=\"softmax\"){extra}.")))
        if len(out.shape) == 3 and out.shape[:2] == (2, window):
            _fail(message, Mistake("OUTPUT-UNITS-WRONG", explanation=(
                f"The last Dense layer needs one unit per character of the vocabulary: "
                f"Dense(vocab_size) ({vocab} here), not {out.shape[2]}."), reread=_MODEL))
        _fail(f"{message} The layers are: {_layer_names(model)}.")
    if not _isfinite(out).all() or (out < -1e-6).any() or \
            (_abs(out.sum(axis=-1) - 1.0) > 1e-4).any():
        _fail(f"{where}: the model's outputs are not probabilities (each row should be >= 0 and "
              f"sum to 1; the first row sums to {out[0, 0].sum():.4g}).",
              Mistake("OUTPUT-NO-SOFTMAX", explanation=(
                  "Give the last Dense layer activation=\"softmax\": after every character, the "
                  "model gives a probability to each character of the vocabulary."),
                  reread=_MODEL))


def _check_layers(model, where, case):
    import keras

    vocab, cell, units, embedding = (case[k] for k in
                                     ("vocab_size", "cell", "units", "embedding_dim"))
    embeddings = [layer for layer in model.layers if isinstance(layer, keras.layers.Embedding)]
    wanted = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[cell]
    recurrent = [layer for layer in model.layers if isinstance(layer, keras.layers.RNN)]
    if not embeddings:
        _fail(f"{where}: the model has no Embedding layer (its layers: {_layer_names(model)}).",
              Mistake("CHAR-MODEL-NO-EMBEDDING"))
    emb = embeddings[0]
    if emb.input_dim != vocab or emb.output_dim != embedding:
        _fail(f"{where}: the Embedding layer is Embedding({emb.input_dim}, {emb.output_dim}); "
              f"expected Embedding(vocab_size={vocab}, embedding_dim={embedding}).",
              Mistake("CHAR-MODEL-EMBEDDING-SIZE"))
    if not any(isinstance(layer, wanted) for layer in recurrent):
        found = ", ".join(type(layer).__name__ for layer in recurrent) or "none"
        _fail(f"{where}: expected a keras.layers.{wanted.__name__} layer for cell={cell!r}, "
              f"found recurrent layers: {found}.", Mistake("CELL-ARGUMENT-IGNORED"))
    layer = next(layer for layer in recurrent if isinstance(layer, wanted))
    if layer.units != units:
        _fail(f"{where}: the {wanted.__name__} layer has {layer.units} units; expected "
              f"units={units}.", Mistake("KERAS-UNITS-ARGUMENT", explanation=(
                  f"Pass build_char_model's `units` argument to the {wanted.__name__} layer, "
                  f"not a fixed number."), reread=_MODEL))
    expected = {reference.char_model_param_count(vocab, cell, units, embedding)}
    if cell == "gru":  # reset_after=False (one bias row) is a GRU too
        expected.add(min(expected) - 3 * units)
    if model.count_params() not in expected:
        counts = ", ".join(f"{type(lay).__name__} {lay.count_params()}" for lay in model.layers)
        message = (f"{where}: the model has {model.count_params()} parameters, expected "
                   f"{max(expected)} for Embedding -> {wanted.__name__} -> Dense softmax and "
                   f"nothing else. Its layers: {counts}.")
        if model.count_params() > max(expected):
            _fail(message, Mistake("MODEL-EXTRA-LAYERS", explanation=(
                "build_char_model builds exactly Embedding -> GRU or LSTM -> Dense softmax: no "
                "second recurrent layer, Dropout or other extra layers."), reread=_MODEL))
        _fail(message)


@checker
def check_build_char_model(fn, *, hidden=False):
    """Check ``build_char_model(vocab_size, window, cell, units, embedding_dim) -> keras model``."""
    import keras

    cases = CASES[bool(hidden)]
    for case in cases:
        model = call_student(fn, **case, name="build_char_model")
        where = "build_char_model(" + ", ".join(f"{k}={v!r}" for k, v in case.items()) + ")"
        if not isinstance(model, keras.Model):
            raise AssertionError(f"{where} returned {type(model).__name__}; return the Keras "
                                 f"model, e.g. `return keras.Sequential([...])`.")
        _check_output(model, where, case)
        _check_layers(model, where, case)
    if hidden:
        passed(f"build_char_model builds the right layers on {len(cases)} more cases "
               "(window 1, one unit, vocab_size < units, GRU and LSTM).")
    else:
        passed("build_char_model: Embedding -> GRU or LSTM (as asked, return_sequences=True) -> "
               "Dense softmax, output (batch, window, vocab_size) probabilities, parameter count "
               "as expected.")

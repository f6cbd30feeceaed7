"""Checkers for the model-building exercises of 06_keras_rnns.

``check_build_stacked_model(fn)``: ``fn(input_dim, units)`` must return
Input (batch, T, input_dim) -> LSTM(units, return_sequences=True) -> GRU(units) -> Dense(1).
``check_build_bidirectional_tagger(fn)``: ``fn(input_dim, units, num_classes)``
must return Input -> Bidirectional(GRU(units, return_sequences=True)) ->
Dense(num_classes, softmax).

The student's model is compared with the reference of
``course_utils.keras_models`` through Keras's public API only, in the order in
which a beginner's mistakes show up: a built ``keras.Model`` with input
``(None, None, input_dim)``; the layer types in order; the settings that
matter in each layer's ``get_config()``; the output shape on real batches
(several T, T = 1 included); ``count_params()``; and finally, with the
reference's weights copied in by ``set_weights``, the same outputs as the
reference.  A failure names the layer and the setting that differ and, for
the common slips (a missing ``return_sequences``, an Input without a time
axis), says why in one sentence and which lesson section to reread.
"""
import re
from dataclasses import dataclass

import keras
import numpy as np

from course_utils import keras_models as reference

from ._core import StudentCodeError, _quiet, call_student, compare, passed

__all__ = ["check_build_stacked_model", "check_build_bidirectional_tagger"]

_LESSON = "06_keras_rnns"
STACKING_SECTION = "Stacking recurrent layers"        # headings of the lesson
BIDIRECTIONAL_SECTION = "Bidirectional layers"
INPUT_SECTION = "Units and shapes"
PARAMETERS_SECTION = "Counting parameters by hand"

# Settings compared in get_config(); anything else (names, initialisers, ...) is free.
_RECURRENT_KEYS = ("units", "return_sequences", "return_state", "go_backwards", "stateful",
                   "activation", "recurrent_activation", "use_bias", "reset_after")
_DENSE_KEYS = ("units", "activation", "use_bias")
_RECURRENT_CLASSES = ("SimpleRNN", "GRU", "LSTM")
_OUTPUT_ATOL = 1e-5   # same weights, same float32 graph: differences are round-off


def _reread(section):
    return f"(Reread: {_LESSON}, '{section}'.)"


@dataclass(frozen=True)
class _Exercise:
    name: str               # the student function's name
    arg_names: tuple        # its arguments, for messages
    build_reference: object
    section: str            # lesson section to reread when the structure is wrong

    def call_text(self, args):
        return f"{self.name}({', '.join(f'{n}={v}' for n, v in zip(self.arg_names, args))})"


_STACKED = _Exercise("build_stacked_model", ("input_dim", "units"),
                     reference.build_stacked_model, STACKING_SECTION)
_TAGGER = _Exercise("build_bidirectional_tagger", ("input_dim", "units", "num_classes"),
                    reference.build_bidirectional_tagger, BIDIRECTIONAL_SECTION)


# ------------------------------------------------------------------ reading a model

def _layers(model):
    """The model's layers without the InputLayer (functional models list it, Sequential not)."""
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _config(layer):
    with _quiet():    # serialising e.g. a lambda activation warns on stderr
        return layer.get_config()


def _inner(layer):
    """``(class name, config)`` of the layer a wrapper (Bidirectional, TimeDistributed) holds."""
    inner = _config(layer).get("layer") or {}
    return inner.get("class_name", "?"), inner.get("config", {})


def _describe(layer):
    """Short name of a layer: 'LSTM', 'Dense', 'Bidirectional(GRU)'."""
    kind = type(layer).__name__
    if kind in ("Bidirectional", "TimeDistributed"):
        return f"{kind}({_inner(layer)[0]})"
    return kind


def _chain(layers):
    return " -> ".join(_describe(layer) for layer in layers) or "(no layers)"


def _settings(kind, config):
    keys = _RECURRENT_KEYS if kind in _RECURRENT_CLASSES else _DENSE_KEYS if kind == "Dense" else ()
    return {key: config.get(key) for key in keys if key in config}


# ------------------------------------------------------------------ the steps of a check

def _build(exercise, fn, args):
    """Call the student's builder ``fn``; explain the Keras errors a beginner meets most."""
    try:
        model = call_student(fn, *args, name=exercise.name)
    except StudentCodeError as err:
        original = err.__context__
        raise AssertionError(_explain_build_error(exercise, args, err, original)) from None
    if model is None:
        raise AssertionError(f"{exercise.call_text(args)} returned None. Did you forget "
                             f"`return model`?")
    if not isinstance(model, keras.Model):
        raise AssertionError(
            f"{exercise.call_text(args)} should return a keras.Model (keras.Sequential([...]) or "
            f"keras.Model(inputs, outputs)), got {type(model).__name__}.")
    return model


def _explain_build_error(exercise, args, err, original):
    """A clearer message for Keras's 'expected ndim=3, found ndim=2', else call_student's."""
    text = str(original) if original is not None else ""
    found = re.search(r"expected ndim=3, found ndim=2\. Full shape received: \((.*?)\)", text)
    if not found:
        return str(err)
    input_dim, units = args[0], args[1]
    last = found.group(1).split(",")[-1].strip()
    got = f"(batch, {last})"
    head = (f"{exercise.call_text(args)} raised ValueError while building the model. Keras says: "
            f"\"{text.strip()}\"\nA recurrent layer received a 2-D input {got} where it needs a "
            f"sequence (batch, T, features).")
    input_cause = (f"the Input has no time axis: write keras.Input(shape=(None, {input_dim})), "
                   f"where None lets T be any length. {_reread(INPUT_SECTION)}")
    stacking_cause = (f"the recurrent layer before it returns only its last state "
                      f"(batch, {units}): give it return_sequences=True so the next one gets "
                      f"(batch, T, {units}). {_reread(STACKING_SECTION)}")
    if last == str(input_dim) and last != str(units):
        causes = [input_cause]
    elif last == str(units) and last != str(input_dim):
        causes = [stacking_cause]
    else:
        causes = [input_cause, stacking_cause]
    return "\n".join([head] + [f"Likely mistake: {cause}" for cause in causes])


def _check_input(exercise, args, model):
    input_dim = args[0]
    if not model.built:
        raise AssertionError(
            f"The model of {exercise.call_text(args)} has no input yet, so Keras has not created "
            f"its weights. Start it with keras.Input(shape=(None, {input_dim})). "
            f"{_reread(INPUT_SECTION)}")
    try:
        shape = tuple(model.input_shape)
    except (AttributeError, ValueError, TypeError):
        shape = None
    expected = (None, None, input_dim)
    if shape == expected:
        return
    if shape is not None and len(shape) == 3 and shape[2] == input_dim:
        raise AssertionError(
            f"The model of {exercise.call_text(args)} takes input shape {shape}, expected "
            f"{expected}: the time axis must be None so that the model reads sequences of any "
            f"length T. Write keras.Input(shape=(None, {input_dim})). {_reread(INPUT_SECTION)}")
    raise AssertionError(
        f"The model of {exercise.call_text(args)} takes input shape {shape}, expected {expected} "
        f"= (batch, T, input_dim). Write keras.Input(shape=(None, {input_dim})). "
        f"{_reread(INPUT_SECTION)}")


def _check_layer_types(exercise, args, got_layers, expected_layers):
    got_chain, expected_chain = _chain(got_layers), _chain(expected_layers)
    if got_chain == expected_chain:
        return
    lines = [f"The model of {exercise.call_text(args)} has the layers {got_chain}; expected "
             f"{expected_chain} (after the Input)."]
    kinds = [type(layer).__name__ for layer in got_layers]
    if exercise is _TAGGER:
        if "Bidirectional" not in kinds and any(k in _RECURRENT_CLASSES for k in kinds):
            lines.append("Wrap the GRU: keras.layers.Bidirectional(keras.layers.GRU(...)) runs a "
                         "second GRU backwards over the sequence and puts both outputs side by "
                         "side.")
        if "TimeDistributed" in kinds:
            lines.append("In Keras 3 a Dense layer already acts on every time step of a "
                         "(batch, T, features) input: use Dense directly, without TimeDistributed.")
    if any(k in ("Dropout", "Activation", "Flatten", "Reshape", "Lambda") for k in kinds):
        lines.append("Build exactly the layers asked for: no Dropout, Activation, Flatten or "
                     "other extra layers (an activation goes into the Dense layer's "
                     "`activation` argument).")
    lines.append(_reread(exercise.section))
    raise AssertionError("\n".join(lines))


def _setting_hint(exercise, kind, key, expected, got, is_last_recurrent, units):
    """One sentence for the settings a beginner gets wrong most often ('' if none fits)."""
    if key == "return_sequences" and expected and not got:
        if exercise is _TAGGER:
            return ("A tagger makes one prediction per time step, so the GRU must return its "
                    "whole sequence (return_sequences=True); the Dense layer then acts on every "
                    f"step of (batch, T, {2 * units}).")
        return (f"The first recurrent layer must return sequences so the next one gets "
                f"(batch, T, {units}): set return_sequences=True.")
    if key == "return_sequences" and got and not expected and is_last_recurrent:
        return (f"The {kind} returns its whole sequence, so the Dense layer acts on every step and "
                f"the model outputs (batch, T, 1); this model makes one prediction per sequence "
                f"from the last state (batch, {units}): leave return_sequences=False (the "
                f"default).")
    if key == "units" and kind in _RECURRENT_CLASSES:
        return f"Use the `units` argument ({expected}) for every recurrent layer."
    if key == "units" and kind == "Dense":
        if exercise is _TAGGER:
            return (f"The Dense layer needs units=num_classes ({expected}): one probability per "
                    f"class.")
        return f"The Dense layer needs units={expected}: one number per sequence."
    if key == "activation" and kind == "Dense" and expected == "softmax":
        return ("Each step's outputs must be probabilities over the classes: give the Dense "
                "layer activation=\"softmax\".")
    if key == "activation" and kind == "Dense" and expected == "linear":
        return ("The model predicts a real number (a regression), so the output layer has no "
                "activation: leave Dense's activation at its default, None (linear).")
    if key == "reset_after":
        return "Keep Keras's default reset_after=True for the GRU."
    if key == "return_state":
        return ("return_state=True makes a layer return a list [output, states...]; this model "
                "only needs the outputs.")
    return ""


def _check_settings(exercise, args, got_layers, expected_layers):
    units = args[1]
    recurrent_positions = [i for i, layer in enumerate(expected_layers)
                           if type(layer).__name__ in _RECURRENT_CLASSES + ("Bidirectional",)]
    for position, (got, expected) in enumerate(zip(got_layers, expected_layers), start=1):
        kind = type(expected).__name__
        pairs = [(kind, _config(got), _config(expected), "")]
        if kind == "Bidirectional":
            got_cfg, exp_cfg = pairs[0][1], pairs[0][2]
            if got_cfg.get("merge_mode") != exp_cfg.get("merge_mode"):
                raise AssertionError(
                    f"Layer {position} of {exercise.call_text(args)} (Bidirectional) has "
                    f"merge_mode={got_cfg.get('merge_mode')!r}, expected "
                    f"{exp_cfg.get('merge_mode')!r} (the default), which puts the forward and "
                    f"backward outputs side by side: {2 * units} features per step. "
                    f"{_reread(exercise.section)}")
            inner_kind, got_inner = _inner(got)
            pairs = [(inner_kind, got_inner, _inner(expected)[1], " inside Bidirectional")]
        for inner_kind, got_cfg, exp_cfg, where in pairs:
            got_settings = _settings(inner_kind, got_cfg)
            exp_settings = _settings(inner_kind, exp_cfg)
            for key, exp_value in exp_settings.items():
                got_value = got_settings.get(key)
                if got_value == exp_value:
                    continue
                is_last = position - 1 == recurrent_positions[-1]
                hint = _setting_hint(exercise, inner_kind, key, exp_value, got_value, is_last,
                                     units)
                message = (f"Layer {position} of {exercise.call_text(args)} ({inner_kind}{where}) "
                           f"has {key}={got_value!r}, expected {key}={exp_value!r}.")
                if hint:
                    message += f"\n{hint} {_reread(exercise.section)}"
                raise AssertionError(message)


def _run(model, x, exercise, args):
    """The model's output on ``x`` as a numpy array (a crash becomes a friendly AssertionError)."""
    out = call_student(model, x, name=f"the model of {exercise.call_text(args)}")
    if isinstance(out, (list, tuple)):
        raise AssertionError(
            f"The model of {exercise.call_text(args)} returns {len(out)} outputs; expected one "
            f"array. Did a layer get return_state=True?")
    return keras.ops.convert_to_numpy(out)


def _check_outputs(exercise, args, model, ref_model, batches):
    """Output shapes on real batches, count_params(), then the outputs with the same weights."""
    for x in batches:
        got, expected = _run(model, x, exercise, args), _run(ref_model, x, exercise, args)
        if got.shape != expected.shape:
            pattern = "(batch, T, num_classes)" if exercise is _TAGGER else "(batch, 1)"
            raise AssertionError(
                f"On an input of shape {x.shape} (batch, T, input_dim), the model of "
                f"{exercise.call_text(args)} returned shape {got.shape}, expected "
                f"{expected.shape} = {pattern}. {_reread(exercise.section)}")
    got_count, expected_count = model.count_params(), ref_model.count_params()
    if got_count != expected_count:
        per_layer = ", ".join(
            f"{_describe(g)} {g.count_params()} (expected {e.count_params()})"
            for g, e in zip(_layers(model), _layers(ref_model)))
        raise AssertionError(
            f"model.count_params() of {exercise.call_text(args)} is {got_count}, expected "
            f"{expected_count}: {per_layer}. {_reread(PARAMETERS_SECTION)}")
    # Same weights in both models: a correctly wired model computes the same function.
    with _quiet():
        ref_model.set_weights(model.get_weights())
    for x in batches:
        compare(f"output of the model of {exercise.call_text(args)}, with the reference's "
                f"weights copied in", _run(model, x, exercise, args),
                _run(ref_model, x, exercise, args), atol=_OUTPUT_ATOL,
                context=f"an input of shape {x.shape}; the layers and settings are right, so "
                        f"check how they are connected: Input -> {_chain(_layers(ref_model))}, "
                        f"nothing in between")


def _check(exercise, fn, cases, rng, t_values):
    """Every step on every case: ``(the last model, None)``, or ``(None, the failure message)``."""
    try:
        for args in cases:
            model = _build(exercise, fn, args)
            ref_model = exercise.build_reference(*args)
            _check_input(exercise, args, model)
            got_layers, expected_layers = _layers(model), _layers(ref_model)
            _check_layer_types(exercise, args, got_layers, expected_layers)
            _check_settings(exercise, args, got_layers, expected_layers)
            batches = [rng.normal(size=(batch, steps, args[0])).astype(np.float32)
                       for batch, steps in t_values]
            _check_outputs(exercise, args, model, ref_model, batches)
    except AssertionError as failure:
        return None, str(failure)
    return model, None


# ------------------------------------------------------------------ the checkers

# A hidden case with input_dim != units comes first: a failure there tells a missing time axis
# (the error shows input_dim) from a missing return_sequences (it shows units).
_STACKED_CASES = {"visible": [(3, 4)], "hidden": [(5, 2), (1, 1), (2, 7)]}
_TAGGER_CASES = {"visible": [(3, 4, 5)], "hidden": [(6, 3, 4), (1, 1, 2)]}
_BATCHES = {"visible": [(2, 5), (3, 8)], "hidden": [(1, 1), (4, 6)]}   # (batch, T)


def check_build_stacked_model(fn, *, hidden=False):
    """Check that ``fn(input_dim, units)`` builds LSTM(return_sequences=True) -> GRU -> Dense(1)."""
    mode = "hidden" if hidden else "visible"
    rng = np.random.default_rng(6)
    model, failure = _check(_STACKED, fn, _STACKED_CASES[mode], rng, _BATCHES[mode])
    if failure:
        # Raised here, not deep inside the checker: the notebook shows a short traceback.
        raise AssertionError(failure)
    if hidden:
        passed(f"build_stacked_model: right layers, settings, output shapes, count_params() and "
               f"outputs for {len(_STACKED_CASES[mode])} hidden sizes (one unit, input_dim != "
               f"units) and sequences of length 1.")
    else:
        input_dim, units = _STACKED_CASES[mode][0]
        passed(f"build_stacked_model({input_dim}, {units}): Input (None, None, {input_dim}) -> "
               f"LSTM({units}, return_sequences=True) -> GRU({units}) -> Dense(1), output "
               f"(batch, 1) for any T, {model.count_params()} parameters.")


def check_build_bidirectional_tagger(fn, *, hidden=False):
    """Check that ``fn(input_dim, units, num_classes)`` builds Bidirectional(GRU) -> Dense."""
    mode = "hidden" if hidden else "visible"
    rng = np.random.default_rng(7)
    model, failure = _check(_TAGGER, fn, _TAGGER_CASES[mode], rng, _BATCHES[mode])
    if failure:
        # Raised here, not deep inside the checker: the notebook shows a short traceback.
        raise AssertionError(failure)
    if hidden:
        passed(f"build_bidirectional_tagger: right layers, settings, output shapes, "
               f"count_params() and outputs for {len(_TAGGER_CASES[mode])} hidden sizes (one "
               f"unit, two classes) and sequences of length 1.")
    else:
        input_dim, units, num_classes = _TAGGER_CASES[mode][0]
        passed(f"build_bidirectional_tagger({input_dim}, {units}, {num_classes}): "
               f"Bidirectional(GRU({units}, return_sequences=True)) -> Dense({num_classes}, "
               f"softmax), output (batch, T, {num_classes}), {model.count_params()} parameters.")

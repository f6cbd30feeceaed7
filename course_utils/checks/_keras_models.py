"""The machinery shared by the two model-building checkers of 06_keras_rnns
(``stacked_model.check_build_stacked_model`` and
``bidirectional_tagger.check_build_bidirectional_tagger``).

The student's model is compared with the reference of
``course_utils.keras_models`` through Keras's public API only, in the order in
which a beginner's mistakes show up: a built ``keras.Model`` with input
``(None, None, input_dim)``; the layer types in order; the settings that
matter in each layer's ``get_config()``; the output shape on real batches
(several T, T = 1 included); ``count_params()``; and finally, with the
reference's weights copied in by ``set_weights``, the same outputs as the
reference. A failure names the exercise's function, the layer and the setting
that differ and, for the known slips, the ``Mistake`` with its registered id
(``misconceptions.py``, CONTRIBUTING.md "Misconception ids"); otherwise the
lesson section to reread.
"""
import re
from dataclasses import dataclass

import keras
import numpy as np

from ._core import ATOL, Mistake, StudentCodeError, _quiet, call_student, compare
from .misconceptions import reread_text

LESSON = "06_keras_rnns"
STACKING_SECTION = "Stacking recurrent layers"        # headings of the lesson
BIDIRECTIONAL_SECTION = "Bidirectional layers"
INPUT_SECTION = "Units and shapes"
PARAMETERS_SECTION = "Counting parameters by hand"

# Settings compared in get_config(); anything else (names, initialisers, ...) is free.
_RECURRENT_KEYS = ("units", "return_sequences", "return_state", "go_backwards", "stateful",
                   "activation", "recurrent_activation", "use_bias", "reset_after")
_DENSE_KEYS = ("units", "activation", "use_bias")
_RECURRENT_CLASSES = ("SimpleRNN", "GRU", "LSTM")
_EXTRA_CLASSES = ("Dropout", "Activation", "Flatten", "Reshape", "Lambda", "SpatialDropout1D")


def reread(section):
    """"(Reread: 06_keras_rnns, 'section'.)" for a failure that is no known mistake."""
    return reread_text(f"{LESSON}, '{section}'")


@dataclass(frozen=True)
class Exercise:
    name: str               # the student function's name
    arg_names: tuple        # its arguments, for messages
    build_reference: object
    section: str            # lesson section to reread when the structure is wrong
    per_step: bool          # one prediction per step (the tagger) or per sequence

    def call_text(self, args):
        return f"{self.name}({', '.join(f'{n}={v}' for n, v in zip(self.arg_names, args))})"


# ------------------------------------------------------------------ reading a model

def layers_of(model):
    """The model's layers without the InputLayer (functional models list it, Sequential not)."""
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _config(layer):
    with _quiet():    # serialising e.g. a lambda activation warns on stderr
        return layer.get_config()


def _inner(layer):
    """``(class name, config)`` of the layer a wrapper (Bidirectional, TimeDistributed) holds."""
    inner = _config(layer).get("layer") or {}
    return inner.get("class_name", "?"), inner.get("config", {})


def describe_layer(layer):
    """Short name of a layer: 'LSTM', 'Dense', 'Bidirectional(GRU)'."""
    kind = type(layer).__name__
    if kind in ("Bidirectional", "TimeDistributed"):
        return f"{kind}({_inner(layer)[0]})"
    return kind


def chain(layers):
    return " -> ".join(describe_layer(layer) for layer in layers) or "(no layers)"


def _settings(kind, config):
    keys = _RECURRENT_KEYS if kind in _RECURRENT_CLASSES else _DENSE_KEYS if kind == "Dense" else ()
    return {key: config.get(key) for key in keys if key in config}


def _lines(message, *mistakes):
    return "\n".join([message] + [m.describe() for m in mistakes])


# ------------------------------------------------------------------ the steps of a check

def _build(exercise, fn, args):
    """Call the student's builder ``fn``; explain the Keras errors a beginner meets most."""
    try:
        model = call_student(fn, *args, name=exercise.name)
    except StudentCodeError as err:
        raise AssertionError(_explain_build_error(exercise, args, err, err.__context__)) from None
    if model is None:
        raise AssertionError(f"{exercise.call_text(args)} returned None. Did you forget "
                             f"`return model`?")
    if not isinstance(model, keras.Model):
        raise AssertionError(
            f"{exercise.call_text(args)} should return a keras.Model (keras.Sequential([...]) or "
            f"keras.Model(inputs, outputs)), got {type(model).__name__}.")
    return model


def _explain_build_error(exercise, args, err, original):
    """Keras's 'expected ndim=3, found ndim=2' traced to its causes, else call_student's text."""
    text = str(original) if original is not None else str(err)
    if re.search(r"expects 1 input\(s\), but it received [23] input tensors", text):
        keras_says = text.split(" Inputs received")[0].strip()
        return _lines(f"{exercise.call_text(args)} raised ValueError while building the model. "
                      f"Keras says: \"{keras_says}\"\nA layer received the several outputs of "
                      f"the layer before it.", Mistake("RETURN-STATE-SET"))
    found = re.search(r"expected ndim=3, found ndim=2\. Full shape received: \((.*?)\)", text)
    if not found:
        return str(err)
    input_dim, units = args[0], args[1]
    last = found.group(1).split(",")[-1].strip()
    head = (f"{exercise.call_text(args)} raised ValueError while building the model. Keras says: "
            f"\"{text.strip()}\"\nA recurrent layer received a 2-D input (batch, {last}) where "
            f"it needs a sequence (batch, T, features).")
    no_time_axis = Mistake("INPUT-NO-TIME-AXIS", explanation=(
        f"The Input of {exercise.name} has no time axis: write keras.Input(shape=(None, "
        f"{input_dim})), where None lets T be any length."))
    no_sequences = Mistake("STACK-NO-RETURN-SEQUENCES", explanation=(
        f"The recurrent layer before the failing one returns only its last state (batch, "
        f"{units}): give it return_sequences=True so the next one gets (batch, T, {units})."))
    if exercise.per_step:            # one recurrent layer: only the Input can be 2-D
        causes = [no_time_axis]
    elif last == str(input_dim) and last != str(units):
        causes = [no_time_axis]
    elif last == str(units) and last != str(input_dim):
        causes = [no_sequences]
    else:
        causes = [no_time_axis, no_sequences]
    return _lines(head, *causes)


def _check_input(exercise, args, model):
    input_dim = args[0]
    if not model.built:
        raise AssertionError(_lines(
            f"The model of {exercise.call_text(args)} has no input yet, so Keras has not created "
            f"its weights.", Mistake("MODEL-NO-INPUT", explanation=(
                f"Start the model of {exercise.name} with keras.Input(shape=(None, "
                f"{input_dim})) so that Keras builds it."))))
    try:
        shape = tuple(model.input_shape)
    except (AttributeError, ValueError, TypeError):
        shape = None
    expected = (None, None, input_dim)
    if shape == expected:
        return
    if shape is not None and len(shape) == 3 and shape[2] == input_dim:
        raise AssertionError(_lines(
            f"The model of {exercise.call_text(args)} takes input shape {shape}, expected "
            f"{expected}: the time axis must be None so that the model reads sequences of any "
            f"length T.", Mistake("INPUT-FIXED-LENGTH", explanation=(
                f"The Input fixes T to {shape[1]}; write keras.Input(shape=(None, {input_dim})) "
                f"so that the model reads sequences of any length."))))
    raise AssertionError(
        f"The model of {exercise.call_text(args)} takes input shape {shape}, expected {expected} "
        f"= (batch, T, input_dim): use the function's arguments, keras.Input(shape=(None, "
        f"input_dim)), not fixed sizes. {reread(INPUT_SECTION)}")


def _kinds(layers):
    """Layer kinds with a wrapper's inner layer: ['Bidirectional', 'GRU', 'Dense']."""
    found = []
    for layer in layers:
        found.append(type(layer).__name__)
        if found[-1] in ("Bidirectional", "TimeDistributed"):
            found.append(_inner(layer)[0])
    return found


def _check_layer_types(exercise, args, got_layers, expected_layers):
    got_chain, expected_chain = chain(got_layers), chain(expected_layers)
    if got_chain == expected_chain:
        return
    message = (f"The model of {exercise.call_text(args)} has the layers {got_chain}; expected "
               f"{expected_chain} (after the Input).")
    kinds, expected_kinds = _kinds(got_layers), _kinds(expected_layers)
    mistakes = []
    if any(k in _EXTRA_CLASSES for k in kinds):
        mistakes.append(Mistake("MODEL-EXTRA-LAYERS", explanation=(
            f"{exercise.name} builds exactly the layers asked for: no Dropout, Activation, "
            f"Flatten or other extra layers (an activation goes into the Dense layer's "
            f"`activation` argument).")))
    if "TimeDistributed" in kinds:
        mistakes.append(Mistake("TIME-DISTRIBUTED-DENSE"))
    if exercise.per_step and "Bidirectional" not in kinds and \
            any(k in _RECURRENT_CLASSES for k in kinds):
        mistakes.append(Mistake("TAGGER-NOT-BIDIRECTIONAL"))
    got_recurrent = [k for k in kinds if k in _RECURRENT_CLASSES]
    expected_recurrent = [k for k in expected_kinds if k in _RECURRENT_CLASSES]
    if not mistakes and len(got_recurrent) == len(expected_recurrent) > 1 and \
            got_recurrent == expected_recurrent[::-1]:
        order = " -> ".join(got_recurrent)
        mistakes.append(Mistake("STACK-LAYER-ORDER", explanation=(
            f"The recurrent layers of {exercise.name} are in the wrong order ({order}); the "
            f"LSTM comes first (with return_sequences=True), then the GRU.")))
    elif not mistakes and len(kinds) == len(expected_kinds) and got_recurrent != \
            expected_recurrent and all(
                (g == e) or (g in _RECURRENT_CLASSES and e in _RECURRENT_CLASSES)
                for g, e in zip(kinds, expected_kinds)):
        mistakes.append(Mistake("WRONG-RECURRENT-LAYER", explanation=(
            f"{exercise.name} uses {' and '.join(got_recurrent)} where "
            f"{' and '.join(expected_recurrent)} was asked for; SimpleRNN, GRU and LSTM are not "
            f"interchangeable (their weights and counts differ): use the layer named.")))
    if len(got_recurrent) > len(expected_recurrent) and not mistakes:
        mistakes.append(Mistake("MODEL-EXTRA-LAYERS"))
    if not mistakes:
        raise AssertionError(f"{message} {reread(exercise.section)}")
    raise AssertionError(_lines(message, *mistakes))


def _setting_mistake(exercise, kind, key, expected, got, is_last_recurrent, units):
    """The known mistake a setting that differs shows (None if none fits)."""
    if key == "return_sequences" and expected and not got:
        if exercise.per_step:
            return Mistake("PER-STEP-NO-RETURN-SEQUENCES", explanation=(
                f"A tagger makes one prediction per time step, so the GRU must return its whole "
                f"sequence (return_sequences=True); the Dense layer then acts on every step of "
                f"(batch, T, {2 * units})."), reread=f"{LESSON}, '{BIDIRECTIONAL_SECTION}'")
        return Mistake("STACK-NO-RETURN-SEQUENCES", explanation=(
            f"The first recurrent layer must return sequences so the next one gets (batch, T, "
            f"{units}): set return_sequences=True."))
    if key == "return_sequences" and got and not expected and is_last_recurrent:
        return Mistake("STACK-LAST-RETURNS-SEQUENCES", explanation=(
            f"The {kind} returns its whole sequence, so the Dense layer acts on every step and "
            f"the model outputs (batch, T, 1); this model makes one prediction per sequence from "
            f"the last state (batch, {units}): leave return_sequences=False (the default)."))
    if key == "units" and kind in _RECURRENT_CLASSES:
        return Mistake("KERAS-UNITS-ARGUMENT", explanation=(
            f"Pass the `units` argument ({expected}) to every recurrent layer of "
            f"{exercise.name}, not a fixed number."))
    if key == "units" and kind == "Dense":
        if exercise.per_step:
            return Mistake("OUTPUT-UNITS-WRONG", explanation=(
                f"The Dense layer needs units=num_classes ({expected}): one probability per "
                f"class at every step."))
        return Mistake("OUTPUT-UNITS-WRONG", explanation=(
            f"The Dense layer needs units={expected}: one number per sequence."),
            reread=f"{LESSON}, 'Exercise 1: a stacked model'")
    if key == "activation" and kind == "Dense" and expected == "softmax":
        return Mistake("OUTPUT-NO-SOFTMAX", explanation=(
            "Each step's outputs must be probabilities over the classes: give the Dense layer "
            "activation=\"softmax\"."))
    if key == "activation" and kind == "Dense" and expected == "linear":
        return Mistake("REGRESSION-OUTPUT-ACTIVATION", explanation=(
            "The model predicts a real number (a regression), so the output layer has no "
            "activation: leave Dense's activation at its default, None (linear)."))
    if key == "reset_after":
        return Mistake("GRU-RESET-AFTER-CHANGED")
    if key == "return_state":
        return Mistake("RETURN-STATE-SET")
    return None


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
                raise AssertionError(_lines(
                    f"Layer {position} of {exercise.call_text(args)} (Bidirectional) has "
                    f"merge_mode={got_cfg.get('merge_mode')!r}, expected "
                    f"{exp_cfg.get('merge_mode')!r} (the default).",
                    Mistake("BIDIRECTIONAL-MERGE-MODE", explanation=(
                        f"Leave Bidirectional's merge_mode at its default \"concat\", which puts "
                        f"the forward and backward outputs side by side: {2 * units} features "
                        f"per step."))))
            inner_kind, got_inner = _inner(got)
            pairs = [(inner_kind, got_inner, _inner(expected)[1], " inside Bidirectional")]
        for inner_kind, got_cfg, exp_cfg, where in pairs:
            got_settings = _settings(inner_kind, got_cfg)
            for key, exp_value in _settings(inner_kind, exp_cfg).items():
                got_value = got_settings.get(key)
                if got_value == exp_value:
                    continue
                is_last = position - 1 == recurrent_positions[-1]
                mistake = _setting_mistake(exercise, inner_kind, key, exp_value, got_value,
                                           is_last, units)
                message = (f"Layer {position} of {exercise.call_text(args)} ({inner_kind}{where}) "
                           f"has {key}={got_value!r}, expected {key}={exp_value!r}.")
                if mistake is None:
                    raise AssertionError(f"{message} {reread(exercise.section)}")
                raise AssertionError(_lines(message, mistake))


def _run(model, x, exercise, args):
    """The model's output on ``x`` as a numpy array (a crash becomes a friendly AssertionError)."""
    out = call_student(model, x, name=f"the model of {exercise.call_text(args)}")
    if isinstance(out, (list, tuple)):
        raise AssertionError(_lines(
            f"The model of {exercise.call_text(args)} returns {len(out)} outputs; expected one "
            f"array.", Mistake("RETURN-STATE-SET")))
    return keras.ops.convert_to_numpy(out)


def _check_outputs(exercise, args, model, ref_model, batches):
    """Output shapes on real batches, count_params(), then the outputs with the same weights."""
    for x in batches:
        got, expected = _run(model, x, exercise, args), _run(ref_model, x, exercise, args)
        if got.shape != expected.shape:
            pattern = "(batch, T, num_classes)" if exercise.per_step else "(batch, 1)"
            raise AssertionError(
                f"On an input of shape {x.shape} (batch, T, input_dim), the model of "
                f"{exercise.call_text(args)} returned shape {got.shape}, expected "
                f"{expected.shape} = {pattern}. {reread(exercise.section)}")
    got_count, expected_count = model.count_params(), ref_model.count_params()
    if got_count != expected_count:
        per_layer = ", ".join(
            f"{describe_layer(g)} {g.count_params()} (expected {e.count_params()})"
            for g, e in zip(layers_of(model), layers_of(ref_model)))
        raise AssertionError(
            f"model.count_params() of {exercise.call_text(args)} is {got_count}, expected "
            f"{expected_count}: {per_layer}. {reread(PARAMETERS_SECTION)}")
    # Same weights in both models: a correctly wired model computes the same function.
    with _quiet():
        ref_model.set_weights(model.get_weights())
    for x in batches:
        compare(f"output of the model of {exercise.call_text(args)}, with the reference's "
                f"weights copied in", _run(model, x, exercise, args),
                _run(ref_model, x, exercise, args), atol=ATOL,
                context=f"an input of shape {x.shape}; the layers and settings are right, so "
                        f"check how they are connected: Input -> {chain(layers_of(ref_model))}, "
                        f"nothing in between")


def check_model(exercise, fn, cases, rng, t_values):
    """Every step on every case; returns the last model (AssertionError on a failure)."""
    model = None
    for args in cases:
        model = _build(exercise, fn, args)
        ref_model = exercise.build_reference(*args)
        _check_input(exercise, args, model)
        got_layers, expected_layers = layers_of(model), layers_of(ref_model)
        _check_layer_types(exercise, args, got_layers, expected_layers)
        _check_settings(exercise, args, got_layers, expected_layers)
        batches = [rng.normal(size=(batch, steps, args[0])).astype(np.float32)
                   for batch, steps in t_values]
        _check_outputs(exercise, args, model, ref_model, batches)
    return model


# (batch, T) of the probe batches: several T, T = 1 among the hidden ones.
BATCHES = {"visible": [(2, 5), (3, 8)], "hidden": [(1, 1), (4, 6)]}

"""The model-building checkers of 06_keras_rnns, run on correct and on wrong student models.

Correct models built in other ways (Sequential or functional, defaults spelled
out) must pass; every wrong model must fail with a message that names what
differs and, for the known slips, the id of the mistake.  Nothing may reach stderr.
"""
import re
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
from check_helpers import fails_with, flex

import course_utils  # noqa: F401  (first: quiet TensorFlow)
from course_utils import keras_models as reference
from course_utils.checks import _keras_models as checker
from course_utils.checks import check_build_bidirectional_tagger, check_build_stacked_model
from course_utils.checks.misconceptions import ID_PATTERN

REPO = Path(__file__).resolve().parent.parent

L = keras.layers


# ------------------------------------------------------------------ correct answers

def stacked_functional(input_dim, units):
    return reference.build_stacked_model(input_dim, units)


def stacked_sequential_explicit(input_dim, units):
    return keras.Sequential([
        keras.Input(shape=(None, input_dim)),
        L.LSTM(units, return_sequences=True, return_state=False, activation="tanh"),
        L.GRU(units, return_sequences=False, reset_after=True),
        L.Dense(1, activation=None),
    ])


def tagger_functional(input_dim, units, num_classes):
    return reference.build_bidirectional_tagger(input_dim, units, num_classes)


def tagger_sequential_explicit(input_dim, units, num_classes):
    return keras.Sequential([
        keras.Input(shape=(None, input_dim)),
        L.Bidirectional(L.GRU(units, return_sequences=True), merge_mode="concat"),
        L.Dense(num_classes, activation=keras.activations.softmax),
    ])


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check, builder", [
    (check_build_stacked_model, stacked_functional),
    (check_build_stacked_model, stacked_sequential_explicit),
    (check_build_bidirectional_tagger, tagger_functional),
    (check_build_bidirectional_tagger, tagger_sequential_explicit),
])
def test_correct_models_pass_with_one_quiet_line(check, builder, hidden, capsys):
    check(builder, hidden=hidden)
    out, err = capsys.readouterr()
    assert out.count("\n") == 1 and out.startswith("\u2714 ")
    assert err == ""


# ------------------------------------------------------------------ wrong answers

def _stacked(*layers_of, first_input=None):
    """A stacked-model builder from a function (input_dim, units) -> list of layers."""
    def build(input_dim, units):
        inputs = keras.Input(shape=first_input(input_dim) if first_input else (None, input_dim))
        return keras.Sequential([inputs] + layers_of[0](input_dim, units))
    return build


def _tagger(layers_of, input_shape=None):
    def build(input_dim, units, num_classes):
        shape = input_shape(input_dim) if input_shape else (None, input_dim)
        return keras.Sequential([keras.Input(shape=shape)] + layers_of(units, num_classes))
    return build


def _flipped_wiring(input_dim, units):
    """The right layers, wired so that the GRU reads the LSTM's states backwards in time."""
    inputs = keras.Input(shape=(None, input_dim))
    states = L.LSTM(units, return_sequences=True)(inputs)
    last = L.GRU(units)(keras.ops.flip(states, axis=1))
    return keras.Model(inputs, L.Dense(1)(last))


def _lambda_activation(input_dim, units):
    """get_config() of a lambda activation warns on stderr; the checker must stay quiet."""
    return keras.Sequential([keras.Input(shape=(None, input_dim)),
                             L.LSTM(units, return_sequences=True), L.GRU(units),
                             L.Dense(1, activation=lambda a: 2 * a)])


# Each wrong model -> the ids (and localisation words) its failure must carry.
STACKED_MISTAKES = {
    "no_return_sequences": (
        _stacked(lambda d, u: [L.LSTM(u), L.GRU(u), L.Dense(1)]),
        ["[STACK-NO-RETURN-SEQUENCES]", "raised ValueError while building",
         "expected ndim=3, found ndim=2", "return_sequences=True", "'Stacking recurrent layers'"]),
    "input_without_time_axis": (
        _stacked(lambda d, u: [L.LSTM(u, return_sequences=True), L.GRU(u), L.Dense(1)],
                 first_input=lambda d: (d,)),
        ["[INPUT-NO-TIME-AXIS]", "keras.Input(shape=(None, 3))", "'Units and shapes'"]),
    "gru_returns_sequences": (
        _stacked(lambda d, u: [L.LSTM(u, return_sequences=True),
                               L.GRU(u, return_sequences=True), L.Dense(1)]),
        ["[STACK-LAST-RETURNS-SEQUENCES]", "Layer 2",
         "(GRU) has return_sequences=True, expected return_sequences=False", "(batch, T, 1)"]),
    "fixed_sequence_length": (
        _stacked(lambda d, u: [L.LSTM(u, return_sequences=True), L.GRU(u), L.Dense(1)],
                 first_input=lambda d: (10, d)),
        ["[INPUT-FIXED-LENGTH]", "input shape (None, 10, 3), expected (None, None, 3)",
         "any length"]),
    "no_input": (
        lambda d, u: keras.Sequential([L.LSTM(u, return_sequences=True), L.GRU(u), L.Dense(1)]),
        ["[MODEL-NO-INPUT]", "has no input yet", "keras.Input(shape=(None, 3))"]),
    "layers_swapped": (
        _stacked(lambda d, u: [L.GRU(u, return_sequences=True), L.LSTM(u), L.Dense(1)]),
        ["[STACK-LAYER-ORDER]", "has the layers GRU -> LSTM -> Dense; expected LSTM -> GRU -> Dense"]),
    "simple_rnn_instead_of_gru": (
        _stacked(lambda d, u: [L.LSTM(u, return_sequences=True), L.SimpleRNN(u), L.Dense(1)]),
        ["[WRONG-RECURRENT-LAYER]", "uses LSTM and SimpleRNN where LSTM and GRU was asked for"]),
    "extra_dropout": (
        _stacked(lambda d, u: [L.LSTM(u, return_sequences=True), L.Dropout(0.1), L.GRU(u),
                               L.Dense(1)]),
        ["[MODEL-EXTRA-LAYERS]", "LSTM -> Dropout -> GRU -> Dense", "no Dropout"]),
    "three_recurrent_layers": (
        _stacked(lambda d, u: [L.LSTM(u, return_sequences=True), L.LSTM(u, return_sequences=True),
                               L.GRU(u), L.Dense(1)]),
        ["[MODEL-EXTRA-LAYERS]", "LSTM -> LSTM -> GRU -> Dense"]),
    "wrong_units": (
        _stacked(lambda d, u: [L.LSTM(u, return_sequences=True), L.GRU(2 * u), L.Dense(1)]),
        ["[KERAS-UNITS-ARGUMENT]", "(GRU) has units=8, expected units=4", "`units` argument"]),
    "sigmoid_output": (
        _stacked(lambda d, u: [L.LSTM(u, return_sequences=True), L.GRU(u),
                               L.Dense(1, activation="sigmoid")]),
        ["[REGRESSION-OUTPUT-ACTIVATION]",
         "(Dense) has activation='sigmoid', expected activation='linear'", "regression"]),
    "two_outputs": (
        _stacked(lambda d, u: [L.LSTM(u, return_sequences=True), L.GRU(u), L.Dense(2)]),
        ["[OUTPUT-UNITS-WRONG]", "(Dense) has units=2, expected units=1"]),
    "reset_after_false": (
        _stacked(lambda d, u: [L.LSTM(u, return_sequences=True), L.GRU(u, reset_after=False),
                               L.Dense(1)]),
        ["[GRU-RESET-AFTER-CHANGED]", "reset_after=False, expected reset_after=True"]),
    "return_state": (
        _stacked(lambda d, u: [L.LSTM(u, return_sequences=True), L.GRU(u, return_state=True),
                               L.Dense(1)]),
        ["[RETURN-STATE-SET]"]),
    "flipped_wiring": (     # no known mistake: the failure localises it
        _flipped_wiring,
        ["with the reference's weights copied in", "check how they are connected",
         "Largest difference at index"]),
    "lambda_activation": (
        _lambda_activation,
        ["[REGRESSION-OUTPUT-ACTIVATION]", "(Dense) has activation="]),
}

TAGGER_MISTAKES = {
    "not_bidirectional": (
        _tagger(lambda u, c: [L.GRU(u, return_sequences=True), L.Dense(c, activation="softmax")]),
        ["[TAGGER-NOT-BIDIRECTIONAL]",
         "has the layers GRU -> Dense; expected Bidirectional(GRU) -> Dense",
         "keras.layers.Bidirectional(keras.layers.GRU", "'Bidirectional layers'"]),
    "no_softmax": (
        _tagger(lambda u, c: [L.Bidirectional(L.GRU(u, return_sequences=True)), L.Dense(c)]),
        ["[OUTPUT-NO-SOFTMAX]", "(Dense) has activation='linear', expected activation='softmax'",
         "probabilities"]),
    "relu_output": (
        _tagger(lambda u, c: [L.Bidirectional(L.GRU(u, return_sequences=True)),
                              L.Dense(c, activation="relu")]),
        ["[OUTPUT-NO-SOFTMAX]", "activation='relu'"]),
    "gru_without_return_sequences": (
        _tagger(lambda u, c: [L.Bidirectional(L.GRU(u)), L.Dense(c, activation="softmax")]),
        ["[PER-STEP-NO-RETURN-SEQUENCES]", "(GRU inside Bidirectional) has return_sequences=False",
         "one prediction per time step", "(batch, T, 8)", "'Bidirectional layers'"]),
    "merge_mode_sum": (
        _tagger(lambda u, c: [L.Bidirectional(L.GRU(u, return_sequences=True), merge_mode="sum"),
                              L.Dense(c, activation="softmax")]),
        ["[BIDIRECTIONAL-MERGE-MODE]", "merge_mode='sum', expected 'concat'",
         "8 features per step"]),
    "lstm_inside": (
        _tagger(lambda u, c: [L.Bidirectional(L.LSTM(u, return_sequences=True)),
                              L.Dense(c, activation="softmax")]),
        ["[WRONG-RECURRENT-LAYER]",
         "Bidirectional(LSTM) -> Dense; expected Bidirectional(GRU) -> Dense"]),
    "time_distributed": (
        _tagger(lambda u, c: [L.Bidirectional(L.GRU(u, return_sequences=True)),
                              L.TimeDistributed(L.Dense(c, activation="softmax"))]),
        ["[TIME-DISTRIBUTED-DENSE]", "TimeDistributed(Dense)", "use Dense directly"]),
    "separate_activation_layer": (
        _tagger(lambda u, c: [L.Bidirectional(L.GRU(u, return_sequences=True)), L.Dense(c),
                              L.Activation("softmax")]),
        ["[MODEL-EXTRA-LAYERS]", "Dense -> Activation", "`activation` argument"]),
    "units_and_classes_swapped": (
        lambda d, u, c: keras.Sequential([
            keras.Input(shape=(None, d)), L.Bidirectional(L.GRU(c, return_sequences=True)),
            L.Dense(u, activation="softmax")]),
        ["[KERAS-UNITS-ARGUMENT]", "(GRU inside Bidirectional) has units=5, expected units=4"]),
    "dense_units_fixed": (
        _tagger(lambda u, c: [L.Bidirectional(L.GRU(u, return_sequences=True)),
                              L.Dense(3, activation="softmax")]),
        ["[OUTPUT-UNITS-WRONG]", "units=num_classes (5)"]),
    "input_without_time_axis": (
        _tagger(lambda u, c: [L.Bidirectional(L.GRU(u, return_sequences=True)),
                              L.Dense(c, activation="softmax")], input_shape=lambda d: (d,)),
        ["[INPUT-NO-TIME-AXIS]"]),
}


@pytest.mark.parametrize("check, builder, fragments", [
    pytest.param(check_build_stacked_model, builder, fragments, id=f"stacked-{name}")
    for name, (builder, fragments) in STACKED_MISTAKES.items()
] + [
    pytest.param(check_build_bidirectional_tagger, builder, fragments, id=f"tagger-{name}")
    for name, (builder, fragments) in TAGGER_MISTAKES.items()
])
def test_wrong_models_fail_with_the_id_of_their_mistake(check, builder, fragments, capsys):
    message = fails_with(check, builder, *fragments)
    named = ID_PATTERN.findall(message)
    expected = [f[1:-1] for f in fragments if ID_PATTERN.fullmatch(f)]
    assert named == expected, message          # that mistake, and no other
    assert capsys.readouterr().err == ""


def test_tagger_messages_name_the_tagger_and_not_the_stacked_model():
    builder, _ = TAGGER_MISTAKES["gru_without_return_sequences"]
    message = fails_with(check_build_bidirectional_tagger, builder, "build_bidirectional_tagger(")
    assert "stacked" not in message.lower() and "Stacking" not in message


def test_hidden_cases_catch_a_model_that_only_works_for_the_visible_sizes():
    def hard_coded(input_dim, units):
        return reference.build_stacked_model(3, 4)   # the visible case's sizes
    check_build_stacked_model(hard_coded)
    fails_with(check_build_stacked_model, hard_coded,
               "input shape (None, None, 3), expected (None, None, 5)", hidden=True)


@pytest.mark.parametrize("name, mistake_id", [("no_return_sequences", "STACK-NO-RETURN-SEQUENCES"),
                                              ("input_without_time_axis", "INPUT-NO-TIME-AXIS")])
def test_hidden_cases_name_one_cause_of_a_2d_input(name, mistake_id):
    builder, _ = STACKED_MISTAKES[name]
    message = fails_with(check_build_stacked_model, builder, hidden=True)
    assert ID_PATTERN.findall(message) == [mistake_id]


# ------------------------------------------------------------------ student code that misbehaves

def test_a_stub_gets_a_friendly_message():
    def build_stacked_model(input_dim, units):
        raise NotImplementedError()
    with pytest.raises(AssertionError, match=flex("not implemented yet")):
        check_build_stacked_model(build_stacked_model)


def test_a_forgotten_return_is_named():
    def build_bidirectional_tagger(input_dim, units, num_classes):
        reference.build_bidirectional_tagger(input_dim, units, num_classes)
    with pytest.raises(AssertionError, match=flex(r"returned None\. Did you forget `return model`")):
        check_build_bidirectional_tagger(build_bidirectional_tagger)


def test_something_other_than_a_model_is_named():
    def build_stacked_model(input_dim, units):
        return L.LSTM(units)
    with pytest.raises(AssertionError, match=flex("should return a keras.Model .* got LSTM")):
        check_build_stacked_model(build_stacked_model)


def test_another_error_is_reported_without_a_traceback_into_the_checker():
    def build_stacked_model(input_dim, units):
        return keras.Sequential([keras.Input(shape=(None, input_dim)), L.LSTM(unit)])  # noqa: F821
    with pytest.raises(AssertionError, match=flex("raised NameError")) as failure:
        check_build_stacked_model(build_stacked_model)
    # Raised by the public checker's wrapper with no chained exception, and rendered by
    # IPython as the message alone (_core.CheckFailed).
    assert type(failure.value).__name__ == "CheckFailed"
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_reassigning_numpy_functions_cannot_make_a_wrong_model_pass(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *args, **kwargs: True)
    monkeypatch.setattr(np, "abs", lambda a: 0 * a)
    with pytest.raises(AssertionError, match=flex("check how they are connected")):
        check_build_stacked_model(_flipped_wiring)


def test_hidden_cases_include_one_unit_and_input_dim_other_than_units():
    seen = []

    def build_stacked_model(input_dim, units):
        seen.append((input_dim, units))
        return reference.build_stacked_model(input_dim, units)
    check_build_stacked_model(build_stacked_model, hidden=True)
    assert len(seen) == 3 and len(set(seen)) == 3
    assert (1, 1) in seen and any(d != u for d, u in seen)


def test_the_sections_the_messages_send_students_to_are_headings_of_the_lesson():
    notebook = REPO / "solutions" / "06_keras_rnns" / "06_keras_rnns.ipynb"
    headings = {match.group(1).strip()
                for cell in nbformat.read(str(notebook), as_version=4).cells
                if cell.cell_type == "markdown"
                for match in re.finditer(r"^#+\s+(.*)$", cell.source, flags=re.MULTILINE)}
    sections = {checker.STACKING_SECTION, checker.BIDIRECTIONAL_SECTION, checker.INPUT_SECTION,
                checker.PARAMETERS_SECTION}
    assert sections <= headings, sections - headings

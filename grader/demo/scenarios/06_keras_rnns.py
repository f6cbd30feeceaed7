"""Round-trip grading scenarios for 06_keras_rnns: the solution with one answer changed.

Each scenario replaces the source of the named solution cells (by grade_id) in
an otherwise correct submission. The generic round-trip test autogrades it
with nbgrader and checks the score class and that the ids appear in the
feedback (ids: course_utils/checks/misconceptions.py, CONTRIBUTING.md
"Misconception ids"). The parameter-count slip is MISSING-BIAS.
"""

SCENARIOS = {
    "other_correct_styles": {
        # Functional where the solution is Sequential and the other way round, defaults
        # spelled out: any correct model gets full marks.
        "cells": {
            "build_stacked_model": '''
def build_stacked_model(input_dim, units):
    inputs = keras.Input(shape=(None, input_dim))
    states = keras.layers.LSTM(units, return_sequences=True)(inputs)
    last_state = keras.layers.GRU(units, return_sequences=False, reset_after=True)(states)
    return keras.Model(inputs, keras.layers.Dense(1, activation=None)(last_state))
''',
            "build_bidirectional_tagger": '''
def build_bidirectional_tagger(input_dim, units, num_classes):
    return keras.Sequential([
        keras.Input(shape=(None, input_dim)),
        keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True),
                                   merge_mode="concat"),
        keras.layers.Dense(num_classes, activation=keras.activations.softmax),
    ])
''',
            "rnn_param_count": '''
def rnn_param_count(cell, input_dim, units, reset_after=True):
    gates = {"simple_rnn": 1, "gru": 3, "lstm": 4}[cell]
    count = gates * (input_dim * units + units * units + units)
    if cell == "gru" and reset_after:
        count += gates * units
    return count
''',
        },
        "expect_ids": [],
        "expect": "full",
    },
    "stacked_without_return_sequences_and_tagger_not_bidirectional": {
        # One mistake per model exercise. Keras refuses to build the stacked model (the GRU
        # gets (batch, units) instead of (batch, T, units)); the tagger builds and has the
        # right output shape, the checker names the missing wrapper.
        "cells": {
            "build_stacked_model": '''
def build_stacked_model(input_dim, units):
    return keras.Sequential([
        keras.Input(shape=(None, input_dim)),
        keras.layers.LSTM(units),
        keras.layers.GRU(units),
        keras.layers.Dense(1),
    ])
''',
            "build_bidirectional_tagger": '''
def build_bidirectional_tagger(input_dim, units, num_classes):
    return keras.Sequential([
        keras.Input(shape=(None, input_dim)),
        keras.layers.GRU(units, return_sequences=True),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])
''',
        },
        "expect_ids": ["STACK-NO-RETURN-SEQUENCES", "TAGGER-NOT-BIDIRECTIONAL"],
        "expect": "partial",
    },
    "gru_with_one_bias_row": {
        # Right for SimpleRNN, LSTM and GRU(reset_after=False); one bias row short otherwise.
        "cells": {"rnn_param_count": '''
def rnn_param_count(cell, input_dim, units, reset_after=True):
    blocks = {"simple_rnn": 1, "gru": 3, "lstm": 4}[cell]
    return blocks * units * (input_dim + units + 1)
'''},
        "expect_ids": ["MISSING-BIAS"],
        "expect": "partial",
    },
}

"""Round-trip grading scenarios for 01_simple_rnn: the solution with one answer made wrong.

Each scenario replaces the source of the named solution cells (by grade_id) in
an otherwise correct submission. The generic round-trip test autogrades it
with nbgrader and checks the score class and that the ids appear in the
feedback. The mistakes are misconception ids (CONTRIBUTING.md, "Misconception
ids") that this lesson teaches, the many-to-one exercise's among them.
"""

_CARRIED_LOOP = '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    h = h0
    states = []
    for t in range(x.shape[1]):
        h = rnn_cell_forward(x[:, t], h, kernel, recurrent_kernel, bias)
        states.append(h)
    return np.stack(states, axis=1)
'''

SCENARIOS = {
    "transposed_recurrent_kernel_state_not_carried": {
        # The cell uses U transposed (square, so it runs); the loop feeds h0 to every step and
        # calls that cell: rnn_forward shows both mistakes at once, and both are named.
        "cells": {"rnn_cell_forward": '''
def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + bias)
''', "rnn_forward": '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    states = []
    for t in range(x.shape[1]):
        states.append(rnn_cell_forward(x[:, t], h0, kernel, recurrent_kernel, bias))
    return np.stack(states, axis=1)
'''},
        "expect_ids": ["TRANSPOSED-WEIGHTS", "STATE-NOT-CARRIED"],
        "expect": "partial",
    },
    "returns_last_only": {
        "cells": {"rnn_forward": '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    h = h0
    for t in range(x.shape[1]):
        h = rnn_cell_forward(x[:, t], h, kernel, recurrent_kernel, bias)
    return h
'''},
        "expect_ids": ["RETURNS-LAST-ONLY"],
        "expect": "partial",
    },
    "no_bias_and_sigmoid_in_cell": {
        # Two mistakes in one cell, both named; rnn_forward calls the cell, so it fails too;
        # predict_last_step falls back to the course's rnn_forward.
        "cells": {"rnn_cell_forward": '''
def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    return 1 / (1 + np.exp(-(x_t @ kernel + h_prev @ recurrent_kernel)))
''', "rnn_forward": _CARRIED_LOOP},
        "expect_ids": ["MISSING-BIAS", "WRONG-ACTIVATION"],
        "expect": "partial",
    },
    "cell_writes_into_h_prev": {
        # Right values, but the cell zeroes h_prev after using it: the loop's stored state is
        # wiped by the next step, so rnn_forward is wrong, and its failure names the cell.
        "cells": {"rnn_cell_forward": '''
def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    h_next = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
    h_prev[...] = 0
    return h_next
''', "rnn_forward": _CARRIED_LOOP},
        "expect_ids": ["MODIFIES-INPUTS"],
        "expect": "partial",
    },
    "mean_of_states_many_to_one": {
        "cells": {"predict_last_step": '''
def predict_last_step(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
    h_seq = yours_or_course("rnn_forward", globals(), x, h0, kernel, recurrent_kernel, bias)
    return sigmoid(h_seq.mean(axis=1) @ dense_kernel + dense_bias)
'''},
        "expect_ids": ["MANY-TO-ONE-MEAN-STATE"],
        "expect": "partial",
    },
    "correct_in_another_style": {
        # Any correct answer gets full marks: float64, einsum, a preallocated array, a
        # hand-written loop in predict_last_step and a naive sigmoid that overflows on
        # large negative logits (the checkers keep its RuntimeWarning off stderr).
        "cells": {"rnn_cell_forward": '''
def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    x_t, h_prev = np.asarray(x_t, dtype=np.float64), np.asarray(h_prev, dtype=np.float64)
    pre_activation = np.einsum("bi,iu->bu", x_t, kernel) + np.einsum("bj,ju->bu", h_prev, recurrent_kernel)
    return np.tanh(pre_activation + bias)
''', "rnn_forward": '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    batch, steps, _ = x.shape
    h_seq = np.zeros((batch, steps, h0.shape[1]))
    h = h0
    for t in range(steps):
        h = rnn_cell_forward(x[:, t, :], h, kernel, recurrent_kernel, bias)
        h_seq[:, t, :] = h
    return h_seq
''', "predict_last_step": '''
def predict_last_step(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
    h = h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
    logits = h @ dense_kernel + dense_bias
    return 1.0 / (1.0 + np.exp(-logits))
'''},
        "expect_ids": [],
        "expect": "full",
    },
}

"""Round-trip grading scenarios for 04_lstm: a submission with some solution cells replaced.

Wrong cells are made from the correct ones by one textual change each (``_mutate``
fails loudly if the change no longer applies), so every scenario differs from the
solution by exactly the mistake in its name.  As the lesson asks, ``lstm_forward``
calls ``yours_or_course("lstm_cell_forward", ...)``, which falls back to the course's
cell, so a mistake in ``lstm_cell_forward`` costs only that exercise's points.  ``correct_split_naive_sigmoid`` shows that calling one's own
(correct) cell is fine too.
"""

CORRECT_CELL = '''
def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    units = h_prev.shape[1]
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    i = sigmoid(a[:, :units])
    f = sigmoid(a[:, units:2 * units])
    c_tilde = np.tanh(a[:, 2 * units:3 * units])
    o = sigmoid(a[:, 3 * units:])
    c_next = f * c_prev + i * c_tilde
    h_next = o * np.tanh(c_next)
    return h_next, c_next
'''

CORRECT_SEQUENCE = '''
def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias):
    h, c = h0, c0
    hs, cs = [], []
    for t in range(x.shape[1]):
        h, c = yours_or_course("lstm_cell_forward", globals(), x[:, t], h, c, kernel,
                               recurrent_kernel, bias)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)
'''

# A different correct style: np.split, a naive sigmoid that overflows on large inputs,
# float64, and a sequence function that preallocates and calls the student's own cell.
CORRECT_CELL_SPLIT = '''
def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    a = np.asarray(x_t, np.float64) @ kernel + h_prev @ recurrent_kernel + bias
    a_i, a_f, a_c, a_o = np.split(a, 4, axis=1)
    gate = lambda v: 1.0 / (1.0 + np.exp(-v))
    c_next = gate(a_f) * c_prev + gate(a_i) * np.tanh(a_c)
    return gate(a_o) * np.tanh(c_next), c_next
'''

CORRECT_SEQUENCE_PREALLOCATED = '''
def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias):
    batch, steps, _ = x.shape
    h_seq = np.zeros((batch, steps, h0.shape[1]))
    c_seq = np.zeros_like(h_seq)
    h, c = h0, c0
    for t in range(steps):
        h, c = lstm_cell_forward(x[:, t], h, c, kernel, recurrent_kernel, bias)
        h_seq[:, t], c_seq[:, t] = h, c
    return h_seq, c_seq
'''

STUB = '''
def {name}({args}):
    # YOUR CODE HERE
    raise NotImplementedError()
'''


def _mutate(source, *changes):
    for old, new in changes:
        assert source.count(old) == 1, f"scenario source out of date: {old!r} not found once"
        source = source.replace(old, new)
    return source


def _cell(*changes):
    return {"lstm_cell_forward": _mutate(CORRECT_CELL, *changes)}


SCENARIOS = {
    "correct_split_naive_sigmoid": {
        "cells": {"lstm_cell_forward": CORRECT_CELL_SPLIT,
                  "lstm_forward": CORRECT_SEQUENCE_PREALLOCATED},
        "expect_ids": [],
        "expect": "full",
    },
    "all_stubs": {
        "cells": {
            "lstm_cell_forward": STUB.format(
                name="lstm_cell_forward",
                args="x_t, h_prev, c_prev, kernel, recurrent_kernel, bias"),
            "lstm_forward": STUB.format(
                name="lstm_forward", args="x, h0, c0, kernel, recurrent_kernel, bias"),
        },
        "expect_ids": [],
        "expect": "zero",
    },
    "forget_and_input_swapped_cell_state_not_carried": {
        # Reads the blocks as f, i, c~, o (the order of the equations in many textbooks); the
        # sequence (falling back to the course's cell) feeds c0 to every step. Both exercises
        # wrong: zero points, both mistakes named.
        "cells": {**_cell(("i = sigmoid(a[:, :units])", "f = sigmoid(a[:, :units])"),
                          ("f = sigmoid(a[:, units:2 * units])", "i = sigmoid(a[:, units:2 * units])")),
                  "lstm_forward": _mutate(CORRECT_SEQUENCE, ("globals(), x[:, t], h, c, kernel",
                                                             "globals(), x[:, t], h, c0, kernel"))},
        "expect_ids": ["LSTM-GATE-ORDER", "LSTM-CELL-NOT-CARRIED"],
        "expect": "zero",
    },
    "output_without_tanh_starts_from_zeros": {
        "cells": {**_cell(("h_next = o * np.tanh(c_next)", "h_next = o * c_next")),
                  "lstm_forward": _mutate(CORRECT_SEQUENCE, ("h, c = h0, c0",
                                                             "h, c = np.zeros_like(h0), np.zeros_like(c0)"))},
        "expect_ids": ["LSTM-OUTPUT-NO-TANH", "SEQUENCE-IGNORES-H0"],
        "expect": "zero",
    },
    "tanh_for_the_forget_gate_only": {
        "cells": _cell(("f = sigmoid(a[:, units:2 * units])", "f = np.tanh(a[:, units:2 * units])")),
        "expect_ids": ["WRONG-ACTIVATION"],
        "expect": "partial",
    },
    "bias_left_out_and_no_forget_gate": {
        # Two mistakes in one cell: both named.
        "cells": _cell(("a = x_t @ kernel + h_prev @ recurrent_kernel + bias",
                        "a = x_t @ kernel + h_prev @ recurrent_kernel"),
                       ("c_next = f * c_prev + i * c_tilde", "c_next = c_prev + i * c_tilde")),
        "expect_ids": ["MISSING-BIAS", "LSTM-FORGET-IGNORED"],
        "expect": "partial",
    },
}

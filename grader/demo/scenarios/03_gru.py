"""Round-trip grading scenarios for 03_gru: a submission with some solution cells replaced.

Each scenario maps solution-cell grade_ids to the source a student might have
written.  Wrong cells are made from the correct ones by one textual change each
(``_mutate`` fails loudly if the change no longer applies), so every scenario
differs from the solution by exactly the mistake in its name.  As the lesson asks,
``gru_forward`` calls ``yours_or_course("gru_cell_forward", ...)``, which falls back to the
course's cell, so a mistake in ``gru_cell_forward`` costs only that exercise's points.
"""

CORRECT_CELL = '''
def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
    units = h_prev.shape[1]
    if reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, np.zeros_like(bias)
    from_x = x_t @ kernel + input_bias
    from_h = h_prev @ recurrent_kernel + recurrent_bias
    z = sigmoid(from_x[:, :units] + from_h[:, :units])
    r = sigmoid(from_x[:, units:2 * units] + from_h[:, units:2 * units])
    if reset_after:
        h_tilde = np.tanh(from_x[:, 2 * units:] + r * from_h[:, 2 * units:])
    else:
        h_tilde = np.tanh(from_x[:, 2 * units:] + (r * h_prev) @ recurrent_kernel[:, 2 * units:])
    return z * h_prev + (1 - z) * h_tilde
'''

CORRECT_SEQUENCE = '''
def gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after=True):
    h = h0
    states = []
    for t in range(x.shape[1]):
        h = yours_or_course("gru_cell_forward", globals(), x[:, t], h, kernel, recurrent_kernel, bias,
                            reset_after)
        states.append(h)
    return np.stack(states, axis=1)
'''

# A different correct style: float64, weights split per gate first, einsum, no shared helper.
CORRECT_CELL_SPLIT_EINSUM = '''
def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
    x_t, h_prev = np.asarray(x_t, np.float64), np.asarray(h_prev, np.float64)
    W_z, W_r, W_h = np.split(np.asarray(kernel, np.float64), 3, axis=1)
    U_z, U_r, U_h = np.split(np.asarray(recurrent_kernel, np.float64), 3, axis=1)
    bias = np.asarray(bias, np.float64)
    b = bias[0] if reset_after else bias
    rb = bias[1] if reset_after else np.zeros_like(bias)
    b_z, b_r, b_h = np.split(b, 3)
    rb_z, rb_r, rb_h = np.split(rb, 3)
    z = 1 / (1 + np.exp(-(np.einsum("bi,iu->bu", x_t, W_z) + b_z + h_prev @ U_z + rb_z)))
    r = 1 / (1 + np.exp(-(np.einsum("bi,iu->bu", x_t, W_r) + b_r + h_prev @ U_r + rb_r)))
    if reset_after:
        h_tilde = np.tanh(x_t @ W_h + b_h + r * (h_prev @ U_h + rb_h))
    else:
        h_tilde = np.tanh(x_t @ W_h + b_h + (r * h_prev) @ U_h)
    return (1 - z) * h_tilde + z * h_prev
'''

CORRECT_FLIP = '''
def flip_update_convention(kernel, recurrent_kernel, bias, reset_after=True):
    units = recurrent_kernel.shape[0]
    sign = np.concatenate([-np.ones(units), np.ones(2 * units)])
    return kernel * sign, recurrent_kernel * sign, bias * sign
'''

STUB = '''
def {name}({args}):
    # YOUR CODE HERE
    raise NotImplementedError()
'''


def _mutate(source, old, new):
    assert source.count(old) == 1, f"scenario source out of date: {old!r} not found once"
    return source.replace(old, new)


def _cell(old, new):
    return {"gru_cell_forward": _mutate(CORRECT_CELL, old, new)}


SCENARIOS = {
    "correct_split_einsum": {
        "cells": {"gru_cell_forward": CORRECT_CELL_SPLIT_EINSUM,
                  "flip_update_convention": CORRECT_FLIP},
        "expect_ids": [],
        "expect": "full",
    },
    "all_stubs": {
        "cells": {
            "gru_cell_forward": STUB.format(
                name="gru_cell_forward",
                args="x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True"),
            "gru_forward": STUB.format(
                name="gru_forward", args="x, h0, kernel, recurrent_kernel, bias, reset_after=True"),
            "flip_update_convention": STUB.format(
                name="flip_update_convention",
                args="kernel, recurrent_kernel, bias, reset_after=True"),
        },
        "expect_ids": [],
        "expect": "zero",
    },
    "update_inverted_state_not_carried": {
        # One mistake per exercise; gru_forward falls back to the course's cell.
        "cells": {**_cell("return z * h_prev + (1 - z) * h_tilde",
                          "return z * h_tilde + (1 - z) * h_prev"),
                  "gru_forward": _mutate(CORRECT_SEQUENCE, "globals(), x[:, t], h, kernel",
                                         "globals(), x[:, t], h0, kernel")},
        "expect_ids": ["GRU-UPDATE-INVERTED", "STATE-NOT-CARRIED"],
        "expect": "partial",
    },
    "reset_before_product_returns_last_only": {
        # Always Cho et al.'s form: the reset gate scales h_prev before U_h, whatever reset_after
        # says; and the sequence returns only its last state.
        "cells": {**_cell("h_tilde = np.tanh(from_x[:, 2 * units:] + r * from_h[:, 2 * units:])",
                          "h_tilde = np.tanh(from_x[:, 2 * units:] "
                          "+ (r * h_prev) @ recurrent_kernel[:, 2 * units:])"),
                  "gru_forward": _mutate(CORRECT_SEQUENCE, "return np.stack(states, axis=1)",
                                         "return h")},
        "expect_ids": ["GRU-RESET-PLACEMENT", "RETURNS-LAST-ONLY"],
        "expect": "partial",
    },
    "recurrent_bias_row_ignored_kernel_transposed_h0_every_step": {
        # One bias row left out in the cell; the sequence transposes each block of kernel AND
        # feeds h0 to every step (two mistakes at once, both named).
        "cells": {**_cell("input_bias, recurrent_bias = bias[0], bias[1]",
                          "input_bias, recurrent_bias = bias[0], np.zeros_like(bias[1])"),
                  "gru_forward": _mutate(
                      CORRECT_SEQUENCE, "    h = h0\n",
                      "    kernel = np.concatenate([w.T for w in np.split(kernel, 3, axis=1)], axis=1)\n"
                      "    h = h0\n").replace("globals(), x[:, t], h, kernel",
                                             "globals(), x[:, t], h0, kernel")},
        "expect_ids": ["MISSING-BIAS", "STATE-NOT-CARRIED", "TRANSPOSED-WEIGHTS"],
        "expect": "partial",
    },
    "tanh_for_r_only": {
        # One gate's activation wrong: named, and the gate said.
        "cells": _cell("r = sigmoid(from_x[:, units:2 * units]", "r = np.tanh(from_x[:, units:2 * units]"),
        "expect_ids": ["WRONG-ACTIVATION"],
        "expect": "partial",
    },
    "candidate_block_of_recurrent_kernel_transposed": {
        # Only U_h is transposed (square, so it runs): the candidate block of recurrent_kernel is named.
        "cells": _cell("from_h = h_prev @ recurrent_kernel + recurrent_bias",
                       "recurrent_kernel = np.concatenate(\n"
                       "        [recurrent_kernel[:, :2 * units], recurrent_kernel[:, 2 * units:].T], axis=1)\n"
                       "    from_h = h_prev @ recurrent_kernel + recurrent_bias"),
        "expect_ids": ["TRANSPOSED-WEIGHTS"],
        "expect": "partial",
    },
    "flip_forgets_the_bias": {
        "cells": {"flip_update_convention": _mutate(
            CORRECT_FLIP, "bias * sign", "bias")},
        "expect_ids": ["GRU-FLIP-UNCHANGED"],
        "expect": "partial",
    },
}

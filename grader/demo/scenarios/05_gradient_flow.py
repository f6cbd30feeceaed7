"""Round-trip grading scenarios for 05_gradient_flow: the solution with lstm_cell_backward replaced.

The lesson has one exercise (visible test 1 point, hidden test 2 points), so an answer that is
wrong everywhere scores zero. Every known mistake has a registered id (misconceptions.py,
CONTRIBUTING.md "Misconception ids"), in the forward recomputation (gate order, h = o * c) and
in the derivative (forgot dc_next, f instead of f * (1 - f), dc_prev without f, gradients
averaged over the batch) alike; two slips that change different gradients are both named. The
cells may use what the lesson's Setup cell imports (np, sigmoid).
"""

_FORWARD = '''
def lstm_cell_backward(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    a = x_t @ kernel + h_prev @ recurrent_kernel + {bias}
    {split}
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    c_tilde = np.tanh(a_c)
    c_next = f * c_prev + i * c_tilde
    squash = {squash}
    dc = {dc}
    do = dh_next * squash
    da_i = dc * c_tilde * i * (1 - i)
    da_f = {da_f}
    da_c = dc * i * (1 - c_tilde ** 2)
    da_o = do * o * (1 - o)
    da = np.concatenate([{order}], axis=1)
    n = {batch}
    return {{"dx_t": da @ kernel.T, "dh_prev": da @ recurrent_kernel.T, "dc_prev": {dc_prev},
            "dkernel": x_t.T @ da / n, "drecurrent_kernel": h_prev.T @ da / n,
            "dbias": da.sum(axis=0) / n}}
'''
_RIGHT = {"bias": "bias", "split": "a_i, a_f, a_c, a_o = np.split(a, 4, axis=1)",
          "squash": "np.tanh(c_next)", "dc": "dc_next + dh_next * o * (1 - squash ** 2)",
          "da_f": "dc * c_prev * f * (1 - f)", "order": "da_i, da_f, da_c, da_o",
          "dc_prev": "dc * f", "batch": "1"}


def _backward(**changes):
    """The exercise written out step by step, with some lines changed."""
    return _FORWARD.format(**{**_RIGHT, **changes})


SCENARIOS = {
    "gate_order_of_cs231n": {
        # Gates read as i, f, o, c~ (a well-known course's order), consistently forward and back.
        "cells": {"lstm_cell_backward": _backward(
            split="a_i, a_f, a_o, a_c = np.split(a, 4, axis=1)", order="da_i, da_f, da_o, da_c")},
        "expect_ids": ["LSTM-GATE-ORDER"],
        "expect": "zero",
    },
    "output_without_tanh": {
        # The student's LSTM has h = o * c, and its backward is exact for that model.
        "cells": {"lstm_cell_backward": _backward(squash="c_next", dc="dc_next + dh_next * o")},
        "expect_ids": ["LSTM-OUTPUT-NO-TANH"],
        "expect": "zero",
    },
    "two_slips_dc_prev_and_batch_mean": {
        # dc_prev without the factor f (only dc_prev wrong) and the weight gradients averaged
        # over the batch (only dkernel, drecurrent_kernel, dbias wrong): both are named.
        "cells": {"lstm_cell_backward": _backward(dc_prev="dc", batch="x_t.shape[0]")},
        "expect_ids": ["LSTM-DC-PREV-NO-F", "GRADIENTS-BATCH-MEAN"],
        "expect": "zero",
    },
    "forgets_dc_next": {
        # Only the route through h_next reaches c_next.
        "cells": {"lstm_cell_backward": _backward(dc="dh_next * o * (1 - squash ** 2)")},
        "expect_ids": ["LSTM-BACKWARD-NO-DC-NEXT"],
        "expect": "zero",
    },
    "forget_gate_value_instead_of_derivative": {
        "cells": {"lstm_cell_backward": _backward(da_f="dc * c_prev * f")},
        "expect_ids": ["GATE-VALUE-AS-DERIVATIVE"],
        "expect": "zero",
    },
    "units_read_from_input_dim": {
        # Slices the blocks with n = input_dim: right when input_dim == units (the visible case),
        # wrong on the hidden cases where they differ.
        "cells": {"lstm_cell_backward": _backward(
            split="n = x_t.shape[1]; a_i, a_f, a_c, a_o = a[:, :n], a[:, n:2*n], a[:, 2*n:3*n], "
                  "a[:, 3*n:]")},
        "expect_ids": [],
        "expect": "partial",
    },
    "other_correct_style": {
        # Loops over examples and units, a naive sigmoid that overflows on saturated gates
        # (its RuntimeWarning must not cost points): full marks.
        "cells": {"lstm_cell_backward": '''
def lstm_cell_backward(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    batch, units = h_prev.shape
    out = {"dx_t": np.zeros(x_t.shape), "dh_prev": np.zeros(h_prev.shape),
           "dc_prev": np.zeros(c_prev.shape), "dkernel": np.zeros(kernel.shape),
           "drecurrent_kernel": np.zeros(recurrent_kernel.shape), "dbias": np.zeros(bias.shape)}
    for n in range(batch):
        a = x_t[n] @ kernel + h_prev[n] @ recurrent_kernel + bias
        for j in range(units):
            i, f, o = (1.0 / (1.0 + np.exp(-a[g * units + j])) for g in (0, 1, 3))
            c_tilde = np.tanh(a[2 * units + j])
            tanh_c = np.tanh(f * c_prev[n, j] + i * c_tilde)
            dc = dc_next[n, j] + dh_next[n, j] * o * (1 - tanh_c ** 2)
            out["dc_prev"][n, j] = dc * f
            slopes = [dc * c_tilde * i * (1 - i), dc * c_prev[n, j] * f * (1 - f),
                      dc * i * (1 - c_tilde ** 2), dh_next[n, j] * tanh_c * o * (1 - o)]
            for g, da in enumerate(slopes):
                col = g * units + j
                out["dx_t"][n] += da * kernel[:, col]
                out["dh_prev"][n] += da * recurrent_kernel[:, col]
                out["dkernel"][:, col] += da * x_t[n]
                out["drecurrent_kernel"][:, col] += da * h_prev[n]
                out["dbias"][col] += da
    return out
'''},
        "expect_ids": [],
        "expect": "full",
    },
    "nothing_done": {
        "cells": {"lstm_cell_backward": '''
def lstm_cell_backward(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    # YOUR CODE HERE
    raise NotImplementedError()
'''},
        "expect_ids": [],
        "expect": "zero",
    },
}

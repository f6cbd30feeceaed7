"""Student answers to the forward exercises, right and wrong, as source code.

Each answer is the text of one self-contained solution cell (it imports numpy
itself), written the way a student might write it. The checker tests load them
with ``load``; lesson engineers can paste the same strings into
``grader/demo/scenarios/<lesson>.py`` as replacement cells.

- ``CORRECT[function][label]``: right answers written in different styles
  (loops, vectorised, einsum, float64, concatenated weights, scipy's expit, a
  naive sigmoid that overflows...). Every checker
  must pass all of them, print nothing on stderr and name no mistake.
- ``WRONG[function][label] = (expected_id, source)``: answers with one mistake
  (including answers whose values are right but which write into their inputs);
  ``expected_id`` is the misconception id (CONTRIBUTING.md, 'Misconception ids') the checker
  must name, or None for a mistake no checker recognises (then it is localised instead).

It also holds the two helpers the checker tests share: ``MISTAKE_ID`` (finds
the "[ID]" of named mistakes in a message) and
``assert_probes_tell_mistakes_apart``.
"""
import textwrap

import numpy as np

__all__ = ["CORRECT", "WRONG", "load", "MISTAKE_ID", "assert_probes_tell_mistakes_apart"]

from course_utils.checks.misconceptions import ID_PATTERN as MISTAKE_ID  # noqa: E402


def load(source, name):
    """Execute ``source`` in a fresh namespace and return the function called ``name``."""
    namespace = {}
    exec(compile(source, f"<student answer: {name}>", "exec"), namespace)
    return namespace[name]


def _src(text):
    return textwrap.dedent(text).lstrip()


# --------------------------------------------------------------------------- SimpleRNN cell

_RNN_CELL = {
    "vectorised": """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
        """,
    "loops": """
        import math
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            batch, input_dim = x_t.shape
            units = h_prev.shape[1]
            h_next = np.zeros((batch, units))
            for b in range(batch):
                for j in range(units):
                    a = bias[j]
                    for i in range(input_dim):
                        a += x_t[b, i] * kernel[i, j]
                    for k in range(units):
                        a += h_prev[b, k] * recurrent_kernel[k, j]
                    h_next[b, j] = math.tanh(a)
            return h_next
        """,
    "einsum": """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            a = np.einsum("bi,iu->bu", x_t, kernel) + np.einsum("bk,ku->bu", h_prev, recurrent_kernel)
            return np.tanh(a + bias)
        """,
    "float64": """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            x_t, h_prev = np.asarray(x_t, dtype=np.float64), np.asarray(h_prev, dtype=np.float64)
            kernel = kernel.astype(np.float64)
            recurrent_kernel = recurrent_kernel.astype(np.float64)
            return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias.astype(np.float64))
        """,
    "concatenated_weights": """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            xh = np.concatenate([x_t, h_prev], axis=1)             # (batch, input_dim + units)
            W = np.concatenate([kernel, recurrent_kernel], axis=0)  # (input_dim + units, units)
            return np.tanh(xh @ W + bias)
        """,
    "transposed_products": """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            # column-vector style, transposed back: (W^T x^T)^T = x W
            a = (kernel.T @ x_t.T + recurrent_kernel.T @ h_prev.T + bias[:, None]).T
            return np.tanh(a)
        """,
    "tanh_from_naive_sigmoid": """
        import numpy as np

        def sigmoid(a):
            return 1 / (1 + np.exp(-a))

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            return 2 * sigmoid(2 * (x_t @ kernel + h_prev @ recurrent_kernel + bias)) - 1
        """,
    "mutates_inputs": """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            # writes the answer into h_prev and scribbles over the other inputs
            h_prev[...] = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
            x_t[...] = 0
            kernel[...] = 0
            bias += 100
            return h_prev
        """,
}

_RNN_CELL_WRONG = {
    "missing_bias": ("MISSING-BIAS", """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)
        """),
    "kernel_transposed": ("TRANSPOSED-WEIGHTS", """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.tanh(x_t @ kernel.T + h_prev @ recurrent_kernel + bias)
        """),
    "w_times_x": ("TRANSPOSED-WEIGHTS", """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            # textbook column-vector order W @ x, applied to Keras's (inputs, units) matrices
            return np.tanh((kernel @ x_t.T).T + (recurrent_kernel @ h_prev.T).T + bias)
        """),
    "recurrent_transposed": ("TRANSPOSED-WEIGHTS", """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + bias)
        """),
    "sigmoid_activation": ("WRONG-ACTIVATION", """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            return 1 / (1 + np.exp(-(x_t @ kernel + h_prev @ recurrent_kernel + bias)))
        """),
    "relu_activation": (None, """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.maximum(0, x_t @ kernel + h_prev @ recurrent_kernel + bias)
        """),
    "transposed_output": ("OUTPUT-TRANSPOSED", """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias).T
        """),
}

# --------------------------------------------------------------------------- SimpleRNN sequence

_RNN_SEQ = {
    "loop": """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            batch, T, _ = x.shape
            h_seq = np.zeros((batch, T, h0.shape[1]))
            h = h0
            for t in range(T):
                h = np.tanh(x[:, t, :] @ kernel + h @ recurrent_kernel + bias)
                h_seq[:, t, :] = h
            return h_seq
        """,
    "list_then_stack": """
        import numpy as np

        def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            states = []
            h = h0
            for x_t in np.moveaxis(x, 1, 0):
                h = rnn_cell_forward(x_t, h, kernel, recurrent_kernel, bias)
                states.append(h)
            return np.stack(states, axis=1)
        """,
    "input_projection_first": """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            x_proj = np.einsum("bti,iu->btu", x, kernel) + bias   # all steps at once
            h_seq = np.empty(x_proj.shape, dtype=np.float64)
            h = h0.astype(np.float64)
            for t in range(x.shape[1]):
                h = np.tanh(x_proj[:, t] + h @ recurrent_kernel)
                h_seq[:, t] = h
            return h_seq
        """,
    "time_major_transposed_back": """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            xs = x.transpose(1, 0, 2)                     # (T, batch, input_dim)
            out = []
            h = h0
            for x_t in xs:
                h = np.tanh(x_t @ kernel + h @ recurrent_kernel + bias)
                out.append(h)
            return np.array(out).transpose(1, 0, 2)       # back to (batch, T, units)
        """,
    "mutates_inputs": """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            h = h0                                        # h IS h0: updated in place below
            h_seq = np.zeros(x.shape[:2] + h0.shape[1:])
            for t in range(x.shape[1]):
                h[...] = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
                h_seq[:, t] = h
            x *= 0
            recurrent_kernel += 1
            return h_seq
        """,
}

_RNN_SEQ_WRONG = {
    "h0_every_step": ("STATE-NOT-CARRIED", """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            batch, T, _ = x.shape
            h_seq = np.zeros((batch, T, h0.shape[1]))
            for t in range(T):
                h_seq[:, t] = np.tanh(x[:, t] @ kernel + h0 @ recurrent_kernel + bias)
            return h_seq
        """),
    "returns_last_only": ("RETURNS-LAST-ONLY", """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            h = h0
            for t in range(x.shape[1]):
                h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
            return h
        """),
    "missing_bias_in_loop": ("MISSING-BIAS", """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            h, states = h0, []
            for t in range(x.shape[1]):
                h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel)
                states.append(h)
            return np.stack(states, axis=1)
        """),
    "recurrent_transposed_in_loop": ("TRANSPOSED-WEIGHTS", """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            h, states = h0, []
            for t in range(x.shape[1]):
                h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel.T + bias)
                states.append(h)
            return np.stack(states, axis=1)
        """),
    "sigmoid_in_loop": ("WRONG-ACTIVATION", """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            h, states = h0, []
            for t in range(x.shape[1]):
                h = 1 / (1 + np.exp(-(x[:, t] @ kernel + h @ recurrent_kernel + bias)))
                states.append(h)
            return np.stack(states, axis=1)
        """),
    "includes_h0": ("STATES-INCLUDE-H0", """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            h, states = h0, [h0]
            for t in range(x.shape[1]):
                h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
                states.append(h)
            return np.stack(states, axis=1)
        """),
    "time_major": ("STATES-TIME-FIRST", """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            h, states = h0, []
            for t in range(x.shape[1]):
                h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
                states.append(h)
            return np.array(states)
        """),
    "shifted_by_one_step": ("SEQUENCE-STATE-BEFORE-STEP", """
        import numpy as np

        def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
            h, states = h0, []
            for t in range(x.shape[1]):
                states.append(h)              # stores the state BEFORE the step
                h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
            return np.stack(states, axis=1)
        """),
}

# --------------------------------------------------------------------------- GRU cell

_GRU_CELL = {
    "slices": """
        import numpy as np

        def sigmoid(a):
            return 0.5 * (1 + np.tanh(0.5 * a))

        def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
            u = h_prev.shape[1]
            if reset_after:
                b_in, b_rec = bias[0], bias[1]
            else:
                b_in, b_rec = bias, np.zeros_like(bias)
            xw = x_t @ kernel + b_in
            z = sigmoid(xw[:, :u] + h_prev @ recurrent_kernel[:, :u] + b_rec[:u])
            r = sigmoid(xw[:, u:2*u] + h_prev @ recurrent_kernel[:, u:2*u] + b_rec[u:2*u])
            if reset_after:
                hh = np.tanh(xw[:, 2*u:] + r * (h_prev @ recurrent_kernel[:, 2*u:] + b_rec[2*u:]))
            else:
                hh = np.tanh(xw[:, 2*u:] + (r * h_prev) @ recurrent_kernel[:, 2*u:])
            return z * h_prev + (1 - z) * hh
        """,
    "split_then_concatenate": """
        import numpy as np

        def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
            W_z, W_r, W_h = np.split(kernel, 3, axis=1)
            U_z, U_r, U_h = np.split(recurrent_kernel, 3, axis=1)
            if reset_after:
                b_z, b_r, b_h = np.split(bias[0], 3)
                c_z, c_r, c_h = np.split(bias[1], 3)
            else:
                b_z, b_r, b_h = np.split(bias, 3)
                c_z = c_r = c_h = 0.0
            # z and r together with concatenated weights: [x, h] @ [[W], [U]]
            xh = np.concatenate([x_t, h_prev], axis=1)
            W_zr = np.concatenate([np.concatenate([W_z, W_r], 1), np.concatenate([U_z, U_r], 1)], 0)
            a_zr = xh @ W_zr + np.concatenate([b_z + c_z, b_r + c_r])
            z, r = np.split(1 / (1 + np.exp(-a_zr)), 2, axis=1)
            if reset_after:
                h_tilde = np.tanh(x_t @ W_h + b_h + r * (h_prev @ U_h + c_h))
            else:
                h_tilde = np.tanh(x_t @ W_h + b_h + (r * h_prev) @ U_h)
            return z * h_prev + (1 - z) * h_tilde
        """,
    "einsum_float64": """
        import numpy as np

        def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
            x_t, h_prev = x_t.astype(np.float64), h_prev.astype(np.float64)
            kernel, recurrent_kernel = kernel.astype(np.float64), recurrent_kernel.astype(np.float64)
            bias = np.atleast_2d(bias.astype(np.float64))
            if bias.shape[0] == 1:
                bias = np.vstack([bias, np.zeros_like(bias)])
            u = h_prev.shape[1]
            xw = np.einsum("bi,ij->bj", x_t, kernel) + bias[0]
            hu = np.einsum("bk,kj->bj", h_prev, recurrent_kernel) + bias[1]
            z = 1 / (1 + np.exp(-(xw[:, :u] + hu[:, :u])))
            r = 1 / (1 + np.exp(-(xw[:, u:2*u] + hu[:, u:2*u])))
            if reset_after:
                h_tilde = np.tanh(xw[:, 2*u:] + r * hu[:, 2*u:])
            else:
                h_tilde = np.tanh(xw[:, 2*u:] + np.einsum("bk,kj->bj", r * h_prev,
                                                          recurrent_kernel[:, 2*u:]))
            return z * h_prev + (1 - z) * h_tilde
        """,
    "naive_sigmoid_float32": """
        import numpy as np

        def sigmoid(a):
            return 1 / (1 + np.exp(-a))     # overflows (to the right 0) for very negative a

        def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
            u = h_prev.shape[1]
            b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, 0 * bias)
            a_x = x_t @ kernel + b_in
            a_h = h_prev @ recurrent_kernel + b_rec
            z = sigmoid(a_x[:, :u] + a_h[:, :u])
            r = sigmoid(a_x[:, u:2*u] + a_h[:, u:2*u])
            if reset_after:
                cand = np.tanh(a_x[:, 2*u:] + r * a_h[:, 2*u:])
            else:
                cand = np.tanh(a_x[:, 2*u:] + (r * h_prev) @ recurrent_kernel[:, 2*u:])
            return (1 - z) * cand + z * h_prev
        """,
    "naive_sigmoid_exp_over_one_plus_exp": """
        import numpy as np

        def sigmoid(a):
            e = np.exp(a)
            return e / (1 + e)

        def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
            u = h_prev.shape[1]
            b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, 0 * bias)
            a_x = x_t @ kernel + b_in
            a_h = h_prev @ recurrent_kernel + b_rec
            z = sigmoid(a_x[:, :u] + a_h[:, :u])
            r = sigmoid(a_x[:, u:2*u] + a_h[:, u:2*u])
            if reset_after:
                cand = np.tanh(a_x[:, 2*u:] + r * a_h[:, 2*u:])
            else:
                cand = np.tanh(a_x[:, 2*u:] + (r * h_prev) @ recurrent_kernel[:, 2*u:])
            return (1 - z) * cand + z * h_prev
        """,
    "scipy_expit": """
        import numpy as np
        from scipy.special import expit

        def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
            u = h_prev.shape[1]
            b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, 0 * bias)
            a_x = x_t @ kernel + b_in
            a_h = h_prev @ recurrent_kernel + b_rec
            z = expit(a_x[:, :u] + a_h[:, :u])
            r = expit(a_x[:, u:2*u] + a_h[:, u:2*u])
            if reset_after:
                cand = np.tanh(a_x[:, 2*u:] + r * a_h[:, 2*u:])
            else:
                cand = np.tanh(a_x[:, 2*u:] + (r * h_prev) @ recurrent_kernel[:, 2*u:])
            return z * h_prev + (1 - z) * cand
        """,
}

# The wrong GRU cells share one body; each replaces one line of the right one.
_GRU_TEMPLATE = """
    import numpy as np

    def sigmoid(a):
        return 0.5 * (1 + np.tanh(0.5 * a))

    def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
        u = h_prev.shape[1]
        W_z, W_r, W_h = kernel[:, :u], kernel[:, u:2*u], kernel[:, 2*u:]
        U_z, U_r, U_h = recurrent_kernel[:, :u], recurrent_kernel[:, u:2*u], recurrent_kernel[:, 2*u:]
        {bias_split}
        b_z, b_r, b_h = b_in[:u], b_in[u:2*u], b_in[2*u:]
        c_z, c_r, c_h = b_rec[:u], b_rec[u:2*u], b_rec[2*u:]
        z = {gate}(x_t @ W_z + b_z + h_prev @ {U_z} + c_z)
        r = {gate}(x_t @ W_r + b_r + h_prev @ U_r + c_r)
        {candidate}
        return {blend}
    """
_GRU_RIGHT = dict(
    bias_split="b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))",
    gate="sigmoid", U_z="U_z",
    candidate="h_tilde = np.tanh(x_t @ W_h + b_h + (r * (h_prev @ U_h + c_h) if reset_after "
              "else (r * h_prev) @ U_h))",
    blend="z * h_prev + (1 - z) * h_tilde",
)


def _gru_wrong(**change):
    return _src(_GRU_TEMPLATE.format(**{**_GRU_RIGHT, **change}))


_GRU_CELL["template_right"] = _gru_wrong()   # the template itself is right: a sanity check

_GRU_CELL_WRONG = {
    "no_bias": ("MISSING-BIAS", _gru_wrong(
        bias_split="b_in = b_rec = np.zeros(3 * u)")),
    "recurrent_bias_row_ignored": ("MISSING-BIAS", _gru_wrong(
        bias_split="b_in, b_rec = (bias[0], np.zeros(3 * u)) if reset_after else (bias, np.zeros(3 * u))")),
    "recurrent_weights_transposed": ("TRANSPOSED-WEIGHTS", _src("""
        import numpy as np

        def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
            u = h_prev.shape[1]
            b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
            W = [kernel[:, k*u:(k+1)*u] for k in range(3)]
            U = [recurrent_kernel[:, k*u:(k+1)*u].T for k in range(3)]      # .T: the mistake
            b = [b_in[k*u:(k+1)*u] for k in range(3)]
            c = [b_rec[k*u:(k+1)*u] for k in range(3)]
            z = 1 / (1 + np.exp(-(x_t @ W[0] + b[0] + h_prev @ U[0] + c[0])))
            r = 1 / (1 + np.exp(-(x_t @ W[1] + b[1] + h_prev @ U[1] + c[1])))
            if reset_after:
                h_tilde = np.tanh(x_t @ W[2] + b[2] + r * (h_prev @ U[2] + c[2]))
            else:
                h_tilde = np.tanh(x_t @ W[2] + b[2] + (r * h_prev) @ U[2])
            return z * h_prev + (1 - z) * h_tilde
        """)),
    "tanh_gates": ("WRONG-ACTIVATION", _gru_wrong(gate="np.tanh")),
    "sigmoid_candidate": ("WRONG-ACTIVATION", _gru_wrong(
        candidate="h_tilde = sigmoid(x_t @ W_h + b_h + (r * (h_prev @ U_h + c_h) if reset_after "
                  "else (r * h_prev) @ U_h))")),
    "update_inverted": ("GRU-UPDATE-INVERTED", _gru_wrong(blend="z * h_tilde + (1 - z) * h_prev")),
    "reset_always_after": ("GRU-RESET-PLACEMENT", _gru_wrong(
        candidate="h_tilde = np.tanh(x_t @ W_h + b_h + r * (h_prev @ U_h + c_h))")),
    "reset_always_before": ("GRU-RESET-PLACEMENT", _gru_wrong(
        candidate="h_tilde = np.tanh(x_t @ W_h + b_h + (r * h_prev) @ U_h + c_h)")),
    "recurrent_candidate_bias_outside_reset": ("GRU-RESET-PLACEMENT", _gru_wrong(
        candidate="h_tilde = np.tanh(x_t @ W_h + b_h + c_h + (r * (h_prev @ U_h) if reset_after "
                  "else (r * h_prev) @ U_h))")),
    "ignores_reset_after_flag": (None, _gru_wrong(
        bias_split="b_in, b_rec = bias[0], bias[1]",
        candidate="h_tilde = np.tanh(x_t @ W_h + b_h + r * (h_prev @ U_h + c_h))")),
    "z_and_r_swapped": ("GRU-GATE-ORDER", _src("""
        import numpy as np

        def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
            u = h_prev.shape[1]
            b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
            a_x = x_t @ kernel + b_in
            a_h = h_prev @ recurrent_kernel + b_rec
            r = 1 / (1 + np.exp(-(a_x[:, :u] + a_h[:, :u])))          # r read from the z block
            z = 1 / (1 + np.exp(-(a_x[:, u:2*u] + a_h[:, u:2*u])))
            if reset_after:
                h_tilde = np.tanh(a_x[:, 2*u:] + r * a_h[:, 2*u:])
            else:
                h_tilde = np.tanh(a_x[:, 2*u:] + (r * h_prev) @ recurrent_kernel[:, 2*u:])
            return z * h_prev + (1 - z) * h_tilde
        """)),
}

# --------------------------------------------------------------------------- GRU sequence

_GRU_SEQ = {
    "loop_over_cell": _src(_GRU_CELL["slices"]) + "\n" + _src("""

        def gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after=True):
            h, states = h0, []
            for t in range(x.shape[1]):
                h = gru_cell_forward(x[:, t], h, kernel, recurrent_kernel, bias, reset_after)
                states.append(h)
            return np.stack(states, axis=1)
        """),
    "input_projection_first_float64": """
        import numpy as np

        def gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after=True):
            x, h = x.astype(np.float64), h0.astype(np.float64)
            u = h.shape[1]
            b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
            x_proj = np.einsum("bti,ij->btj", x, kernel) + b_in        # every step at once
            h_seq = np.zeros(x.shape[:2] + (u,))
            for t in range(x.shape[1]):
                a_h = h @ recurrent_kernel + b_rec
                z = 1 / (1 + np.exp(-(x_proj[:, t, :u] + a_h[:, :u])))
                r = 1 / (1 + np.exp(-(x_proj[:, t, u:2*u] + a_h[:, u:2*u])))
                if reset_after:
                    h_tilde = np.tanh(x_proj[:, t, 2*u:] + r * a_h[:, 2*u:])
                else:
                    h_tilde = np.tanh(x_proj[:, t, 2*u:] + (r * h) @ recurrent_kernel[:, 2*u:])
                h = z * h + (1 - z) * h_tilde
                h_seq[:, t] = h
            return h_seq
        """,
    "naive_sigmoid_mutates_inputs": _src(_GRU_CELL["naive_sigmoid_float32"]) + "\n" + _src("""

        def gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after=True):
            h_seq = np.zeros(x.shape[:2] + h0.shape[1:], dtype=x.dtype)
            for t in range(x.shape[1]):
                h0[...] = gru_cell_forward(x[:, t], h0, kernel, recurrent_kernel, bias, reset_after)
                h_seq[:, t] = h0
            bias *= -1
            return h_seq
        """),
}


def _gru_seq_from_cell(cell_source, *, carry=True, last_only=False):
    loop = _src(f"""

        def gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after=True):
            h, states = h0, []
            for t in range(x.shape[1]):
                h = gru_cell_forward(x[:, t], {'h' if carry else 'h0'}, kernel, recurrent_kernel,
                                     bias, reset_after)
                states.append(h)
            return {'h' if last_only else 'np.stack(states, axis=1)'}
        """)
    return _src(cell_source) + "\n" + loop


_GRU_SEQ_WRONG = {
    "h0_every_step": ("STATE-NOT-CARRIED", _gru_seq_from_cell(_GRU_CELL["slices"], carry=False)),
    "returns_last_only": ("RETURNS-LAST-ONLY", _gru_seq_from_cell(_GRU_CELL["slices"], last_only=True)),
    **{name: (mid, _gru_seq_from_cell(source)) for name, (mid, source) in _GRU_CELL_WRONG.items()
       if name in ("recurrent_bias_row_ignored", "update_inverted", "reset_always_before",
                   "tanh_gates", "recurrent_weights_transposed")},
}

# --------------------------------------------------------------------------- LSTM cell

_LSTM_CELL = {
    "split": """
        import numpy as np

        def sigmoid(a):
            return 0.5 * (1 + np.tanh(0.5 * a))

        def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            a = x_t @ kernel + h_prev @ recurrent_kernel + bias
            a_i, a_f, a_c, a_o = np.split(a, 4, axis=1)
            i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
            c_next = f * c_prev + i * np.tanh(a_c)
            h_next = o * np.tanh(c_next)
            return h_next, c_next
        """,
    "concatenated_weights_float64": """
        import numpy as np

        def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            xh = np.hstack([x_t, h_prev]).astype(np.float64)
            W = np.vstack([kernel, recurrent_kernel]).astype(np.float64)
            a = xh @ W + bias
            u = h_prev.shape[1]
            i = 1 / (1 + np.exp(-a[:, :u]))
            f = 1 / (1 + np.exp(-a[:, u:2*u]))
            c_tilde = np.tanh(a[:, 2*u:3*u])
            o = 1 / (1 + np.exp(-a[:, 3*u:]))
            c_next = f * c_prev + i * c_tilde
            return o * np.tanh(c_next), c_next
        """,
    "einsum_per_gate": """
        import numpy as np

        def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            u = h_prev.shape[1]
            W = kernel.reshape(kernel.shape[0], 4, u)          # (input_dim, gate, unit)
            U = recurrent_kernel.reshape(u, 4, u)
            a = np.einsum("bi,igu->bgu", x_t, W) + np.einsum("bk,kgu->bgu", h_prev, U) \\
                + bias.reshape(4, u)
            i, f, o = (1 / (1 + np.exp(-a[:, g])) for g in (0, 1, 3))
            c_next = f * c_prev + i * np.tanh(a[:, 2])
            return o * np.tanh(c_next), c_next
        """,
    "loops": """
        import math
        import numpy as np

        def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            batch, units = h_prev.shape
            h_next, c_next = np.zeros((batch, units)), np.zeros((batch, units))
            sig = lambda v: 1 / (1 + math.exp(-v)) if v > -700 else 0.0
            for b in range(batch):
                a = [float(bias[j] + x_t[b] @ kernel[:, j] + h_prev[b] @ recurrent_kernel[:, j])
                     for j in range(4 * units)]
                for j in range(units):
                    i, f = sig(a[j]), sig(a[units + j])
                    g, o = math.tanh(a[2 * units + j]), sig(a[3 * units + j])
                    c_next[b, j] = f * c_prev[b, j] + i * g
                    h_next[b, j] = o * math.tanh(c_next[b, j])
            return h_next, c_next
        """,
    "scipy_expit": """
        import numpy as np
        from scipy.special import expit

        def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            a_i, a_f, a_c, a_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=1)
            c_next = expit(a_f) * c_prev + expit(a_i) * np.tanh(a_c)
            return expit(a_o) * np.tanh(c_next), c_next
        """,
    "naive_sigmoid_mutates_inputs": """
        import numpy as np

        def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            a = x_t @ kernel + h_prev @ recurrent_kernel + bias
            u = h_prev.shape[1]
            gates = 1 / (1 + np.exp(-a))                  # overflows to the right 0 for huge -a
            c_prev *= gates[:, u:2*u]                      # in place: c_prev becomes f * c_prev
            c_prev += gates[:, :u] * np.tanh(a[:, 2*u:3*u])
            h_prev[...] = gates[:, 3*u:] * np.tanh(c_prev)
            return h_prev, c_prev
        """,
    "returns_list": """
        import numpy as np

        def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            a_i, a_f, a_c, a_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=1)
            sig = lambda v: 0.5 * (1 + np.tanh(0.5 * v))
            c = sig(a_f) * c_prev + sig(a_i) * np.tanh(a_c)
            return [sig(a_o) * np.tanh(c), c]
        """,
}

_LSTM_TEMPLATE = """
    import numpy as np

    def sigmoid(a):
        return 0.5 * (1 + np.tanh(0.5 * a))

    def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
        a = x_t @ {kernel} + h_prev @ recurrent_kernel{bias}
        {split} = np.split(a, 4, axis=1)
        i, f, o = {gate}(a_i), {gate}(a_f), {gate}(a_o)
        c_next = f * c_prev + i * {candidate}(a_c)
        h_next = {output}
        return {returned}
    """
_LSTM_RIGHT = dict(kernel="kernel", bias=" + bias", split="a_i, a_f, a_c, a_o", gate="sigmoid",
                   candidate="np.tanh", output="o * np.tanh(c_next)", returned="h_next, c_next")


def _lstm_wrong(**change):
    return _src(_LSTM_TEMPLATE.format(**{**_LSTM_RIGHT, **change}))


_LSTM_CELL["template_right"] = _lstm_wrong()

_LSTM_CELL_WRONG = {
    "no_bias": ("MISSING-BIAS", _lstm_wrong(bias="")),
    "kernel_transposed_per_gate": ("TRANSPOSED-WEIGHTS", _lstm_wrong(
        kernel="np.hstack([w.T for w in np.split(kernel, 4, axis=1)])")),
    "tanh_gates": ("WRONG-ACTIVATION", _lstm_wrong(gate="np.tanh")),
    "sigmoid_candidate": ("WRONG-ACTIVATION", _lstm_wrong(candidate="sigmoid")),
    "order_i_f_o_c": ("LSTM-GATE-ORDER", _lstm_wrong(split="a_i, a_f, a_o, a_c")),
    "order_f_i_c_o": ("LSTM-GATE-ORDER", _lstm_wrong(split="a_f, a_i, a_c, a_o")),
    "order_c_i_f_o": ("LSTM-GATE-ORDER", _lstm_wrong(split="a_c, a_i, a_f, a_o")),
    "output_without_tanh": ("LSTM-OUTPUT-NO-TANH", _lstm_wrong(output="o * c_next")),
    "outputs_swapped": ("LSTM-OUTPUTS-SWAPPED", _lstm_wrong(returned="c_next, h_next")),
    "returns_h_only": (None, _lstm_wrong(returned="h_next")),
    "forget_gate_ignored": (None, _lstm_wrong(output="o * np.tanh(c_prev + i * np.tanh(a_c))")),
}

# --------------------------------------------------------------------------- LSTM sequence


def _lstm_seq_from_cell(cell_source, *, carry_h=True, carry_c=True, last_only=False):
    h_in, c_in = ("h" if carry_h else "h0"), ("c" if carry_c else "c0")
    returned = "h, c" if last_only else "np.stack(hs, axis=1), np.stack(cs, axis=1)"
    loop = _src(f"""

        def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias):
            h, c, hs, cs = h0, c0, [], []
            for t in range(x.shape[1]):
                h, c = lstm_cell_forward(x[:, t], {h_in}, {c_in}, kernel, recurrent_kernel, bias)
                hs.append(h)
                cs.append(c)
            return {returned}
        """)
    return _src(cell_source) + "\n" + loop


_LSTM_SEQ = {
    "loop_over_cell": _lstm_seq_from_cell(_src(_LSTM_CELL["split"])),
    "preallocated_float64": """
        import numpy as np

        def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias):
            batch, T, _ = x.shape
            u = h0.shape[1]
            h_seq, c_seq = np.zeros((batch, T, u)), np.zeros((batch, T, u))
            h, c = h0.astype(np.float64), c0.astype(np.float64)
            x_proj = x.astype(np.float64) @ kernel + bias
            for t in range(T):
                a = x_proj[:, t] + h @ recurrent_kernel
                i, f, o = (1 / (1 + np.exp(-a[:, k*u:(k+1)*u])) for k in (0, 1, 3))
                c = f * c + i * np.tanh(a[:, 2*u:3*u])
                h = o * np.tanh(c)
                h_seq[:, t], c_seq[:, t] = h, c
            return h_seq, c_seq
        """,
    "naive_sigmoid_mutates_inputs": _src(_LSTM_CELL["naive_sigmoid_mutates_inputs"]) + "\n" + _src("""

        def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias):
            hs, cs = [], []
            for t in range(x.shape[1]):
                # the cell updates h0 and c0 in place, so store copies
                lstm_cell_forward(x[:, t], h0, c0, kernel, recurrent_kernel, bias)
                hs.append(h0.copy())
                cs.append(c0.copy())
            return np.stack(hs, axis=1), np.stack(cs, axis=1)
        """),
}

_LSTM_SEQ_WRONG = {
    "h0_every_step": ("STATE-NOT-CARRIED", _lstm_seq_from_cell(_lstm_wrong(), carry_h=False)),
    "h0_and_c0_every_step": ("STATE-NOT-CARRIED",
                             _lstm_seq_from_cell(_lstm_wrong(), carry_h=False, carry_c=False)),
    "c0_every_step": ("LSTM-CELL-NOT-CARRIED", _lstm_seq_from_cell(_lstm_wrong(), carry_c=False)),
    "returns_last_only": ("RETURNS-LAST-ONLY", _lstm_seq_from_cell(_lstm_wrong(), last_only=True)),
    **{name: (mid, _lstm_seq_from_cell(source)) for name, (mid, source) in _LSTM_CELL_WRONG.items()
       if name in ("no_bias", "kernel_transposed_per_gate", "order_i_f_o_c", "output_without_tanh",
                   "sigmoid_candidate")},
}

# --------------------------------------------------------------------------- parameter count

_PARAM_COUNT = {
    "formula": """
        def rnn_param_count(cell, input_dim, units, reset_after=True):
            blocks = {"simple_rnn": 1, "gru": 3, "lstm": 4}[cell]
            bias_rows = 2 if cell == "gru" and reset_after else 1
            return blocks * (input_dim * units + units * units + bias_rows * units)
        """,
    "if_elif_numpy": """
        import numpy as np

        def rnn_param_count(cell, input_dim, units, reset_after=True):
            kernel = np.zeros((input_dim, units))
            recurrent = np.zeros((units, units))
            one_block = kernel.size + recurrent.size + units
            if cell == "simple_rnn":
                return np.int64(one_block)
            elif cell == "gru":
                return np.int64(3 * one_block + (3 * units if reset_after else 0))
            elif cell == "lstm":
                return np.int64(4 * one_block)
        """,
    "float_result": """
        def rnn_param_count(cell, input_dim, units, reset_after=True):
            k = {"simple_rnn": 1.0, "gru": 3.0, "lstm": 4.0}[cell]
            extra = k * units if (cell == "gru" and reset_after) else 0.0
            return k * (input_dim + units + 1) * units + extra
        """,
}

_PARAM_COUNT_WRONG = {
    "no_bias": ("MISSING-BIAS", """
        def rnn_param_count(cell, input_dim, units, reset_after=True):
            k = {"simple_rnn": 1, "gru": 3, "lstm": 4}[cell]
            return k * (input_dim * units + units * units)
        """),
    "one_gru_bias_row": ("MISSING-BIAS", """
        def rnn_param_count(cell, input_dim, units, reset_after=True):
            k = {"simple_rnn": 1, "gru": 3, "lstm": 4}[cell]
            return k * (input_dim * units + units * units + units)
        """),
    "two_bias_rows_always": (None, """
        def rnn_param_count(cell, input_dim, units, reset_after=True):
            k = {"simple_rnn": 1, "gru": 3, "lstm": 4}[cell]
            extra = k * units if cell == "gru" else 0
            return k * (input_dim * units + units * units + units) + extra
        """),
    "no_recurrent_kernel": (None, """
        def rnn_param_count(cell, input_dim, units, reset_after=True):
            k = {"simple_rnn": 1, "gru": 3, "lstm": 4}[cell]
            return k * (input_dim * units + units) + (k * units if cell == "gru" and reset_after else 0)
        """),
    "units_squared_for_kernel": (None, """
        def rnn_param_count(cell, input_dim, units, reset_after=True):
            k = {"simple_rnn": 1, "gru": 3, "lstm": 4}[cell]
            rows = 2 if cell == "gru" and reset_after else 1
            return k * (units * units + units * units + rows * units)
        """),
}

# --------------------------------------------------------------------------- the tables

CORRECT = {
    "rnn_cell_forward": _RNN_CELL,
    "rnn_forward": _RNN_SEQ,
    "gru_cell_forward": _GRU_CELL,
    "gru_forward": _GRU_SEQ,
    "lstm_cell_forward": _LSTM_CELL,
    "lstm_forward": _LSTM_SEQ,
    "rnn_param_count": _PARAM_COUNT,
}
WRONG = {
    "rnn_cell_forward": _RNN_CELL_WRONG,
    "rnn_forward": _RNN_SEQ_WRONG,
    "gru_cell_forward": _GRU_CELL_WRONG,
    "gru_forward": _GRU_SEQ_WRONG,
    "lstm_cell_forward": _LSTM_CELL_WRONG,
    "lstm_forward": _LSTM_SEQ_WRONG,
    "rnn_param_count": _PARAM_COUNT_WRONG,
}
# Answers that write into their inputs compute the right values, but break whoever
# called them (the caller's arrays change): the checkers name MODIFIES-INPUTS.
for _function, _answers in CORRECT.items():
    for _label in [label for label in _answers if "mutates_inputs" in label]:
        WRONG[_function][_label] = ("MODIFIES-INPUTS", _answers.pop(_label))
for _table in (CORRECT, WRONG):
    for _answers in _table.values():
        for _label, _answer in _answers.items():
            if isinstance(_answer, tuple):
                _answers[_label] = (_answer[0], _src(_answer[1]))
            else:
                _answers[_label] = _src(_answer)


# --------------------------------------------------------------------------- test helpers

def _outputs_differ(a, b, by):
    return any(np.shape(p) != np.shape(q) or np.abs(np.subtract(p, q)).max() > by
               for p, q in zip(a, b))


def _ids(mistake):
    return {m.id for m in (mistake if isinstance(mistake, tuple) else (mistake,))}


def assert_probes_tell_mistakes_apart(probes, separation=1e-3):
    """Each single known mistake of the probes must first show on a probe where it
    differs from the answer, and from every known mistake (single or combined) with
    other ids, by more than ``separation`` (so a student who makes it is told exactly it)."""
    first_seen = {}
    for probe in probes:
        for mistake, outs in probe.mistakes:
            if not isinstance(mistake, tuple):
                first_seen.setdefault((mistake.id, mistake.hint), (probe, outs))
    assert first_seen, "no probe shows any mistake"
    for (mid, hint), (probe, outs) in first_seen.items():
        assert _outputs_differ(outs, probe.expected, separation), (hint, probe.case)
        for other, other_outs in probe.mistakes:
            if _ids(other) != {mid}:
                assert _outputs_differ(outs, other_outs, separation), \
                    (hint, [m.hint for m in (other if isinstance(other, tuple) else (other,))],
                     probe.case)

"""Round-trip grading scenarios for 02_vanishing_gradients: the solution with answers replaced.

Each scenario replaces the source of the named solution cells (by grade_id) in an otherwise
correct submission; the generic round-trip test autogrades it with nbgrader and checks the score
class and that the ids appear in the feedback. Every known mistake has a registered id
(misconceptions.py, CONTRIBUTING.md "Misconception ids"); to keep the class small, a scenario
puts one mistake into each of several exercises. The cells may use what the lesson's Setup
cell imports (np, rnn_forward).
"""

_STUB = '''
def {name}({args}):
    # YOUR CODE HERE
    raise NotImplementedError()
'''

SCENARIOS = {
    "other_correct_styles": {
        # Loops, einsum, a Jacobian-product route and if/else clipping: all must get full marks.
        "cells": {
            "rnn_step_jacobian": '''
def rnn_step_jacobian(x_t, h_prev, kernel, recurrent_kernel, bias):
    h = np.tanh(np.einsum("bi,iu->bu", x_t, kernel) + h_prev @ recurrent_kernel + bias)
    return np.einsum("bi,ji->bij", 1.0 - h * h, recurrent_kernel)
''',
            "gradient_norms_by_lag": '''
def gradient_norms_by_lag(dh_last, x, h0, kernel, recurrent_kernel, bias):
    h_seq = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    batch, steps, units = h_seq.shape
    norms = np.zeros((batch, steps + 1))
    for n in range(batch):
        g = dh_last[n].astype(np.float64)
        norms[n, 0] = np.sqrt(np.sum(g ** 2))
        for k in range(1, steps + 1):
            h = h_seq[n, steps - k]
            J = np.diag(1 - h ** 2) @ recurrent_kernel.T
            g = g @ J
            norms[n, k] = np.sqrt(np.sum(g ** 2))
    return norms
''',
            "rnn_backward": '''
def rnn_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    batch, steps, _ = x.shape
    states = [h0]
    for t in range(steps):
        states.append(np.tanh(x[:, t] @ kernel + states[-1] @ recurrent_kernel + bias))
    grads = {"dx": np.zeros(x.shape), "dkernel": np.zeros(kernel.shape),
             "drecurrent_kernel": np.zeros(recurrent_kernel.shape), "dbias": np.zeros(bias.shape)}
    carry = np.zeros(h0.shape)
    for t in range(steps - 1, -1, -1):
        da = (dh_seq[:, t] + carry) * (1.0 - states[t + 1] ** 2)
        grads["dx"][:, t] = np.einsum("bu,iu->bi", da, kernel)
        grads["dkernel"] += np.einsum("bi,bu->iu", x[:, t], da)
        grads["drecurrent_kernel"] += np.einsum("bi,bu->iu", states[t], da)
        grads["dbias"] += da.sum(axis=0)
        carry = np.einsum("bu,iu->bi", da, recurrent_kernel)
    grads["dh0"] = carry
    return grads
''',
            "clip_by_global_norm": '''
def clip_by_global_norm(grads, clip_norm):
    norm = float(np.sqrt(sum(np.linalg.norm(g) ** 2 for g in grads)))
    if norm <= clip_norm:
        return list(grads), norm
    return [g * (clip_norm / norm) for g in grads], norm
''',
        },
        "expect_ids": [],
        "expect": "full",
    },
    "gradient_slips": {
        # One slip per exercise, all four wrong: slope of the pre-activation, norms in time
        # order, no gradient from the next step, each array clipped on its own.
        "cells": {
            "rnn_step_jacobian": '''
def rnn_step_jacobian(x_t, h_prev, kernel, recurrent_kernel, bias):
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    return (1 - a ** 2)[:, :, None] * recurrent_kernel.T[None]
''',
            "gradient_norms_by_lag": '''
def gradient_norms_by_lag(dh_last, x, h0, kernel, recurrent_kernel, bias):
    h_seq = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    g, norms = dh_last, [np.linalg.norm(dh_last, axis=1)]
    for t in reversed(range(x.shape[1])):
        g = (g * (1 - h_seq[:, t] ** 2)) @ recurrent_kernel.T
        norms.insert(0, np.linalg.norm(g, axis=1))
    return np.stack(norms, axis=1)
''',
            "rnn_backward": '''
def rnn_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    h_seq = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    h_prev_seq = np.concatenate([h0[:, None], h_seq[:, :-1]], axis=1)
    dx = np.zeros_like(x)
    dkernel, drecurrent_kernel = np.zeros_like(kernel), np.zeros_like(recurrent_kernel)
    dbias = np.zeros_like(bias)
    dh0 = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        da = dh_seq[:, t] * (1 - h_seq[:, t] ** 2)
        dx[:, t] = da @ kernel.T
        dkernel += x[:, t].T @ da
        drecurrent_kernel += h_prev_seq[:, t].T @ da
        dbias += da.sum(axis=0)
        dh0 = da @ recurrent_kernel.T
    return {"dx": dx, "dh0": dh0, "dkernel": dkernel,
            "drecurrent_kernel": drecurrent_kernel, "dbias": dbias}
''',
            "clip_by_global_norm": '''
def clip_by_global_norm(grads, clip_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    return [g * min(1.0, clip_norm / max(np.linalg.norm(g), 1e-12)) for g in grads], norm
''',
        },
        "expect_ids": ["TANH-SLOPE-OF-PREACTIVATION", "NORMS-TIME-ORDER", "BPTT-NO-CARRY",
                       "CLIP-EACH-SEPARATELY"],
        "expect": "zero",
    },
    "forward_and_bookkeeping_mistakes": {
        # No bias in the Jacobian's forward step, a forward loop that restarts from h0, weight
        # gradients overwritten at each step, the global norm as a sum of norms.
        "cells": {
            "rnn_step_jacobian": '''
def rnn_step_jacobian(x_t, h_prev, kernel, recurrent_kernel, bias):
    h_next = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)
    return (1 - h_next ** 2)[:, :, None] * recurrent_kernel.T[None]
''',
            "gradient_norms_by_lag": '''
def gradient_norms_by_lag(dh_last, x, h0, kernel, recurrent_kernel, bias):
    states = [np.tanh(x[:, t] @ kernel + h0 @ recurrent_kernel + bias) for t in range(x.shape[1])]
    g = dh_last
    norms = [np.linalg.norm(g, axis=1)]
    for h_t in reversed(states):
        g = (g * (1 - h_t ** 2)) @ recurrent_kernel.T
        norms.append(np.linalg.norm(g, axis=1))
    return np.stack(norms, axis=1)
''',
            "rnn_backward": '''
def rnn_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    h_seq = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    h_prev_seq = np.concatenate([h0[:, None], h_seq[:, :-1]], axis=1)
    dx = np.zeros_like(x)
    dh = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        da = (dh_seq[:, t] + dh) * (1 - h_seq[:, t] ** 2)
        dx[:, t] = da @ kernel.T
        dkernel = x[:, t].T @ da
        drecurrent_kernel = h_prev_seq[:, t].T @ da
        dbias = da.sum(axis=0)
        dh = da @ recurrent_kernel.T
    return {"dx": dx, "dh0": dh, "dkernel": dkernel,
            "drecurrent_kernel": drecurrent_kernel, "dbias": dbias}
''',
            "clip_by_global_norm": '''
def clip_by_global_norm(grads, clip_norm):
    norm = sum(np.linalg.norm(g) for g in grads)
    return [g * min(1.0, clip_norm / norm) if norm > 0 else g for g in grads], norm
''',
        },
        "expect_ids": ["MISSING-BIAS", "STATE-NOT-CARRIED", "BPTT-GRADS-OVERWRITTEN",
                       "CLIP-SUM-OF-NORMS"],
        "expect": "zero",
    },
    "transposes_and_slopes": {
        # recurrent_kernel.T in the Jacobian's forward step, the slope of h_(t-1) in the lag
        # loop, recurrent_kernel without transpose on the way back; clipping is right.
        "cells": {
            "rnn_step_jacobian": '''
def rnn_step_jacobian(x_t, h_prev, kernel, recurrent_kernel, bias):
    h_next = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + bias)
    return (1 - h_next ** 2)[:, :, None] * recurrent_kernel.T[None]
''',
            "gradient_norms_by_lag": '''
def gradient_norms_by_lag(dh_last, x, h0, kernel, recurrent_kernel, bias):
    h_seq = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    h_all = np.concatenate([h0[:, None], h_seq], axis=1)
    g, norms = dh_last, [np.linalg.norm(dh_last, axis=1)]
    for t in range(x.shape[1], 0, -1):
        g = (g * (1 - h_all[:, t - 1] ** 2)) @ recurrent_kernel.T
        norms.append(np.linalg.norm(g, axis=1))
    return np.stack(norms, axis=1)
''',
            "rnn_backward": '''
def rnn_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    h_seq = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    h_prev_seq = np.concatenate([h0[:, None], h_seq[:, :-1]], axis=1)
    dx = np.zeros_like(x)
    dkernel, drecurrent_kernel = np.zeros_like(kernel), np.zeros_like(recurrent_kernel)
    dbias = np.zeros_like(bias)
    dh = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        da = (dh_seq[:, t] + dh) * (1 - h_seq[:, t] ** 2)
        dx[:, t] = da @ kernel.T
        dkernel += x[:, t].T @ da
        drecurrent_kernel += h_prev_seq[:, t].T @ da
        dbias += da.sum(axis=0)
        dh = da @ recurrent_kernel
    return {"dx": dx, "dh0": dh, "dkernel": dkernel,
            "drecurrent_kernel": drecurrent_kernel, "dbias": dbias}
''',
        },
        "expect_ids": ["TRANSPOSED-WEIGHTS", "TANH-SLOPE-WRONG-STATE",
                       "RECURRENT-KERNEL-NOT-TRANSPOSED"],
        "expect": "partial",
    },
    "nothing_done": {
        "cells": {
            "rnn_step_jacobian": _STUB.format(
                name="rnn_step_jacobian", args="x_t, h_prev, kernel, recurrent_kernel, bias"),
            "gradient_norms_by_lag": _STUB.format(
                name="gradient_norms_by_lag",
                args="dh_last, x, h0, kernel, recurrent_kernel, bias"),
            "rnn_backward": _STUB.format(
                name="rnn_backward", args="dh_seq, x, h0, kernel, recurrent_kernel, bias"),
            "clip_by_global_norm": _STUB.format(name="clip_by_global_norm",
                                                args="grads, clip_norm"),
        },
        "expect_ids": [],
        "expect": "zero",
    },
}

"""What the gradient checkers share: seeded SimpleRNN probes and the states of a forward
pass, optionally with a known forward mistake (02_vanishing_gradients: ``step_jacobian``,
``gradient_norms``, ``bptt``), a comparison that adds a hint keyed by the shape that came
back, and the diagnosis of a function that returns a dict of gradients (``bptt`` and
05_gradient_flow's ``gated_backward``).

Every expected output is computed when the checker modules are imported.
"""
import numpy as np

from ._core import Mistake, compare, found_mistakes, same, to_array

LESSON = "02_vanishing_gradients"


def reread(heading: str) -> str:
    """The reread section ``"02_vanishing_gradients, 'heading'"`` of this lesson."""
    return f"{LESSON}, '{heading}'"


def rnn_problem(seed, batch, steps, input_dim, units, *, scale=0.8):
    """Random float64 inputs and weights for one probe (seeded, so a check is reproducible)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, steps, input_dim))
    h0 = rng.uniform(-0.8, 0.8, size=(batch, units))
    kernel = rng.uniform(-scale, scale, size=(input_dim, units))
    recurrent_kernel = rng.uniform(-scale, scale, size=(units, units))
    bias = rng.uniform(-0.5, 0.5, size=units)
    return x, h0, kernel, recurrent_kernel, bias


def states(x, h0, kernel, recurrent_kernel, bias, *, carry=True, use_bias=True,
           transpose_recurrent=False):
    """States h_0 .. h_T (batch, T+1, units) of a SimpleRNN, optionally with a forward mistake."""
    U = recurrent_kernel.T if transpose_recurrent else recurrent_kernel
    b = bias if use_bias else 0.0
    out = [h0]
    for t in range(x.shape[1]):
        h_in = out[-1] if carry else h0
        out.append(np.tanh(x[:, t] @ kernel + h_in @ U + b))
    return np.stack(out, axis=1)


def forward_mistakes(function, section):
    """The forward-pass mistakes a gradient exercise can inherit, in the words of ``function``:
    ``{id: (Mistake, switches of states())}``."""
    return {
        "STATE-NOT-CARRIED": (Mistake(
            "STATE-NOT-CARRIED", "a forward loop that restarts every step from h0",
            explanation=f"The forward pass inside {function} fed every step h0 instead of the "
                        "previous step's state; recompute the states with the state carried "
                        "(or call rnn_forward).",
            reread=reread(section)), dict(carry=False)),
        "MISSING-BIAS": (Mistake(
            "MISSING-BIAS", "the bias left out of the forward step",
            explanation=f"The forward step inside {function} leaves out the bias: "
                        "h = tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias).",
            reread=reread("The step Jacobian")), dict(use_bias=False)),
        "TRANSPOSED-WEIGHTS": (Mistake(
            "TRANSPOSED-WEIGHTS", "recurrent_kernel.T in the forward step",
            explanation=f"The forward step inside {function} uses recurrent_kernel transposed; "
                        "with Keras's layout a step computes h_prev @ recurrent_kernel.",
            reread=reread("The step Jacobian")), dict(transpose_recurrent=True)),
    }


def shape_text(shape):
    return "(" + ", ".join(str(n) for n in shape) + ")"


def compare_with_hint(what, got, expected, *, mistakes, context, shape_hints=None):
    """``compare`` (with the known ``mistakes``), plus the hint for the shape that came back."""
    got_arr = to_array(got, what)
    try:
        compare(what, got_arr, expected, context=context, mistakes=mistakes)
    except AssertionError as err:
        hint = ((shape_hints or {}).get(got_arr.shape)
                if got_arr.shape != expected.shape else None)
        raise AssertionError(f"{err}\n{hint}" if hint else str(err)) from None


def changed_keys(grads, expected, keys):
    """The keys of ``grads`` (a known mistake's gradients) that differ from ``expected``."""
    return frozenset(k for k in keys if not same(grads[k], expected[k]))


def found_in_gradients(got, mistakes):
    """The mistakes that explain a dict of gradients ``got``.

    ``mistakes`` holds ``(Mistake, gradients dict, changed keys)``. A mistake is found when,
    on every gradient it changes, ``got`` equals its value (the other gradients may be wrong
    for another reason: two mistakes at once). A mistake that explains only part of what
    another found one explains is a consequence of it and is dropped.
    """
    found = [(mistake, changed) for mistake, grads, changed in mistakes
             if changed and found_mistakes(tuple(got[k] for k in sorted(changed)),
                                           [(mistake, tuple(grads[k] for k in sorted(changed)))])]
    return [mistake for mistake, changed in found
            if not any(changed < other for _, other in found)]

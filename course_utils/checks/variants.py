"""Known-wrong variants of the exercise functions: one small function per mistake.

Each mistake is a one-line configuration (a ``functools.partial``) of an
independent step function below (``rnn_step``, ``gru_step``, ``lstm_step``,
``param_count``) whose keywords inject exactly that mistake; sequence variants
unroll a step variant, or feed h0 / c0 to every step.

Each variant takes the same arguments as the student function it imitates and
reproduces one mistake of COURSE.md section 4 (``id`` is the misconception id)
or a common slip that has no id but deserves a hint (``id=None``). The
checkers run the variants on their probe inputs; when a student's output equals
a variant's output, the failure message names the mistake. Nothing here reads
student source code.

The variants are written from the equations, independently of the reference
modules ``course_utils.simple_rnn`` / ``gru`` / ``lstm`` / ``weights``, so a
bug in a reference cannot hide in both (the tests compare the correct
configuration of each ``*_step`` below with the reference). Shapes follow the
student API: batch first, weights exactly as Keras's ``get_weights()``.
"""
import itertools
from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional

import numpy as np

__all__ = [
    "Variant", "sigmoid",
    "rnn_step", "gru_step", "lstm_step", "unroll", "unroll_lstm", "param_count",
    "RNN_CELL_VARIANTS", "RNN_SEQUENCE_VARIANTS",
    "GRU_CELL_VARIANTS", "GRU_SEQUENCE_VARIANTS",
    "LSTM_CELL_VARIANTS", "LSTM_SEQUENCE_VARIANTS",
    "PARAM_COUNT_VARIANTS",
]


@dataclass(frozen=True)
class Variant:
    """A known-wrong version of an exercise function."""
    id: Optional[str]   # misconception id (COURSE.md section 4), or None: a hint only
    hint: str           # the slip in a few words, completing "Your output is exactly what we get with ..."
    fn: Callable        # same arguments as the student function


def sigmoid(a):
    """Logistic function, written through tanh: ``1/(1+exp(-a)) = (1+tanh(a/2))/2``, no overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _blocks(a, k):
    """The k equal blocks of the last axis of ``a`` (like np.split, but cheaper)."""
    width = a.shape[-1] // k
    return [a[..., n * width:(n + 1) * width] for n in range(k)]


def _identity(a):
    return a


def _as_is(weight, blocks):
    return weight


def _blocks_transposed(weight, blocks):
    """``weight`` (rows, blocks*units) with each (rows, units) gate block transposed.

    A student who slices ``W_z = kernel[:, :units]`` and then writes
    ``x_t @ W_z.T`` does this. It only runs when the blocks are square, so the
    checkers' probes use input_dim == units; otherwise it raises ValueError and
    the variant is skipped on that probe.
    """
    rows, width = weight.shape
    if width != blocks * rows:
        raise ValueError("transposed blocks only run when each block is square")
    return np.concatenate([block.T for block in _blocks(weight, blocks)], axis=1)


# --------------------------------------------------------------------------- SimpleRNN

def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias, *, activation=np.tanh,
             kernel_view=_as_is, recurrent_view=_as_is, use_bias=True):
    """One SimpleRNN step ``tanh(x_t @ W + h_prev @ U + b)``; the keywords inject one mistake."""
    a = x_t @ kernel_view(kernel, 1) + h_prev @ recurrent_view(recurrent_kernel, 1)
    if use_bias:
        a = a + bias
    return activation(a)


# --------------------------------------------------------------------------- GRU

def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True, *,
             gate=sigmoid, candidate=np.tanh, kernel_view=_as_is, recurrent_view=_as_is,
             input_bias=True, recurrent_bias=True, reset_placement=None,
             candidate_recurrent_bias="inside", update_inverted=False, order="zrh"):
    """One GRU step in Keras's convention; the keywords inject one mistake.

    ``reset_placement`` is "after" / "before" the recurrent product (default:
    as ``reset_after`` asks). ``candidate_recurrent_bias`` says where the
    candidate's recurrent bias b'_h goes when the reset acts after the product:
    "inside" r * (h_prev @ U_h + b'_h) (right), "outside" the reset, or "none".
    ``order`` is the order in which the student reads the three blocks.
    """
    if reset_after:
        bias_in, bias_rec = bias[0], bias[1]
    else:
        bias_in, bias_rec = bias, np.zeros_like(bias)  # no recurrent bias without reset_after
    bias_in = bias_in if input_bias else np.zeros_like(bias_in)
    bias_rec = bias_rec if recurrent_bias else np.zeros_like(bias_rec)
    W = dict(zip(order, _blocks(kernel_view(kernel, 3), 3)))
    U = dict(zip(order, _blocks(recurrent_view(recurrent_kernel, 3), 3)))
    b = dict(zip(order, _blocks(bias_in, 3)))
    b_rec = dict(zip(order, _blocks(bias_rec, 3)))

    z = gate(x_t @ W["z"] + b["z"] + h_prev @ U["z"] + b_rec["z"])
    r = gate(x_t @ W["r"] + b["r"] + h_prev @ U["r"] + b_rec["r"])
    placement = reset_placement or ("after" if reset_after else "before")
    if placement == "before":
        recurrent = (r * h_prev) @ U["h"]
    else:
        recurrent = r * (h_prev @ U["h"])
    if candidate_recurrent_bias == "inside":
        recurrent = recurrent + (r * b_rec["h"] if placement == "after" else b_rec["h"])
    elif candidate_recurrent_bias == "outside":
        recurrent = recurrent + b_rec["h"]
    h_tilde = candidate(x_t @ W["h"] + b["h"] + recurrent)
    if update_inverted:
        return z * h_tilde + (1 - z) * h_prev
    return z * h_prev + (1 - z) * h_tilde


# --------------------------------------------------------------------------- LSTM

def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, *, order="ifco",
              gate=sigmoid, candidate=np.tanh, output_squash=np.tanh,
              kernel_view=_as_is, recurrent_view=_as_is, use_bias=True):
    """One LSTM step in Keras's convention, returns ``(h_next, c_next)``; keywords inject one mistake.

    ``order`` is the order in which the student reads the four blocks
    (Keras: "ifco" = input, forget, candidate c~, output).
    """
    a = x_t @ kernel_view(kernel, 4) + h_prev @ recurrent_view(recurrent_kernel, 4)
    if use_bias:
        a = a + bias
    block = dict(zip(order, _blocks(a, 4)))
    i, f, o = gate(block["i"]), gate(block["f"]), gate(block["o"])
    c_next = f * c_prev + i * candidate(block["c"])
    return o * output_squash(c_next), c_next


# --------------------------------------------------------------------------- sequences

def unroll(step, *, carry=True):
    """A sequence function ``(x, h0, *weights, **options) -> h_seq (batch, T, units)`` from a step.

    With ``carry=False`` every step starts from h0: the STATE-NOT-CARRIED slip.
    """
    def forward(x, h0, *weights, **options):
        h, states = h0, []
        for t in range(x.shape[1]):
            h = step(x[:, t], h if carry else h0, *weights, **options)
            states.append(h)
        return np.stack(states, axis=1)
    return forward


def unroll_lstm(step, *, carry_h=True, carry_c=True):
    """An LSTM sequence function ``(x, h0, c0, *weights) -> (h_seq, c_seq)`` from a step."""
    def forward(x, h0, c0, *weights):
        h, c, hs, cs = h0, c0, [], []
        for t in range(x.shape[1]):
            h, c = step(x[:, t], h if carry_h else h0, c if carry_c else c0, *weights)
            hs.append(h)
            cs.append(c)
        return np.stack(hs, axis=1), np.stack(cs, axis=1)
    return forward


# --------------------------------------------------------------------------- the variants

RNN_CELL_VARIANTS = [
    Variant("MISSING-BIAS", "the bias left out", partial(rnn_step, use_bias=False)),
    Variant("TRANSPOSED-WEIGHTS", "kernel transposed (x_t @ kernel.T)",
            partial(rnn_step, kernel_view=_blocks_transposed)),
    Variant("TRANSPOSED-WEIGHTS", "recurrent_kernel transposed (h_prev @ recurrent_kernel.T)",
            partial(rnn_step, recurrent_view=_blocks_transposed)),
    Variant("TRANSPOSED-WEIGHTS", "both weight matrices transposed",
            partial(rnn_step, kernel_view=_blocks_transposed, recurrent_view=_blocks_transposed)),
    Variant("WRONG-ACTIVATION", "sigmoid instead of tanh", partial(rnn_step, activation=sigmoid)),
]

RNN_SEQUENCE_VARIANTS = (
    [Variant(v.id, v.hint, unroll(v.fn)) for v in RNN_CELL_VARIANTS]
    + [Variant("STATE-NOT-CARRIED", "h0 fed to every step", unroll(rnn_step, carry=False))]
)

GRU_CELL_VARIANTS = [
    Variant("MISSING-BIAS", "no bias at all",
            partial(gru_step, input_bias=False, recurrent_bias=False)),
    Variant("MISSING-BIAS", "only the input bias row (bias[0]), the recurrent row bias[1] left out",
            partial(gru_step, recurrent_bias=False)),
    Variant("MISSING-BIAS", "only the recurrent bias row (bias[1]), the input row bias[0] left out",
            partial(gru_step, input_bias=False)),
    Variant("TRANSPOSED-WEIGHTS", "each block of kernel transposed (x_t @ W_z.T, ...)",
            partial(gru_step, kernel_view=_blocks_transposed)),
    Variant("TRANSPOSED-WEIGHTS", "each block of recurrent_kernel transposed (h_prev @ U_z.T, ...)",
            partial(gru_step, recurrent_view=_blocks_transposed)),
    Variant("TRANSPOSED-WEIGHTS", "every weight block transposed",
            partial(gru_step, kernel_view=_blocks_transposed, recurrent_view=_blocks_transposed)),
    Variant("WRONG-ACTIVATION", "tanh for the gates z and r instead of sigmoid",
            partial(gru_step, gate=np.tanh)),
    Variant("WRONG-ACTIVATION", "sigmoid for the candidate h~ instead of tanh",
            partial(gru_step, candidate=sigmoid)),
    Variant("GRU-UPDATE-INVERTED", "h = z * h~ + (1 - z) * h_prev",
            partial(gru_step, update_inverted=True)),
    # For reset_after=True: the reset_after=False formula (with or without b'_h), or
    # b'_h added outside the reset. For reset_after=False: the reset after the product.
    Variant("GRU-RESET-PLACEMENT", "the reset gate on h_prev before the product, (r * h_prev) @ U_h",
            partial(gru_step, reset_placement="before", candidate_recurrent_bias="outside")),
    Variant("GRU-RESET-PLACEMENT", "(r * h_prev) @ U_h and no recurrent bias in the candidate",
            partial(gru_step, reset_placement="before", candidate_recurrent_bias="none")),
    Variant("GRU-RESET-PLACEMENT", "the reset gate after the product, r * (h_prev @ U_h)",
            partial(gru_step, reset_placement="after")),
    Variant("GRU-RESET-PLACEMENT", "r * (h_prev @ U_h) + b'_h, the recurrent bias outside the reset",
            partial(gru_step, reset_placement="after", candidate_recurrent_bias="outside")),
    Variant(None, "the z and r blocks swapped (Keras's order is z, r, h~)",
            partial(gru_step, order="rzh")),
]

GRU_SEQUENCE_VARIANTS = (
    [Variant(v.id, v.hint, unroll(v.fn)) for v in GRU_CELL_VARIANTS]
    + [Variant("STATE-NOT-CARRIED", "h0 fed to every step", unroll(gru_step, carry=False))]
)


def _gate_order_variants():
    names = {"i": "i", "f": "f", "c": "c~", "o": "o"}
    for order in itertools.permutations("ifco"):
        if order != tuple("ifco"):
            label = ", ".join(names[g] for g in order)
            yield Variant("LSTM-GATE-ORDER", f"the gates read in the order {label}",
                          partial(lstm_step, order="".join(order)))


LSTM_CELL_VARIANTS = [
    Variant("MISSING-BIAS", "the bias left out", partial(lstm_step, use_bias=False)),
    Variant("TRANSPOSED-WEIGHTS", "each block of kernel transposed (x_t @ W_i.T, ...)",
            partial(lstm_step, kernel_view=_blocks_transposed)),
    Variant("TRANSPOSED-WEIGHTS", "each block of recurrent_kernel transposed (h_prev @ U_i.T, ...)",
            partial(lstm_step, recurrent_view=_blocks_transposed)),
    Variant("TRANSPOSED-WEIGHTS", "every weight block transposed",
            partial(lstm_step, kernel_view=_blocks_transposed, recurrent_view=_blocks_transposed)),
    Variant("WRONG-ACTIVATION", "tanh for the gates i, f, o instead of sigmoid",
            partial(lstm_step, gate=np.tanh)),
    Variant("WRONG-ACTIVATION", "sigmoid for the candidate c~ instead of tanh",
            partial(lstm_step, candidate=sigmoid)),
    Variant("WRONG-ACTIVATION", "h = o * sigmoid(c) instead of o * tanh(c)",
            partial(lstm_step, output_squash=sigmoid)),
    Variant("LSTM-OUTPUT-NO-TANH", "h = o * c", partial(lstm_step, output_squash=_identity)),
    *_gate_order_variants(),
]

LSTM_SEQUENCE_VARIANTS = (
    [Variant(v.id, v.hint, unroll_lstm(v.fn)) for v in LSTM_CELL_VARIANTS]
    + [Variant("STATE-NOT-CARRIED", "h0 fed to every step (c carried)",
               unroll_lstm(lstm_step, carry_h=False)),
       Variant("STATE-NOT-CARRIED", "h0 and c0 fed to every step",
               unroll_lstm(lstm_step, carry_h=False, carry_c=False)),
       Variant("LSTM-CELL-NOT-CARRIED", "c0 fed to every step (h carried)",
               unroll_lstm(lstm_step, carry_c=False))]
)


# --------------------------------------------------------------------------- parameter counts

_BLOCKS = {"simple_rnn": 1, "gru": 3, "lstm": 4}


def param_count(cell, input_dim, units, reset_after=True, *, bias_rows=None, blocks=None,
                recurrent=True):
    """Keras's parameter count of a recurrent layer; the keywords inject one miscount.

    ``bias_rows``: how many bias vectors of k*units (right: 2 for a GRU with
    reset_after=True, else 1). ``blocks``: the k of the count (right: 1, 3, 4).
    ``recurrent=False`` forgets the recurrent kernel.
    """
    k = _BLOCKS[cell] if blocks is None else blocks
    if bias_rows is None:
        bias_rows = 2 if (cell == "gru" and reset_after) else 1
    return k * (input_dim * units + (units * units if recurrent else 0) + bias_rows * units)


PARAM_COUNT_VARIANTS = [
    Variant("MISSING-BIAS", "no bias at all", partial(param_count, bias_rows=0)),
    Variant("MISSING-BIAS",
            "only one bias row for a GRU with reset_after=True (it has two: input and recurrent)",
            partial(param_count, bias_rows=1)),
    Variant(None, "two bias rows, but only a GRU with reset_after=True has the second one",
            partial(param_count, bias_rows=2)),
    Variant(None, "a single block: the kernel, recurrent kernel and bias hold one block per "
                  "gate (SimpleRNN 1, GRU 3, LSTM 4)", partial(param_count, blocks=1)),
    Variant(None, "no recurrent_kernel (units x units per block)",
            partial(param_count, recurrent=False)),
]


# --------------------------------------------------------------------------- padding and masking (08)

def pad(sequences, maxlen=None, padding="post", *, side=None, invert_mask=False,
        keep="first"):
    """``(ids, mask)`` of a padded batch, written independently of ``course_utils.masking``;
    ``side`` forces "post"/"pre" whatever ``padding`` asks, ``invert_mask`` makes the mask
    True at the padding, ``keep="last"`` cuts a long sequence to its LAST maxlen ids."""
    sequences = [list(s) for s in sequences]
    if maxlen is None:
        maxlen = max([len(s) for s in sequences] + [0])
    side = side or padding
    ids = np.zeros((len(sequences), maxlen), dtype=np.int64)
    mask = np.zeros((len(sequences), maxlen), dtype=bool)
    for row, seq in enumerate(sequences):
        kept = seq[:maxlen] if keep == "first" else seq[max(len(seq) - maxlen, 0):]
        start = 0 if side == "post" else maxlen - len(kept)
        ids[row, start:start + len(kept)] = kept
        mask[row, start:start + len(kept)] = True
    return ids, (~mask if invert_mask else mask)


def masked_unroll(x, mask, h0, kernel, recurrent_kernel, bias, *, on_masked="carry",
                  invert=False, output_at_masked="state"):
    """A masked SimpleRNN, ``h_seq (batch, T, units)``; the keywords inject one mistake.

    ``on_masked``: what a masked step does to the state: "carry" (right), "step" (the
    mask is ignored), "zeros" or "h0" (the state is reset). ``invert`` reads the mask
    the other way round. ``output_at_masked="zeros"`` carries the state but returns
    zeros at masked steps.
    """
    mask = np.asarray(mask, dtype=bool)
    mask = ~mask if invert else mask
    h, states = h0, []
    for t in range(x.shape[1]):
        new = rnn_step(x[:, t], h, kernel, recurrent_kernel, bias)
        skipped = {"carry": h, "step": new, "zeros": np.zeros_like(h), "h0": h0}[on_masked]
        h = np.where(mask[:, t, None], new, skipped)
        states.append(h if output_at_masked == "state" else np.where(mask[:, t, None], h, 0.0))
    return np.stack(states, axis=1)


PAD_BATCH_VARIANTS = [
    Variant("PADDING-WRONG-SIDE", "the padding on the other side", None),   # see pad_variants
    Variant("MASK-INVERTED", "the mask True at the padding", partial(pad, invert_mask=True)),
    Variant("TRUNCATED-WRONG-END", "long sequences cut to their last maxlen ids",
            partial(pad, keep="last")),
]


def pad_variants(padding):
    """``PAD_BATCH_VARIANTS`` for a probe that asks for ``padding``."""
    other = "pre" if padding == "post" else "post"
    return [Variant(v.id, v.hint, partial(pad, side=other)) if v.fn is None else v
            for v in PAD_BATCH_VARIANTS]


MASKED_RNN_VARIANTS = [
    Variant("MASK-IGNORED", "the mask ignored (every step computed)",
            partial(masked_unroll, on_masked="step")),
    Variant("MASK-STATE-RESET", "the state set to zeros at masked steps",
            partial(masked_unroll, on_masked="zeros")),
    Variant("MASK-STATE-RESET", "the state set back to h0 at masked steps",
            partial(masked_unroll, on_masked="h0")),
    Variant("MASK-INVERTED", "the mask read the other way round (steps computed where it is False)",
            partial(masked_unroll, invert=True)),
    Variant(None, "the state carried but zeros returned at masked steps",
            partial(masked_unroll, output_at_masked="zeros")),
]

"""Known-wrong versions of the exercise functions, written from the equations.

Each cell mistake is a configuration of an independent step function below
(``rnn_step``, ``gru_step``, ``lstm_step``) whose keywords inject exactly that
mistake; sequence variants unroll a step variant, or feed h0 / c0 to every step.
Two mistakes of the same step with disjoint keywords make a ``Combination``
(both are named when a wrong answer reproduces it), and ``part_variants`` makes
one mistake per named part of the weights (``_localise.weight_parts``: one block
transposed, one bias block left out) and per activation (one gate's activation
swapped), so a message can say which part is wrong.

Every variant carries a registered misconception id (CONTRIBUTING.md,
"Misconception ids"); the checker of each lesson gives it the lesson's own words
(``_probes.lesson_mistakes``). The checkers run the variants on their probe
inputs; when a student's output equals a variant's output, the failure message
names the mistake. Nothing here reads student source code.

The variants are written independently of the reference modules
``course_utils.simple_rnn`` / ``gru`` / ``lstm``, so a bug in a reference cannot
hide in both (the tests compare the correct configuration of each ``*_step``
with the reference). Shapes follow the student API: batch first, weights exactly
as Keras's ``get_weights()``.
"""
import itertools
from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np

from ._localise import GATES, weight_parts

__all__ = [
    "Variant", "Combination", "sigmoid",
    "rnn_step", "gru_step", "lstm_step", "unroll", "unroll_lstm", "param_count",
    "combinations", "part_variants", "sequence_variants",
    "RNN_CELL_VARIANTS", "RNN_SEQUENCE_VARIANTS",
    "GRU_CELL_VARIANTS", "GRU_SEQUENCE_VARIANTS",
    "LSTM_CELL_VARIANTS", "LSTM_SEQUENCE_VARIANTS",
]


@dataclass(frozen=True)
class Variant:
    """A known-wrong version of an exercise function."""
    id: str             # registered misconception id
    hint: str           # the slip in a few words, completing "Your output is exactly what we get with ..."
    fn: Callable        # same arguments as the student function
    keywords: tuple = ()   # (name, value) pairs of the step keywords that inject the mistake


@dataclass(frozen=True)
class Combination:
    """Two mistakes made at once (``variants``), computed together by ``fn``."""
    variants: tuple
    fn: Callable


def variant(id, hint, step, **keywords):
    """A ``Variant`` of ``step`` configured by ``keywords``."""
    return Variant(id, hint, partial(step, **keywords), tuple(sorted(keywords.items())))


def sigmoid(a):
    """Logistic function, written through tanh: ``1/(1+exp(-a)) = (1+tanh(a/2))/2``, no overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _blocks(a, k):
    """The k equal blocks of the last axis of ``a`` (like np.split, but cheaper)."""
    width = a.shape[-1] // k
    return [a[..., n * width:(n + 1) * width] for n in range(k)]


def _identity(a):
    return a


def _weights(kernel, recurrent_kernel, bias, k, transposed=(), dropped=()):
    """The weights as a student with these slips reads them.

    ``transposed``: (matrix, block) pairs, matrix 0 = kernel, 1 = recurrent_kernel:
    that (rows, units) block is used transposed (``x_t @ W_z.T``); it only runs when
    the block is square, otherwise ValueError (the variant is skipped on that probe).
    ``dropped``: (row, block) pairs of the bias left out (row 0 of a 1-D bias is the
    bias itself; a row that does not exist is ignored).
    """
    mats = [kernel, recurrent_kernel]
    for m, b in transposed:
        w = mats[m] = np.array(mats[m], dtype=np.float64)
        rows, width = w.shape
        units = width // k
        if rows != units:
            raise ValueError("a transposed block only runs when it is square")
        w[:, b * units:(b + 1) * units] = w[:, b * units:(b + 1) * units].T.copy()
    if dropped:
        bias = np.array(bias, dtype=np.float64)
        units = bias.shape[-1] // k
        for row, b in dropped:
            if bias.ndim == 1 and row != 0:
                continue
            target = bias if bias.ndim == 1 else bias[row]
            target[b * units:(b + 1) * units] = 0.0
    return mats[0], mats[1], bias


def _act(name, swapped, default):
    """``default`` (sigmoid or tanh), or the other one when ``name`` is in ``swapped``."""
    if name not in swapped:
        return default
    return np.tanh if default is sigmoid else sigmoid


def _all_blocks(matrices, k):
    return frozenset((m, b) for m in matrices for b in range(k))


def _all_bias(rows, k):
    return frozenset((r, b) for r in rows for b in range(k))


# --------------------------------------------------------------------------- SimpleRNN

def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias, *, swapped=frozenset(),
             transposed=frozenset(), dropped=frozenset()):
    """One SimpleRNN step ``tanh(x_t @ W + h_prev @ U + b)``; the keywords inject mistakes."""
    kernel, recurrent_kernel, bias = _weights(kernel, recurrent_kernel, bias, 1,
                                              transposed, dropped)
    return _act("h", swapped, np.tanh)(x_t @ kernel + h_prev @ recurrent_kernel + bias)


# --------------------------------------------------------------------------- GRU

def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True, *,
             swapped=frozenset(), transposed=frozenset(), dropped=frozenset(),
             reset_placement=None, candidate_recurrent_bias="inside", update_inverted=False,
             order="zrh"):
    """One GRU step in Keras's convention; the keywords inject mistakes.

    ``swapped``: the activations swapped (sigmoid <-> tanh), among "z", "r" and
    "h" (the candidate). ``reset_placement`` is "after" / "before" the recurrent
    product (default: as ``reset_after`` asks). ``candidate_recurrent_bias`` says
    where the candidate's recurrent bias b'_h goes when the reset acts after the
    product: "inside" r * (h_prev @ U_h + b'_h) (right), "outside" the reset, or
    "none". ``order`` is the order in which the student reads the three blocks.
    """
    kernel, recurrent_kernel, bias = _weights(kernel, recurrent_kernel, bias, 3,
                                              transposed, dropped)
    if reset_after:
        bias_in, bias_rec = bias[0], bias[1]
    else:
        bias_in, bias_rec = bias, np.zeros_like(bias)  # no recurrent bias without reset_after
    W = dict(zip(order, _blocks(kernel, 3)))
    U = dict(zip(order, _blocks(recurrent_kernel, 3)))
    b = dict(zip(order, _blocks(bias_in, 3)))
    b_rec = dict(zip(order, _blocks(bias_rec, 3)))

    z = _act("z", swapped, sigmoid)(x_t @ W["z"] + b["z"] + h_prev @ U["z"] + b_rec["z"])
    r = _act("r", swapped, sigmoid)(x_t @ W["r"] + b["r"] + h_prev @ U["r"] + b_rec["r"])
    placement = reset_placement or ("after" if reset_after else "before")
    if placement == "before":
        recurrent = (r * h_prev) @ U["h"]
    else:
        recurrent = r * (h_prev @ U["h"])
    if candidate_recurrent_bias == "inside":
        recurrent = recurrent + (r * b_rec["h"] if placement == "after" else b_rec["h"])
    elif candidate_recurrent_bias == "outside":
        recurrent = recurrent + b_rec["h"]
    h_tilde = _act("h", swapped, np.tanh)(x_t @ W["h"] + b["h"] + recurrent)
    if update_inverted:
        return z * h_tilde + (1 - z) * h_prev
    return z * h_prev + (1 - z) * h_tilde


# --------------------------------------------------------------------------- LSTM

def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, *, order="ifco",
              swapped=frozenset(), output_squash=None, transposed=frozenset(),
              dropped=frozenset(), forget=True):
    """One LSTM step in Keras's convention, returns ``(h_next, c_next)``; keywords inject mistakes.

    ``order`` is the order in which the student reads the four blocks (Keras:
    "ifco" = input, forget, candidate c~, output); ``swapped`` the activations
    swapped (sigmoid <-> tanh) among "i", "f", "c", "o" and "out" (the tanh of
    h = o * tanh(c)); ``output_squash=_identity`` is h = o * c; ``forget=False``
    leaves the forget gate out (c = c_prev + i * c~).
    """
    kernel, recurrent_kernel, bias = _weights(kernel, recurrent_kernel, bias, 4,
                                              transposed, dropped)
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    block = dict(zip(order, _blocks(a, 4)))
    i, f, o = (_act(g, swapped, sigmoid)(block[g]) for g in "ifo")
    c_next = (f * c_prev if forget else c_prev) + i * _act("c", swapped, np.tanh)(block["c"])
    squash = output_squash or _act("out", swapped, np.tanh)
    return o * squash(c_next), c_next


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


# --------------------------------------------------------------------------- generating variants

def combinations(step, variants):
    """Every pair of ``variants`` with different ids and disjoint keywords, made at once."""
    pairs = []
    for a, b in itertools.combinations(variants, 2):
        keys_a, keys_b = {k for k, _ in a.keywords}, {k for k, _ in b.keywords}
        if a.id != b.id and keys_a and keys_b and not keys_a & keys_b:
            pairs.append(Combination((a, b), partial(step, **dict(a.keywords), **dict(b.keywords))))
    return pairs


_DEFAULT_ACTIVATION = {"z": "sigmoid", "r": "sigmoid", "i": "sigmoid", "f": "sigmoid",
                       "o": "sigmoid", "c": "tanh", "h": "tanh"}


def part_variants(cell, step, *, bias_rows=1):
    """One mistake per named part: each weight block transposed, each bias block or row left
    out, each activation swapped (``_localise.GATES`` names them)."""
    k = len(GATES[cell])
    found = []
    for part in weight_parts(cell, bias_rows=bias_rows):
        if part.weight < 2:
            letter = GATES[cell][part.block or 0][0]
            matrix = ("W", "U")[part.weight]
            found.append(variant(
                "TRANSPOSED-WEIGHTS",
                f"{part.name} transposed ({'x_t' if part.weight == 0 else 'h_prev'} @ "
                f"{matrix}_{letter}.T)" if k > 1 else f"{part.name} transposed",
                step, transposed=frozenset({(part.weight, part.block or 0)})))
        else:
            found.append(variant("MISSING-BIAS", f"{part.name} left out", step,
                                 dropped=frozenset({(part.row or 0, part.block or 0)})))
    if bias_rows == 2:
        for row in (0, 1):
            words = f"bias[{row}] (the {'input' if row == 0 else 'recurrent'} bias row)"
            found.append(variant("MISSING-BIAS", f"{words} left out", step,
                                 dropped=_all_bias([row], k)))
    if k > 1:
        for letter, words in GATES[cell]:
            default = _DEFAULT_ACTIVATION[letter]
            other = "tanh" if default == "sigmoid" else "sigmoid"
            found.append(variant("WRONG-ACTIVATION", f"{other} instead of {default} for the "
                                 f"{words}", step, swapped=frozenset({letter})))
    return found


def sequence_variants(cell_variants, step, unroller, not_carried, combine_with,
                      cell_combinations=True):
    """Sequence variants from the cell's: each unrolled (a ``Combination`` stays one, or is
    left out with ``cell_combinations=False``, to keep the import fast), then
    ``not_carried`` [(id, (hint, unroller keywords))] alone and combined with each cell
    mistake of ``combine_with`` (e.g. a transposed kernel AND h0 fed to every step)."""
    found = []
    for v in cell_variants:
        if isinstance(v, Combination):
            if cell_combinations:
                found.append(Combination(v.variants, unroller(v.fn)))
        else:
            found.append(Variant(v.id, v.hint, unroller(v.fn), v.keywords))
    for slip, options in not_carried:
        found.append(Variant(slip, options[0], unroller(step, **options[1])))
    for slip, options in not_carried:
        for v in combine_with:
            if slip != v.id:
                found.append(Combination((Variant(slip, options[0], None), v),
                                         unroller(v.fn, **options[1])))
    return found


# --------------------------------------------------------------------------- the variants

_RNN_GLOBAL = [
    variant("MISSING-BIAS", "the bias left out", rnn_step, dropped=_all_bias([0], 1)),
    variant("TRANSPOSED-WEIGHTS", "kernel transposed (x_t @ kernel.T)", rnn_step,
            transposed=frozenset({(0, 0)})),
    variant("TRANSPOSED-WEIGHTS", "recurrent_kernel transposed (h_prev @ recurrent_kernel.T)",
            rnn_step, transposed=frozenset({(1, 0)})),
    variant("TRANSPOSED-WEIGHTS", "both weight matrices transposed", rnn_step,
            transposed=_all_blocks((0, 1), 1)),
    variant("WRONG-ACTIVATION", "sigmoid instead of tanh", rnn_step, swapped=frozenset({"h"})),
]
RNN_CELL_VARIANTS = _RNN_GLOBAL + combinations(rnn_step, _RNN_GLOBAL)

RNN_SEQUENCE_VARIANTS = sequence_variants(
    RNN_CELL_VARIANTS, rnn_step, unroll,
    [("STATE-NOT-CARRIED", ("h0 fed to every step", {"carry": False}))], _RNN_GLOBAL)

_GRU_GLOBAL = [
    variant("MISSING-BIAS", "no bias at all", gru_step, dropped=_all_bias([0, 1], 3)),
    variant("TRANSPOSED-WEIGHTS", "each block of kernel transposed (x_t @ W_z.T, ...)",
            gru_step, transposed=_all_blocks([0], 3)),
    variant("TRANSPOSED-WEIGHTS", "each block of recurrent_kernel transposed (h_prev @ U_z.T, ...)",
            gru_step, transposed=_all_blocks([1], 3)),
    variant("TRANSPOSED-WEIGHTS", "every weight block transposed", gru_step,
            transposed=_all_blocks([0, 1], 3)),
    variant("WRONG-ACTIVATION", "tanh for the gates z and r instead of sigmoid", gru_step,
            swapped=frozenset("zr")),
    variant("GRU-UPDATE-INVERTED", "h = z * h~ + (1 - z) * h_prev", gru_step,
            update_inverted=True),
    # For reset_after=True: the reset_after=False formula (with or without b'_h), or
    # b'_h added outside the reset. For reset_after=False: the reset after the product.
    variant("GRU-RESET-PLACEMENT", "the reset gate on h_prev before the product, (r * h_prev) @ U_h",
            gru_step, reset_placement="before", candidate_recurrent_bias="outside"),
    variant("GRU-RESET-PLACEMENT", "(r * h_prev) @ U_h and no recurrent bias in the candidate",
            gru_step, reset_placement="before", candidate_recurrent_bias="none"),
    variant("GRU-RESET-PLACEMENT", "the reset gate after the product, r * (h_prev @ U_h)",
            gru_step, reset_placement="after"),
    variant("GRU-RESET-PLACEMENT", "r * (h_prev @ U_h) + b'_h, the recurrent bias outside the reset",
            gru_step, reset_placement="after", candidate_recurrent_bias="outside"),
    variant("GRU-GATE-ORDER", "the z and r blocks swapped (Keras's order is z, r, h~)",
            gru_step, order="rzh"),
]
# One list per formulation: the parts of the bias differ (two rows with reset_after=True).
GRU_CELL_VARIANTS = {
    reset_after: (_GRU_GLOBAL + part_variants("gru", gru_step, bias_rows=2 if reset_after else 1)
                  + combinations(gru_step, _GRU_GLOBAL))
    for reset_after in (True, False)}

GRU_SEQUENCE_VARIANTS = {
    reset_after: sequence_variants(
        cell_variants, gru_step, unroll,
        [("STATE-NOT-CARRIED", ("h0 fed to every step", {"carry": False}))], _GRU_GLOBAL,
        cell_combinations=False)
    for reset_after, cell_variants in GRU_CELL_VARIANTS.items()}


def _gate_order_variants():
    names = {"i": "i", "f": "f", "c": "c~", "o": "o"}
    for order in itertools.permutations("ifco"):
        if order != tuple("ifco"):
            label = ", ".join(names[g] for g in order)
            yield variant("LSTM-GATE-ORDER", f"the gates read in the order {label}",
                          lstm_step, order="".join(order))


_LSTM_GLOBAL = [
    variant("MISSING-BIAS", "the bias left out", lstm_step, dropped=_all_bias([0], 4)),
    variant("TRANSPOSED-WEIGHTS", "each block of kernel transposed (x_t @ W_i.T, ...)",
            lstm_step, transposed=_all_blocks([0], 4)),
    variant("TRANSPOSED-WEIGHTS", "each block of recurrent_kernel transposed (h_prev @ U_i.T, ...)",
            lstm_step, transposed=_all_blocks([1], 4)),
    variant("TRANSPOSED-WEIGHTS", "every weight block transposed", lstm_step,
            transposed=_all_blocks([0, 1], 4)),
    variant("WRONG-ACTIVATION", "tanh for the gates i, f, o instead of sigmoid", lstm_step,
            swapped=frozenset("ifo")),
    variant("WRONG-ACTIVATION", "h = o * sigmoid(c) instead of o * tanh(c)", lstm_step,
            swapped=frozenset({"out"})),
    variant("LSTM-OUTPUT-NO-TANH", "h = o * c", lstm_step, output_squash=_identity),
    variant("LSTM-FORGET-IGNORED", "c = c_prev + i * c~ (no forget gate)", lstm_step,
            forget=False),
]
LSTM_CELL_VARIANTS = (_LSTM_GLOBAL + list(_gate_order_variants())
                      + part_variants("lstm", lstm_step)
                      + combinations(lstm_step, _LSTM_GLOBAL))

LSTM_SEQUENCE_VARIANTS = sequence_variants(
    LSTM_CELL_VARIANTS, lstm_step, unroll_lstm,
    [("STATE-NOT-CARRIED", ("h0 fed to every step (c carried)", {"carry_h": False})),
     ("STATE-NOT-CARRIED", ("h0 and c0 fed to every step", {"carry_h": False, "carry_c": False})),
     ("LSTM-CELL-NOT-CARRIED", ("c0 fed to every step (h carried)", {"carry_c": False}))],
    _LSTM_GLOBAL, cell_combinations=False)


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

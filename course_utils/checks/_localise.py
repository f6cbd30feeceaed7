"""Localising a wrong answer: which part of the weights (or which step of a sequence) is wrong.

Two generic tools, used by ``_probes`` for every cell exercise (SimpleRNN, GRU,
LSTM; step and sequence functions):

* ``Part``, ``weight_parts``: the named parts of a cell's weights, one block of
  ``kernel`` / ``recurrent_kernel`` or one block of one bias row at a time, each
  with the words a message uses ("the candidate block (columns 2*units:3*units)
  of recurrent_kernel"). ``variants.part_variants`` makes one known mistake per
  part out of them (that block transposed, that bias block left out), and
  ``part_probes`` one probe per part in which every other weight is zero. The
  part probes' expected outputs are computed at import time, like every probe;
  the student's function meets them only after a failure that no known mistake
  explains, and the parts on which it is wrong are named (``where_wrong``).
* ``chain_hints``: for a sequence function, each returned step compared with the
  reference step applied to the student's own previous returned state, to h0
  and to the right previous state, so a loop whose steps are right but chained
  wrongly is told so instead of "check the cell's equations".
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ._core import DIAGNOSIS_ATOL, matches

_zeros_like = np.zeros_like   # captured before any student code runs
_array = np.array

# The gates of each cell, in Keras's block order: (letter, words).
GATES = {
    "simple_rnn": (("h", "state"),),
    "gru": (("z", "update gate z"), ("r", "reset gate r"), ("h", "candidate h~")),
    "lstm": (("i", "input gate i"), ("f", "forget gate f"), ("c", "candidate c~"),
             ("o", "output gate o")),
}
_COLUMNS = ("0:units", "units:2*units", "2*units:3*units", "3*units:4*units")
MATRICES = ("kernel", "recurrent_kernel")


@dataclass(frozen=True)
class Part:
    """One part of a cell's weights: a block of ``kernel`` (weight 0) or of
    ``recurrent_kernel`` (weight 1), or a block of a bias row (weight 2); ``block``
    None is the whole matrix / row."""
    name: str
    weight: int
    block: Optional[int] = None
    row: Optional[int] = None        # the bias row of a 2-D bias (GRU reset_after=True)

    def select(self, weights, blocks):
        """The index into ``weights[self.weight]`` that this part covers."""
        array = weights[self.weight]
        width = array.shape[-1] // blocks
        cols = slice(None) if self.block is None else \
            slice(self.block * width, (self.block + 1) * width)
        if self.weight == 2 and array.ndim == 2:
            return (self.row or 0, cols)
        return (..., cols)


def bias_row_words(cell, row, two_rows):
    if not two_rows:
        return "bias"
    return f"bias[{row}] (the {'input' if row == 0 else 'recurrent'} bias row)"


def block_words(cell, block, where):
    """"the candidate h~ block (columns 2*units:3*units) of recurrent_kernel"."""
    gates = GATES[cell]
    if len(gates) == 1:
        return where
    return f"the {gates[block][1]} block (columns {_COLUMNS[block]}) of {where}"


def weight_parts(cell, *, bias_rows=1):
    """Every block of kernel, recurrent_kernel and of each bias row, in that order."""
    k = len(GATES[cell])
    parts = [Part(block_words(cell, b, MATRICES[m]), m, b if k > 1 else None)
             for m in (0, 1) for b in range(k)]
    for row in range(bias_rows):
        where = bias_row_words(cell, row, bias_rows == 2)
        parts += [Part(block_words(cell, b, where), 2, b if k > 1 else None, row)
                  for b in range(k)]
    return parts


def only(part, weights, blocks):
    """``weights`` with every number zero except those of ``part``."""
    kept = [_zeros_like(w) for w in weights]
    index = part.select(weights, blocks)
    kept[part.weight][index] = weights[part.weight][index]
    return tuple(kept)


def _without(part, bias, blocks):
    """``bias`` with the numbers of ``part`` set to zero."""
    bias = _array(bias)
    bias[part.select((None, None, bias), blocks)] = 0
    return bias


def part_probes(probe, cell, reference, make):
    """[(part, probe)] of the localisation, made from ``probe``'s numbers:

    - part None: every weight and bias zero;
    - part "bias": the biases only (both weight matrices zero);
    - each block of a bias row: the biases without that block (weights zero);
    - each block of kernel / recurrent_kernel: that block and the biases non-zero
      (the biases keep the other gates and the candidate away from 0, so that a
      gate that reads the wrong block still changes the output).

    ``make(case, args)`` builds a probe (expected outputs from the reference).
    """
    *inputs, kernel, recurrent_kernel, bias = probe.args
    weights = (kernel, recurrent_kernel, bias)
    blocks = len(GATES[cell])
    bias_rows = bias.shape[0] if bias.ndim == 2 else 1
    zero_k, zero_u = _zeros_like(kernel), _zeros_like(recurrent_kernel)
    probes = [(None, make(f"{probe.case}, every weight and bias zero",
                          (*inputs, zero_k, zero_u, _zeros_like(bias)))),
              ("bias", make(f"{probe.case}, kernel and recurrent_kernel zero",
                            (*inputs, zero_k, zero_u, bias)))]
    for part in weight_parts(cell, bias_rows=bias_rows):
        kept = only(part, weights, blocks)
        if part.weight < 2:
            kept = kept[:2] + (bias,)
            case = f"{probe.case}, only {part.name} and the bias non-zero"
        else:
            kept = (zero_k, zero_u, _without(part, bias, blocks))
            case = f"{probe.case}, kernel, recurrent_kernel and {part.name} zero"
        probes.append((part, make(case, (*inputs, *kept))))
    return probes


def _grouped(cell, failing, bias_rows):
    """Names for the failing parts: a whole matrix or row when all its blocks fail."""
    blocks = len(GATES[cell])
    names, done = [], set()
    for part in failing:
        key = (part.weight, part.row)
        if key in done:
            continue
        same = [p for p in failing if (p.weight, p.row) == key]
        if blocks > 1 and len(same) == blocks:
            where = MATRICES[part.weight] if part.weight < 2 else \
                bias_row_words(cell, part.row or 0, bias_rows == 2)
            names.append(f"every block of {where}")
            done.add(key)
        else:
            names.append(part.name)
    return names


def where_wrong(cell, results, what, bias_rows):
    """Message lines from ``results`` = [(part, right?)] of the part probes."""
    right = dict((part, ok) for part, ok in results if part is None or part == "bias")
    if not right.get(None, True):
        return [f"Where: even with every weight and bias set to zero your {what} is wrong, "
                "so the mistake is not in one block of the weights but in how the step "
                "combines its parts (the activations, the update formula, the states)."]
    weight_wrong = [p for p, ok in results if isinstance(p, Part) and p.weight < 2 and not ok]
    if not right.get("bias", True):
        # The bias parts whose removal makes the answer right are the ones used wrongly.
        culprits = [p for p, ok in results if isinstance(p, Part) and p.weight == 2 and ok]
        if not culprits:
            return [f"Where: with kernel and recurrent_kernel set to zero your {what} is "
                    "already wrong: look at how your code adds the bias."]
        names = _grouped(cell, culprits, bias_rows)
        return [f"Where: with kernel and recurrent_kernel set to zero your {what} is wrong, "
                f"and right again once {'; '.join(names)} "
                f"{'is' if len(names) == 1 else 'are'} set to zero too: look at how your code "
                f"uses {'that part' if len(names) == 1 else 'those parts'} of the bias."]
    if not weight_wrong:
        return []
    names = _grouped(cell, weight_wrong, bias_rows)
    intro = ("Where: we set kernel and recurrent_kernel to zero except one block at a time "
             f"(bias as given); your {what} ")
    if len(names) == 1:
        return [f"{intro}is wrong when {names[0]} is non-zero: look at how your code uses "
                "that part."]
    return [f"{intro}is wrong when any of these blocks is non-zero: {'; '.join(names)}. "
            "Look at how your code uses them."]


# --------------------------------------------------------------------------- sequences

def chain_hints(got_all, probe, step, n_states, names, atol=DIAGNOSIS_ATOL):
    """(message lines, mistake ids) that tell a wrong chaining of right steps from wrong steps.

    ``step`` is the reference step function; ``got_all`` the student's outputs
    (one (batch, T, units) array per state); ``names`` the states' names
    ("h0", "c0"). Each returned step t is compared with ``step`` applied to x[:, t]
    and to (a) the states the student returned for t-1 (or h0), (b) h0 itself,
    (c) the right states of t-1.
    """
    x, initial = probe.args[0], probe.args[1:1 + n_states]
    weights = probe.args[1 + n_states:]
    steps = x.shape[1]

    def step_out(t, states):
        out = step(x[:, t].astype(np.float64), *(_array(s, dtype=np.float64) for s in states),
                   *(w.astype(np.float64) for w in weights), **probe.kwargs)
        return out if isinstance(out, tuple) else (out,)

    def returned(t):
        return tuple(g[:, t] for g in got_all)

    def equal(t, outs):
        return all(matches(g, o, atol) for g, o in zip(returned(t), outs))

    right = [equal(t, tuple(e[:, t] for e in probe.expected)) for t in range(steps)]
    if all(right):
        return [], []
    first = right.index(False)
    own = [equal(t, step_out(t, initial if t == 0 else returned(t - 1))) for t in range(steps)]
    zeros = tuple(_zeros_like(s) for s in initial)
    state_words = " and ".join(names)
    lines, ids = [], []
    if first == 0 and equal(0, initial) and all(
            equal(t, tuple(e[:, t - 1] for e in probe.expected)) for t in range(1, steps)):
        lines.append(f"Each step returned the state it started from ({state_words} at t=0): "
                     "store the new state after computing it, not before.")
        ids.append("SEQUENCE-STATE-BEFORE-STEP")
    elif first == 0 and all(own[1:]) and equal(0, step_out(0, zeros)):
        lines.append(f"Every step is right for the states it was given, but the first step "
                     f"started from zeros instead of {state_words}.")
        ids.append("SEQUENCE-IGNORES-H0")
    elif first == 0 and steps > 1 and all(own[1:]):
        lines.append(f"Steps t=1 to t={steps - 1} are exactly the right step applied to the "
                     f"state you returned just before them, so the loop chains the states "
                     f"right; only step t=0 is wrong: its state must come from {state_words}.")
    elif first == 0:
        lines.append("Already step t=0 is wrong, so the mistake is inside one step "
                     "(check the cell's equations) rather than in how the steps are chained.")
    else:
        right_words = "Step t=0 is" if first == 1 else f"Steps t=0 to t={first - 1} are"
        fed_right = equal(first, step_out(first, tuple(e[:, first - 1] for e in probe.expected)))
        if not own[first] and not fed_right:
            from_h0 = equal(first, step_out(first, initial))
            detail = (f" it is the right step applied to {state_words} again"
                      if from_h0 else
                      " it is not the right step applied to the state you returned for "
                      f"t={first - 1}")
            lines.append(f"{right_words} right; the first wrong step is t={first}:{detail}, "
                         f"so your loop does not pass each step's new state to the next step "
                         f"(your step computations may be fine).")
        else:
            lines.append(f"{right_words} right; the first wrong step is t={first}: "
                         "check what goes from one step to the next.")
    return lines, ids

"""Probes: the inputs a checker feeds to a student function, the right outputs on
them, the outputs of the known mistakes on them, and the code that runs the
student's function on a probe and explains any difference.

Every output a probe compares with is computed when the checker module is
imported, i.e. before any student cell runs, so a student cell that later
reassigns ``np.tanh`` or ``np.exp`` cannot change what the answer is compared
with (the same idea as ``_core`` capturing ``np.allclose``).

Probe inputs are float32, like the weights Keras gives; the expected outputs are
computed in float64 from the same numbers.
"""
from dataclasses import dataclass, field

import numpy as np

from course_utils.weights import random_weights

from . import _localise
from ._core import (
    ATOL,
    DIAGNOSIS_ATOL,
    Mistake,
    StudentCodeError,
    call_student,
    compare,
    explain,
    found_mistakes,
    matches,
    passed,
    to_array,
)

_errstate = np.errstate  # captured before any student code runs, like _core's numpy functions
_round = np.round
LARGE_PRE_ACTIVATION = -800.0  # exp(800) overflows float32 and float64: a naive sigmoid must cope


@dataclass(frozen=True)
class Output:
    """One returned array: its name in messages and the names of its axes."""
    name: str
    axes: tuple


@dataclass
class Probe:
    """One case: inputs, the right outputs and the outputs of the known mistakes."""
    case: str                  # words for messages, e.g. "visible case 1 (batch=2, units=3, ...)"
    args: tuple                # float32 arrays, given to the student (call_student copies them)
    kwargs: dict               # e.g. {"reset_after": False}
    sizes: dict                # axis name -> size, e.g. {"batch": 2, "T": 4, "units": 3}
    expected: tuple = ()       # float64, one array per Output
    mistakes: list = field(default_factory=list)  # [(Mistake or tuple of Mistakes, outputs)]


def _as_tuple(result):
    return tuple(result) if isinstance(result, tuple) else (result,)


def _same(outputs, others):
    """Finite float64 outputs (of the reference and the variants) equal within DIAGNOSIS_ATOL."""
    return all(o.shape == e.shape and (o.size == 0 or float(abs(o - e).max()) <= DIAGNOSIS_ATOL)
               for o, e in zip(outputs, others))


def _ids(mistake):
    return tuple(m.id for m in (mistake if isinstance(mistake, tuple) else (mistake,)))


def _fingerprint(outputs):
    """Outputs rounded well inside DIAGNOSIS_ATOL, as bytes: equal outputs, equal keys."""
    return b"|".join(_round(o, 7).tobytes() for o in outputs)


def lesson_mistakes(variants, words):
    """``variants`` (``variants.Variant`` / ``Combination``) as ``(mistake, fn)`` pairs.

    ``words`` maps an id to the ``(explanation, reread)`` of this lesson (e.g. MISSING-BIAS
    in the SimpleRNN lesson speaks of its one bias); an id not in ``words`` keeps the
    registry's. A combination becomes a tuple of two ``Mistake``s (both are named).
    """
    def mistake(v, hint=None):
        explanation, reread = words.get(v.id, ("", ""))
        return Mistake(v.id, v.hint if hint is None else hint,
                       explanation=explanation, reread=reread)

    pairs = []
    for v in variants:
        if hasattr(v, "variants"):     # one hint for both: "A together with B"
            first, second = v.variants
            pairs.append(((mistake(first, f"{first.hint} together with {second.hint}"),
                           mistake(second, "")), v.fn))
        else:
            pairs.append((mistake(v), v.fn))
    return pairs


def make_probe(case, args, sizes, reference, variants, **kwargs):
    """A ``Probe`` whose expected outputs come from ``reference`` and whose mistakes from
    ``variants``, a list of ``(Mistake or tuple of Mistakes, fn)`` (``lesson_mistakes``).

    A variant that cannot run on these shapes (e.g. a transposed non-square
    matrix), that gives the right answer here, or that repeats the output of an
    earlier variant (a single mistake before a combination) is left out of this probe,
    unless it is the same output with other ids of a single mistake (then both are named).
    """
    args = tuple(np.asarray(a, dtype=np.float32) for a in args)
    as64 = tuple(a.astype(np.float64) for a in args)

    # The reference and the variants must stay finite and quiet even on huge pre-activations.
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        expected = tuple(np.asarray(o, dtype=np.float64)
                         for o in _as_tuple(reference(*as64, **kwargs)))
        mistakes, seen = [], {}
        right = _fingerprint(expected)
        for mistake, fn in variants:
            try:
                outputs = tuple(np.asarray(o, dtype=np.float64)
                                for o in _as_tuple(fn(*as64, **kwargs)))
            except ValueError:
                continue
            key = _fingerprint(outputs)
            if key == right or _same(outputs, expected):
                continue
            earlier = seen.get(key)
            if earlier is not None and (isinstance(mistake, tuple) or set(_ids(mistake)) <= earlier):
                continue
            seen.setdefault(key, set()).update(_ids(mistake))
            mistakes.append((mistake, outputs))
    return Probe(case, args, kwargs, sizes, expected, mistakes)


# --------------------------------------------------------------------------- inputs

def hand_sized(rng, shape, scale=1.0):
    """Numbers with one decimal in [-0.9, 0.9] * scale, easy to follow by hand (float32)."""
    return (rng.integers(-9, 10, size=shape) / 10 * scale).astype(np.float32)


def probe_weights(cell, input_dim, units, *, seed, hand=False, reset_after=True):
    """``(kernel, recurrent_kernel, bias)`` in Keras's layout: random (``random_weights``)
    or, with ``hand=True``, one-decimal numbers of the same shapes."""
    weights = random_weights(cell, input_dim, units, reset_after=reset_after, seed=seed)
    if hand:
        rng = np.random.default_rng(seed)
        weights = tuple(hand_sized(rng, w.shape) for w in weights)
    return weights


def with_large_gate_bias(cell, bias, units):
    """A copy of ``bias`` where some gate pre-activations are huge and negative.

    The gates become exactly 0 there, and ``exp(-a)`` in a naive
    ``1 / (1 + np.exp(-a))`` overflows to inf (a RuntimeWarning that must not
    reach stderr) while still giving the right 0. The candidate is untouched.
    """
    bias = np.array(bias, dtype=np.float32)
    row = bias[0] if bias.ndim == 2 else bias  # GRU reset_after=True: the input bias row
    gate_blocks = {"gru": (0, 1), "lstm": (0, 1, 3)}[cell]  # z, r / i, f, o
    for n, block in enumerate(gate_blocks):
        row[block * units + n % units] = LARGE_PRE_ACTIVATION
    return bias


def cell_probes(cell, mode, specs, *, sequence, reference, variants, reset_after=None, start=1):
    """Probes for a cell's step function (``sequence=False``) or sequence function.

    ``mode`` is "visible" (one-decimal hand-sized numbers) or "hidden" (random
    weights from ``course_utils.weights.random_weights``). Each spec is a dict
    with ``batch``, ``input_dim``, ``units``, ``seed``, ``T`` for a sequence,
    and optionally ``zero_state=True`` or ``large=True`` (huge negative gate
    pre-activations, see ``with_large_gate_bias``). Arguments come in the
    student API's order: ``x_t, h_prev, (c_prev,) kernel, recurrent_kernel,
    bias`` or ``x, h0, (c0,) kernel, recurrent_kernel, bias``.
    """
    kwargs = {} if reset_after is None else {"reset_after": reset_after}
    state_names = ("h0", "c0") if sequence else ("h_prev", "c_prev")
    state_names = state_names[:2 if cell == "lstm" else 1]
    probes = []
    for number, spec in enumerate(specs, start=start):
        batch, input_dim, units, seed = (spec[k] for k in ("batch", "input_dim", "units", "seed"))
        rng = np.random.default_rng([seed, 1])  # inputs: a stream apart from the weights'
        hand = mode == "visible"
        weights = probe_weights(cell, input_dim, units, seed=seed, hand=hand,
                                reset_after=True if reset_after is None else reset_after)
        x_shape = (batch, spec["T"], input_dim) if sequence else (batch, input_dim)
        if hand:
            x = hand_sized(rng, x_shape, scale=2.0)
            states = [hand_sized(rng, (batch, units), scale=s) for s in (1.0, 2.0)]
        else:
            x = rng.uniform(-1.5, 1.5, size=x_shape).astype(np.float32)
            states = [rng.uniform(-s, s, size=(batch, units)).astype(np.float32)
                      for s in (0.9, 2.0)]
        states = states[:len(state_names)]
        if spec.get("zero_state"):
            states = [np.zeros_like(s) for s in states]
            remark = " and ".join(state_names) + " = zeros"
        else:
            remark = "non-zero " + " and ".join(state_names)
        if spec.get("large"):
            weights = weights[:2] + (with_large_gate_bias(cell, weights[2], units),)
            remark += ", huge negative gate pre-activations (a sigmoid must not overflow)"
        sizes = {"batch": batch, **({"T": spec["T"]} if sequence else {}),
                 "input_dim": input_dim, "units": units}
        words = ", ".join(f"{k}={v}" for k, v in {**kwargs, **sizes}.items())
        words += ", " + ("random weights" if mode == "hidden" else "small hand-sized numbers")
        probes.append(make_probe(f"{mode} case {number} ({words}, {remark})",
                                 (x, *states, *weights), sizes, reference, variants, **kwargs))
    return probes


# --------------------------------------------------------------------------- running a student function

def _call(fn, name, probe):
    try:
        return call_student(fn, *probe.args, name=name, **probe.kwargs)
    except StudentCodeError as err:
        if "not implemented yet" in str(err):
            raise
        raise StudentCodeError(f"{err}\nThis happened for {probe.case}.") from None


def _describe_value(value):
    if value is None:
        return "None (did you forget `return`?)"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} values"
    shape = getattr(value, "shape", None)
    return f"one array of shape {shape}" if shape is not None else f"a {type(value).__name__}"


def _unpack(result, name, outputs, probe):
    """The student's result as one float64 array per expected output."""
    names = ", ".join(o.name for o in outputs)
    if len(outputs) > 1:
        if not isinstance(result, (tuple, list)) or len(result) != len(outputs):
            raise AssertionError(
                f"{name} should return {len(outputs)} arrays, ({names}), for {probe.case}; "
                f"it returned {_describe_value(result)}.")
        return tuple(to_array(r, f"{o.name} for {probe.case}") for r, o in zip(result, outputs))
    if isinstance(result, tuple):
        raise AssertionError(
            f"{name} should return one array, {names}, for {probe.case}; "
            f"it returned a tuple of {len(result)} values.")
    return (to_array(result, f"{names} for {probe.case}"),)


def _shape_message(output, got, probe, index):
    """The failure message for an output of the wrong shape, with hints and known mistakes."""
    axes, sizes = output.axes, probe.sizes
    want = tuple(sizes[a] for a in axes)
    lines = [f"{output.name} for {probe.case}: {output.name} should have shape "
             f"({', '.join(axes)}) = {want}, got {got.shape}."]
    if "T" in axes:
        batch, steps, units = sizes["batch"], sizes["T"], sizes["units"]
        if got.shape in {(batch, units), (batch, 1, units)}:
            last = got.reshape(batch, units)
            found = found_mistakes(last, [(m, outs[index][:, -1]) for m, outs in probe.mistakes],
                                   expected=probe.expected[index][:, -1])
            lines += explain([Mistake("RETURNS-LAST-ONLY")] + found,
                             what_we_get="last state")
        elif got.shape == (steps, batch, units):
            lines.append(Mistake("STATES-TIME-FIRST").describe())
        elif got.shape == (batch, steps + 1, units):
            lines.append(Mistake("STATES-INCLUDE-H0").describe())
    elif len(want) == 2 and got.shape == want[::-1]:
        lines.append(Mistake("OUTPUT-TRANSPOSED").describe())
    return "\n".join(lines)


def _first_wrong_step(got, expected, atol):
    """Index of the first time step (axis 1) with a wrong value, or None."""
    with _errstate(invalid="ignore"):
        wrong = ~(abs(got - expected) <= atol)   # NaN counts as wrong
    per_step = wrong.any(axis=(0, 2))
    return int(per_step.argmax()) if per_step.any() else None


@dataclass
class Diagnosis:
    """What a checker knows beyond its probes, to say where a wrong answer goes wrong.

    ``cell`` names the cell ("simple_rnn", "gru", "lstm") whose weight parts
    ``_localise`` knows; ``parts`` maps a probe's keyword arguments (e.g.
    reset_after) to its part probes ``[(Part or None, Probe)]``; ``step`` is the
    reference step of a sequence function and ``state_names`` its initial states
    ("h0", "c0"), for ``_localise.chain_hints``.
    """
    cell: str
    parts: dict = field(default_factory=dict)
    step: object = None
    state_names: tuple = ()


def _key(kwargs):
    return tuple(sorted(kwargs.items()))


def diagnosis(cell, probes, reference, *, step=None, state_names=()):
    """A ``Diagnosis`` with part probes made from the first probe of each formulation
    (their expected outputs computed now, at import time)."""
    found = Diagnosis(cell, {}, step, tuple(state_names))
    for probe in probes:
        if _key(probe.kwargs) in found.parts:
            continue

        def make(case, args, probe=probe):
            return make_probe(case, args, probe.sizes, reference, [], **probe.kwargs)

        found.parts[_key(probe.kwargs)] = _localise.part_probes(probe, cell, reference, make)
    return found


def _localised(fn, name, outputs, probe, diag):
    """Lines naming the weight parts on which ``fn`` is wrong (part probes, run only now)."""
    results = []
    for part, part_probe in diag.parts.get(_key(probe.kwargs), []):
        try:
            got = _unpack(_call(fn, name, part_probe), name, outputs, part_probe)
        except AssertionError:
            return []
        results.append((part, all(g.shape == e.shape and matches(g, e, ATOL)
                                  for g, e in zip(got, part_probe.expected))))
    bias = probe.args[-1]
    what = " and ".join(o.name for o in outputs)
    return _localise.where_wrong(diag.cell, results, what, bias.shape[0] if bias.ndim == 2 else 1)


def _value_hints(fn, name, outputs, got_all, probe, index, diag):
    """Extra lines after a value mismatch: known mistakes, where in time, which part."""
    output = outputs[index]
    lines, ids = [], []
    found = found_mistakes(got_all, probe.mistakes, expected=probe.expected)
    if len(got_all) == 2 and matches(got_all[0], probe.expected[1]) \
            and matches(got_all[1], probe.expected[0]):
        found = [Mistake("LSTM-OUTPUTS-SWAPPED")] + found
    first_wrong = None
    if "T" in output.axes:
        first_wrong = _first_wrong_step(got_all[index], probe.expected[index], ATOL)
        if diag is not None and diag.step is not None:
            chain, ids = _localise.chain_hints(got_all, probe, diag.step, len(diag.state_names),
                                               diag.state_names)
            if found and first_wrong == 0:
                chain = [line for line in chain if not line.startswith("Already step t=0")]
            lines += chain
        elif first_wrong == 0:
            lines.append("Already step t=0 is wrong, so the mistake is inside one step "
                         "(check the cell's equations) rather than in how the steps are chained.")
        elif first_wrong is not None:
            right = "Step t=0 is" if first_wrong == 1 else f"Steps t=0 to t={first_wrong - 1} are"
            lines.append(f"{right} right; the first wrong step is t={first_wrong}: "
                         "check what goes from one step to the next.")
    lines += explain(found + [Mistake(i) for i in ids])
    if not found and not ids and diag is not None and first_wrong in (None, 0):
        lines += _localised(fn, name, outputs, probe, diag)
    return lines


def check_probe(fn, name, probe, outputs, diag=None):
    """Run ``fn`` on one probe; raise an explaining AssertionError if anything differs."""
    got_all = _unpack(_call(fn, name, probe), name, outputs, probe)
    for index, (output, got) in enumerate(zip(outputs, got_all)):
        if got.shape != probe.expected[index].shape:
            raise AssertionError(_shape_message(output, got, probe, index))
    for index, (output, got) in enumerate(zip(outputs, got_all)):
        try:
            compare(output.name, got, probe.expected[index], context=probe.case)
        except AssertionError as err:
            lines = [str(err)] + _value_hints(fn, name, outputs, got_all, probe, index, diag)
            raise AssertionError("\n".join(lines)) from None


def student_sibling(fn, other: str):
    """The student's function ``other``, from the namespace ``fn`` lives in, or None.

    Locally that is ``fn``'s module globals; for the judge's proxy of a function
    in the grading kernel, ``fn.sibling(other)`` asks the kernel.
    """
    try:
        if hasattr(fn, "sibling"):
            found = fn.sibling(other)
        else:
            found = getattr(fn, "__globals__", {}).get(other)
    except Exception:  # noqa: BLE001 - no such name (NameError), or no kernel to ask
        return None
    return found if callable(found) else None


def _cell_modifies_inputs(fn, name, cell_name, cell_probe, probe):
    """The MODIFIES-INPUTS message for ``cell_name`` if the student's own cell writes into
    its inputs (the cause of a wrong sequence, not the sequence's equations), else None."""
    cell = student_sibling(fn, cell_name) if cell_name else None
    if cell is None or cell_probe is None:
        return None
    try:
        call_student(cell, *cell_probe.args, name=cell_name, **cell_probe.kwargs)
    except StudentCodeError as err:
        if "[MODIFIES-INPUTS]" in str(err):
            return (f"{name} is not right for {probe.case}, and the cause is your "
                    f"{cell_name}: {err}\n"
                    f"{name} hands the state it has just stored to {cell_name}, which then "
                    f"overwrites it. Fix {cell_name} first; the loop in {name} may be fine.")
    except AssertionError:
        return None
    return None


def check_probes(fn, name, probes, outputs, success, *, cell_name=None, cell_probe=None,
                 diag=None):
    """Check ``fn`` on every probe in order, then print one success line.

    For a sequence function, ``cell_name`` and ``cell_probe`` (one probe of the
    step function) let a failure be traced to a student's cell that writes into
    its inputs (MODIFIES-INPUTS) instead of blaming the sequence's equations.
    ``diag`` (a ``Diagnosis``) lets a failure be localised (which weight part,
    which link between steps).
    """
    for probe in probes:
        try:
            check_probe(fn, name, probe, outputs, diag)
        except AssertionError:
            cause = _cell_modifies_inputs(fn, name, cell_name, cell_probe, probe)
            if cause:
                raise AssertionError(cause) from None
            raise
    passed(f"{name}: {success}")

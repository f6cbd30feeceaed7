"""Checker of 07_practice, Exercise 4: ``sample_with_temperature(probs, temperature, rng)
-> int``, one id drawn from softmax(log(probs) / temperature).

A statistical test: the frequencies of many draws per probe must follow the expected
distribution (a right answer fails with probability below one in a million). Known
mistakes (dividing the probabilities by T, the temperature inverted, greedy or uniform
draws, ignoring ``rng``...) are ``Mistake``s with their registered ids, named when
their distribution explains the draws of every probe. Expected distributions are
computed at import time.
"""
import numpy as np

from .. import language_model as reference
from ._core import Mistake, StudentCodeError, call_student, checker, explain, passed
from ._language_model import shape_text, softmax_rows

__all__ = ["check_sample_with_temperature"]

DRAWS = 2000         # draws per probe
Z_LIMIT = 5.5        # a correct sampler fails a probe with probability < 1e-6

# Captured at import time, before any student code runs.
_asarray, _sqrt, _abs, _bincount = np.asarray, np.sqrt, np.abs, np.bincount
_default_rng, _float64, _full_like, _zeros_like = (np.random.default_rng, np.float64,
                                                   np.full_like, np.zeros_like)
_issubdtype, _integer, _floating = np.issubdtype, np.integer, np.floating


def _mistakes(probs, temperature):
    """``[(Mistake, distribution)]`` for the known mistakes, on this probe."""
    p = _asarray(probs, dtype=_float64)
    greedy = _zeros_like(p)
    greedy[p.argmax()] = 1.0
    return [(Mistake("TEMPERATURE-ON-PROBS", "q = probs / T, renormalised"), p / p.sum()),
            (Mistake("TEMPERATURE-INVERTED", "q = probs ** T"),
             reference.apply_temperature(p, 1.0 / temperature)),
            (Mistake("TEMPERATURE-SOFTMAX-OF-PROBS", "q = softmax(probs / T)"),
             softmax_rows((p / temperature)[None])[0]),
            (Mistake("SAMPLING-GREEDY", "np.argmax(probs)"), greedy),
            (Mistake("SAMPLING-IGNORES-PROBS", "a uniform draw"), _full_like(p, 1.0 / len(p)))]


def _probe(probs, temperature, seed):
    expected = reference.apply_temperature(_asarray(probs, dtype=_float64), temperature)
    return probs, temperature, seed, expected, _mistakes(probs, temperature)


def _probes(hidden):
    if not hidden:
        p = np.array([0.5, 0.25, 0.15, 0.1])
        cases = [(p, 1.0), (p, 0.5), (p, 2.0)]
    else:
        cases = [(np.array([0.05, 0.0, 0.6, 0.3, 0.05]), 0.7),   # a zero is never drawn
                 (np.array([0.4, 0.35, 0.25]), 0.2),
                 (np.array([0.3, 0.7]), 3.0),
                 (np.array([0.1, 0.2, 0.3, 0.15, 0.15, 0.1], dtype=np.float32), 1.5)]
    first_seed = 7000 if hidden else 70
    return [_probe(p, t, first_seed + i) for i, (p, t) in enumerate(cases)]


PROBES = {hidden: _probes(hidden) for hidden in (False, True)}


def _tolerance(expected, draws=DRAWS):
    """Allowed |frequency - probability| per character: Z_LIMIT standard errors, plus half a
    draw so that a probability of exactly 0 allows no draw at all."""
    return Z_LIMIT * _sqrt(expected * (1 - expected) / draws) + 0.5 / draws


def _fits(freq, distribution):
    return bool((_abs(freq - distribution) <= _tolerance(distribution)).all())


def _as_index(value, vocab):
    """The draw as an int, or an AssertionError saying what came back."""
    arr = _asarray(value)
    if arr.shape != ():
        raise AssertionError(
            f"sample_with_temperature returned an array of shape {shape_text(arr.shape)}; "
            f"return ONE character id, an int between 0 and {vocab - 1} (rng.choice(n, p=q) "
            f"without `size` returns one).")
    if not (_issubdtype(arr.dtype, _integer) or
            (_issubdtype(arr.dtype, _floating) and float(arr) == int(arr))):
        raise AssertionError(f"sample_with_temperature returned {value!r}; return a character "
                             f"id, an int between 0 and {vocab - 1}.")
    index = int(arr)
    if not 0 <= index < vocab:
        raise AssertionError(f"sample_with_temperature returned {index}, which is not a "
                             f"character id between 0 and {vocab - 1}.")
    return index


def _draw(fn, probs, temperature, rng, n):
    """``n`` draws, each on a fresh copy of ``probs`` with the one ``rng``, in one protected
    call (one round trip when the judge calls a function in the grading kernel)."""
    try:
        values = call_student(fn, probs, temperature, rng, repeat=n,
                              name="sample_with_temperature")
    except StudentCodeError as err:
        if "sum to 1" in str(err):
            raise AssertionError(
                f"sample_with_temperature raised ValueError at temperature {temperature}: "
                f"probabilities do not sum to 1 (numpy's choice checks that).\n"
                + Mistake("SAMPLING-NOT-NORMALISED").describe()) from None
        raise
    return [_as_index(v, len(probs)) for v in values]


def _check_reproducible(fn, probs):
    first = _draw(fn, probs, 1.0, _default_rng(123), 40)
    second = _draw(fn, probs, 1.0, _default_rng(123), 40)
    if first != second:
        raise AssertionError(
            "sample_with_temperature gave different draws for two generators with the same "
            "seed.\n" + Mistake("SAMPLING-OWN-GENERATOR").describe())


def _frequency_text(values):
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


def _named_mistakes(results):
    """The known mistakes whose distribution explains the draws of EVERY probe (and differs
    from the right answer on at least one)."""
    named = []
    for k, (mistake, _) in enumerate(results[0][4]):
        explains = all(_fits(freq, mistakes[k][1]) for _, _, freq, _, mistakes in results)
        differs = any(_abs(expected - mistakes[k][1]).max() > 0.02
                      for _, _, _, expected, mistakes in results)
        if explains and differs:
            named.append(mistake)
    return named


@checker
def check_sample_with_temperature(fn, *, hidden=False):
    """Check ``sample_with_temperature(probs (vocab,), temperature, rng) -> int`` by the
    frequencies of many draws (a statistical test that a right answer fails with
    probability below one in a million)."""
    probes = PROBES[bool(hidden)]
    _check_reproducible(fn, probes[0][0])
    results = []
    for probs, temperature, seed, expected, mistakes in probes:
        draws = _draw(fn, probs, temperature, _default_rng(seed), DRAWS)
        freq = _bincount(draws, minlength=len(probs)) / DRAWS
        results.append((probs, temperature, freq, expected, mistakes))
    for probs, temperature, freq, expected, _ in results:
        if _fits(freq, expected):
            continue
        worst = int((_abs(freq - expected) / _tolerance(expected)).argmax())  # most significant
        message = (f"sample_with_temperature: at temperature {temperature} with probs "
                   f"{_frequency_text(probs)}, {DRAWS} draws came out with frequencies "
                   f"{_frequency_text(freq)}; expected about {_frequency_text(expected)} = "
                   f"softmax(log(probs) / {temperature}). Most significant difference for "
                   f"character {worst}: expected {expected[worst]:.3f}, got {freq[worst]:.3f} "
                   f"(allowed +-{_tolerance(expected[worst]):.3f}).")
        raise AssertionError("\n".join(
            [message] + explain(_named_mistakes(results), what_we_get="distribution of draws")))
    if hidden:
        passed(f"sample_with_temperature: {DRAWS} draws follow softmax(log(p) / T) on "
               f"{len(probes)} more cases (a zero probability, T = 0.2 to 3, float32 input).")
    else:
        passed(f"sample_with_temperature: {DRAWS} draws per case follow softmax(log(p) / T) at "
               "T = 1, 0.5 and 2, and the same seed gives the same draws.")

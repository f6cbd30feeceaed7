"""Checker of 07_practice, Exercise 2: ``perplexity(probs, targets) -> float``,
exp(-mean(log probs[i, targets[i]])).

Expected values come from ``course_utils.language_model.perplexity``, with the
outputs of every known mistake (the cross-entropy without exp, mixed log/exp bases,
a sum instead of a mean, whole columns picked...) on the same probes; each is a
``Mistake`` with its registered id. A mistake is named only when it explains the
answers to every probe. Everything is computed at import time.
"""
import numpy as np

from .. import language_model as reference
from ._core import DIAGNOSIS_ATOL, Mistake, call_student, checker, explain, passed, same, to_array
from ._language_model import shape_text, softmax_rows

__all__ = ["check_perplexity"]

# Captured at import time: a student cell that reassigns np.log cannot change our answers.
_asarray, _log, _exp, _arange = np.asarray, np.log, np.exp, np.arange
_isfinite, _errstate, _float64, _default_rng = np.isfinite, np.errstate, np.float64, np.random.default_rng


def _mistakes(probs, targets):
    """``[(Mistake, output)]`` for the known mistakes, on this probe."""
    p = _asarray(probs, dtype=_float64)
    t = _asarray(targets)
    rows = _arange(len(t))
    with _errstate(all="ignore"):
        nll = -_log(p[rows, t])                 # (batch,) negative log-likelihood, nats
        bits = nll / _log(2.0)
        all_nll = -_log(p)
        return [
            (Mistake("PERPLEXITY-NO-EXP", "np.mean(-np.log(p)) without np.exp"), nll.mean()),
            (Mistake("PERPLEXITY-NO-EXP", "np.mean(-np.log2(p)) without 2 **", explanation=(
                "This is the cross-entropy in bits (the mean of -log2 p), not the perplexity: "
                "2 ** (mean of -log2 p) would be right.")), bits.mean()),
            (Mistake("PERPLEXITY-MIXED-BASES", "np.exp of the mean of -np.log2(p)", explanation=(
                "The logarithm and the exponential have different bases, log2 with np.exp: use "
                "the natural log with np.exp (or log2 with 2 **).")), _exp(bits.mean())),
            (Mistake("PERPLEXITY-MIXED-BASES", "2 ** of the mean of -np.log(p)", explanation=(
                "The logarithm and the exponential have different bases, the natural log with "
                "2 **: use np.log with np.exp (or np.log2 with 2 **).")), 2.0 ** nll.mean()),
            (Mistake("PERPLEXITY-MIXED-BASES", "np.exp of the mean of -np.log10(p)", explanation=(
                "log10 was used with np.exp; perplexity is np.exp of the mean NATURAL log "
                "(np.log).")), _exp(nll.mean() / _log(10.0))),
            (Mistake("PERPLEXITY-SIGN", "np.exp(np.mean(np.log(p)))"), _exp(-nll.mean())),
            (Mistake("PERPLEXITY-MEAN-OF-INVERSES", "np.mean(1 / p)"),
             (1.0 / p[rows, t]).mean()),
            (Mistake("PERPLEXITY-SUM-NOT-MEAN", "np.exp(np.sum(-np.log(p)))"), _exp(nll.sum())),
            (Mistake("PERPLEXITY-ALL-PROBABILITIES", "np.exp(np.mean(-np.log(probs)))"),
             _exp(all_nll.mean())),
            (Mistake("PERPLEXITY-COLUMN-INDEXING", "probs[:, targets]"),
             _exp(all_nll[:, t].mean())),
            (Mistake("PERPLEXITY-NOT-ONE-NUMBER", "the mean over axis=1", explanation=(
                "-log p was averaged over the vocabulary axis (axis=1), one value per example; "
                "average -log probs[i, targets[i]] over the examples instead.")),
             _exp(all_nll.mean(axis=1))),
            (Mistake("PERPLEXITY-NOT-ONE-NUMBER", "the mean over axis=0", explanation=(
                "-log p was averaged over the batch axis (axis=0), one value per character of "
                "the vocabulary; average -log probs[i, targets[i]] over the examples instead.")),
             _exp(all_nll.mean(axis=0))),
            (Mistake("PERPLEXITY-NOT-ONE-NUMBER", "np.exp(-np.log(p)) without the mean",
                     explanation=(
                         "One perplexity per example came back; average the log probabilities "
                         "over the examples, then take exp once, to get a single number.")),
             _exp(nll)),
        ]


def _probe(probs, targets):
    probs = _asarray(probs)
    targets = _asarray(targets, dtype=np.int64)
    batch, vocab = probs.shape
    uniform = " (all equal: a uniform guess)" if (probs == probs.flat[0]).all() else ""
    context = (f"probs of shape ({batch}, {vocab}){uniform}, targets {targets.tolist()[:8]}"
               + ("..." if batch > 8 else ""))
    return (probs, targets), reference.perplexity(probs, targets), _mistakes(probs, targets), context


def _probes(hidden):
    if not hidden:
        cases = [
            (np.full((3, 4), 0.25), [0, 3, 1]),            # uniform over 4 characters: 4
            (np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1],
                       [0.2, 0.2, 0.6], [0.7, 0.1, 0.2]]), [0, 1, 2, 1]),
        ]
    else:
        rng = _default_rng(717)

        def random_case(batch, vocab, scale=1.5, dtype=np.float64):
            probs = softmax_rows(rng.normal(scale=scale, size=(batch, vocab))).astype(dtype)
            return probs, rng.integers(0, vocab, size=batch)

        cases = [random_case(1, 5), random_case(7, 3), random_case(5, 5),
                 random_case(64, 53, scale=3.0, dtype=np.float32),   # a model's float32 output
                 random_case(10, 2, scale=4.0)]
    return [_probe(*case) for case in cases]


PROBES = {hidden: _probes(hidden) for hidden in (False, True)}


def _check_scalar(got, expected, *, lines, context):
    """Assert that ``got`` is the single number ``expected``; explain otherwise
    (``_core.compare`` reports an index, which a single number does not have)."""
    what = "perplexity(probs, targets)"
    if got.size != 1:
        raise AssertionError("\n".join(
            [f"{what} for {context}: expected a single number, got an array of shape "
             f"{shape_text(got.shape)}."] + lines))
    value = float(got.reshape(()))
    atol = 1e-6 * max(1.0, expected)
    if not abs(value - expected) <= atol:       # NaN fails too
        raise AssertionError("\n".join(
            [f"{what} for {context}: expected {expected:.6g}, got {value:.6g} (abs error "
             f"{abs(value - expected):.3g}, tolerance {atol:.1g})."] + lines))


@checker
def check_perplexity(fn, *, hidden=False):
    """Check ``perplexity(probs (batch, vocab), targets (batch,)) -> float``."""
    probes = PROBES[bool(hidden)]
    answers = [to_array(call_student(fn, *args, name="perplexity"), "the perplexity")
               for args, *_ in probes]
    for got, (_args, expected, mistakes, context) in zip(answers, probes):
        if same(got, expected, 1e-6 * max(1.0, expected)):
            continue
        # Name a mistake only if it explains the answers to every probe (but those that
        # overflowed: exp of a sum is inf in float32 and finite in our float64).
        finite = [(g, p) for g, p in zip(answers, probes) if _isfinite(g).all()]
        named = [mistake for k, (mistake, _) in enumerate(mistakes)
                 if finite and all(same(g, p[2][k][1], DIAGNOSIS_ATOL, relative=True)
                                   for g, p in finite)]
        _check_scalar(got, expected, lines=explain(named), context=context)
    if hidden:
        passed(f"perplexity matches the reference on {len(probes)} random cases (batch 1, "
               "vocab 2 to 53, float32 probabilities).")
    else:
        passed("perplexity: 4.0 for a uniform guess among 4 characters, and "
               "exp(-mean(log p[target])) on a small case.")

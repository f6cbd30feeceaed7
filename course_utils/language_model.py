"""Reference helpers for a character-level language model (07_practice).

A language model reads characters one at a time and, after each one, returns a
probability for every character of the vocabulary to come next. It is trained
many-to-many, as in Karpathy's char-rnn: every position of a window is a
target. Notation, as in the lesson:

- ``ids``: a text as character ids, shape (n,) (``course_utils.data.text.encode``);
- ``x``: windows of ids, shape (batch, window); ``y``: the same windows shifted
  by one character, (batch, window): ``y[i, t]`` is the character after ``x[i, t]``;
- ``probs``: predicted distributions, shape (..., vocab_size), rows sum to 1:
  (batch, window, vocab_size) from the model, (batch, vocab_size) for one position.

Perplexity is ``exp`` of the mean negative natural log of the probability
given to the character that really came next: the number of characters the
model hesitates between, on average. Everything here is numpy and float64,
except ``build_char_model``, which imports Keras when called.
"""
import numpy as np

__all__ = ["WINDOW", "make_windows", "unigram_probabilities", "bigram_probabilities",
           "perplexity", "perplexity_from_cross_entropy", "apply_temperature",
           "sample_with_temperature", "build_char_model", "char_model_param_count"]

WINDOW = 32          # characters per training window in the lesson


def make_windows(ids, window, stride=1):
    """Windows of ``window`` ids and, as targets, the same windows shifted by one.

    Window ``i`` starts at ``s = i * stride``: ``x[i] = ids[s : s + window]``
    and ``y[i] = ids[s + 1 : s + window + 1]``, so ``y[i, t]`` is the character
    that follows ``x[i, t]``. Every start with ``s + window < len(ids)`` is used
    (the last target must exist). Returns ``x`` and ``y``, both (n, window), int32.
    """
    ids = np.asarray(ids)
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be at least 1, got {window} and {stride}")
    starts = np.arange(0, max(len(ids) - window, 0), stride)
    positions = starts[:, None] + np.arange(window)[None, :]          # (n, window)
    x = ids[positions].astype(np.int32).reshape(-1, window)
    y = ids[positions + 1].astype(np.int32).reshape(-1, window)
    return x, y


def unigram_probabilities(ids, vocab_size, smoothing=1.0):
    """How often each character occurs in ``ids``: shape (vocab_size,), sums to 1.

    ``smoothing`` is added to every count (Laplace smoothing), so a character
    never seen in training still gets a small probability instead of zero
    (which would make the perplexity infinite).
    """
    counts = np.bincount(np.asarray(ids).reshape(-1), minlength=vocab_size).astype(np.float64)
    counts += smoothing
    return counts / counts.sum()


def bigram_probabilities(ids, vocab_size, smoothing=1.0):
    """``P[a, b]``: probability that character ``b`` follows character ``a``, (vocab, vocab).

    Each row sums to 1; ``smoothing`` is added to every count, as in
    ``unigram_probabilities``.
    """
    ids = np.asarray(ids).reshape(-1)
    counts = np.full((vocab_size, vocab_size), float(smoothing))
    np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
    return counts / counts.sum(axis=1, keepdims=True)


def perplexity(probs, targets):
    """``exp(mean(-log probs[i, targets[i]]))`` for probs (batch, vocab) and targets (batch,).

    A model that spreads its probability evenly over V characters has
    perplexity V; a model that is always sure and right has perplexity 1.
    (For a many-to-many model's (batch, window, vocab) output, pass
    ``probs.reshape(-1, vocab)`` and ``y.reshape(-1)``: every position counts.)
    """
    probs = np.asarray(probs, dtype=np.float64)
    targets = np.asarray(targets).reshape(-1)
    with np.errstate(divide="ignore"):       # a zero probability gives an infinite perplexity
        log_p = np.log(probs[np.arange(len(targets)), targets])
    return float(np.exp(-log_p.mean()))


def perplexity_from_cross_entropy(cross_entropy):
    """Perplexity from a mean cross-entropy in nats (Keras's ``sparse_categorical_crossentropy``)."""
    return float(np.exp(cross_entropy))


def apply_temperature(probs, temperature):
    """Rescale distributions by a temperature: ``softmax(log(probs) / temperature)``.

    ``probs`` has shape (..., vocab); each row of the result sums to 1.
    ``temperature < 1`` sharpens (1 -> greedy as it goes to 0), ``> 1`` flattens
    (uniform as it grows). Zero probabilities stay zero. Computed in the log
    domain with the maximum subtracted, so no overflow for small temperatures.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    probs = np.asarray(probs, dtype=np.float64)
    with np.errstate(divide="ignore"):
        logits = np.log(probs) / temperature
    logits = logits - logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)


def sample_with_temperature(probs, temperature, rng):
    """Draw one character id from ``probs`` (vocab,) rescaled by ``temperature``.

    ``rng`` is a ``numpy.random.Generator``: the same seed gives the same draws.
    """
    tempered = apply_temperature(probs, temperature)
    return int(rng.choice(len(tempered), p=tempered))


def char_model_param_count(vocab_size, cell="gru", units=64, embedding_dim=16):
    """Parameters of ``build_char_model``: embedding + recurrent layer + dense softmax."""
    from .weights import rnn_param_count
    return (vocab_size * embedding_dim
            + rnn_param_count(cell, embedding_dim, units)
            + units * vocab_size + vocab_size)


def build_char_model(vocab_size, window, cell="gru", units=64, embedding_dim=16):
    """Embedding -> GRU or LSTM (every step) -> Dense softmax at every step; not compiled.

    Input: (batch, window) character ids. Output: (batch, window, vocab_size),
    at position ``t`` the probabilities of the character after ``x[:, t]``,
    having read ``x[:, :t+1]`` (many-to-many: every position is a target).
    """
    import keras  # here, not at the top: numpy users of this module never load TensorFlow

    recurrent = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[cell]
    return keras.Sequential([
        keras.Input(shape=(window,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embedding_dim),     # (batch, window, embedding_dim)
        recurrent(units, return_sequences=True),               # (batch, window, units)
        keras.layers.Dense(vocab_size, activation="softmax"),  # (batch, window, vocab_size)
    ], name=f"char_{cell}")

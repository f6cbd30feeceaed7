"""Classifying docstrings by topic: the data as ids, a bag-of-words baseline, the
reference Keras classifier (08_text_classification).

Notation, as in the lesson:

- ``ids``: padded word ids, (n, maxlen) int32, ``PAD = 0`` where there is no word;
- ``labels``: the topic of each text, (n,) ints in ``0 .. num_classes - 1``;
- ``probs``: predicted distributions over the topics, (n, num_classes).

The baseline is a **multinomial naive Bayes** classifier on word counts: it
counts how often each word occurs in the training texts of each class and
picks the class under which the text's words are most probable. It ignores
word order entirely (a "bag of words"). Everything here is numpy, except
``build_text_classifier``, which imports Keras when called.
"""
import functools

import numpy as np

from .data import docstrings
from .masking import pad_batch
from .tokenizer import PAD, Vocabulary

__all__ = ["MAXLEN", "NUM_CLASSES", "BAR_MARGIN", "vocabulary", "encoded_split", "bag_of_words",
           "naive_bayes_fit", "naive_bayes_predict", "baseline_accuracy", "accuracy",
           "build_text_classifier", "text_classifier_param_count"]

MAXLEN = 24                              # words a classifier reads; longer texts are cut
NUM_CLASSES = len(docstrings.LABELS)
BAR_MARGIN = 0.05     # a trained classifier is graded against baseline accuracy - BAR_MARGIN


@functools.lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The course's vocabulary: words seen at least twice in the TRAINING texts."""
    return Vocabulary.build(docstrings.load_corpus()["train"].texts, min_count=2)


@functools.lru_cache(maxsize=8)
def encoded_split(split, maxlen=MAXLEN, padding="post"):
    """``(ids (n, maxlen), mask (n, maxlen), labels (n,))`` of one split ("train",
    "validation", "test"), encoded with ``vocabulary()`` and padded by ``pad_batch``.
    Cached: do not write into the arrays."""
    corpus = docstrings.load_corpus()[split]
    vocab = vocabulary()
    ids, mask = pad_batch([vocab.encode(t) for t in corpus.texts], maxlen, padding)
    return ids, mask, corpus.labels.copy()


def bag_of_words(ids, vocab_size) -> np.ndarray:
    """Word counts, (n, vocab_size): entry [i, w] = how often id w occurs in row i; PAD not counted."""
    ids = np.asarray(ids, dtype=np.int64)
    counts = np.zeros((ids.shape[0], vocab_size))
    np.add.at(counts, (np.repeat(np.arange(ids.shape[0]), ids.shape[1]), ids.reshape(-1)), 1.0)
    counts[:, PAD] = 0.0
    return counts


def naive_bayes_fit(counts, labels, num_classes, smoothing=1.0):
    """``(log_prior (num_classes,), log_word_probs (num_classes, vocab_size))``.

    ``log_prior[c]`` is the log of the fraction of training texts of class c;
    ``log_word_probs[c, w]`` the log probability of word w in a text of class c,
    counted over all training texts of class c with ``smoothing`` added to every
    count (so an unseen word does not get probability 0).
    """
    counts = np.asarray(counts, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    prior = np.bincount(labels, minlength=num_classes) / len(labels)
    per_class = np.zeros((num_classes, counts.shape[1]))
    np.add.at(per_class, labels, counts)
    per_class += smoothing
    per_class[:, PAD] = 0.0                       # padding is not a word
    with np.errstate(divide="ignore"):
        log_word_probs = np.log(per_class / per_class.sum(axis=1, keepdims=True))
        log_prior = np.log(prior)
    log_word_probs[:, PAD] = 0.0
    return log_prior, log_word_probs


def naive_bayes_predict(model, counts) -> np.ndarray:
    """The class each row of ``counts`` is most probable under: (n,) ints."""
    log_prior, log_word_probs = model
    scores = np.asarray(counts, dtype=np.float64) @ log_word_probs.T + log_prior
    return scores.argmax(axis=1)


def accuracy(predicted, labels) -> float:
    """Fraction of ``predicted`` class ids equal to ``labels``."""
    return float(np.mean(np.asarray(predicted).reshape(-1) == np.asarray(labels).reshape(-1)))


@functools.lru_cache(maxsize=4)
def baseline_accuracy(split="validation") -> float:
    """Accuracy of naive Bayes trained on the training split, measured on ``split``."""
    vocab_size = len(vocabulary())
    train_ids, _, train_labels = encoded_split("train")
    ids, _, labels = encoded_split(split)
    model = naive_bayes_fit(bag_of_words(train_ids, vocab_size), train_labels, NUM_CLASSES)
    return accuracy(naive_bayes_predict(model, bag_of_words(ids, vocab_size)), labels)


def text_classifier_param_count(vocab_size, num_classes, units=32, embedding_dim=32):
    """Parameters of ``build_text_classifier``: embedding + GRU + dense softmax."""
    from .weights import rnn_param_count
    return (vocab_size * embedding_dim + rnn_param_count("gru", embedding_dim, units)
            + units * num_classes + num_classes)


def build_text_classifier(vocab_size, num_classes, maxlen, units=32, embedding_dim=32,
                          dropout=0.2, recurrent_dropout=0.2, mask_zero=True):
    """Embedding(mask_zero) -> GRU(dropout, recurrent_dropout) -> Dense softmax; not compiled.

    Input: (batch, maxlen) word ids, ``PAD = 0`` as padding. Output:
    (batch, num_classes) probabilities of the topics.
    """
    import keras  # here, not at the top: numpy users of this module never load TensorFlow

    return keras.Sequential([
        keras.Input(shape=(maxlen,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=mask_zero),
        keras.layers.GRU(units, dropout=dropout, recurrent_dropout=recurrent_dropout),
        keras.layers.Dense(num_classes, activation="softmax"),
    ], name="text_gru")

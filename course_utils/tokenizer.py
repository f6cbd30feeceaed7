"""The course's word tokeniser and vocabulary (08_text_classification).

A text becomes a list of integer **ids**, one per word, in three steps:

- ``tokenize``: lower-case, then every run of letters ``a``-``z`` is a word;
  digits, punctuation and ``_`` separate words and are dropped
  (``"Return x**y."`` -> ``["return", "x", "y"]``);
- ``Vocabulary.build``: the words that occur at least ``min_count`` times in
  the training texts, most frequent first (ties in alphabetical order), so the
  vocabulary never depends on the order of a dict or a set;
- ``Vocabulary.encode``: each word's position in the vocabulary. Two ids are
  reserved: ``PAD = 0`` fills the empty places of a padded batch (and is never
  a word, which is what ``Embedding(mask_zero=True)`` relies on) and
  ``UNKNOWN = 1`` stands for every word outside the vocabulary.
"""
import collections
import re
from dataclasses import dataclass, field

import numpy as np

__all__ = ["PAD", "UNKNOWN", "tokenize", "Vocabulary"]

PAD = 0
UNKNOWN = 1
_SPECIAL = ("<pad>", "<unk>")     # the words shown for ids PAD and UNKNOWN
_WORD = re.compile(r"[a-z]+")


def tokenize(text: str) -> list:
    """The words of ``text``: lower-cased runs of the letters a-z."""
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Vocabulary:
    """Words by id: ``words[0] = "<pad>"``, ``words[1] = "<unk>"``, then the known words."""
    words: tuple
    index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "index", {w: i for i, w in enumerate(self.words)})

    @classmethod
    def build(cls, texts, min_count=2):
        """The words of ``texts`` seen at least ``min_count`` times, most frequent first."""
        counts = collections.Counter(word for text in texts for word in tokenize(text))
        known = sorted((w for w, n in counts.items() if n >= min_count),
                       key=lambda w: (-counts[w], w))
        return cls(_SPECIAL + tuple(known))

    def __len__(self):
        return len(self.words)

    def encode(self, text) -> list:
        """The ids of the words of ``text`` (``UNKNOWN`` for a word not in the vocabulary)."""
        return [self.index.get(word, UNKNOWN) for word in tokenize(text)]

    def decode(self, ids) -> str:
        """The words of a sequence of ids, padding left out."""
        return " ".join(self.words[int(i)] for i in np.asarray(ids).reshape(-1) if int(i) != PAD)

"""An offline English corpus and a character vocabulary, for 07_practice.

The corpus is the help text that ships with every CPython installation:
``pydoc_data.topics.topics``, the dict of pages that ``help("if")`` or
``help("class")`` prints (about 80 pages, 0.5 MB in Python 3.11). Nothing is
downloaded. The pages mix English prose with code examples, grammar rules and
tables; ``clean_paragraphs`` keeps the prose:

- a paragraph (lines between blank lines) whose first line is indented by 3 or
  more spaces is a code example or a grammar rule: dropped;
- table rows (``+---`` and ``|``), heading underlines (``*****``, ``=====``) and
  the ``-[ Footnotes ]-`` marker: dropped;
- each paragraph is unwrapped onto one line (the line breaks at ~70 columns
  carry no meaning), so ``"\\n"`` in the clean text means "new paragraph".

``clean_characters`` then replaces typographic quotes and dashes by their
ASCII forms, drops the ``*`` emphasis marks, lower-cases everything (fewer
characters to learn) and replaces every character outside ``CHARACTERS`` by
the placeholder ``UNKNOWN``.

The split is deterministic: every tenth paragraph (index 9, 19, 29, ...) is
validation text, the rest is training text. The help pages change a little
between Python versions, so the corpus, and every number measured on it,
differs slightly from one Python version to the next; on one installation it
is always the same.
"""
import functools
import re

import numpy as np

__all__ = ["CHARACTERS", "UNKNOWN", "VOCABULARY", "VOCAB_SIZE", "CHAR_TO_ID",
           "help_pages", "clean_paragraphs", "clean_characters", "corpus_paragraphs",
           "load_corpus", "encode", "decode"]

# The characters the model knows: newline, space, common punctuation, digits,
# lower-case letters. Everything else (=, <, +, accented letters...) becomes UNKNOWN.
CHARACTERS = "\n !\"'(),-.:;?[]_0123456789abcdefghijklmnopqrstuvwxyz"
UNKNOWN = "#"
VOCABULARY = CHARACTERS + UNKNOWN          # character with id i = VOCABULARY[i]
VOCAB_SIZE = len(VOCABULARY)
CHAR_TO_ID = {char: i for i, char in enumerate(VOCABULARY)}

VALIDATION_EVERY = 10    # paragraph i goes to validation when i % 10 == 9

_TYPOGRAPHIC = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                "\u2014": "-", "\u2013": "-", "\u2026": "...", "*": ""}
_UNDERLINE = re.compile(r"^\s*([*=\-~^#])\1{2,}\s*$")   # "*****", "=====", "-----"
_SKIPPED_LINE_STARTS = ("+-", "+=", "|", "-[")           # tables, "-[ Footnotes ]-"
_CODE_INDENT = "   "                                     # code and grammar are indented 3+


def help_pages() -> dict:
    """The raw help pages: ``{topic: text}``, as shipped in ``pydoc_data.topics``."""
    from pydoc_data.topics import topics
    return dict(topics)


def clean_paragraphs(page: str) -> list:
    """The prose paragraphs of one help page, each unwrapped onto one line (see module doc)."""
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", page):
        lines = block.split("\n")
        if lines[0].startswith(_CODE_INDENT):
            continue
        kept = [line.strip() for line in lines
                if not _UNDERLINE.match(line)
                and not line.lstrip().startswith(_SKIPPED_LINE_STARTS)]
        paragraph = " ".join(line for line in kept if line)
        if paragraph:
            paragraphs.append(paragraph)
    return paragraphs


def clean_characters(text: str) -> str:
    """ASCII quotes and dashes, no ``*``, lower case, runs of spaces and tabs -> one space,
    unknown characters replaced by ``UNKNOWN``; newlines are kept."""
    for fancy, plain in _TYPOGRAPHIC.items():
        text = text.replace(fancy, plain)
    text = re.sub(r"[ \t]+", " ", text.lower())
    return "".join(char if char in CHAR_TO_ID else UNKNOWN for char in text)


@functools.lru_cache(maxsize=1)
def corpus_paragraphs() -> tuple:
    """Every clean paragraph of every help page, pages in alphabetical order of topic."""
    pages = help_pages()
    # strip(): removing a "*" bullet leaves a leading space.
    paragraphs = (clean_characters(p).strip() for topic in sorted(pages)
                  for p in clean_paragraphs(pages[topic]))
    return tuple(p for p in paragraphs if p)


def load_corpus() -> tuple:
    """``(train_text, validation_text)``: the clean corpus, split by paragraph.

    Every tenth paragraph is validation text. Paragraphs are joined with
    ``"\\n"``, so no window of characters spans a validation and a training
    paragraph. About 230,000 training and 26,000 validation characters.
    """
    paragraphs = corpus_paragraphs()
    train = [p for i, p in enumerate(paragraphs) if i % VALIDATION_EVERY != VALIDATION_EVERY - 1]
    validation = [p for i, p in enumerate(paragraphs) if i % VALIDATION_EVERY == VALIDATION_EVERY - 1]
    return "\n".join(train), "\n".join(validation)


def encode(text: str) -> np.ndarray:
    """Character ids of ``clean_characters(text)``, shape (n,), int32.

    The text is cleaned as the corpus was (lower case, ASCII quotes, unknown
    characters -> ``UNKNOWN``), so ``encode("The")`` works; clean text is unchanged
    by cleaning, so then n = len(text).
    """
    text = clean_characters(text)
    return np.fromiter((CHAR_TO_ID[char] for char in text), dtype=np.int32, count=len(text))


def decode(ids) -> str:
    """The text of a sequence of character ids (any integer array-like of shape (n,))."""
    return "".join(VOCABULARY[int(i)] for i in np.asarray(ids).reshape(-1))

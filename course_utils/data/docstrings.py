"""A labelled corpus of real English for text classification (08_text_classification).

Every Python installation documents its standard library in docstrings:
``math.cos.__doc__`` is "Return the cosine of x (measured in radians).". This
module collects the first paragraph of the docstring of every public function,
class and method of the standard-library modules listed in ``TOPICS`` and
labels it with the topic of its module: ``math`` is about numbers, ``pathlib``
about files, ``threading`` about concurrency... Nothing is downloaded; the
modules are imported, never run.

How a document is made (``module_documents``):

- the public names of the module (no leading ``_``) that are functions,
  built-in functions or classes defined in the module's package (so
  ``re.compile`` counts for ``re`` but a name imported from elsewhere does not);
- for a class, also its own public methods and properties (``vars(cls)``, so
  docstrings inherited from ``object`` or a base class are not repeated);
- the first paragraph of each docstring, on one line (runs of white space -> one space).

``load_corpus`` then drops documents with fewer than ``MIN_WORDS`` words and
documents that occur under two topics (the same sentence cannot have two
labels), counts every other document once, and sorts them by ``(label, text)``
so that nothing depends on the order of ``dir()``, of dicts or of ``hash()``.

The split is fixed: a document goes to training, validation or test according
to ``zlib.crc32`` of ``SPLIT_SEED`` and its text (the same on every platform and
Python version, unlike ``hash()``), about 70 / 15 / 15 %. A document keeps its
split wherever it appears, so if a later Python version rewords a few
docstrings, only those documents move. Docstrings do change a little between
Python versions (and a handful of functions exist on one operating system
only), so the corpus and every number measured on it differ slightly between
installations; on one installation it is always the same.
"""
import functools
import importlib
import inspect
import re
import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["TOPICS", "LABELS", "MIN_WORDS", "SPLIT_SEED", "SPLIT_PERCENT", "Corpus",
           "first_paragraph", "module_documents", "load_corpus", "class_counts"]

# topic (the label) -> the standard-library modules whose docstrings get that label.
# Only modules that exist on every platform and in Python 3.10-3.13.
TOPICS = {
    "text": ["string", "re", "textwrap", "difflib", "unicodedata", "html", "html.parser",
             "shlex", "codecs"],
    "numbers": ["math", "cmath", "statistics", "fractions", "decimal", "random", "numbers"],
    "dates": ["datetime", "calendar", "zoneinfo", "sched"],
    "files": ["pathlib", "shutil", "glob", "fnmatch", "tempfile", "filecmp", "zipfile",
              "tarfile", "gzip", "bz2", "lzma"],
    "concurrency": ["threading", "queue", "concurrent.futures", "asyncio.locks",
                    "asyncio.queues", "asyncio.tasks", "asyncio.events"],
    "internet": ["urllib.parse", "urllib.request", "http.client", "http.cookies",
                 "email.message", "smtplib", "ftplib", "poplib", "imaplib", "ipaddress"],
}
LABELS = tuple(TOPICS)          # label id i <-> LABELS[i]
MIN_WORDS = 3                   # "Unpack an archive." is kept; "Return self." is not
SPLIT_SEED = 8
SPLIT_PERCENT = {"train": 70, "validation": 15, "test": 15}

_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Corpus:
    """One split of the corpus: ``texts[i]`` has label id ``labels[i]`` (``LABELS[labels[i]]``)."""
    texts: tuple
    labels: np.ndarray      # (n,) int64

    def __len__(self):
        return len(self.texts)


def first_paragraph(doc) -> str:
    """The first paragraph of a docstring on one line, or "" for no docstring."""
    if not isinstance(doc, str) or not doc.strip():
        return ""
    paragraph = re.split(r"\n\s*\n", inspect.cleandoc(doc).strip())[0]
    return " ".join(paragraph.split())


def _same_package(obj, module_name) -> bool:
    """True if ``obj`` is defined in the package of ``module_name`` (``_decimal`` counts for ``decimal``)."""
    owner = getattr(obj, "__module__", None) or ""
    return owner.lstrip("_").split(".")[0] == module_name.lstrip("_").split(".")[0]


def _class_members(cls):
    """The functions and properties defined in ``cls`` itself, public names only, sorted."""
    for name, value in sorted(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(value, (classmethod, staticmethod)):
            value = value.__func__
        if callable(value) or isinstance(value, property):
            yield value


def module_documents(module_name) -> list:
    """The first paragraphs of the docstrings of a module's public functions, classes and
    their methods (see the module docstring), in sorted order of name, empty ones left out."""
    module = importlib.import_module(module_name)
    documents = []
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isbuiltin(obj) or inspect.isclass(obj)):
            continue
        if not _same_package(obj, module_name):
            continue
        members = [obj] + (list(_class_members(obj)) if inspect.isclass(obj) else [])
        documents.extend(first_paragraph(getattr(m, "__doc__", None)) for m in members)
    return [d for d in documents if d]


def _split_of(text) -> str:
    """"train", "validation" or "test", from a checksum of the text (fixed, seeded)."""
    bucket = zlib.crc32(f"{SPLIT_SEED}:{text}".encode("utf-8")) % 100
    if bucket < SPLIT_PERCENT["train"]:
        return "train"
    if bucket < SPLIT_PERCENT["train"] + SPLIT_PERCENT["validation"]:
        return "validation"
    return "test"


@functools.lru_cache(maxsize=1)
def _labelled_documents() -> tuple:
    """``((text, label id), ...)`` of the whole corpus, sorted by (label, text)."""
    topics_of = {}
    for label, topic in enumerate(LABELS):
        for module_name in TOPICS[topic]:
            for text in module_documents(module_name):
                topics_of.setdefault(text, set()).add(label)
    kept = [(text, labels.pop()) for text, labels in topics_of.items()
            if len(labels) == 1 and len(_WORD.findall(text)) >= MIN_WORDS]
    return tuple(sorted(kept, key=lambda pair: (pair[1], pair[0])))


def load_corpus() -> dict:
    """``{"train": Corpus, "validation": Corpus, "test": Corpus}``, each sorted by (label, text).

    About 1,600 documents in 6 classes (``LABELS``); the split is fixed (module docstring).
    """
    parts = {name: ([], []) for name in SPLIT_PERCENT}
    for text, label in _labelled_documents():
        texts, labels = parts[_split_of(text)]
        texts.append(text)
        labels.append(label)
    return {name: Corpus(tuple(texts), np.array(labels, dtype=np.int64))
            for name, (texts, labels) in parts.items()}


def class_counts(labels) -> np.ndarray:
    """How many documents of each class: shape (len(LABELS),)."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(LABELS))

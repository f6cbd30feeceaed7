"""course_utils.data.text: the offline corpus (CPython's help pages) and the character vocabulary."""
import string

import numpy as np
import pytest

from course_utils.data import text

# ---------------------------------------------------------------- vocabulary

def test_vocabulary_is_printable_ascii_without_duplicates():
    assert len(set(text.VOCABULARY)) == len(text.VOCABULARY) == text.VOCAB_SIZE
    assert set(text.VOCABULARY) <= set(string.printable)
    assert text.UNKNOWN in text.VOCABULARY and text.UNKNOWN not in text.CHARACTERS
    assert set(string.ascii_lowercase + string.digits + " \n") <= set(text.CHARACTERS)
    assert not set(string.ascii_uppercase) & set(text.VOCABULARY)   # lower-cased corpus
    assert all(text.VOCABULARY[i] == char for char, i in text.CHAR_TO_ID.items())


def test_encode_decode_round_trip_on_clean_text():
    sample = 'the "if" statement (see section 3.2): x_1, [y]; done? yes!\nnext'
    ids = text.encode(sample)
    assert ids.dtype == np.int32 and ids.shape == (len(sample),)
    assert text.decode(ids) == sample
    assert [text.VOCABULARY[i] for i in ids] == list(sample)


def test_encode_cleans_raw_text_first():
    raw = "The  \u201cValue\u201d \u2014 x = 1 \u2026 caf\u00e9 "
    assert text.decode(text.encode(raw)) == text.clean_characters(raw)
    assert text.clean_characters(raw) == 'the "value" - x # 1 ... caf# '   # trailing space kept


def test_decode_accepts_any_integer_array_like():
    assert text.decode([45, 33, 30]) == "the"
    assert text.decode(np.array([[45, 33, 30]], dtype=np.int64)) == "the"


# ---------------------------------------------------------------- cleaning

PAGE = """A heading
*********

This prose is wrapped
over two lines.

   grammar_rule ::= "if" expression ":" suite

* A bullet item
  that continues.

+-------+-------+
| table | row   |
+-------+-------+

-[ Footnotes ]-

[1] A footnote."""


def test_clean_paragraphs_keeps_prose_and_drops_code_tables_and_underlines():
    assert text.clean_paragraphs(PAGE) == [
        "A heading",
        "This prose is wrapped over two lines.",
        "* A bullet item that continues.",
        "[1] A footnote.",
    ]


def test_clean_characters_replaces_typography_lowers_and_marks_unknowns():
    assert text.clean_characters("It\u2019s \u2018**bold**\u2019") == "it's 'bold'"
    assert text.clean_characters("a\t\t b\nC") == "a b\nc"
    assert text.clean_characters("x <= y + 1") == "x ## y # 1"


# ---------------------------------------------------------------- the corpus

@pytest.fixture(scope="module")
def corpus():
    return text.load_corpus()


def test_help_pages_ship_with_python():
    from pydoc_data.topics import topics
    pages = text.help_pages()
    assert pages == topics and len(pages) > 50
    assert "assert" in pages and "class" in pages


def test_corpus_paragraphs_are_clean_prose_from_the_help_pages():
    paragraphs = text.corpus_paragraphs()
    assert len(paragraphs) > 1000
    allowed = set(text.VOCABULARY)
    raw = text.clean_characters("\n".join(text.help_pages().values()))
    for paragraph in paragraphs:
        assert paragraph and "\n" not in paragraph and paragraph == paragraph.strip()
        assert set(paragraph) <= allowed
    # Independent check that paragraphs come from the pages: their first words occur there.
    for paragraph in paragraphs[::50]:
        assert " ".join(paragraph.split()[:3]) in " ".join(raw.split())


def test_code_and_grammar_are_gone(corpus):
    train_text, validation_text = corpus
    for code in ("if_stmt ::=", "assert_stmt ::=", "+-----", "******"):
        assert code not in train_text and code not in validation_text


def test_split_is_every_tenth_paragraph_and_deterministic(corpus):
    train_text, validation_text = corpus
    assert text.load_corpus() == corpus
    paragraphs = text.corpus_paragraphs()
    assert validation_text.split("\n") == list(paragraphs[9::10])
    assert len(train_text.split("\n")) + len(validation_text.split("\n")) == len(paragraphs)
    share = len(validation_text) / (len(train_text) + len(validation_text))
    assert 0.05 < share < 0.15
    assert len(train_text) > 150_000   # enough text to train on


def test_rare_characters_are_rare(corpus):
    train_text, _ = corpus
    ids = text.encode(train_text)
    frequencies = np.bincount(ids, minlength=text.VOCAB_SIZE) / len(ids)
    assert frequencies[text.CHAR_TO_ID[" "]] > 0.1            # spaces: about one character in 7
    assert frequencies[text.CHAR_TO_ID[text.UNKNOWN]] < 0.01   # few characters are unknown

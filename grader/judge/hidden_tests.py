"""Hidden tests: find them, strip them, and prove that feedback does not show them.

An autograded notebook holds each hidden test cell in full (nbgrader restores the
instructor's source before running it), and a failing cell's traceback quotes
source lines.  Student code can also print what it can reach: the caller's
frame, IPython's input history (``In``/``_ih``).  ``HideHiddenTests`` runs
inside nbgrader's GenerateFeedback, before the HTML is rendered:

* a hidden test cell's source loses its ``BEGIN/END HIDDEN TESTS`` region (what
  remains is the released cell, e.g. a comment saying hidden tests run at
  grading time);
* its error output is reduced to ``ErrorName: message`` (our checkers' messages
  never quote test source); no traceback;
* in every cell, any line of hidden test text found in an output is replaced by
  ``[hidden test]``.

``find_leaks`` then checks the rendered HTML itself, as a last line of defence.
"""
from __future__ import annotations

import html
import re

from nbgrader.preprocessors import NbGraderPreprocessor

BEGIN = "BEGIN HIDDEN TESTS"
END = "END HIDDEN TESTS"
REDACTED = "[hidden test]"
# Shorter lines (")", "pass", "x = 1") are too common to be evidence of a leak.
MIN_SECRET_CHARS = 8


def split_regions(source: str, begin: str, end: str) -> tuple[list[str], list[str]]:
    """``(lines outside, lines inside)`` the regions between a line holding ``begin`` and
    one holding ``end`` (the marker lines themselves in neither)."""
    outside, inside_lines, inside = [], [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        else:
            (inside_lines if inside else outside).append(line)
    return outside, inside_lines


def split_hidden(source: str) -> tuple[str, list[str]]:
    """``(source without hidden regions, lines inside hidden regions)``."""
    visible, hidden = split_regions(source, BEGIN, END)
    return "\n".join(visible), hidden


def secret_lines(sources) -> list[str]:
    """Distinctive hidden-test lines (stripped, >= MIN_SECRET_CHARS) of these sources."""
    secrets: list[str] = []
    for source in sources:
        for line in split_hidden(source)[1]:
            line = line.strip()
            if len(line) >= MIN_SECRET_CHARS and line not in secrets:
                secrets.append(line)
    # Longest first, so that redaction never leaves half of a longer secret.
    return sorted(secrets, key=len, reverse=True)


def notebook_secrets(nb) -> list[str]:
    return secret_lines(cell.source for cell in nb.cells if cell.cell_type == "code")


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def html_text(page: str) -> str:
    """Visible text of an HTML page (tags removed, entities decoded, ANSI stripped)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


_JSON_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|[nrt\"\\/])")
_JSON_CHARS = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "/": "/"}


def _json_unescape(text: str) -> str:
    return _JSON_ESCAPE.sub(lambda m: chr(int(m[1][1:], 16)) if m[1][0] == "u"
                            else _JSON_CHARS[m[1]], text)


def page_views(page: str) -> list[str]:
    """Every reading of a raw HTML file in which a line of source could show.

    The bytes themselves; entities decoded (attributes, ``&lt;``); every tag
    removed but scripts, styles and comments kept (syntax highlighting splits a
    line into ``<span>``s); and JSON string escapes decoded (notebook JSON or
    widget state embedded in a ``<script>``); ANSI colour codes removed.
    """
    unescaped = html.unescape(page)
    untagged = html.unescape(re.sub(r"<[^>]+>", "", page))
    views = [page, unescaped, untagged, _json_unescape(unescaped), _json_unescape(untagged)]
    return [re.sub(r"\x1b\[[0-9;]*m", "", view) for view in views]


def find_leaks(page: str, secrets: list[str]) -> list[str]:
    """The secrets found anywhere in a raw HTML page (see :func:`page_views`), whitespace
    differences ignored."""
    views = page_views(page)
    squashed = [re.sub(r"\s+", "", view) for view in views]
    return [s for s in secrets
            if any(s in view for view in views) or any(re.sub(r"\s+", "", s) in v for v in squashed)]


def _redact_output(output, secrets: list[str]) -> None:
    if "text" in output:
        output.text = redact(output.text, secrets)
    if "evalue" in output:
        output.evalue = redact(output.evalue, secrets)
    if "traceback" in output:
        output.traceback = [redact(line, secrets) for line in output.traceback]
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime in ("application/json", "application/javascript"):
            if isinstance(value, list):
                output.data[mime] = [redact(v, secrets) for v in value]
            elif isinstance(value, str):
                output.data[mime] = redact(value, secrets)


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden test source and tracebacks from a notebook before it is rendered."""

    def preprocess(self, nb, resources):
        self._secrets = notebook_secrets(nb)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        if BEGIN in cell.source:
            cell.source = split_hidden(cell.source)[0].rstrip("\n")
            for output in cell.outputs:
                if output.output_type == "error":
                    # Just the message, as the student would read it.
                    output.traceback = [f"\x1b[0;31m{output.ename}\x1b[0m: {output.evalue}"]
        for output in cell.outputs:
            _redact_output(output, self._secrets)
        return cell, resources

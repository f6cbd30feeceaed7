"""Only an exception fails a test cell; stderr noise never costs points.

nbgrader's ``utils.determine_grade`` gives 0 to a test cell with *any* stderr
output.  In this course stderr is mostly noise a student cannot control:
TensorFlow 2.21 prints absl lines at import whatever ``TF_CPP_MIN_LOG_LEVEL``
says (ipykernel forwards C-level fd 2 into the cell), and a correct naive
sigmoid can emit a numpy RuntimeWarning.  Our checkers signal failure by
raising ``AssertionError``, so after execution, and before ``SaveAutoGrades``
scores the cells, this preprocessor

* drops known noise lines (absl/glog lines, Python warning lines) from stderr
  in every code cell, so feedback stays readable;
* in graded cells, turns whatever stderr text remains into stdout, so it is
  still shown but no longer zeroes the test.
"""
from __future__ import annotations

import re

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

_NOISE = re.compile(
    r"""^(?:
        WARNING:\ All\ log\ messages\ before\ absl::InitializeLog\(\)\ is\ called.*  # absl banner
      | [IWEF]\d{4}\ [\d:.]+\s+\d+\ [\w./-]+:\d+\]\ .*                             # absl/glog line
      | .*:\d+:\ \w*Warning:\ .*                                                    # warnings.warn
    )$""",
    re.VERBOSE,
)
_WARNING_LINE = re.compile(r"^.*:\d+: \w*Warning: ")


def drop_noise(text: str) -> str:
    """``text`` without TF/absl log lines and Python warnings (with their source line)."""
    kept, after_warning = [], False
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if _NOISE.match(bare):
            after_warning = bool(_WARNING_LINE.match(bare))
            continue
        # warnings.showwarning prints the offending source line indented below.
        if after_warning and bare.startswith((" ", "\t")):
            after_warning = False
            continue
        after_warning = False
        kept.append(line)
    return "".join(kept)


class QuietStderr(NbGraderPreprocessor):
    """Drop stderr noise everywhere; keep other stderr of graded cells as stdout."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        outputs = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                output.text = drop_noise(output.text)
                if not output.text:
                    continue
                if utils.is_grade(cell):
                    output.name = "stdout"
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources

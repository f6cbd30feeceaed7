"""Every checker is importable from course_utils.checks, without loading TensorFlow needlessly."""
import ast
import subprocess
import sys
from pathlib import Path

import course_utils.checks as checks

CHECKS_DIR = Path(checks.__file__).parent


def _defined_checkers():
    found = {}
    for path in CHECKS_DIR.glob("*.py"):
        if path.name.startswith("_"):
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("check_"):
                found[node.name] = path.stem
    return found


def test_registry_lists_every_public_checker_and_its_module():
    assert checks.CHECKERS == _defined_checkers()


def test_every_registered_checker_imports():
    for name in checks.CHECKERS:
        assert callable(getattr(checks, name))


def test_numpy_checkers_do_not_import_tensorflow():
    code = ("import sys; from course_utils.checks import check_rnn_forward, check_gru_forward, "
            "check_lstm_forward, check_rnn_backward; print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

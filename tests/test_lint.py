"""The lint rules that ruff cannot state: a kept blind ``except`` says why."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = [p for d in ("course_utils", "grader", "tests", "benchmarks", "tools")
           for p in (REPO / d).rglob("*.py") if p.name != "test_lint.py"]
NOQA_BLIND = re.compile(r"#\s*noqa: BLE001(?P<rest>.*)$")


def test_every_kept_blind_except_gives_its_reason():
    bare = []
    for path in SOURCES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found = NOQA_BLIND.search(line)
            if found and not re.match(r"\s*-\s*\w", found["rest"]):
                bare.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert SOURCES and not bare, ("`# noqa: BLE001 - <why any exception is right here>` "
                                  "is the form; these give no reason:\n" + "\n".join(bare))


def test_ruff_is_configured_and_run_by_make_test():
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '[tool.ruff.lint]' in pyproject and '"BLE"' in pyproject and '"B"' in pyproject
    assert '"I"' in pyproject
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\ntest: ", 1)[1].split("\n\n", 1)[0]
    assert "ruff check" in recipe, "make test must run ruff"

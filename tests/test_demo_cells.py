"""Demonstration cells (tagged ``demo``): which ones grading may skip, read statically (no kernel: fast tier)."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader.config import Course
from grader.run.demo_cells import (
    DEMO_TAG,
    cell_names,
    cells_to_skip,
    conflicts,
    demo_work_skippable,
    own_cells,
    problems,
)

LESSONS = Course.at().assignments()


def demo(source):
    return new_code_cell(source, metadata={"tags": [DEMO_TAG]})


def exercise(source, grade_id="ex"):
    return new_code_cell(source, metadata={"nbgrader": {
        "solution": True, "grade": False, "locked": False, "grade_id": grade_id, "schema_version": 3}})


def test_cell(source, grade_id="test"):
    return new_code_cell(source, metadata={"nbgrader": {
        "solution": False, "grade": True, "points": 1, "locked": True, "grade_id": grade_id,
        "schema_version": 3}})


test_cell.__test__ = False   # a cell builder, not a pytest test


def notebook(*cells):
    return new_notebook(cells=list(cells))


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_tags_demo_cells_that_grading_can_skip(lesson):
    nb = nbformat.read(str(Course.at().source_notebook(lesson)), as_version=4)
    tagged = [c for c in nb.cells if DEMO_TAG in c.metadata.get("tags", [])]
    assert tagged, f"{lesson} tags no demonstration cell"
    assert problems(nb) == []


def test_what_a_cell_reads_and_writes():
    names = cell_names("import numpy as np\nfrom course_utils import plots\n"
                       "x = np.zeros(3)\nmodel.fit(x)\nlayer.units = 4\nstates[0] = 1\n"
                       "def f(a):\n    b = a + scale\n    return b\n"
                       "%time history = model.fit(x)\n")
    assert {"np", "plots", "x", "f", "history"} <= names.defines
    assert {"model", "layer", "states"} <= names.changes
    assert "x" not in names.reads_first and "model" in names.reads_first
    assert names.reads_later == {"scale"}        # a, b are the function's own
    assert "np" in names.modules and "plots" in names.modules


@pytest.mark.parametrize("cells, expected", [
    # a later exercise reads what the demo defines
    ([demo("units = 8"), exercise("def f(x):\n    return x * units")], ["units"]),
    # a later test cell passes a demo-trained model to its checker
    ([demo("model = train()"), test_cell("check_model(model)")], ["model"]),
    # the demo changes an object a later cell reads (a method call, an item)
    ([new_code_cell("model = build()"), demo("model.fit(x)"), test_cell("check_model(model)")],
     ["model"]),
    ([new_code_cell("w = [1]"), demo("w[0] = 2"), new_code_cell("print(w)")], ["w"]),
    # a function body reads it, wherever the function is defined
    ([exercise("def f():\n    return scale"), demo("scale = 2"), test_cell("check(f)")], ["scale"]),
])
def test_a_demo_cell_whose_writes_are_read_cannot_be_skipped(cells, expected):
    found = conflicts([c.source for c in cells], {i for i, c in enumerate(cells)
                                                  if DEMO_TAG in c.metadata.get("tags", [])})
    assert found and found[0].names == expected
    assert problems(notebook(*cells))


@pytest.mark.parametrize("cells", [
    [demo("fig = plot(x)"), new_code_cell("fig = other()\nfig.savefig('a.png')")],  # bound first
    [demo("units = 8"), new_code_cell("units = 4"), new_code_cell("print(units)")],  # rebound between
    [demo("plt.plot(x)\nnp.random.default_rng(0)"), new_code_cell("plt.show()")],  # imported names
    [demo("y = f(x)"), exercise("def g(y):\n    return y + 1")],                     # a parameter
])
def test_a_demo_cell_whose_writes_nobody_reads_is_safe(cells):
    nb = notebook(new_code_cell("import numpy as np\nimport matplotlib.pyplot as plt"), *cells)
    assert problems(nb) == []


def test_exercises_and_tests_may_not_be_tagged_demo():
    cell = test_cell("check_f(f)")
    cell.metadata["tags"] = [DEMO_TAG]
    assert "exercise or a test" in problems(notebook(cell))[0]


def test_dynamic_reads_read_everything_but_the_course_lookup_reads_one_name():
    skipped = {0}
    assert conflicts(["model = train()", "print(globals()['model'])"], skipped)
    assert conflicts(["model = train()", "eval('model')"], skipped)
    assert not conflicts(["model = train()", "x = yours_or_course('make_windows', globals(), ids)"],
                         skipped)
    assert conflicts(["make_windows = 1", "x = yours_or_course('make_windows', globals(), ids)"],
                     skipped)


# -- at grading: the student's code always has what it reads


def released():
    return notebook(new_code_cell("import numpy as np"),
                    demo("history = train(model)"),
                    demo("plot(history)"),
                    exercise("def f(x):\n    raise NotImplementedError()"),
                    test_cell("check_f(f)"))


def submission(exercise_source, *, demo_sources=None):
    nb = released()
    nb.cells[3].source = exercise_source
    for index, source in (demo_sources or {}).items():
        nb.cells[index].source = source
    return nb


def test_demo_cells_are_skipped_when_nothing_reads_them():
    assert cells_to_skip(submission("def f(x):\n    return x"), released()) == {1, 2}


def test_a_student_cell_that_reads_a_demo_name_makes_that_demo_run():
    """history is read by the student's own function: cell 1 runs; cell 2 may still be skipped."""
    assert cells_to_skip(submission("def f(x):\n    return history"), released()) == {2}


def test_a_demo_cell_that_runs_makes_the_demo_cells_it_reads_run():
    nb = submission("def f(x):\n    return x")
    nb.cells.insert(3, new_code_cell("print(history)"))    # a cell the student added
    assert cells_to_skip(nb, released()) == {2}
    nb = submission("def f(x):\n    return x", demo_sources={2: "plot(history)  # my edit"})
    assert cells_to_skip(nb, released()) == set()      # an edited demo runs, and reads cell 1


def test_a_student_cell_that_does_not_parse_reads_nothing():
    assert cells_to_skip(submission("def f(x)\n    return history"), released()) == {1, 2}


def test_a_submission_that_reads_names_dynamically_runs_every_demo_cell():
    assert cells_to_skip(submission("def f(x):\n    return globals()['x']"), released()) == set()


# -- at grading: what only the demonstration cells read (settings.for_demonstrations)


def test_demo_work_is_skipped_only_with_every_demo_skipped_and_no_code_of_the_students_own():
    def verdict(nb):
        return demo_work_skippable(nb, released(), cells_to_skip(nb, released()))

    answered = submission("def f(x):\n    return x")
    assert own_cells(answered, released()) == [] and verdict(answered)
    reads = submission("def f(x):\n    return history")   # cell 1 runs: its history is whole
    assert own_cells(reads, released()) == [] and not verdict(reads)
    added = submission("def f(x):\n    return x")
    added.cells.insert(4, new_code_cell("print(history_of_mine['val_accuracy'])"))
    assert own_cells(added, released()) == [4] and not verdict(added)
    edited = submission("def f(x):\n    return x", demo_sources={2: "plot(history)  # my edit"})
    assert own_cells(edited, released()) == [2] and not verdict(edited)
    blank = submission("def f(x):\n    return x")
    blank.cells.insert(4, new_code_cell("   \n"))       # an empty cell reads nothing
    assert own_cells(blank, released()) == [] and verdict(blank)

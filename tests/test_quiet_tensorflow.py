"""Importing TensorFlow after course_utils writes nothing to stderr, in a real kernel.

nbgrader gives zero points to a test cell with stderr output, so TensorFlow's
start-up lines ("Could not find cuda drivers", the oneDNN banner) must never
reach a cell.
"""
import nbformat
from nbclient import NotebookClient

CELLS = [
    "import course_utils",
    "import keras, numpy as np\nkeras.utils.set_random_seed(0)",
    "model = keras.Sequential([keras.Input((4, 2)), keras.layers.GRU(3), keras.layers.Dense(1)])\n"
    "model.compile('adam', 'mse')\n"
    "h = model.fit(np.zeros((8, 4, 2)), np.zeros((8, 1)), epochs=1, verbose=0)",
]


def test_no_stderr_from_tensorflow_in_a_kernel(monkeypatch):
    # ipykernel stops capturing file-descriptor output when it sees pytest's
    # variable, which would hide exactly the lines this test looks for.
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    streams = [(i, o.get("name"), o.get("text", "")) for i, cell in enumerate(nb.cells)
               for o in cell.outputs if o.output_type == "stream"]
    assert [s for s in streams if s[1] == "stderr"] == [], streams
    assert all(o.output_type != "error" for cell in nb.cells for o in cell.outputs)
